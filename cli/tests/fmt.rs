//! End-to-end tests of `falco-rulec fmt`.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Output;

mod common;

fn run(args: &[&OsStr]) -> Output {
    let mut all = vec![OsStr::new("fmt")];
    all.extend_from_slice(args);
    common::run(&all)
}

fn tmp(name: &str, contents: &str) -> PathBuf {
    common::tmp_file("fmt", name, contents)
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const UNFORMATTED: &str = "# shells\n- list:   shells\n  items: [ \"ash\",   bash ]  # two\n-   macro: m\n    condition: proc.name   in (shells)\n";
const FORMATTED: &str = "# shells\n- list: shells\n  items: [ash, bash]  # two\n- macro: m\n  condition: proc.name in (shells)\n";

#[test]
fn check_reports_unformatted_file() {
    let p = tmp("check_unformatted.yaml", UNFORMATTED);
    let o = run(&["--check".as_ref(), p.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("check_unformatted.yaml"), "{}", out(&o));
    assert_eq!(
        std::fs::read_to_string(&p).ok().as_deref(),
        Some(UNFORMATTED)
    );
}

#[test]
fn check_passes_formatted_file() {
    let p = tmp("check_formatted.yaml", FORMATTED);
    let o = run(&["--check".as_ref(), p.as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn diff_prints_unified_diff_and_writes_nothing() {
    let p = tmp("diff.yaml", UNFORMATTED);
    let o = run(&["--diff".as_ref(), p.as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let s = out(&o);
    assert!(s.contains("@@"), "{s}");
    assert!(s.contains("-- list:   shells"), "{s}");
    assert!(s.contains("+- list: shells"), "{s}");
    assert_eq!(
        std::fs::read_to_string(&p).ok().as_deref(),
        Some(UNFORMATTED)
    );
}

#[test]
fn rewrites_in_place() {
    let p = tmp("inplace.yaml", UNFORMATTED);
    let o = run(&[p.as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(std::fs::read_to_string(&p).ok().as_deref(), Some(FORMATTED));
    let o = run(&["--check".as_ref(), p.as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn broken_file_is_reported_and_untouched() {
    let broken =
        "- rule: r\n  desc:   d\n  condition: proc.name in (a b)\n  output: o\n  priority: INFO\n";
    let p = tmp("broken.yaml", broken);
    let o = run(&[p.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("broken.yaml"), "{}", out(&o));
    assert_eq!(std::fs::read_to_string(&p).ok().as_deref(), Some(broken));
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let o = run(&["--width".as_ref(), "abc".as_ref(), "x.yaml".as_ref()]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let o = run(&["/nonexistent/rules.yaml".as_ref()]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
}

#[test]
fn bundled_rules_are_formatted_or_formattable() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let o = run(&["--diff".as_ref(), dir.as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
