use super::*;
use crate::condition::{parse, ParseOptions};

fn errs(src: &str, cond: &str) -> Vec<String> {
    let s = Registry::get().source(src).expect("source");
    let e = parse(cond, Default::default(), &ParseOptions::default()).expect("parses");
    let c = check_condition(s, &e);
    c.errors
        .iter()
        .map(|e| {
            format!(
                "{} @{}",
                e.message,
                &cond[e.span.start as usize..e.span.end as usize]
            )
        })
        .chain(c.warnings.iter().map(|w| format!("W {}", w.message)))
        .collect()
}

fn sys(cond: &str) -> Vec<String> {
    errs("syscall", cond)
}

#[test]
fn spec_messages() {
    assert_eq!(
        sys("proc.nmae = x"),
        ["filter_check called with nonexistent field proc.nmae @proc.nmae"]
    );
    assert_eq!(
        sys("proc.pid contains 1"),
        ["filter error: 'contains' operator not supported for numeric filters @contains"]
    );
    assert_eq!(sys("proc.pid < 0x1A"), ["0x1A is not a valid number @0x1A"]);
    assert_eq!(sys("evt.type = openn"), ["unknown event type openn @openn"]);
    assert_eq!(
        sys("evt.failed = yes"),
        ["filter error: unrecognized boolean value yes @yes"]
    );
    assert_eq!(
        sys("fd.net = 10.0.0.0/40"),
        ["invalid netmask 40 @10.0.0.0/40"]
    );
    assert_eq!(sys("fd.sport = sshx"), ["unrecognized protocol sshx @sshx"]);
    assert_eq!(sys("fd.sport in (ssh, 80)"), Vec::<String>::new());
    assert_eq!(
        sys("evt.buffer bcontains 4g"),
        ["filter error: bcontains and bstartswith operator support hex strings only @4g"]
    );
    assert_eq!(sys("proc.name regex \"a(\"").len(), 1);
    assert_eq!(
        sys("toupper(evt.rawres) = X"),
        ["can't add field transformer: type 'INT64' is not supported by 'toupper' transformer applied on field 'evt.rawres' @toupper(evt.rawres)"]
    );
    assert_eq!(
        sys("tolower(fd.ip) = x"),
        ["field 'fd.ip' does not support transformers @fd.ip"]
    );
    assert_eq!(sys("proc.name = val(proc.pid)").len(), 1);
    assert_eq!(sys("proc.name = val(proc.pname)"), Vec::<String>::new());
    assert_eq!(
        sys("proc.name = proc.pname"),
        ["W 'proc.pname' may be a valid field misused as a const string value"]
    );
    assert_eq!(sys("fd.types in (file)"), Vec::<String>::new());
    assert_eq!(
        sys("fd.types = file"),
        ["filter error: '=' operator not supported list filters @="]
    );
    assert_eq!(
        sys("evt.around[1] > 1"),
        ["evt.around supports only '=' comparison operator @>"]
    );
    assert_eq!(
        sys("fd.ip = val(fd.cip)"),
        ["field 'fd.ip' doesn't support right-hand side fields @fd.ip"]
    );
    assert_eq!(
        sys("fd.net = val(fd.cip)"),
        ["field type 'IPNET' doesn't support right-hand side fields @val(fd.cip)"]
    );
    assert_eq!(
        sys("proc.name pmatch val(proc.pname)"),
        ["operator 'PMATCH' doesn't support right-hand side fields @val(proc.pname)"]
    );
    assert_eq!(
        sys("len(proc.name) > 3 and proc.aname[x] = y"),
        ["filter_check called with nonexistent field proc.aname[x] @proc.aname[x]"]
    );
    assert_eq!(sys("proc.args[x] = y"), ["x is not a valid number @x"]);
    assert_eq!(
        sys("getopt(proc.args, \"nt:\")[t] = x"),
        Vec::<String>::new()
    );
    assert_eq!(
        sys("join(\",\", (proc.name, proc.pname)) = x"),
        Vec::<String>::new()
    );
}

#[test]
fn one_error_per_check_and_keep_going() {
    let e = sys("proc.nmae = x and fd.nam = y or proc.pid contains 1");
    assert_eq!(e.len(), 3, "{e:?}");
}

#[test]
fn typed_side_table() {
    let s = Registry::get().source("syscall").expect("source");
    let e = parse(
        "evt.type = open and tolower(proc.name) in (a, b)",
        Default::default(),
        &ParseOptions::default(),
    )
    .expect("parses");
    let c = check_condition(s, &e);
    assert!(c.errors.is_empty());
    assert_eq!(c.typed.checks.len(), 2);
    assert_eq!(c.typed.checks[1].lhs.text, "tolower(proc.name)");
    assert_eq!(c.typed.checks[1].values, 2);
    assert_eq!(c.typed.fields().len(), 2);
}
