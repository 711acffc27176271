//! Stage 1: the rules text into a checked shape. `yaml` reads saphyr's event stream into nodes with
//! spans; `config` checks keys and types and yields `RawConfig`, every value still text.

pub mod config;
pub mod yaml;
