#![no_main]
//! Bundle reader on arbitrary bytes: raw (magic/version/length/checksum gates) and re-sealed
//! with a valid checksum (decoder and validator); accepted bundles must run and re-read.
use libfuzzer_sys::fuzz_target;
use rulec_ir::bundle::{seal, Bundle, PREAMBLE_LEN};
use rulec_runtime::event::FieldMapEvent;
use rulec_runtime::interp::Interpreter;
use rulec_runtime::output::Alert;

fuzz_target!(|data: &[u8]| {
    let _ = Bundle::read(data);
    if data.len() >= PREAMBLE_LEN {
        let framed = seal(data.to_vec());
        if let Ok(b) = Bundle::read(&framed) {
            let ev = FieldMapEvent::syscall([
                ("evt.type", "openat"),
                ("proc.name", "cat"),
                ("fd.name", "/etc/shadow"),
                ("container.id", "abc"),
            ]);
            for p in &b.programs {
                let mut it = Interpreter::new(p);
                let _ = Alert::for_matches(&mut it, &ev, "fuzz");
            }
            let again = Bundle::read(&b.write()).expect("accepted bundles re-read");
            assert_eq!(again, b);
        }
    }
});
