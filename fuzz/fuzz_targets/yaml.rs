//! Spanned YAML: arbitrary bytes -> (if UTF-8) parse_stream; on success every node span and
//! every scalar offset map must stay inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rulec::span::FileId;
use rulec::yaml::{Node, NodeKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(docs) = rulec::yaml::parse_stream(FileId(0), text) else {
        return;
    };
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    let mut budget: u32 = 100_000; // alias expansion can make huge trees: check a prefix
    let mut stack: Vec<&Node> = Vec::new();
    for d in &docs {
        assert!(d.span.start <= d.span.end && d.span.end <= len, "doc span {:?}", d.span);
        stack.extend(d.root.as_ref());
    }
    while let Some(n) = stack.pop() {
        if budget == 0 {
            break;
        }
        budget -= 1;
        assert!(n.span.start <= n.span.end && n.span.end <= len, "node span {:?}", n.span);
        match &n.kind {
            NodeKind::Scalar(s) => {
                assert_eq!(s.map.len() as usize, s.value.len(), "map length of {:?}", s.value);
                assert!(s.map.end() <= len, "map end {} > {len}", s.map.end());
                let step = (s.value.len() / 256).max(1);
                for i in (0..=s.value.len()).step_by(step) {
                    let i = i as u32;
                    let off = s.map.file_offset(i);
                    let end = s.map.file_end_of(i);
                    assert!(off <= len && end <= len, "offset {off}..{end} of byte {i} > {len}");
                }
            }
            NodeKind::Seq(items) => stack.extend(items),
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    stack.push(k);
                    stack.push(v);
                }
            }
        }
    }
});
