//! The agent's configuration reader: any falco.yaml text, with any `-o` override, is either
//! accepted or refused with an error; it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rulec_runtime::agent::config::{apply_override, parse_yaml, AgentConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // First line: an override; the rest: the configuration file.
    let (ov, yaml) = text.split_once('\n').unwrap_or(("", text));
    let Ok(mut tree) = parse_yaml(std::path::Path::new("fuzz.yaml"), yaml) else {
        return;
    };
    let _ = apply_override(&mut tree, ov);
    let _ = AgentConfig::from_tree(&tree);
});
