//! Tests of the spanned YAML layer.

use super::*;
use crate::span::FileId;

mod errors;
mod props;
mod scalars;
mod structure;

/// Parses `text` and returns its documents, panicking on error.
fn docs(text: &str) -> Vec<Document> {
    match parse_stream(FileId(0), text) {
        Ok(d) => d,
        Err(e) => panic!("unexpected error {e:?} for {text:?}"),
    }
}

/// The root of the only document of `text`.
fn root(text: &str) -> Node {
    let mut d = docs(text);
    assert_eq!(d.len(), 1, "expected one document in {text:?}");
    d.remove(0).root.expect("non-null root")
}

/// The scalar at `key` of the root mapping of `text`.
fn scalar_at(text: &str, key: &str) -> Scalar {
    let r = root(text);
    let node = r.get(key).unwrap_or_else(|| panic!("no key {key}"));
    node.as_scalar().expect("scalar").clone()
}

/// Byte offset of the `nth` (0-based) occurrence of `needle` in `hay`.
fn nth(hay: &str, needle: &str, n: usize) -> usize {
    hay.match_indices(needle)
        .nth(n)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("{needle:?} #{n} not in {hay:?}"))
}

/// File offset of decoded byte `i` of `s`.
fn off(s: &Scalar, i: usize) -> usize {
    s.map.file_offset(u32::try_from(i).unwrap()) as usize
}

/// Asserts that occurrence `n` of `needle` in the value maps to occurrence `m` in the file.
fn assert_maps(text: &str, s: &Scalar, needle: &str, n: usize, m: usize) {
    let d = nth(&s.value, needle, n);
    let f = nth(text, needle, m);
    assert_eq!(
        off(s, d),
        f,
        "{needle:?} (value #{n} at {d}) in {:?}",
        s.value
    );
    for k in 0..needle.len() {
        assert_eq!(off(s, d + k), f + k, "byte {k} of {needle:?}");
    }
}

/// Asserts the map is exact and every decoded byte maps to a plausible source byte: the same
/// byte, a line break for folded white space, or the start of an escape.
fn assert_plausible(text: &str, s: &Scalar) {
    assert!(
        s.map.is_exact(),
        "map not exact for {:?} ({:?})",
        s.value,
        s.style
    );
    let src = text.as_bytes();
    for (i, &v) in s.value.as_bytes().iter().enumerate() {
        let o = off(s, i);
        let Some(&b) = src.get(o) else {
            // Only the line break a block scalar adds at end of input has no source byte.
            assert!(
                v == b'\n' && o == src.len(),
                "decoded byte {i} maps past the end"
            );
            continue;
        };
        let ok = b == v
            || (matches!(v, b' ' | b'\n') && matches!(b, b'\r' | b'\n'))
            || (s.style == ScalarStyle::DoubleQuoted && b == b'\\')
            || (s.style == ScalarStyle::SingleQuoted && b == b'\'' && v == b'\'');
        assert!(
            ok,
            "decoded byte {i} ({:?}) maps to {o} ({:?}) in {:?}",
            v as char, b as char, s.value
        );
    }
}

/// Visits every scalar of every document (including keys).
fn all_scalars(d: &[Document]) -> Vec<Scalar> {
    let mut out = Vec::new();
    let mut stack: Vec<&Node> = d.iter().filter_map(|d| d.root.as_ref()).collect();
    while let Some(n) = stack.pop() {
        match &n.kind {
            NodeKind::Scalar(s) => out.push(s.clone()),
            NodeKind::Seq(items) => stack.extend(items.iter()),
            NodeKind::Map(entries) => stack.extend(entries.iter().flat_map(|(k, v)| [k, v])),
        }
    }
    out
}

/// Parses `text` and checks every scalar's map with [`assert_plausible`].
fn assert_all_plausible(text: &str) -> Vec<Document> {
    let d = docs(text);
    for s in all_scalars(&d) {
        assert_plausible(text, &s);
    }
    d
}
