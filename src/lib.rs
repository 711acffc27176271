//! edgeroute: nginx-style routing rules → a CloudFront Function, proven before upload.
//!
//! The pipeline, one stage per module (a folder where a stage has several parts), left to right:
//!
//! 1. `read`: `yaml` reads the text into nodes with spans; `config` checks their shape (`RawConfig`);
//! 2. `validate`: parses every value (`directive`, `vars`, `regex`), checks every rule of rules.md
//!    and the tenant boundary (`boundary`), and the cases of `tests:` (`cases`) → `model::Rules`;
//!    then, on rules without errors, the security lints (`lints`) add their warnings;
//! 3. `compile`: resolves nginx precedence and inheritance into plain tables → `ir::Program`;
//! 4. `js`: `emit` renders the router template plus those tables into JavaScript, `compact` prints
//!    the upload, `gate` parses it with swc and holds it to the runtime's dialect, `size` checks
//!    and explains the 10 KB budget;
//! 5. `harness`: runs the exact bytes in boa, shaped like CloudFront (`realm`, `returns`, `event`),
//!    or in njs and node (`engines`);
//! 6. `golden`: runs the golden cases and compares each decision with its case (`compare`), with
//!    rule coverage;
//! 7. `review`: `explain` (why a URL goes where it goes), `semantic_diff` (which requests a change
//!    moves; `text_diff` for text), `export_nginx` (the same routing as nginx server blocks),
//!    `replay` (logged traffic through the rules, and through two versions of them).
//!
//! Around them: `pipeline` chains the stages; `cli` is the front end (the only module that prints);
//! `diagnostic`, `render` and `source` are problems with their place in a text and how they are
//! shown (`render::sarif`: SARIF and GitHub annotations); `error` is what stops a command; `runtime` names the CloudFront runtimes; `schema` is the
//! rules file's JSON Schema; `fuzzing` holds the entry points the fuzz targets share with the tests.
//!
//! Promises that hold across the stages: the library never prints (only `cli` does; clippy's
//! `print_stdout` and `print_stderr` are denied everywhere else); user input never panics (problems
//! become `Diagnostic`s); a JavaScript check failure is edgeroute's own bug (`Error`), never the
//! user's.

pub mod cli;
pub mod compile;
pub mod diagnostic;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod golden;
pub mod harness;
pub mod ir;
pub mod js;
pub mod lints;
pub mod model;
pub mod pipeline;
pub mod read;
pub mod render;
pub mod review;
pub mod runtime;
pub mod schema;
pub mod source;
pub mod validate;
