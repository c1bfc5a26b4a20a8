//! Offset maps of every scalar style.

use super::*;

#[test]
fn plain_multiline_condition() {
    let text = "- rule: r\n  condition: evt.type = open\n    and proc.name = x   \n\n\n    and  fd.name = y\n  output: o\n";
    let r = root(text);
    let item = &r.as_seq().unwrap()[0];
    let s = item.get("condition").unwrap().as_scalar().unwrap().clone();
    assert_eq!(
        s.value,
        "evt.type = open and proc.name = x\n\nand  fd.name = y"
    );
    assert_eq!(s.style, ScalarStyle::Plain);
    assert_maps(text, &s, "evt.type", 0, 0);
    assert_maps(text, &s, "proc.name", 0, 0);
    assert_maps(text, &s, "fd.name = y", 0, 0);
    // The folded space maps to the line break ending "open".
    let sp = nth(&s.value, " and proc", 0);
    assert_eq!(off(&s, sp), nth(text, "open\n", 0) + 4);
    // The two `\n` map to the breaks of the two empty lines.
    let nl = nth(&s.value, "\n", 0);
    let first_empty = nth(text, "\n\n\n", 0) + 1;
    assert_eq!(off(&s, nl), first_empty);
    assert_eq!(off(&s, nl + 1), first_empty + 1);
    assert_eq!(off(&s, s.value.len()), nth(text, "y\n", 0) + 1);
    assert_eq!(item.span.start as usize, nth(text, "rule", 0));
    assert_plausible(text, &s);
}

#[test]
fn single_quoted_condition() {
    let text = "c: 'evt.type = open and\n     proc.name = ''x''  \n\n  and fd.name = y '\n";
    let s = scalar_at(text, "c");
    assert_eq!(
        s.value,
        "evt.type = open and proc.name = 'x'\nand fd.name = y "
    );
    assert_maps(text, &s, "proc.name", 0, 0);
    assert_maps(text, &s, "fd.name", 0, 0);
    let q = nth(&s.value, "'x'", 0);
    assert_eq!(off(&s, q), nth(text, "''x''", 0));
    assert_eq!(off(&s, q + 1), nth(text, "''x''", 0) + 2);
    assert_eq!(off(&s, q + 2), nth(text, "''x''", 0) + 3);
    assert_eq!(off(&s, s.value.len()), text.rfind('\'').unwrap());
    assert_plausible(text, &s);
}

#[test]
fn double_quoted_escapes() {
    let text = concat!(
        "c: \"evt.type = open\\tand \\u00e9\\x41\\U0001F600 \\\"q\\\" \\\\ \\/ \\N\\_\\L\\P\\0\\a\\b\\e\\f\\r\\v\\ \\\t|\n",
        "   proc.name = x \\\n",
        "     tail\\\n",
        "\n",
        "   more \\n end\"\n",
    );
    let s = scalar_at(text, "c");
    let expected = "evt.type = open\tand \u{e9}A\u{1F600} \"q\" \\ / \u{85}\u{a0}\u{2028}\u{2029}\0\x07\x08\x1b\x0c\r\x0b \t| proc.name = x tail\nmore \n end";
    assert_eq!(s.value, expected);
    assert_maps(text, &s, "proc.name", 0, 0);
    assert_maps(text, &s, "tail", 0, 0);
    assert_maps(text, &s, "more", 0, 0);
    // The tab escape and the multi-byte escapes map to their backslash.
    assert_eq!(off(&s, nth(&s.value, "\t", 0)), nth(text, "\\tand", 0));
    let e = nth(&s.value, "\u{e9}", 0);
    assert_eq!(
        (off(&s, e), off(&s, e + 1)),
        (nth(text, "\\u00e9", 0), nth(text, "\\u00e9", 0))
    );
    let smile = nth(&s.value, "\u{1F600}", 0);
    assert_eq!(off(&s, smile + 3), nth(text, "\\U0001F600", 0));
    assert_eq!(
        s.map.file_end_of(u32::try_from(smile).unwrap()) as usize,
        nth(text, "\\U0001F600", 0) + 10
    );
    // The escaped line break after `tail` is removed; the empty line that follows gives `\n`.
    let nl = nth(&s.value, "\nmore", 0);
    assert_eq!(off(&s, nl), nth(text, "\\\n\n", 0) + 2);
    assert_eq!(off(&s, s.value.len()), text.rfind('"').unwrap());
    assert_plausible(text, &s);
}

#[test]
fn literal_chomping_variants() {
    for (ind, tail) in [("|", "\n"), ("|-", ""), ("|+", "\n\n\n")] {
        let text =
            format!("c: {ind}\n\n  evt.type = open and\n    proc.name = x\n  end\n\n\nd: 1\n");
        let s = scalar_at(&text, "c");
        assert_eq!(
            s.value,
            format!("\nevt.type = open and\n  proc.name = x\nend{tail}"),
            "{ind}"
        );
        assert_eq!(s.style, ScalarStyle::Literal);
        assert_maps(&text, &s, "proc.name", 0, 0);
        assert_maps(&text, &s, "  proc.name", 0, 0);
        assert_maps(&text, &s, "end", 0, 0);
        assert_eq!(
            off(&s, 0),
            nth(&text, "\n\n  evt", 0) + 1,
            "leading empty line"
        );
        let first_break = nth(&s.value, "\n", 1);
        assert_eq!(off(&s, first_break), nth(&text, "and\n", 0) + 3);
        if !tail.is_empty() {
            let e = nth(&s.value, "end", 0) + 3;
            assert_eq!(off(&s, e), nth(&text, "end\n", 0) + 3);
        }
        assert_plausible(&text, &s);
    }
}

