//! Stage 7, reviewing rules: `explain` shows every step of one request's route; `semantic_diff`
//! finds the requests whose outcome a change moves (`text_diff` renders text diffs); `export_nginx`
//! writes the same routing as nginx server blocks; `replay` runs logged traffic through the rules
//! (and two versions of them).

pub mod explain;
pub mod export_nginx;
pub mod probes;
pub mod replay;
pub mod semantic_diff;
pub mod text_diff;
