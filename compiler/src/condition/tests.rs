//! Golden tests (specification §2 and Appendix B), error positions, snapshots of every error kind.

use super::*;
use crate::span::FileId;

#[path = "tests_props.rs"]
mod props;

fn opts() -> ParseOptions {
    ParseOptions::default()
}

/// Parses and returns the canonical AST string, panicking on error.
fn ast(input: &str) -> String {
    match parse(input, FileId(0), &opts()) {
        Ok(e) => e.to_string(),
        Err(e) => panic!("{input:?} failed: {} at {}", e.message, e.index),
    }
}

fn parsed(input: &str) -> Expr {
    match parse(input, FileId(0), &opts()) {
        Ok(e) => e,
        Err(e) => panic!("{input:?} failed: {} at {}", e.message, e.index),
    }
}

fn error(input: &str) -> ParseError {
    error_with(input, 1000)
}

fn error_with(input: &str, max_depth: u32) -> ParseError {
    match parse(input, FileId(0), &ParseOptions { max_depth }) {
        Ok(e) => panic!("{input:?} unexpectedly parsed: {e}"),
        Err(e) => e,
    }
}

#[track_caller]
fn check(input: &str, expected: &str) {
    assert_eq!(ast(input), expected, "input: {input:?}");
}

#[track_caller]
fn check_err(input: &str, message: &str, index: u32) {
    let e = error(input);
    assert_eq!(
        (e.message.as_str(), e.index),
        (message, index),
        "input: {input:?}"
    );
}

#[track_caller]
fn check_err_msg(input: &str, message: &str) {
    assert_eq!(error(input).message, message, "input: {input:?}");
}

fn accepts(input: &str) -> bool {
    parse(input, FileId(0), &opts()).is_ok()
}

const UNEXPECTED_1: &str = "unexpected token after '1', expecting 'or', 'and'";
const CHECK_MSG: &str = "expected a '(' token, a field check, or an identifier";
const TR: &str =
    "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'";

fn unexpected(tok: &str) -> String {
    format!("unexpected token after '{tok}', expecting 'or', 'and'")
}

// ---------------------------------------------------------------------------------------------
// Appendix B