#[test]
fn literal_explicit_indentation() {
    let text = "c: |2-\n     more indented\n    x\n  base\nd: 1\n";
    let s = scalar_at(text, "c");
    assert_eq!(s.value, "   more indented\n  x\nbase");
    assert_maps(text, &s, "   more", 0, 0);
    assert_maps(text, &s, "base", 0, 0);
    let text = "- &a !t |1+\n    x\n   y\n- *a\n";
    let r = root(text);
    let items = r.as_seq().unwrap();
    let s = items[0].as_scalar().unwrap();
    assert_eq!(s.value, "   x\n  y\n");
    assert_maps(text, s, "   x", 0, 0);
    assert_maps(text, s, "  y", 0, 0);
    assert_plausible(text, s);
    assert_eq!(items[1], items[0]);
}

#[test]
fn folded_with_more_indented_lines() {
    let text = "c: >\n  evt.type = open\n  and proc.name = x\n\n    - indented\n    - keep\n  back to\n  normal\n\n\n  last\n";
    let s = scalar_at(text, "c");
    assert_eq!(
        s.value,
        "evt.type = open and proc.name = x\n\n  - indented\n  - keep\nback to normal\n\nlast\n"
    );
    assert_eq!(s.style, ScalarStyle::Folded);
    assert_maps(text, &s, "proc.name", 0, 0);
    assert_maps(text, &s, "  - keep", 0, 0);
    assert_maps(text, &s, "normal", 0, 0);
    assert_maps(text, &s, "last", 0, 0);
    let sp = nth(&s.value, " and", 0);
    assert_eq!(off(&s, sp), nth(text, "open\n", 0) + 4);
    let sp = nth(&s.value, " normal", 0);
    assert_eq!(off(&s, sp), nth(text, "to\n", 0) + 2);
    assert_plausible(text, &s);
}

#[test]
fn folded_strip_and_keep() {
    let text = "a: >-\n  x\n  y\n\nb: >+\n  x\n\n  y\n\n\nc: >2\n   z\n";
    let r = root(text);
    assert_eq!(r.get("a").unwrap().as_str(), Some("x y"));
    assert_eq!(r.get("b").unwrap().as_str(), Some("x\ny\n\n\n"));
    assert_eq!(r.get("c").unwrap().as_str(), Some(" z\n"));
    assert_all_plausible(text);
    let b = r.get("b").unwrap().as_scalar().unwrap();
    assert_maps(text, b, "y", 0, 1);
}

#[test]
fn crlf_line_endings_all_styles() {
    let text = "p: evt.type = open\r\n  and proc.name = x\r\n\r\n  z\r\ns: 'a\r\n  proc.name = y'\r\nd: \"a \\\r\n  proc.name = \\t w\r\n\r\n  v\"\r\nl: |\r\n  a\r\n  proc.name\r\n\r\nf: >-\r\n  a\r\n  proc.name\r\n\r\n  b\r\n";
    let r = root(text);
    let get = |k: &str| r.get(k).unwrap().as_scalar().unwrap().clone();
    assert_eq!(get("p").value, "evt.type = open and proc.name = x\nz");
    assert_eq!(get("s").value, "a proc.name = y");
    assert_eq!(get("d").value, "a proc.name = \t w\nv");
    assert_eq!(get("l").value, "a\nproc.name\n");
    assert_eq!(get("f").value, "a proc.name\nb");
    for (k, n) in [("p", 0), ("s", 1), ("d", 2), ("l", 3), ("f", 4)] {
        let s = get(k);
        assert_maps(text, &s, "proc.name", 0, n);
        assert_plausible(text, &s);
    }
    let p = get("p");
    assert_eq!(
        off(&p, nth(&p.value, " and", 0)),
        nth(text, "open\r\n", 0) + 4
    );
    assert_eq!(
        p.map
            .file_end_of(u32::try_from(nth(&p.value, " and", 0)).unwrap()) as usize,
        nth(text, "open\r\n", 0) + 6
    );
}

