//! Property tests: random values rendered in each quoting style round-trip and map back.

use super::*;
use proptest::prelude::*;

/// Renders `s` as a double-quoted scalar, folding long runs of spaces onto continuation lines.
fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' if i % 2 == 0 => out.push_str("\\t"),
            ' ' if i % 7 == 3 => out.push_str("\\\n    \\ "),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders `s` as a single-quoted scalar (`\n` becomes an empty line).
fn single_quoted(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\n' => out.push_str("\n\n   "),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Renders `s` (no leading space, single trailing newline) as a literal block scalar.
fn literal(s: &str) -> String {
    let mut out = String::from("|\n");
    for line in s.lines() {
        out.push_str("   ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Checks round-trip and that each literal byte maps to an equal source byte.
fn check(rendered: &str, expected: &str, literal_bytes: impl Fn(u8) -> bool) {
    let text = format!("k: {rendered}\nz: 1\n");
    let docs = parse_stream(FileId(0), &text).expect("parses");
    let s = docs[0]
        .root
        .as_ref()
        .unwrap()
        .get("k")
        .unwrap()
        .as_scalar()
        .unwrap()
        .clone();
    assert_eq!(s.value, expected);
    assert!(s.map.is_exact());
    let src = text.as_bytes();
    for (i, &b) in s.value.as_bytes().iter().enumerate() {
        let o = off(&s, i);
        if literal_bytes(b) {
            assert_eq!(src[o], b, "byte {i} of {:?} in {text:?}", s.value);
        }
        assert!(o < text.len());
    }
    assert!(off(&s, s.value.len()) <= text.len());
}

proptest! {
    #[test]
    fn double_quoted_round_trips(s in "[ -~\t\n]{0,60}") {
        check(&double_quoted(&s), &s, |b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    }

    #[test]
    fn single_quoted_round_trips(s in "([ -~]{0,29}[!-~])?(\n[!-~]([ -~]{0,20}[!-~])?){0,3}") {
        check(&single_quoted(&s), &s, |b| b.is_ascii_graphic() && b != b'\'');
    }

    #[test]
    fn literal_round_trips(lines in prop::collection::vec("[!-~][ -~]{0,30}", 1..5)) {
        let s = lines.join("\n") + "\n";
        check(&literal(&s), &s, |b| b != b'\n');
    }

    #[test]
    fn arbitrary_input_never_panics(s in "[\\[\\]{}:,\\-?&*!|>'\"#% \n\ta-c\\\\é]{0,80}") {
        if let Ok(docs) = parse_stream(FileId(0), &s) {
            for sc in all_scalars(&docs) {
                prop_assert!(sc.map.file_offset(u32::try_from(sc.value.len()).unwrap()) as usize <= s.len());
                for i in 0..sc.value.len() {
                    prop_assert!((sc.map.file_offset(u32::try_from(i).unwrap()) as usize) <= s.len());
                }
            }
        }
    }
}

/// Renders one mapping entry `k{i}: <scalar>` in a style chosen by `style`.
fn render_entry(
    out: &mut String,
    i: usize,
    style: usize,
    lines: &[String],
    extra: usize,
    crlf: bool,
) {
    let nl = if crlf { "\r\n" } else { "\n" };
    let indent = " ".repeat(2 + extra);
    out.push_str(&format!("k{i}: "));
    if extra == 3 {
        out.push_str(&format!("&a{i} !t "));
    }
    let header = ["|", ">", "|-", ">+", "|2", "'", "\"", ""][style % 8];
    out.push_str(header);
    let block = style % 8 < 5;
    for (j, line) in lines.iter().enumerate() {
        if block || j > 0 {
            out.push_str(nl);
            if j > 0 && extra == 1 {
                out.push_str(nl);
            }
            out.push_str(&indent);
        }
        out.push_str(line);
    }
    if header == "'" || header == "\"" {
        out.push_str(header);
    }
    out.push_str(nl);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Random mappings of random scalars in every style (with CRLF, properties, explicit
    /// indentation, escapes and comments): whenever the YAML is valid, every scalar's map is
    /// exact and each byte maps to a plausible source byte.
    #[test]
    fn structured_documents_map_exactly(
        entries in prop::collection::vec(
            (0usize..8, prop::collection::vec("(a|b c|é|'|\"|\\\\|#|: |-|\t|  |x y z|\\\\n|\\\\t|''|\\\\\"|\\\\u00e9){0,6}", 1..5), 0usize..4, any::<bool>()),
            1..5,
        )
    ) {
        let mut text = String::new();
        for (i, (style, lines, extra, crlf)) in entries.iter().enumerate() {
            render_entry(&mut text, i, *style, lines, *extra, *crlf);
        }
        if let Ok(docs) = parse_stream(FileId(0), &text) {
            for s in all_scalars(&docs) {
                assert_plausible(&text, &s);
            }
        }
    }
}
