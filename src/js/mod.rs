//! Stage 4, the JavaScript back end: `emit` renders the templates and the IR's tables, `compact`
//! prints the upload, `gate` parses JavaScript with swc and holds it to a runtime's dialect (also
//! `lint-js`), `size` checks the 10 KB budget and says where the bytes go, `store` splits the exact tables of a
//! `kvs: true` build into KeyValueStore keys.

pub mod compact;
pub mod emit;
pub mod gate;
pub mod hosts;
pub mod minify;
pub mod roots;
pub mod search;
pub mod size;
pub mod store;
pub mod text_form;
pub mod values;