#[test]
fn tabs_and_unicode() {
    let text = "a: é\tproc.name = ünï  cödé\n  ☃ x\nb: \"ö\\u00fc\tproc.name\"\nc: 'ß\t proc.name'\nd: |\n  \tö proc.name\n  日本 x\n";
    let r = root(text);
    let a = r.get("a").unwrap().as_scalar().unwrap();
    assert_eq!(a.value, "é\tproc.name = ünï  cödé ☃ x");
    assert_maps(text, a, "proc.name", 0, 0);
    assert_maps(text, a, "cödé", 0, 0);
    assert_maps(text, a, "☃ x", 0, 0);
    let b = r.get("b").unwrap().as_scalar().unwrap();
    assert_eq!(b.value, "öü\tproc.name");
    assert_maps(text, b, "proc.name", 0, 1);
    let c = r.get("c").unwrap().as_scalar().unwrap();
    assert_maps(text, c, "proc.name", 0, 2);
    let d = r.get("d").unwrap().as_scalar().unwrap();
    assert_eq!(d.value, "\tö proc.name\n日本 x\n");
    assert_maps(text, d, "proc.name", 0, 3);
    assert_maps(text, d, "日本", 0, 0);
    assert_all_plausible(text);
}

#[test]
fn flow_sequence_scalars() {
    let text = "k: [a, \"b c\", 'd', {e: f g}, [ h\n   i ]]\n";
    let r = root(text);
    let seq = r.get("k").unwrap().as_seq().unwrap();
    let vals: Vec<&str> = seq.iter().take(3).map(|n| n.as_str().unwrap()).collect();
    assert_eq!(vals, ["a", "b c", "d"]);
    assert_eq!(seq[1].span.start as usize, nth(text, "\"b c\"", 0));
    assert_eq!(seq[1].span.end as usize, nth(text, "\"b c\"", 0) + 5);
    let b = seq[1].as_scalar().unwrap();
    assert_eq!(off(b, 0), nth(text, "b c", 0));
    assert_eq!(off(b, 3), nth(text, "b c", 0) + 3);
    assert_eq!(seq[3].get("e").unwrap().as_str(), Some("f g"));
    let inner = seq[4].as_seq().unwrap();
    assert_eq!(inner[0].as_str(), Some("h i"));
    assert_eq!(off(inner[0].as_scalar().unwrap(), 2), nth(text, "i ]", 0));
    assert_eq!(
        r.get("k").unwrap().span.end as usize,
        text.rfind(']').unwrap() + 1
    );
    assert_all_plausible(text);
}

#[test]
fn multiline_quoted_in_flow_and_keys() {
    let text = "{ \"multi\n  line key\": 'v\n\n  w', plain\n  key: x }\n";
    let r = root(text);
    let entries = r.as_map().unwrap();
    assert_eq!(entries[0].0.as_str(), Some("multi line key"));
    assert_eq!(entries[0].1.as_str(), Some("v\nw"));
    assert_eq!(entries[1].0.as_str(), Some("plain key"));
    assert_all_plausible(text);
}

#[test]
fn document_markers_end_scalars() {
    let text = "a: |\n  x\n...\n--- >\n y\n z\n---\nb\n c\n";
    let d = assert_all_plausible(text);
    assert_eq!(d.len(), 3);
    assert_eq!(
        d[0].root.as_ref().unwrap().get("a").unwrap().as_str(),
        Some("x\n")
    );
    assert_eq!(d[1].root.as_ref().unwrap().as_str(), Some("y z\n"));
    assert_eq!(d[2].root.as_ref().unwrap().as_str(), Some("b c"));
}

#[test]
fn block_scalar_at_eof_without_newline() {
    for text in [
        "a: |\n  x\n  y",
        "a: >+\n  x\n\n  y  ",
        "a: |-\n  x",
        "a: |\n  x\n  ",
    ] {
        let d = assert_all_plausible(text);
        assert_eq!(d.len(), 1);
    }
}

#[test]
fn tricky_cases_are_exact() {
    let cases = [
        "a: &x foo\nb: !t bar\nc: &y !t\n  baz qux\nd: !t &z 'q''s'\ne: &w\n  \"dq\"\n",
        "a: | # comment | with bar\n  x\n   y\nb: >+2 # c\n    z\n\n",
        "a: |\n\n  \n   x\n     y\n",
        "a: >\n  x\n\n   y\n  z\n\n  \tw\n  v\n",
        "a: \"x \\\n   \\ y\\\n\n  z \\\n\"\n",
        "--- |\nfoo\n bar\n\nbaz\n",
        "--- >-\nfoo\nbar\n...\n",
        "\"quoted key\": v\n'single key': w\n? \"x\"\n: y\n",
        "\u{feff}a: bom\n",
        "a: b\rc: d\r",
        "a: 'x\r  y'\r",
        "[a, b]: x\n{c: d}: y\n",
        "- [ a b\n  c, 'd\n  e' ]\n",
        "a: &x\nb: *x\n",
        "a: x # comment\nb: 'y' # c\nc: \"z\" # c\n",
        "k: plain with :colon and a#hash and -dash\nq: ''\nr: \"\" # c\n",
        "- |\n  block in seq\n- >\n  folded\n  in seq\n-   |2\n     x\n",
        "a:\n  b:\n    c: |\n      deep\n       more\n    d: e\n",
        "k: \"\\u263A \\x7e\\U0001f600\"\n",
        "k: 'trailing   '\nl: '  leading'\nm: '\n  x\n  '\n",
        "k: \"   \n   \"\nl: \"\\t\\ \"\n",
    ];
    for text in cases {
        assert_all_plausible(text);
    }
}
