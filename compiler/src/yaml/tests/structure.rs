//! Documents, collections, anchors, keys and spans.

use super::*;

#[test]
fn documents_and_empty_documents() {
    let text = "# comment\na: 1\n---\n---\n...\n--- ~\n--- x\n";
    let d = docs(text);
    assert_eq!(d.len(), 5);
    assert!(d[0].root.is_some());
    assert!(d[1].root.is_none() && d[2].root.is_none() && d[3].root.is_none());
    assert_eq!(d[4].root.as_ref().unwrap().as_str(), Some("x"));
    assert_eq!(d[0].span.start as usize, nth(text, "a: 1", 0));
    assert_eq!(d[0].span.end as usize, nth(text, "1\n", 0) + 1);
    assert_eq!(d[2].span.end as usize, nth(text, "...", 0) + 3);
    assert!(docs("").is_empty());
    assert!(docs("# only a comment\n").is_empty());
}

#[test]
fn mapping_keeps_duplicates_and_spans() {
    let text = "a: 1\nb:\n  - x\n  - y\na: 2\nempty:\nlast: ~\n";
    let r = root(text);
    let m = r.as_map().unwrap();
    assert_eq!(m.len(), 5);
    assert_eq!(r.get("a").unwrap().as_str(), Some("1"));
    assert_eq!(m[2].1.as_str(), Some("2"));
    let b = r.get("b").unwrap();
    assert_eq!(b.kind_name(), "sequence");
    assert_eq!(b.span.start as usize, nth(text, "- x", 0));
    assert_eq!(b.span.end as usize, nth(text, "y\n", 0) + 1);
    let e = r.get("empty").unwrap();
    assert!(e.is_null());
    assert_eq!(e.kind_name(), "null");
    assert_eq!(e.span.start as usize, nth(text, "empty", 0) + 5);
    assert!(r.get("last").unwrap().is_null());
    assert_eq!(r.kind_name(), "mapping");
    assert_eq!(r.span.start, 0);
    assert!(r.get("nope").is_none());
    assert_eq!(r.get("a").unwrap().kind_name(), "scalar");
}

#[test]
fn null_forms() {
    let r = root("[~, null, Null, NULL, '', \"null\", nil]");
    let nulls: Vec<bool> = r.as_seq().unwrap().iter().map(Node::is_null).collect();
    assert_eq!(nulls, [true, true, true, true, false, false, false]);
}

#[test]
fn anchors_aliases_and_tags() {
    let text =
        "base: &b !!map\n  cond: &c !mytag evt.type = open\nuse: *b\ncond2: *c\nstr: !!str 123\n";
    let r = root(text);
    assert_eq!(r.get("use").unwrap(), r.get("base").unwrap());
    let c2 = r.get("cond2").unwrap().as_scalar().unwrap();
    assert_eq!(c2.value, "evt.type = open");
    assert_maps(text, c2, "evt.type", 0, 0);
    let base = r.get("base").unwrap();
    assert_eq!(base.span.start as usize, nth(text, "&b", 0));
    let cond = base.get("cond").unwrap();
    assert_eq!(cond.span.start as usize, nth(text, "&c", 0));
    assert_eq!(r.get("str").unwrap().as_str(), Some("123"));
    assert_all_plausible(text);
}

#[test]
fn complex_and_non_scalar_keys() {
    let text = "? [a, b]\n: v\n? |\n  block key\n: w\n{x: 1}: y\n? k\n";
    let r = root(text);
    let m = r.as_map().unwrap();
    assert_eq!(m.len(), 4);
    assert_eq!(m[0].0.kind_name(), "sequence");
    assert_eq!(m[0].1.as_str(), Some("v"));
    assert_eq!(m[1].0.as_str(), Some("block key\n"));
    assert_eq!(m[2].0.kind_name(), "mapping");
    assert_eq!(m[3].0.as_str(), Some("k"));
    assert!(m[3].1.is_null());
    assert_all_plausible(text);
}

#[test]
fn falco_like_file() {
    let text = r#"- required_engine_version: 10

- list: shell_binaries
  items: [ash, bash, csh, ksh, sh, tcsh, zsh, dash]

- macro: spawned_process
  condition: (evt.type in (execve, execveat) and evt.dir=<)

- rule: Terminal shell in container
  desc: >
    A shell was used as the entrypoint/exec point into a container with an attached terminal.
  condition: >
    spawned_process and container
    and shell_procs and proc.tty != 0
    and container_entrypoint
  output: "A shell was spawned (user=%user.name %container.info shell=%proc.name)"
  priority: NOTICE
  tags: [container, shell, mitre_execution]
"#;
    let d = assert_all_plausible(text);
    let items = d[0].root.as_ref().unwrap().as_seq().unwrap();
    assert_eq!(items.len(), 4);
    let cond = items[3].get("condition").unwrap().as_scalar().unwrap();
    assert_eq!(cond.value, "spawned_process and container and shell_procs and proc.tty != 0 and container_entrypoint\n");
    assert_maps(text, cond, "proc.tty", 0, 0);
    assert_maps(text, cond, "container_entrypoint", 0, 0);
    let i = u32::try_from(nth(&cond.value, "proc.tty", 0)).unwrap();
    let f = crate::span::SourceFile::new("rules.yaml", text);
    let lc = f.line_col(cond.map.file_offset(i));
    assert_eq!((lc.line, lc.col), (13, 24));
}

#[test]
fn scalar_node_spans() {
    let text = "a: |-  # comment | here\n\n  x\n\n  y\n\nb: 'q'  # c\nc: &x \"d\"\n- \n";
    let text = &text[..text.len() - 4];
    let r = root(text);
    let a = r.get("a").unwrap();
    assert_eq!(a.span.start as usize, nth(text, "|-", 0));
    assert_eq!(a.span.end as usize, nth(text, "y\n", 0) + 1);
    let b = r.get("b").unwrap();
    assert_eq!(
        (b.span.start as usize, b.span.end as usize),
        (nth(text, "'q'", 0), nth(text, "'q'", 0) + 3)
    );
    let c = r.get("c").unwrap();
    assert_eq!(
        (c.span.start as usize, c.span.end as usize),
        (nth(text, "&x", 0), nth(text, "\"d\"", 0) + 3)
    );
    let text = "- >\n  folded\n- x\n";
    let r = root(text);
    assert_eq!(
        r.as_seq().unwrap()[0].span.start as usize,
        nth(text, ">", 0)
    );
    assert_eq!(r.span.end as usize, text.len() - 1);
}
