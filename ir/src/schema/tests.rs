use super::*;

fn sys() -> &'static SourceSchema {
    Registry::get().source("syscall").expect("syscall source")
}

#[test]
fn counts_match_the_readme() {
    let r = Registry::get();
    let n: Vec<(&str, usize)> = r
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.fields.len()))
        .collect();
    assert_eq!(
        n,
        [
            ("syscall", 319),
            ("k8s_audit", 124),
            ("aws_cloudtrail", 97),
            ("github", 43),
            ("okta", 72)
        ]
    );
}

#[test]
fn longest_prefix_and_args() {
    let s = sys();
    assert_eq!(
        s.lookup("proc.name", None).map(|r| r.ty).ok(),
        Some(FieldType::Charbuf)
    );
    assert_eq!(
        s.lookup("proc.nmae", None).err(),
        Some(LookupError::Nonexistent)
    );
    assert_eq!(
        s.lookup("proc.namex", None).err(),
        Some(LookupError::Nonexistent)
    );
    assert!(s.lookup("proc.aname", Some("2")).is_ok());
    assert!(s.lookup("proc.aname", None).is_ok());
    assert!(s.lookup("evt.type.is.open", None).is_ok());
    assert!(s.lookup("evt.arg.fd", None).is_ok());
    assert_eq!(
        s.lookup("evt.rawarg.uid", None).map(|r| r.ty).ok(),
        Some(FieldType::Uint32)
    );
    assert_eq!(
        s.lookup("evt.arg.nosuch", None).err(),
        Some(LookupError::UnknownEventArg("nosuch".into()))
    );
    assert!(s.lookup("evt.arg", Some("1")).is_ok());
    assert!(s.lookup("thread.cgroup.cpuacct", None).is_ok());
    assert!(s.lookup("container.mount.dest", Some("/proc*")).is_ok());
    assert_eq!(
        s.lookup("container.mount.dest", None).err(),
        Some(LookupError::ArgRequired)
    );
    assert_eq!(
        s.lookup("container.id", Some("x")).err(),
        Some(LookupError::ArgNotAllowed("x".into()))
    );
    assert!(s.lookup("evt.abspath.src", None).is_ok());
    assert!(s.lookup("evt.abspath", None).is_ok());
    assert!(s.lookup("evt.time.s", None).is_ok());
    let k = Registry::get().source("k8s_audit").expect("k8s");
    assert!(k.lookup("jevt.value", Some("/a/b")).is_ok());
    assert!(k.lookup("ka.req.pod.containers.image", Some("0")).is_ok());
    assert!(k.lookup("proc.name", None).is_err());
}

#[test]
fn plugins_are_known() {
    let r = Registry::get();
    for p in [
        "container",
        "k8smeta",
        "k8saudit",
        "cloudtrail",
        "json",
        "github",
        "okta",
    ] {
        assert!(r.plugin(p).is_some(), "{p}");
    }
    assert!(Registry::get().events.is_event_type("openat"));
    assert!(Registry::get().events.is_event_type("pread64"));
    assert!(!Registry::get().events.is_event_type("openn"));
}
