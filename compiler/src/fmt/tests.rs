//! Formatter tests: layout snapshots, idempotence, semantic preservation, comments.

use super::*;

/// Formats `text`, checking the three properties; returns the formatted text.
pub(crate) fn check(text: &str, opts: &FmtOptions) -> String {
    let once = match format_source(text, opts) {
        Ok(s) => s,
        Err(e) => panic!("format failed: {e}\n--- input ---\n{text}"),
    };
    let twice = match format_source(&once, opts) {
        Ok(s) => s,
        Err(e) => panic!("re-format failed: {e}\n--- formatted ---\n{once}"),
    };
    assert_eq!(once, twice, "not idempotent\n--- input ---\n{text}");
    // Every comment kept (verify checks it too; this is an independent count).
    let count = |t: &str| {
        let docs = crate::yaml::parse_stream(FileId::default(), t).unwrap_or_default();
        scan_comments(t, &docs).len()
    };
    assert_eq!(count(text), count(&once), "comments lost\n{once}");
    once
}

fn corpus(dir: &str, filter: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        println!("skipping: {dir} is absent");
        return Vec::new();
    };
    let mut v: Vec<(String, String)> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml")
                && p.file_name().and_then(|n| n.to_str()).is_some_and(&filter)
        })
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
        .collect();
    v.sort();
    v
}

#[test]
fn shared_corpus() {
    for (name, text) in corpus("/work/shared/corpus/rules", |_| true) {
        let out = check(&text, &FmtOptions::default());
        println!(
            "{name}: {} -> {} lines, changed: {}",
            text.lines().count(),
            out.lines().count(),
            out != text
        );
        if let Ok(dir) = std::env::var("FMT_DUMP") {
            let base = std::path::Path::new(&name)
                .file_name()
                .map(|s| s.to_owned())
                .unwrap_or_default();
            let _ = std::fs::write(std::path::Path::new(&dir).join(base), &out);
        }
    }
}

#[test]
fn bundled_rules_and_warning_testdata() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut n = 0;
    for (name, text) in corpus(&format!("{root}/rules"), |_| true)
        .into_iter()
        .chain(corpus(&format!("{root}/testdata/diagnostics"), |f| {
            f.starts_with('W')
        }))
    {
        let out = check(&text, &FmtOptions::default());
        println!("{name}: changed: {}", out != text);
        n += 1;
    }
    assert!(n > 5, "expected the bundled rules and W* test files");
}

#[test]
fn narrow_width_corpus() {
    // A narrow width exercises every wrapping path on real files.
    for (_, text) in corpus("/work/shared/corpus/rules", |_| true) {
        check(&text, &FmtOptions { width: 40 });
    }
}

#[test]
fn refuses_files_that_do_not_load() {
    let e = format_source("- rule: r\n  desc: d\n", &FmtOptions::default());
    assert!(matches!(e, Err(FmtError::Load(_))), "{e:?}");
    let e = format_source("- [a\n", &FmtOptions::default());
    assert!(
        matches!(e, Err(FmtError::Load(_) | FmtError::Yaml(_))),
        "{e:?}"
    );
}

#[test]
fn refuses_aliases() {
    let src = "- list: a\n  items: &x [a, b]\n- list: b\n  items: *x\n";
    let e = format_source(src, &FmtOptions::default());
    assert!(matches!(e, Err(FmtError::Unsupported(_))), "{e:?}");
}

#[test]
fn verify_detects_changes() {
    let a = "- list: a\n  items: [x, w]\n";
    let r = verify(a, "- list: a\n  items: [x, 'w']\n");
    assert!(r.is_ok(), "{r:?}");
    let e = verify(a, "- list: a\n  items: [x, z]\n");
    assert!(
        matches!(e, Err(FmtError::Verify(ref m)) if m.contains("loaded rules")),
        "{e:?}"
    );
    let e = verify(a, "# new\n- list: a\n  items: [x, w]\n");
    assert!(
        matches!(e, Err(FmtError::Verify(ref m)) if m.contains("comments")),
        "{e:?}"
    );
    let m = "- macro: m\n  condition: a.b = 1 and c.d = 2\n";
    assert!(verify(
        m,
        "- macro: m\n  condition: >\n    a.b = 1\n    and c.d = 2\n"
    )
    .is_ok());
    assert!(verify(m, "- macro: m\n  condition: a.b = 1 or c.d = 2\n").is_err());
}

#[test]
fn condition_keeps_list_delimiting_and_quotes() {
    // Blanks inside quoted strings are never touched, and no blank is inserted where there
    // was none (`in(` / `)and(`).
    let src = "- list: l\n  items: [a, b]\n- macro: m\n  condition: proc.name in(l)and(fd.name = \"x   l   y\"  or   evt.type=open)\n";
    let out = check(src, &FmtOptions::default());
    assert!(
        out.contains("proc.name in(l)and(fd.name = \"x   l   y\" or evt.type=open)"),
        "{out}"
    );
}

fn snap(src: &str) -> String {
    check(src, &FmtOptions { width: 60 })
}

#[test]
fn snapshot_basic_layout() {
    let src = r#"# Leading file comment
- required_engine_version: 0.31.0

# shells
- list: shell_binaries
  items: [ash, bash, csh, ksh, sh, tcsh, zsh, dash, "fish", 'my tool', "a,b", "80", 443, yes]

- macro:   spawned_process    # trailing on name
  condition: evt.type in (execve, execveat) and evt.dir=<

-   rule: Shell in container
    priority: WARNING
    tags: [container, shell,
        mitre_execution]
    output: "Shell spawned (user=%user.name container=%container.id cmd=%proc.cmdline parent=%proc.pname)"
    condition: spawned_process   and container
           and proc.name in (shell_binaries) and not proc.pname in (shell_binaries, "my parent")
    desc: >
      A shell was spawned in a container.
    # about enabled
    enabled: true
- macro: container
  condition: (container.id != host)
"#;
    insta::assert_snapshot!(snap(src));
}

#[test]
fn snapshot_overrides_exceptions_and_odd_scalars() {
    let src = r##"- rule: Write below etc
  desc: d
  condition: evt.type = open
  output: o
  priority: ERROR
---
- rule: Write below etc
  condition: and not proc.name = vi
  override:
    condition: append
    exceptions: append
  exceptions:
  - name: known_writers
    fields: [proc.name, fd.name]
    comps: [=, startswith]
    values:
    - ['runc:[1:CHILD]', /etc/x]
    - [vim, "/etc/my file"]
- list: odd
  items: ['it''s', "tab\there", "- dash", "#hash", "key: value", "", '  spaced  ', "line\nbreak"]
  unknown_key: {a: 1}
- required_plugin_versions:
  - name: k8saudit
    version: 0.7.0
    alternatives:
      - name: k8saudit-eks
        version: 0.4.0
# trailing file comment
"##;
    insta::assert_snapshot!(snap(src));
}

#[test]
fn snapshot_comments_in_lists() {
    let src = r#"- list: bins
  items: [
    # first group
    ls, cat,   # trailing in flow
    # second group
    grep
    ]
- macro: m   # after name
  # before condition
  condition: proc.name in (bins)   # after condition
---
# second document
- rule: r
  desc: "multi\nline\ndescription\n"
  condition: m
  output: o
  priority: info
"#;
    insta::assert_snapshot!(snap(src));
}
