//! The parser against serde_json: same accept/reject decisions and messages, same values
//! through `get`, `pointer`, `as_*`, and the same compact text.

use proptest::prelude::*;
use serde_json::Value as J;

use super::*;

/// Asserts that `text` parses (or fails) as with serde_json, and that every value reads the
/// same.
fn agree(text: &str) {
    let theirs = serde_json::from_str::<J>(text);
    let ours = Doc::parse(text.to_owned());
    match (&theirs, &ours) {
        (Ok(j), Ok(d)) => same_value(j, d.root(), text),
        (Err(e), Err(o)) => {
            assert_eq!(o.to_string(), e.to_string(), "error for {text:?}");
            assert_eq!(o.is_eof(), e.is_eof(), "is_eof for {text:?}");
        }
        _ => panic!(
            "{text:?}: serde_json {:?}, ours {:?}",
            theirs.map(|j| j.to_string()).map_err(|e| e.to_string()),
            ours.map(|d| d.root().to_json_string())
                .map_err(|e| e.to_string()),
        ),
    }
}

/// Asserts byte input agrees with `serde_json::from_slice`.
fn agree_bytes(bytes: &[u8]) {
    let theirs = serde_json::from_slice::<J>(bytes);
    let ours = Doc::from_bytes(bytes.to_vec());
    match (&theirs, &ours) {
        (Ok(j), Ok(d)) => same_value(j, d.root(), &String::from_utf8_lossy(bytes)),
        (Err(e), Err(o)) => assert_eq!(o.to_string(), e.to_string(), "error for {bytes:?}"),
        _ => panic!(
            "{bytes:?}: serde_json {:?}, ours {:?}",
            theirs.map(|j| j.to_string()).map_err(|e| e.to_string()),
            ours.map(|d| d.root().to_json_string())
                .map_err(|e| e.to_string()),
        ),
    }
}

fn same_value(j: &J, v: V<'_>, text: &str) {
    assert_eq!(
        v.to_json_string(),
        j.to_string(),
        "to_json_string of {text:?}"
    );
    assert_eq!(v.is_null(), j.is_null());
    assert_eq!(v.is_boolean(), j.is_boolean());
    assert_eq!(v.is_number(), j.is_number());
    assert_eq!(v.is_string(), j.is_string());
    assert_eq!(v.is_array(), j.is_array());
    assert_eq!(v.is_object(), j.is_object());
    assert_eq!(v.as_bool(), j.as_bool());
    assert_eq!(v.as_str().as_deref(), j.as_str(), "as_str in {text:?}");
    assert_eq!(v.as_u64(), j.as_u64(), "as_u64 of {v:?}");
    assert_eq!(v.as_i64(), j.as_i64(), "as_i64 of {v:?}");
    assert_eq!(
        v.as_f64().map(f64::to_bits),
        j.as_f64().map(f64::to_bits),
        "as_f64 of {v:?}"
    );
    match j {
        J::Array(a) => {
            assert_eq!(v.as_array().map(Iterator::count), Some(a.len()));
            for (i, e) in a.iter().enumerate() {
                same_value(e, v.get_index(i).expect("element"), text);
            }
            assert!(v.get_index(a.len()).is_none());
            assert!(v.get("0").is_none());
        }
        J::Object(o) => {
            let keys: std::collections::BTreeSet<String> = v
                .as_object()
                .expect("object")
                .map(|(k, _)| k.into_owned())
                .collect();
            assert_eq!(keys.len(), o.len());
            for (k, e) in o {
                same_value(e, v.get(k).expect("member"), text);
            }
            assert!(v.get_index(0).is_none());
        }
        _ => {
            assert!(v.get("a").is_none());
            assert!(v.get_index(0).is_none());
        }
    }
    for p in pointers(j) {
        assert_eq!(
            v.pointer(&p).map(V::to_json_string),
            j.pointer(&p).map(J::to_string),
            "pointer {p:?} in {text:?}"
        );
    }
}

/// Pointers into `j` (and a few that miss).
fn pointers(j: &J) -> Vec<String> {
    let mut out = vec![
        String::new(),
        "/".into(),
        "/0".into(),
        "/00".into(),
        "/+0".into(),
    ];
    fn walk(j: &J, at: String, out: &mut Vec<String>) {
        if out.len() > 40 {
            return;
        }
        match j {
            J::Array(a) => {
                for (i, e) in a.iter().enumerate() {
                    walk(e, format!("{at}/{i}"), out);
                }
                out.push(format!("{at}/{}", a.len()));
                out.push(format!("{at}/-"));
            }
            J::Object(o) => {
                for (k, e) in o {
                    walk(
                        e,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
                out.push(format!("{at}/missing"));
            }
            _ => out.push(format!("{at}/x")),
        }
        out.push(at);
    }
    walk(j, String::new(), &mut out);
    out
}

fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", "", " ", "\n", "\t ", "\r\n  "])
}

/// String literals with every kind of escape.
fn string_lit() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-z0-9 ~/._-]{0,6}",
        1 => prop::sample::select(vec![
            "é", "😀", "\u{7f}", "\u{80}", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r",
            "\\t", "\\u0041", "\\u00e9", "\\u0000", "\\u001f", "\\uD83D\\uDE00", "\\ud800\\udfff",
            "\\u2028", "\\uFFFF",
        ])
        .prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..5).prop_map(|p| format!("\"{}\"", p.concat()))
}

