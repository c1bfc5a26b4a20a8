//! Condition parser: arbitrary bytes -> (if UTF-8) parse; on success the re-parsable printers
//! must round-trip (`same_ast`) and `Display` must not panic; `tokens` always runs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rulec::condition::{parse, pretty, to_source, tokens, ParseOptions};
use rulec::span::FileId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = ParseOptions::default();
    let _ = tokens(text);
    let Ok(ast) = parse(text, FileId(0), &opts) else {
        return;
    };
    let _ = ast.to_string();

    let src = to_source(&ast);
    match parse(&src, FileId(0), &opts) {
        Ok(again) => assert!(
            ast.same_ast(&again),
            "to_source round-trip changed the AST\ninput:  {text:?}\nsource: {src:?}\nbefore: {ast}\nafter:  {again}"
        ),
        Err(e) => panic!("to_source output does not parse: {e}\ninput:  {text:?}\nsource: {src:?}"),
    }

    for width in [80, 20] {
        let pr = pretty(&ast, width);
        match parse(&pr, FileId(0), &opts) {
            Ok(again) => assert!(
                ast.same_ast(&again),
                "pretty({width}) round-trip changed the AST\ninput:  {text:?}\npretty: {pr:?}\nbefore: {ast}\nafter:  {again}"
            ),
            Err(e) => panic!("pretty({width}) output does not parse: {e}\ninput:  {text:?}\npretty: {pr:?}"),
        }
    }
});
