//! Syntax errors, limits and hostile input.

use super::*;

/// Parses `text`, expecting an error.
fn err(text: &str) -> YamlError {
    match parse_stream(FileId(0), text) {
        Ok(d) => panic!("expected an error for {text:?}, got {d:?}"),
        Err(e) => e,
    }
}

#[test]
fn malformed_yaml_positions() {
    let e = err("a: 1\nb: [1, 2\nc: 3\n");
    assert!(!e.message.is_empty());
    assert!(e.span.start >= 8, "{e:?}");
    let text = "a: 1\n  b: 2\n";
    let e = err(text);
    assert_eq!(e.span.start as usize, nth(text, ":", 1), "{e:?}");
    let text = "key: \"unterminated\n";
    let e = err(text);
    assert!(e.message.contains("quoted scalar"), "{e:?}");
    assert_eq!(e.span.start as usize, nth(text, "\"", 0));
    let text = "k: \"bad \\q escape\"";
    let e = err(text);
    assert!(e.message.contains("unknown escape"), "{e:?}");
    let text = "a: *nope\n";
    let e = err(text);
    assert_eq!(e.span.start as usize, nth(text, "*", 0), "{e:?}");
}

#[test]
fn error_positions_are_bytes_after_unicode() {
    let text = "é: ü\n日本: [1, 2\nx";
    let e = err(text);
    let col = crate::span::SourceFile::new("f", text).line_col(e.span.start);
    assert!(text.is_char_boundary(e.span.start as usize));
    assert!(col.line >= 1, "{e:?} {col:?}");
    let text = "ö: 1\n  ä: 2\n";
    let e = err(text);
    assert_eq!(e.span.start as usize, nth(text, ":", 1), "{e:?}");
}

#[test]
fn deep_flow_nesting() {
    let text = "[".repeat(100_000) + &"]".repeat(100_000);
    let e = err(&text);
    assert!(e.message.contains("too deep"), "{e:?}");
    let text = "{a: ".repeat(100_000);
    assert!(err(&text).message.contains("too deep"));
}

#[test]
fn deep_block_nesting() {
    let text = "- ".repeat(100_000) + "x\n";
    let e = err(&text);
    assert_eq!(
        e.message,
        format!("YAML nesting too deep (limit {MAX_DEPTH})")
    );
    let ok = "- ".repeat(900) + "x\n";
    assert!(parse_stream(FileId(0), &ok).is_ok());
}

#[test]
fn alias_bomb() {
    let mut text = String::from(
        "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(", ");
        text.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    let start = std::time::Instant::now();
    let e = err(&text);
    assert!(e.message.contains("alias expansion too large"), "{e:?}");
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn alias_depth_is_bounded() {
    let mut text = String::from("a0: &a0 [x]\n");
    for i in 1..1100 {
        text.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    let e = err(&text);
    assert!(e.message.contains("too deep"), "{e:?}");
}

#[test]
fn control_characters_and_junk() {
    let e = err("a: b\0c\n");
    assert_eq!(e.span.start, 4);
    assert!(e.message.contains("U+0000"));
    let junk: String = (0u32..3000)
        .map(|i| char::from_u32((i * 7919) % 0x3000 + 0x20).unwrap_or('?'))
        .collect();
    let _ = parse_stream(FileId(0), &junk);
    for seed in 0..200u32 {
        let s: String = (0..64)
            .map(|i| b"[]{}:-?,&*!|>'\"#% \n\tab\\"[((seed * 31 + i * 17) % 23) as usize] as char)
            .collect();
        let _ = parse_stream(FileId(0), &s);
    }
}

#[test]
fn large_file_is_linear() {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 5_000_000 {
        text.push_str(&format!(
            "- rule: rule number {i}\n  desc: >\n    some description\n    of the rule é\n  condition: evt.type = open\n    and proc.name = \"x{i}\" and fd.name in ('a', 'b')\n  tags: [a, b, c]\n"
        ));
        i += 1;
    }
    let start = std::time::Instant::now();
    let d = docs(&text);
    let elapsed = start.elapsed();
    assert_eq!(d[0].root.as_ref().unwrap().as_seq().unwrap().len(), i);
    assert!(elapsed.as_secs() < 60, "took {elapsed:?}");
    eprintln!("5 MB parsed in {elapsed:?}");
}