/// Object keys, few enough to repeat.
fn key_lit() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "\"a\"", "\"b\"", "\"kind\"", "\"\"", "\"é\"", "\"a\\u0062\"", "\"ab\"", "\"a/b\"",
            "\"m~n\"", "\"0\"", "\"B\"",
        ])
        .prop_map(String::from),
        1 => string_lit(),
    ]
}

fn number_lit() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f}")),
        "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
        prop::sample::select(vec![
            "0",
            "-0",
            "-0.0",
            "1e308",
            "1e309",
            "-1e400",
            "1e-400",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "1E2",
            "1e+2",
            "1.5e-7",
            "123456789012345678901234567890",
            "0.1",
            "2.2250738585072014e-308",
            "1e99999999999",
            "0e99999999999",
            "1e-99999999999",
        ])
        .prop_map(String::from),
    ]
}

/// JSON texts: any value, with whitespace and duplicate keys.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        1 => Just("null".to_owned()),
        1 => Just("true".to_owned()),
        1 => Just("false".to_owned()),
        3 => number_lit(),
        4 => string_lit(),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            (
                prop::collection::vec((inner.clone(), ws(), ws()), 0..6),
                ws()
            )
                .prop_map(|(items, w)| {
                    let items: Vec<String> = items
                        .into_iter()
                        .map(|(v, a, b)| format!("{a}{v}{b}"))
                        .collect();
                    format!("[{w}{}]", items.join(","))
                }),
            (
                prop::collection::vec((key_lit(), inner, ws(), ws()), 0..6),
                ws()
            )
                .prop_map(|(members, w)| {
                    let members: Vec<String> = members
                        .into_iter()
                        .map(|(k, v, a, b)| format!("{a}{k}{b}:{a}{v}{b}"))
                        .collect();
                    format!("{{{w}{}}}", members.join(","))
                }),
        ]
    })
    .prop_flat_map(|t| (ws(), Just(t), ws()).prop_map(|(a, t, b)| format!("{a}{t}{b}")))
}

/// Edits that break texts: deletions, insertions and replacements of JSON-significant
/// characters, and truncation.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Insert(usize, char),
    Replace(usize, char),
    Truncate(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let c = prop::sample::select(
        "[]{}\",:\\/0123456789-+.eE tfnulr\n\u{1}\u{1f}\u{7f}éux"
            .chars()
            .collect::<Vec<_>>(),
    );
    let edit = prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), c.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        (any::<usize>(), c).prop_map(|(i, c)| Edit::Replace(i, c)),
        any::<usize>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..4)
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let n = chars.len();
        match *e {
            Edit::Delete(i) if n > 0 => {
                chars.remove(i % n);
            }
            Edit::Insert(i, c) => chars.insert(i % (n + 1), c),
            Edit::Replace(i, c) if n > 0 => chars[i % n] = c,
            Edit::Truncate(i) => chars.truncate(i % (n + 1)),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn valid_texts_read_like_serde_json(text in json_text()) {
        agree(&text);
    }

    #[test]
    fn broken_texts_fail_like_serde_json(text in json_text(), e in edits()) {
        agree(&apply(&text, &e));
    }

    #[test]
    fn garbage_fails_like_serde_json(text in "[\\[\\]{}\",:\\\\ 0-9eE.+tfnul\\-]{0,24}") {
        agree(&text);
    }

    #[test]
    fn bytes_read_like_serde_json_from_slice(
        text in json_text(),
        at in any::<usize>(),
        bad in prop::sample::select(vec![0xffu8, 0xc3, 0x80, 0xe2, b'a']),
    ) {
        let mut b = text.into_bytes();
        let i = at % (b.len() + 1);
        b.insert(i, bad);
        agree_bytes(&b);
    }

    #[test]
    fn values_copy_into_their_own_docs(text in json_text()) {
        // Some generated numbers are out of range.
        let Ok(doc) = Doc::parse(text) else { return Ok(()) };
        let mut all = vec![doc.root()];
        all.extend(doc.root().as_array().into_iter().flatten());
        all.extend(doc.root().as_object().into_iter().flatten().map(|(_, v)| v));
        for v in all {
            let copy = v.to_doc();
            let theirs: J = serde_json::from_str(v.raw()).expect("valid");
            same_value(&theirs, copy.root(), v.raw());
            prop_assert_eq!(copy.root().to_json_string(), v.to_json_string());
            prop_assert!(compact(copy.text()).is_none(), "{:?}", copy.text());
            prop_assert_eq!(Doc::parse(copy.text().to_owned()).map(|d| d.root().to_json_string()),
                Ok(v.to_json_string()));
        }
    }
}

