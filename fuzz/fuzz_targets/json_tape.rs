//! The plugin events' JSON tape against serde_json: the same inputs are accepted, the same
//! error text is reported, and accepted documents render and convert identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rulec_runtime::extract::json::Doc;

fuzz_target!(|data: &[u8]| {
    let ours = Doc::from_bytes(data.to_vec());
    let theirs = serde_json::from_slice::<serde_json::Value>(data);
    match (ours, theirs) {
        (Ok(d), Ok(v)) => {
            assert_eq!(d.root().to_json_string(), v.to_string(), "rendering of {data:?}");
            assert_eq!(d.to_value(), v, "value of {data:?}");
        }
        (Err(e), Err(s)) => assert_eq!(e.to_string(), s.to_string(), "error for {data:?}"),
        (Ok(_), Err(s)) => panic!("accepted what serde_json refuses ({s}): {data:?}"),
        (Err(e), Ok(_)) => panic!("refused what serde_json accepts ({e}): {data:?}"),
    }
});