#[test]
fn appendix_b_accepted() {
    check(
        "evt.type in (open,openat) and evt.dir=< and fd.name startswith /etc",
        "(evt.type in (open, openat) and evt.dir = < and fd.name startswith /etc)",
    );
    check("a or b and c or d", "(a or (b and c) or d)");
    check("not (a or b) and c", "(not (a or b) and c)");
    check("not not proc.name=bash", "proc.name = bash");
    check(
        "proc.name in (\"my tool\", 'x y', z)",
        "proc.name in (\"my tool\", \"x y\", z)",
    );
    check(
        r#"proc.cmdline contains "sh -c node -e \"require('nan')\"""#,
        r#"proc.cmdline contains "sh -c node -e \"require('nan')\"""#,
    );
    check(
        "proc.aname[2] in (sshd) and evt.arg.flags contains O_CREAT",
        "(proc.aname[2] in (sshd) and evt.arg.flags contains O_CREAT)",
    );
    check(
        "tolower(proc.name) = bash and fd.name = val(fd.directory)",
        "(tolower(proc.name) = bash and fd.name = val(fd.directory))",
    );
    check("json.value[/a/b] = 1", "json.value[/a/b] = 1");
    check("x.y[\"\"] exists", "x.y[\"\"] exists");
    check("proc.name = oneof and a", "(proc.name = oneof and a)");
    check(
        "proc.name == oneof (cat, nginx)",
        "proc.name == oneof (cat, nginx)",
    );
    check(
        "a.b = 'semi;colon' or a.b = \"eq=sign\"",
        "(a.b = semi;colon or a.b = \"eq=sign\")",
    );
    check("fd.name=*.log", "fd.name = *.log");
    check("a.b in(a)and c", "(a.b in (a) and c)");
    check("a.b inx", "a.b in x");
    check("a.b existsand c", "(a.b exists and c)");
    check("test.num > 1e+5", "test.num > 1e+5");
    check(r"proc.name = 'a\ b'", r#"proc.name = "a\\b""#);
}

#[test]
fn appendix_b_rejected() {
    check_err("test.num > 1e5", UNEXPECTED_1, 12);
    check_err("a.b=1and c", &unexpected("1and"), 9);
    check_err("a b", &unexpected("a"), 2);
    check_err("   ", CHECK_MSG, 3);
    check_err("proc.aname [2] = x", parser::OPERATOR_MSG, 11);
    check_err("a.b = b64 (x.y)", &unexpected("b64"), 10);
    check_err("a.b in (x y)", "expected a ')' token", 10);
    check_err(
        "a.b = \"x\\u0041\"",
        "unsupported string escape sequence: \\u",
        15,
    );
}

#[test]
fn appendix_b_structures() {
    let e = parsed("proc.name = oneof and a");
    let ExprKind::And(c) = &e.kind else {
        panic!("{e:?}")
    };
    let ExprKind::Binary {
        op,
        rhs: Rhs::Value(v),
        ..
    } = &c[0].kind
    else {
        panic!()
    };
    assert_eq!((op.modifier, v.text.as_str()), (None, "oneof"));
    let e = parsed("proc.name == oneof (cat, nginx)");
    let ExprKind::Binary {
        op,
        rhs: Rhs::List(l),
        ..
    } = &e.kind
    else {
        panic!()
    };
    assert_eq!(op.libs_str(), "== oneof");
    assert_eq!(
        (op.text.as_str(), op.modifier),
        ("==", Some(Modifier::OneOf))
    );
    assert_eq!(l.items.len(), 2);
    let e = parsed("a.b inx");
    assert!(matches!(&e.kind, ExprKind::Binary { rhs: Rhs::Identifier(v), .. } if v.text == "x"));
}

// ---------------------------------------------------------------------------------------------
// §2.1 – §2.11 examples

#[test]
fn pipeline_examples() {
    check(
        "proc.name in ( ash, \"my tool\" , sh)",
        "proc.name in (ash, \"my tool\", sh)",
    );
    check(
        "(proc.cmdline contains curl or proc.cmdline contains wget) and not (( proc.cmdline \
         contains \"curl 127.0.0.1\"))",
        "((proc.cmdline contains curl or proc.cmdline contains wget) and not proc.cmdline \
         contains \"curl 127.0.0.1\")",
    );
    check("(proc.name in (cat, grep))", "proc.name in (cat, grep)");
    check(
        "(( proc.name startswith oneof (sshd, sudo) and  fd.name startswith /etc/))",
        "(proc.name startswith oneof (sshd, sudo) and fd.name startswith /etc/)",
    );
    check(
        "(proc.aname=sshd and proc.name != sshd) or proc.name=login or proc.name = ssh",
        "((proc.aname = sshd and proc.name != sshd) or proc.name = login or proc.name = ssh)",
    );
}

#[test]
fn keywords_only_in_their_positions() {
    check("a.b = not", "a.b = not");
    check("a.b = tolower", "a.b = tolower");
    check("macro and and_macro", "(macro and and_macro)");
    check("and", "and");
    check("or", "or");
    check("in", "in");
    check("not", "not");
    check("a and not", "(a and not)");
    let e = parsed("not not");
    assert!(
        matches!(&e.kind, ExprKind::Not(x) if matches!(&x.kind, ExprKind::Identifier(n) if n == "not"))
    );
    check("AND", "AND");
    check_err("a.b ExIsTs", parser::OPERATOR_MSG, 4);
    check_err_msg("proc.name == ONEOF (a)", &unexpected("ONEOF"));
    check("a and notb", "(a and notb)");
    check("notz and a and b", "(notz and a and b)");
    check("macro and not not_macro", "(macro and not not_macro)");
    check("macro and or_macro", "(macro and or_macro)");
    check_err("#a", CHECK_MSG, 0);
}

#[test]
fn grammar_notes() {
    check("b64(x.y) exists", "b64(x.y) exists");
    check_err("b64 (x.y) exists", &unexpected("b64"), 4);
    check_err("a.b containsvalue", parser::OPERATOR_MSG, 12);
    check_err("a.b startswith(x)", parser::OPERATOR_MSG, 14);
    check("a.b in()", "a.b in ()");
    check("a.b =value", "a.b = value");
    check("a.b >1", "a.b > 1");
    check("a.b pmatchx", "a.b pmatch x");
    check("a.b intersects(x, y)", "a.b intersects (x, y)");
    check_err(
        "a.b === x",
        &format!("expected a string value or a field with a valid transformer: {TR}"),
        6,
    );
    check_err(
        "a.b !== x",
        &format!("expected a string value or a field with a valid transformer: {TR}"),
        6,
    );
    check_err("a andb", "expected blank or '(' after 'and'", 5);
    check_err("a orb", "expected blank or '(' after 'or'", 4);
    check_err("(a)andnot(b)", "expected blank or '(' after 'and'", 6);
    check("a and(b)", "(a and b)");
    check("(a)and(b)", "(a and b)");
    check("a or(b)", "(a or b)");
    check("not a", "not a");
    check("not\ta", "not a");
    check("not(a)", "not a");
    check("nota", "nota");
    check("not not a", "a");
    check_err("macro > 12", &unexpected("macro"), 6);
    check_err("", "filter input string is empty", 0);
    check("a.g in (1, 'a', b.c)", "a.g in (1, a, b.c)");
}

#[test]
fn libs_smoke_tests() {
    let good = [
        "  a",
        "(a)",
        "a and b",
        "a and b and c",
        "a and b and(c)",
        "(a)and(b)and(c)",
        "(a and b)",
        "a or b",
        "a or b or c",
        "a or b or(c)",
        "(a)or(b)or(c)",
        "(a or b)",
        "(a.a exists and b)",
        "(a.a exists) and (b)",
        "a.a exists and b",
        "a.a=1 or b.b=2 and c",
        "not (a)",
        "not(a)",
        "not (not (a))",
        "not (a.b=1)",
        "not (a.a exists)",
        "not a",
        "a.b = 1 and not a",
        "not not a",
        "(not not a)",
        "not not(a)",
        "not(not(a))",
        "not(a)and(not(b))",
        "not a.b=1",
        "not a.a exists",
        "a.b = bla",
        "a.b = 'bla'",
        "a.b = not",
        "a.b contains bla",
        "a.b icontains 'bla'",
        "a.g in (1, 'a', b)",
        "evt.dir=> and fd.name=*.log",
        "a.g in (1, 'a', b.c)",
        "a.b = a.a",
        "a and notb",
        "a or notb",
        "notz and a and b",
        "macro and not_macro",
        "macro and not not_macro",
        "macro and not(not_macro)",
        "((macro) and (not_macro))",
        "macro and and_macro",
        "((macro) and (and_macro))",
        "macro and or_macro",
        "((macro) and (or_macro))",
        "evt.arg[0] contains /bin",
        "evt.arg[a] contains /bin",
        "test.op existsand macro",
    ];
    for g in good {
        assert!(accepts(g), "should accept {g:?}");
    }
    let bad = [
        "a andb",
        "aand b",
        "a and b and",
        "a and b or",
        "a and b not",
        "and a",
        "or a",
        "a or b and",
        "a or b or",
        "a or b not",
        "a not b and",
        "a not b or",
        "a not b not",
        "a orb",
        "aor b",
        "a and or b",
        "a andor b",
        "a not b",
        "a notb",
        "anot b",
        "a andnot b",
        "a andnotb",
        "(a)andnot(b)",
        "a ornot b",
        "a ornotb",
        "(a)ornot(b)",
        "evt.arg[] contains /bin",
        "a.b = b = 1",
        "(a.b = 1",
        "a.a invalidoperator xxx",
        "macro > 12",
        "a.g in ( 1 ,, , b)",
        "#a and b; a and b",
        "#a and b; # ; ; a and b",
        "evt.dir=> and fd.name=/var/lo);g/httpd.log",
        "test.op ExIsTs",
        "test.op exists something",
        "test.op ===",
        "test.op !==",
        "test.op startswithvalue",
        "test.op globvalue",
        "test.op iglobvalue",
        "test.op containsvalue",
    ];
    for b in bad {
        assert!(!accepts(b), "should reject {b:?}");
    }
}

#[test]
fn libs_string_tests() {
    for g in [
        "test.str = testval",
        "test.str = 0a!@#456:/\\.;!$%^&*[]{}|",
        "test.str = \"\"",
        "test.str = ''",
        "test.str = \"0a!@#456:/.; !$%^&*[]{}|\"",
        "test.str[0a!@#456:/\\.;!$%^&*(){}|] = testval",
        "test.str[+0.25e+10] = a",
        "test.str[\"\"] = empty",
        "test.str['a aa'] = a",
        "test.str[\"test \\\"with\\\"escaping\"] = a",
        "test.str = \"escape double quote \\\" \"",
        "test.str = 'escape single quote \\' '",
        "test.str = 'multiple escape single quote \\' \\\\''",
        "test.str = 'mixed \"'",
        "test.str = \"mixed '\"",
        "test.str = \"bad escape \\ \" ",
    ] {
        assert!(accepts(g), "should accept {g:?}");
    }
    for b in [
        "test.str = a,",
        "test.str = a=",
        "test.str = a('\")",
        "test.str = '",
        "test.str = \"",
        "test.str = '\"",
        "test.str = \"'",
        "test.str = missing start quote",
        "test.str = 'missing end quote",
        "test.str = \"broken escape double quote\"\"",
        "test.str = 'broken escape single quote''",
        "test.str = \"mixed \\'\"",
        "test.str = 'mixed \\\"'",
        "test.str[0a!@#456:/\\.;!$%^&*[]{}] = testval",
        "test.str[] = testval",
        "test.str[[] = testval",
        "test.str[]] = testval",
        "test.str['''] = a",
        "test.str[aaa\"] = a",
        "test.str[   test   ] = testval",
        "test.str[ = testval",
        "test.str] = testval",
    ] {
        assert!(!accepts(b), "should reject {b:?}");
    }
}

#[test]
fn libs_number_and_list_tests() {
    for g in [
        "test.num > 1000",
        "test.num < +1",
        "test.num >= -1",
        "test.num <= 0x12345",
        "test.num <= 0XaB00AB",
        "test.num > 1.2",
        "test.num < -1.2",
        "test.num > -0.1222e+10",
        "test.str = !0.1222e+10",
        "test.str = 0xAAA.1",
        "test.str = 0aaaaa",
        "test.list in ()",
        "test.list in ('single-quoted')",
        "test.list in (0a!@#456:/\\.;!$%^&*[]{}|, value)",
        "test.list in (value, \"value\", 'value')",
        "test.list intersects (value)",
        "test.list pmatch (value)",
    ] {
        assert!(accepts(g), "should accept {g:?}");
    }
    for b in [
        "test.num > !0.1222e+10",
        "test.num < 0xAAA.1",
        "test.num >= 0aaaaa",
        "test.num <= a",
        "test.list in (",
        "test.list in )",
        "test.list in (value,)",
        "test.list in (value,,)",
        "test.list in (,)",
        "test.list in (,   ,)",
        "test.list > (value)",
        "test.list = (value)",
        "test.list startswith (value)",
        "test.list contains (value)",
    ] {
        assert!(!accepts(b), "should reject {b:?}");
    }
    check("test.num <= 0XaB00AB", "test.num <= 0XaB00AB");
    check("test.num > -0.1222e+10", "test.num > -0.1222e+10");
    check("test.num > 1.", "test.num > 1.");
}

#[test]
fn libs_transformer_tests() {
    for g in [
        "b64(toupper(test.field)) exists",
        "\nb64(test.field) exists",
        "b64( test.field) exists",
        "b64(\ntest.field) exists",
        "b64(test.field\n) exists",
        "b64(test.field)\n exists",
        "b64( b64(test.field)) exists",
        "b64(b64(test.field)\n) exists",
        "some.field = test.field",
        "some.field = val(test.field)",
        "some.field in val(test.field)",
        "some.field pmatch b64(test.field)",
        "some.field > val(test.field)",
        "some.field = b64(test.field)\n",
        "some.field = b64 and(some_macro)",
        "some.field = b64 or(some_macro)",
        "some.field = 'some_fake_transformer(some_macro)'",
        "tolower(some.field) = b64(test.field) or tolower(other.field) = tolower(anoter.field)",
    ] {
        assert!(accepts(g), "should accept {g:?}");
    }
    for b in [
        "val(test.field) exists",
        "val(val(test.field)) exists",
        "b64(val(test.field)) exists",
        "b64(test.field [1]) exists",
        "some_fake_transformer(test.field) exists",
        "some.fake.transformer(test.field) exists",
        "b64 (test.field) exists",
        "b64,(test.field) exists",
        "b64(testfield)) exists",
        "b64(b64)) exists",
        "b64\n(test.field) exists",
        "b64(test.field exists",
        "(test.field) exists",
        "a(b(test.field)) exists",
        "some.field = b64and(some_macro)",
        "some.field = val(test.field [1])",
        "some.field = val(val(test.field))",
        "some.field = val(toupper(test.field))",
        "some.field = b64(val(test.field))",
        "some.field = (b64(test.field))",
        "some.field = ((b64(test.field)))",
        "some.field in (b64(test.field))",
        "some.field in (a, b64(test.field))",
    ] {
        assert!(!accepts(b), "should reject {b:?}");
    }
}

#[test]
fn negation_folding() {
    check("not not not not not(not not(not m))", "not not m");
    let e = parsed("not not not not not(not not(not m))");
    let ExprKind::Not(inner) = &e.kind else {
        panic!()
    };
    let ExprKind::Not(m) = &inner.kind else {
        panic!()
    };
    assert!(matches!(&m.kind, ExprKind::Identifier(n) if n == "m"));
    check("not a.b = 1 and c", "(not a.b = 1 and c)");
    check("not not not a", "not a");
    check("not\x0Ca", "not a"); // FF is [:space:] for NotBlank
    check_err("not\x08a", &unexpected("not"), 4); // BS is a blank but not [:space:]
    check("not \x08a", "not a");
    let e = parsed("a and b and c");
    assert!(matches!(&e.kind, ExprKind::And(c) if c.len() == 3));
}

#[test]
fn blanks_and_spaces() {
    check("\x08a\r\n", "a");
    check_err("a\x0C", &unexpected("a"), 1);
    check_err("\x0Ba", CHECK_MSG, 0);
    check_err("a.b = x\x0Cy", &unexpected("x"), 7);
}

#[test]
fn field_arguments() {
    for f in [
        "proc.aname[2]",
        "evt.arg[0]",
        "proc.env[HOME]",
        "json.value[/a/b]",
        "container.mount.dest[/proc*]",
        "ka.req.pod.containers.image[0]",
        "x.y[\"key with space\"]",
    ] {
        assert!(accepts(&format!("{f} exists")), "{f}");
    }
    check(
        "x.y[\"key with space\"] exists",
        "x.y[\"key with space\"] exists",
    );
    check(
        "container.mount.dest[/proc*] = x",
        "container.mount.dest[/proc*] = x",
    );
    check_err(
        "x.y[] exists",
        "expected a valid field argument: a quoted string or a bare string",
        4,
    );
    check_err(
        "x.y[ a ] exists",
        "expected a valid field argument: a quoted string or a bare string",
        4,
    );
    check_err("x.y[a b] exists", "expected a ']' token", 5);
    check_err("x.y [1] exists", parser::OPERATOR_MSG, 4);
    let e = parsed("x.y[\"\"] exists");
    let ExprKind::Unary {
        lhs: Operand::Field(f),
    } = &e.kind
    else {
        panic!()
    };
    assert_eq!(f.arg.as_deref(), Some(""));
    let e = parsed("x.y exists");
    let ExprKind::Unary {
        lhs: Operand::Field(f),
    } = &e.kind
    else {
        panic!()
    };
    assert_eq!(f.arg, None);
    assert!(!parsed("x.y[\"\"] exists").same_ast(&e));
    check("x.y['a\\'b'] exists", "x.y[\"a'b\"] exists");
    check("x.y[a=b] exists", "x.y[\"a=b\"] exists");
}

#[test]
fn values_and_escapes() {
    for v in [
        "/usr/bin/*",
        "*.log",
        "0a!@#456:/\\.;!$%^&*[]{}|",
        "-1",
        "10.0.0.0/8",
        "<NA>",
        "x]",
    ] {
        check(
            &format!("a.b = {v}"),
            &format!("a.b = {}", escape::escape_canonical(v)),
        );
    }
    check(r#"a.b = "\b\f\n\r\t\\\/""#, r#"a.b = "\b\f\n\r\t\\/""#);
    check(r#"a.b = '\''"#, r#"a.b = "'""#);
    check_err(
        r#"a.b = '\"'"#,
        "invalid \\\" escape in '-quoted string",
        10,
    );
    check_err(
        r#"a.b = "\'""#,
        "invalid \\' escape in \"-quoted string",
        10,
    );
    check(r#"a.b = "\x41\x42""#, "a.b = AB");
    check_err(r#"a.b = "\x4""#, "truncated hex char escape sequence", 11);
    check_err(
        r#"a.b = "\xgg""#,
        "invalid hex char escape sequence: gg",
        12,
    );
    check(r#"a.b = "\x00""#, "a.b = \"\0\"");
    check("a.b = 'mixed \"'", "a.b = \"mixed \\\"\"");
    check("a.b = \"mixed '\"", "a.b = \"mixed '\"");
    check_err("a.b = 'a''b'", &unexpected("a"), 9);
    check_err(
        "a.b = 'abc",
        &format!("expected a string value or a field with a valid transformer: {TR}"),
        6,
    );
    check_err(
        r#"a.b = "a\\""#,
        &format!("expected a string value or a field with a valid transformer: {TR}"),
        6,
    );
    check("a.b = \"\"", "a.b = ");
    check("a.b = é", "a.b = é");
    let e = parsed(r#"a.b = "\xff""#);
    let ExprKind::Binary {
        rhs: Rhs::Value(v), ..
    } = &e.kind
    else {
        panic!()
    };
    assert_eq!(v.as_bytes(), &[0xff]);
    assert!(parsed(&to_source(&e)).same_ast(&e));
}

#[test]
fn lists() {
    check("a.b in ()", "a.b in ()");
    check("a.b in ( )", "a.b in ()");
    check("a.b in (a, a)", "a.b in (a, a)");
    check("a.b in (\n a ,\n b\n)", "a.b in (a, b)");
    check_err("a.b in (,)", "expected a ')' token", 8);
    check_err("a.b in (a,)", "expected a string value", 10);
    check_err("a.b in (a,,b)", "expected a string value", 10);
    check_err("a.b in ((a))", "expected a ')' token", 8);
    // the first item's failure is swallowed by libs (list treated as empty)
    check("a.b in (\"\\q\")", "a.b in ()");
    check_err("a.b in (\"\\q\", x)", "expected a ')' token", 12);
}

#[test]
fn transformers() {
    check("toupper(b64(x.y)) = A", "toupper(b64(x.y)) = A");
    check(
        "len(join(\"-\", (a.b, c.d))) > 2",
        "len(join(-,(a.b,c.d))) > 2",
    );
    check(
        "concat(a.b, \"x y\", 0x1F, -1.5) = v",
        "concat(a.b,\"x y\",0x1F,-1.5) = v",
    );
    check(
        "getopt(proc.args, \"nt:\")[\"t\"] = v",
        "getopt(proc.args,nt:)[t] = v",
    );
    check(
        "getopt(proc.args, 'nt:')[t] exists",
        "getopt(proc.args,nt:)[t] exists",
    );
    check("join(',', ()) exists", "join(,,()) exists");
    check(
        "join(',', ( tolower(a.b) , 'x', 1 )) exists",
        "join(,,(tolower(a.b),x,1)) exists",
    );
    check("a.b = val(c.d)[x]", "a.b = val(c.d)[x]");
    check("a.b = val( c.d[1] )", "a.b = val(c.d[1])");
    check("a.b in tolower(c.d)", "a.b in tolower(c.d)");
    check("a.b > len(c.d)", "a.b > len(c.d)");
    check("tolower(a.b, c.d) exists", "tolower(a.b,c.d) exists");
    check_err(
        "a.b = val(toupper(x.y))",
        "expected a field within 'val' transformer",
        10,
    );
    check_err(
        "a.b = val(a.b, c.d)",
        "expected a ')' token closing the transformer",
        13,
    );
    check_err("val(a.b) = x", &unexpected("val"), 3);
    check_err(
        "tolower() exists",
        "expected field transformer argument: field, transformer, quoted string, number, or \
         transformer list",
        8,
    );
    check_err(
        "tolower(abc) exists",
        "expected field transformer argument: field, transformer, quoted string, number, or \
         transformer list",
        8,
    );
    check_err(
        "join(\",\", (a.b, x)) exists",
        "expected transformer list argument: field, transformer, quoted string, or number",
        16,
    );
    check_err("join(\",\", (a.b x)) exists", "expected ')'", 15);
    check_err(
        "join(\",\", ((a.b))) exists",
        "expected transformer list argument: field, transformer, quoted string, or number",
        11,
    );
    check_err(
        "tolower(a.b exists",
        "expected a ')' token closing the transformer",
        12,
    );
    check_err(
        "tolower(1abc) exists",
        "expected a ')' token closing the transformer",
        9,
    );
    check_err(
        "tolower(a.b)[] exists",
        "expected a valid field argument: a quoted string or a bare string",
        13,
    );
}

#[test]
fn modifiers() {
    check("proc.name == oneof", "proc.name == oneof");
    check("proc.name == anyof and x", "(proc.name == anyof and x)");
    check("proc.name = allof x", "proc.name = allof x");
    check(
        "proc.name contains anyof (a, 'b c')",
        "proc.name contains anyof (a, \"b c\")",
    );
    check("proc.name regex allof ()", "proc.name regex allof ()");
    check("proc.name != oneof\n(a)", "proc.name != oneof (a)");
    check("proc.name = oneof andx", "proc.name = oneof andx");
    check_err_msg("proc.name = oneof not(a)", &unexpected("oneof"));
    check_err_msg("proc.name ==oneof (a)", &unexpected("oneof"));
    check_err_msg("proc.name == oneof(a)", &unexpected("oneof"));
    check_err_msg("proc.name == ONEOF (a)", &unexpected("ONEOF"));
    check_err_msg("proc.name = oneof \"a\"", &unexpected("oneof"));
    check_err_msg("proc.name = oneof not_x", &unexpected("oneof"));
    check_err_msg(
        "x.y > oneof (1)",
        &format!("expected a number value or a field with a valid transformer: {TR}"),
    );
    check_err_msg("x.y in oneof (a)", &unexpected("oneof"));
    check_err_msg("proc.name = oneof (a b)", "expected a ')' token");
    check_err_msg("proc.name = oneof (a,)", "expected a string value");
}

#[test]
fn operator_quirks() {
    // a word operator without blank stops operator lexing after the word (libs quirk)
    check("a.b containsin (x)", "a.b in (x)");
    check_err("a.b exists x", &unexpected("exists"), 11);
    check("a.b contains\nx", "a.b contains x");
    check_err("a.b contains\x0Cx", parser::OPERATOR_MSG, 12);
    check("a.b=x", "a.b = x");
    check("a.b==x", "a.b == x");
    check("a.b<=1", "a.b <= 1");
    check("a.b regex '^a.*$'", "a.b regex ^a.*$");
    check("a.b bstartswith 12ab", "a.b bstartswith 12ab");
    check("a.b iglob X*", "a.b iglob X*");
}

#[test]
fn canonical_examples() {
    check(
        "evt.type=open and proc.name in (ash, bash)",
        "(evt.type = open and proc.name in (ash, bash))",
    );
    check("a.b = \"\"", "a.b = ");
    check("a.b = \"a(b\"", "a.b = a(b");
}

#[test]
fn error_positions_line_and_column() {
    let e = error("");
    assert_eq!((e.index, e.line, e.column), (0, 1, 1));
    let e = error("a \n and \n  b c");
    assert_eq!((e.index, e.line, e.column), (13, 3, 5));
    let e = error("a and\r\n\r\nb c");
    assert_eq!((e.index, e.line, e.column), (11, 5, 3));
    let e = error("a.b = \"x\ny\\q\"");
    assert_eq!((e.index, e.line, e.column), (13, 2, 5));
    assert_eq!((e.span.start, e.span.end), (10, 12));
    let e = error("proc.name = 'é\\u'");
    assert_eq!((e.index, e.column), (18, 19));
}

#[test]
fn depth_limit() {
    let deep = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&deep(199), FileId(0), &opts()).is_ok());
    let e = error(&deep(200));
    assert_eq!(
        (e.message.as_str(), e.index),
        ("exceeded max depth limit of 1000", 200)
    );
    let e = error_with(&deep(20), 100);
    assert_eq!(
        (e.message.as_str(), e.index),
        ("exceeded max depth limit of 100", 20)
    );
    assert!(parse(&deep(19), FileId(0), &ParseOptions { max_depth: 100 }).is_ok());
    let e = error(&"(".repeat(100_000));
    assert_eq!(e.message, "exceeded max depth limit of 1000");
    let e = error(&"not(".repeat(100_000));
    assert_eq!(e.message, "exceeded max depth limit of 1000");
    let e = error(&format!("a.b = {}", "tolower(".repeat(100_000)));
    assert_eq!(e.message, "exceeded max depth limit of 1000");
    let e = error(&format!(
        "a.b = join(\",\", {}",
        "(tolower(".repeat(100_000)
    ));
    assert_eq!(e.message, "exceeded max depth limit of 1000");
    let e = error_with(&deep(100_000), u32::MAX);
    assert_eq!(
        e.message,
        format!("exceeded max depth limit of {MAX_SUPPORTED_DEPTH}")
    );
}

#[test]
fn swallowed_depth_error_is_unbalanced() {
    let e = error_with("a.b in ()", 7);
    assert_eq!(
        (e.message.as_str(), e.index),
        ("parser fatal error: recursion is unbalanced", 9)
    );
    let e = error_with("a.b in (x)", 7);
    assert_eq!(e.message, "expected a ')' token");
    let e = error_with("a.b in ()", 6);
    assert_eq!(e.message, "exceeded max depth limit of 6");
    assert!(parse("a.b in ()", FileId(0), &ParseOptions { max_depth: 8 }).is_ok());
}

#[test]
fn spans() {
    let text = "\n(a and b) or c.d[x] = 'v w'";
    let e = parse(text, FileId(3), &opts()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((e.span.start, e.span.end, e.span.file), (1, 28, FileId(3)));
    let ExprKind::Or(c) = &e.kind else { panic!() };
    assert_eq!((c[0].span.start, c[0].span.end), (2, 9));
    let ExprKind::Binary {
        lhs: Operand::Field(f),
        op,
        rhs: Rhs::Value(v),
    } = &c[1].kind
    else {
        panic!()
    };
    assert_eq!((f.span.start, f.span.end, f.name_span.end), (14, 20, 17));
    assert_eq!(f.arg_span.map(|s| (s.start, s.end)), Some((18, 19)));
    assert_eq!(
        (op.span.start, op.span.end, v.span.start, v.span.end),
        (21, 22, 23, 28)
    );
    let mut e2 = e.clone();
    e2.walk_spans_mut(&mut |s| {
        s.start += 100;
        s.end += 100;
    });
    assert!(e2.same_ast(&e));
    assert_ne!(e2, e);
    assert_eq!(e2.span.start, 101);
}

#[test]
fn tokens_stream() {
    let toks = tokens("not(a.b[1] contains x) and tolower(c.d) in (\"q\", r)");
    let kinds: Vec<&str> = toks.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "not",
            "lparen",
            "field",
            "lbracket",
            "field-arg",
            "rbracket",
            "operator",
            "bare-string",
            "rparen",
            "and",
            "transformer",
            "lparen",
            "field",
            "rparen",
            "operator",
            "lparen",
            "quoted-string",
            "comma",
            "bare-string",
            "rparen"
        ]
    );
    assert_eq!(toks[6].text, "contains");
    let toks = tokens("a.b = oneof x");
    assert_eq!(toks[2].kind, TokenKind::Modifier);
    assert_eq!(toks.last().map(|t| t.kind), Some(TokenKind::Identifier));
    let toks = tokens("a.b = oneof and x");
    assert_eq!(toks[2].kind, TokenKind::BareStr);
    let toks = tokens("a.b = ,");
    assert_eq!(toks.last().map(|t| t.kind), Some(TokenKind::Error));
    assert_eq!(toks.len(), 3);
}

#[test]
fn printers_round_trip_examples() {
    let inputs = [
        "evt.type in (open,openat) and evt.dir=< and fd.name startswith /etc",
        "not not not not not(not not(not m))",
        "a.b = \"\" and c.d = 'x y' and e.f = 'a\\\\b' and g.h = \"\\x5c\"",
        "not (not) and not and and or",
        "a.b = \"oneof\" and c.d contains 'anyof'",
        "x.y[\"a b\"] = \"(\" or x.y[\"\"] exists",
        "getopt(proc.args, \"nt:\")[t] = val(a.b[\"]\"])",
        "join(\"\", (a.b, \"1\", 2)) in (x, \"=\", ',')",
        "a.b = \"\\x00\\x08\" or ((a or b) and not (c and d))",
    ];
    for i in inputs {
        let e = parsed(i);
        let src = to_source(&e);
        assert!(parsed(&src).same_ast(&e), "{i:?} -> {src:?}");
        for w in [0, 20, 80] {
            let p = pretty(&e, w);
            assert!(parsed(&p).same_ast(&e), "{i:?} -> {p:?}");
        }
    }
}

#[test]
fn pretty_layout() {
    let e = parsed(
        "proc.name = bash and (evt.type = open or evt.type = openat) and not fd.name startswith \
         /etc and proc.name in (aaaa, bbbb, cccc, dddd, eeee)",
    );
    snapshot("pretty_width_40", &pretty(&e, 40));
    assert_eq!(pretty(&e, 1000), to_source(&e));
}

// ---------------------------------------------------------------------------------------------
// snapshots: one per error kind

/// Snapshot named `name` (file `snapshots/<name>.snap`, independent of the crate/module path).
fn snapshot(name: &str, value: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, value);
    });
}

fn render_error(input: &str, max_depth: u32) -> String {
    let e = error_with(input, max_depth);
    let shown = input
        .get(e.span.start as usize..e.span.end as usize)
        .unwrap_or("<non-utf8>");
    format!(
        "input:   {input:?}\nmessage: {}\nindex:   {}\nline:    {}\ncolumn:  {}\nspan:    {}..{} {shown:?}\nhint:    {}\n",
        e.message,
        e.index,
        e.line,
        e.column,
        e.span.start,
        e.span.end,
        e.hint.as_deref().unwrap_or("-"),
    )
}

#[test]
fn error_snapshots() {
    let long_input = format!("{}a{}", "(".repeat(200), ")".repeat(200));
    let cases: Vec<(&str, &str, u32)> = vec![
        ("empty_input", "", 1000),
        ("unexpected_token", "a.b = x y", 1000),
        ("unexpected_token_glued_and", "a.b=1and c", 1000),
        ("unexpected_token_exponent", "test.num > 1e5", 1000),
        (
            "unexpected_token_transformer_space",
            "a.b = b64 (x.y)",
            1000,
        ),
        ("blank_after_and", "a andb", 1000),
        ("blank_after_or", "a or\x0Cb", 1000),
        ("missing_rparen", "(a and\n  b", 1000),
        ("check_expected", "a and ", 1000),
        ("check_expected_value", "a and 'x'", 1000),
        ("operator_expected", "proc.name bash", 1000),
        (
            "operator_word_without_blank",
            "proc.name containsbash",
            1000,
        ),
        ("operator_field_arg_blank", "proc.aname [2] = x", 1000),
        ("number_expected", "evt.count > many", 1000),
        ("string_expected", "proc.name = ,", 1000),
        ("string_expected_unterminated", "proc.name = 'bash", 1000),
        ("list_expected", "proc.name in 'a'", 1000),
        ("list_item_expected", "proc.name in (a,)", 1000),
        ("list_missing_comma", "a.b in (x y)", 1000),
        ("list_unclosed", "a.b in (x, y", 1000),
        ("field_arg_expected", "evt.arg[] = x", 1000),
        ("field_arg_unclosed", "evt.arg[a b] = x", 1000),
        ("val_field_expected", "a.b = val(toupper(c.d))", 1000),
        ("transformer_unclosed", "tolower(a.b c.d) = x", 1000),
        ("transformer_arg", "tolower(abc) = x", 1000),
        ("transformer_list_arg", "join(\",\", (a.b, x)) = y", 1000),
        (
            "transformer_list_unclosed",
            "join(\",\", (a.b x)) = y",
            1000,
        ),
        ("depth_exceeded", long_input.as_str(), 1000),
        ("recursion_unbalanced", "a.b in ()", 7),
        ("escape_unsupported", "a.b = \"x\\u0041\"", 1000),
        ("escape_dquote_in_squote", "a.b = 'x\\\"'", 1000),
        ("escape_squote_in_dquote", "a.b = \"x\\'\"", 1000),
        ("escape_hex_truncated", "a.b = \"\\x4\"", 1000),
        ("escape_hex_invalid", "a.b = \"\\xz1\"", 1000),
    ];
    for (name, input, depth) in cases {
        snapshot(name, &render_error(input, depth));
    }
}

#[test]
fn modifier_list_error_is_unreachable_by_lookahead() {
    // §2.10: the lookahead only accepts `(` or an identifier, so "expected a list or an
    // identifier" cannot be produced by input text; document the behaviour that replaces it.
    check_err_msg("a.b = oneof 1", &unexpected("oneof"));
}
