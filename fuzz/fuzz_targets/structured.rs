//! Rules files built from a model of the format, so that most inputs pass the YAML parser and
//! reach validation, with a share of free text in every value.
#![no_main]

use edgeroute_fuzz::{Mode, RulesFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|file: RulesFile| {
    let text = file.render(Mode::Loose);
    edgeroute_fuzz::dump("structured", &text);
    edgeroute::fuzzing::read_and_validate(text.as_bytes());
});
