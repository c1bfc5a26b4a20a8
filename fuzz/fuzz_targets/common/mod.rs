//! Events shared by the differential targets: a typical `openat` with every field group
//! set (lists, negative numbers, IPs), an `execve` with a NUL inside a string and an empty
//! path, a `connect` over IPv6, and an event with no fields at all.
use rulec_runtime::event::{FieldMapEvent, FixtureValue};

pub fn events() -> Vec<FieldMapEvent> {
    let base = [
        ("evt.type", "openat"),
        ("proc.name", "bash"),
        ("proc.pname", "sshd"),
        ("fd.name", "/etc/shadow"),
        ("proc.pid", "42"),
        ("user.uid", "0"),
        ("evt.rawres", "-2"),
        ("evt.failed", "true"),
        ("fd.cip", "10.0.0.1"),
        ("evt.buffer", "ab"),
    ];
    let mut a = FieldMapEvent::syscall(base);
    a.fields.insert(
        "proc.aname".into(),
        FixtureValue::Many(vec!["sshd".into(), "systemd".into()]),
    );
    let b = FieldMapEvent::syscall([("evt.type", "execve"), ("proc.name", "/a\0b"), ("fd.name", "")]);
    let c = FieldMapEvent::syscall([("evt.type", "connect"), ("fd.cip", "::1"), ("proc.name", "nc")]);
    vec![a, b, c, FieldMapEvent::syscall([])]
}
