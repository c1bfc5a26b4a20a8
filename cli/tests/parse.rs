//! `falco-rulec parse` at the CLI level: every example of spec Appendix B and §2.11-§2.12,
//! the JSON and JSON-lines shapes, and --rule/--macro on loaded files.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn parse(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_falco-rulec"))
        .arg("parse")
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let o = child.wait_with_output().expect("binary finishes");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Appendix B, §2.11 and §2.12 inputs, in spec order.
const EXAMPLES: &[&str] = &[
    // Appendix B
    "evt.type in (open,openat) and evt.dir=< and fd.name startswith /etc",
    "a or b and c or d",
    "not (a or b) and c",
    "not not proc.name=bash",
    "proc.name in (\"my tool\", 'x y', z)",
    r#"proc.cmdline contains "sh -c node -e \"require('nan')\"""#,
    "proc.aname[2] in (sshd) and evt.arg.flags contains O_CREAT",
    "tolower(proc.name) = bash and fd.name = val(fd.directory)",
    "json.value[/a/b] = 1",
    "x.y[\"\"] exists",
    "proc.name = oneof and a",
    "proc.name == oneof (cat, nginx)",
    "a.b = 'semi;colon' or a.b = \"eq=sign\"",
    "fd.name=*.log",
    "a.b in(a)and c",
    "a.b inx",
    "a.b existsand c",
    "test.num > 1e+5",
    "test.num > 1e5",
    "a.b=1and c",
    "a b",
    "   ",
    "proc.aname [2] = x",
    "a.b = b64 (x.y)",
    "a.b in (x y)",
    r"proc.name = 'a\ b'",
    r#"a.b = "x\u0041""#,
    // §2.11
    "evt.type=open and proc.name in (ash, bash)",
    "a.b = \"\"",
    "getopt(proc.args, \"nt:\")[\"t\"] = v",
    "not not not not not(not not(not m))",
    // §2.12, one input per message
    "",
    "a andb",
    "a orb",
    "(a and b",
    "a.b ~ c",
    "a.b > x",
    "a.b = (x)",
    "a.b in x y",
    "a.b in (x, )",
    "x.y[] exists",
    "x.y[a exists",
    "a.b = val()",
    "a.b = tolower(x.y",
    "a.b = concat(x.y, )",
    "a.b = join(\",\", (x.y, ))",
    "a.b = join(\",\", (x.y, z.w)",
    r#"a.b = 'x\"'"#,
    r#"a.b = "x\'""#,
];

#[test]
fn spec_examples() {
    let mut out = String::new();
    for e in EXAMPLES {
        let (code, stdout, stderr) = parse(&["--format", "json", "--", e], None);
        out.push_str(&format!("{e:?}\n  exit {code}: {}", stdout));
        assert!(stderr.is_empty(), "{stderr}");
        let (code2, ast, _) = parse(&["--", e], None);
        assert_eq!(code, code2);
        if code == 0 {
            out.push_str(&format!("  ast: {ast}"));
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn error_diagnostic_has_position_and_hint() {
    let (code, stdout, stderr) = parse(&["--color", "never", "a.b in (x y)"], None);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    insta::assert_snapshot!(stderr);
}

#[test]
fn condition_from_stdin() {
    assert_eq!(
        parse(&["-"], Some("a or b and c\n")),
        (0, "(a or (b and c))\n".into(), String::new())
    );
}

#[test]
fn jsonl_batch_keeps_order_and_shape() {
    let input =
        "{\"condition\": \"a or b\"}\nnot json\n{\"condition\": \"a.b in (x y)\"}\n{\"nope\": 1}\n";
    let (code, stdout, _) = parse(&["--jsonl"], Some(input));
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["ast"], "(a or b)");
    assert!(lines[1]["error"]["message"]
        .as_str()
        .expect("message")
        .starts_with("invalid JSON input"));
    assert_eq!(lines[2]["error"]["message"], "expected a ')' token");
    assert_eq!(lines[2]["error"]["index"], 10);
    assert_eq!(lines[2]["error"]["line"], 1);
    assert_eq!(lines[2]["error"]["column"], 11);
    assert!(lines[3]["error"].is_object());
}

#[test]
fn tree_and_tokens_formats() {
    let (_, tree, _) = parse(
        &[
            "--format",
            "tree",
            "proc.name in (a, b) and not evt.type=open",
        ],
        None,
    );
    let (_, tokens, _) = parse(&["--format", "tokens", "a.b=1and c"], None);
    insta::assert_snapshot!(format!("{tree}\n{tokens}"));
}

#[test]
fn rule_and_macro_items() {
    let (code, raw, _) = parse(
        &["--rule", "Package Manager Run In Container", "rules/"],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(raw, "(rulec_spawned_process and rulec_in_container and proc.name in (rulec_package_managers))\n");
    let (code, expanded, _) = parse(
        &[
            "--expand",
            "--rule",
            "Package Manager Run In Container",
            "rules/",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(
        expanded.contains("proc.name in (apk, apt, apt-get"),
        "{expanded}"
    );
    assert!(
        expanded.contains("evt.type in (execve, execveat)"),
        "{expanded}"
    );
    let (code, m, _) = parse(
        &["--expand", "--macro", "rulec_in_container", "rules/"],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(m, "(container.id != host and container.id exists)\n");
    let (code, _, err) = parse(&["--rule", "Nope", "rules/"], None);
    assert_eq!(code, 1);
    assert!(err.contains("no rule named `Nope`"));
}

#[test]
fn usage_errors() {
    assert_eq!(parse(&[], None).0, 2);
    assert_eq!(parse(&["a", "b"], None).0, 2);
    assert_eq!(parse(&["--jsonl", "x"], None).0, 2);
}