#[test]
fn errors_read_like_serde_json() {
    for t in [
        "",
        " ",
        "[",
        "[1",
        "[1,",
        "[1,]",
        "{",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{1:2}",
        "{\"a\":1 \"b\":2}",
        "[1 2]",
        "nul",
        "nulx",
        "tru",
        "-",
        "-a",
        "01",
        "1.",
        "1.a",
        "1e",
        "1e+",
        "1ex",
        "\"abc",
        "\"a\\",
        "\"a\\x\"",
        "\"\\u12\"",
        "\"\\u12g4\"",
        "\"\\ud800\"",
        "\"\\ud800\\u0041\"",
        "\"\\udc00\"",
        "\"\\ud800\\",
        "\"\\ud800x",
        "\"a\u{1}\"",
        "1 2",
        "{} x",
        "\n\n  [1,\n  2,]",
        "1e400",
        "[1e400]",
        "-1e99999999999",
        "\u{feff}1",
        "\"\t\"",
        "[\"a\"\n,\"b\" :]",
        "{\"a\":{\"b\":[}}",
        "]",
        "}",
        ",",
        ":",
    ] {
        agree(t);
    }
}

#[test]
fn nesting_is_limited_as_in_serde_json() {
    for depth in [126, 127, 128, 129, 300] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let t = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            agree(&t);
        }
    }
    let mixed = format!("{}{}", "[{\"k\":".repeat(70), "0");
    agree(&mixed);
}

#[test]
fn duplicate_keys_resolve_to_the_last() {
    let d = Doc::parse(r#"{"a":1,"b":{"x":1},"a":2,"b":[3]}"#.to_owned()).expect("json");
    assert_eq!(d.root().get("a").and_then(V::as_u64), Some(2));
    assert_eq!(d.root().pointer("/b/0").and_then(V::as_u64), Some(3));
    assert_eq!(d.root().to_json_string(), r#"{"a":2,"b":[3]}"#);
}

#[test]
fn strings_unescape_on_access() {
    let d =
        Doc::parse(r#"{"k\u0065y":"a\"b\\c\/d\n\u00e9\ud83d\ude00"}"#.to_owned()).expect("json");
    assert_eq!(
        d.root().get("key").and_then(V::as_str).as_deref(),
        Some("a\"b\\c/d\né😀")
    );
    assert_eq!(
        d.root().to_json_string(),
        "{\"key\":\"a\\\"b\\\\c/d\\né😀\"}"
    );
}

#[test]
fn copies_drop_whitespace_between_tokens() {
    let d = Doc::parse("{\n  \"items\": [ {\"a\" : \"x y\"},\n {\"b\":[1, 2]} ]\n}".to_owned())
        .expect("json");
    let items: Vec<Doc> = d
        .root()
        .get("items")
        .and_then(V::as_array)
        .expect("items")
        .map(V::to_doc)
        .collect();
    assert_eq!(items[0].text(), r#"{"a":"x y"}"#);
    assert_eq!(items[1].text(), r#"{"b":[1,2]}"#);
    assert_eq!(items[1].root().pointer("/b/1").and_then(V::as_u64), Some(2));
}

#[test]
fn invalid_utf8_fails_like_serde_json_from_slice() {
    for b in [
        &b"\"a\xffb\""[..],
        b"[\"ok\", \"\xc3\"]",
        b"\xff",
        b"{\"a\":1}\xff",
        b"\"\\n\xe2\x82\"",
        b"\n\"x\xc3(\"",
    ] {
        agree_bytes(b);
    }
}

#[test]
fn top_level_lookups_agree_with_member_search() {
    // Indexed (few plain keys), too many members, an escaped key, and nested objects.
    let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
    for text in [
        r#"{"a":1,"b":2,"a":3,"o":{"x":1,"x":2}}"#.to_owned(),
        format!("{{{},\"k7\":\"last\"}}", many.join(",")),
        r#"{"\u0061":1,"b":2,"a":3}"#.to_owned(),
        r#"{"":0,"responseStatus":1,"responseObject":2,"requestURI":3,"requestObject":4}"#
            .to_owned(),
    ] {
        agree(&text);
        let d = Doc::parse(text.clone()).expect("json");
        let j: J = serde_json::from_str(&text).expect("json");
        for k in [
            "a",
            "b",
            "o",
            "k7",
            "k39",
            "k40",
            "",
            "responseObject",
            "requestURI",
            "x",
        ] {
            assert_eq!(
                d.root().get(k).map(V::to_json_string),
                j.get(k).map(J::to_string),
                "{k:?} in {text}"
            );
        }
    }
}
