//! The agent's JSON source on hostile input: any bytes in a file (JSON lines, documents,
//! gzip, garbage) give events and malformed reports, end, and never panic or loop.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rulec_runtime::agent::source::json::{Input, JsonOptions, JsonSource};
use rulec_runtime::agent::source::{EventSource, Pull};

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("rulec-fuzz-json-{}", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let opts = JsonOptions {
        max_line_bytes: 4096,
        max_document_bytes: 1 << 20,
    };
    let Ok(mut src) = JsonSource::new("k8s_audit", vec![Input::Path(path)], "fuzz", opts) else {
        return;
    };
    // Inputs are at most a few KiB (gzip may expand them a thousandfold): ten million pulls
    // without an end is a loop.
    for _ in 0..10_000_000u32 {
        match src.pull() {
            Pull::End => return,
            Pull::Event(_) | Pull::Malformed(_) | Pull::Idle => {}
        }
    }
    panic!("the source did not end after ten million pulls");
});
