//! Whole loader: arbitrary bytes as one rules file -> Analysis::load, then every renderer over
//! the diagnostics (so renderer panics on odd spans are found too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rulec::render::{falco, github, human, sarif};
use rulec::{Analysis, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file_bytes("f.yaml", data.to_vec());
    let outcome = a.load();
    let sources = &a.sources;

    let diags = outcome.unique_diagnostics();
    let _ = human::render(&diags, sources, false);
    let _ = human::render(&diags, sources, true);
    let _ = github::render(&diags, sources);
    let _ = sarif::render(&diags, sources, "0.0.0-fuzz").to_string();
    let _ = falco::json_results(&outcome.results, sources).to_string();
    for r in &outcome.results {
        let _ = falco::json_result(r, sources);
        let _ = falco::verbose(r, sources);
        for d in &r.diagnostics {
            let _ = falco::snippet(d, sources);
            let _ = rulec::render::region(d, sources);
            let _ = rulec::render::file_name(d, sources);
        }
    }
});
