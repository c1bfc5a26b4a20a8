//! `ka.*` fields of the k8saudit plugin, from a Kubernetes audit event (`audit.k8s.io/v1`).

use super::json::{Elements, V};
use super::{at, each, one, text, Texts};

const RO: &str = "requestObject";

/// The repository part of an image reference (tag and digest removed).
pub fn image_repository(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    let slash = no_digest.rfind('/').map_or(0, |p| p + 1);
    match no_digest[slash..].rfind(':') {
        Some(c) => no_digest[..slash + c].to_owned(),
        None => no_digest.to_owned(),
    }
}

fn containers<'a>(v: V<'a>, kind: &str) -> Option<Elements<'a>> {
    at(v, &[RO, "spec", kind])?.as_array()
}

/// Per container, the text at `sub` or `default` when absent.
fn per_container(v: V<'_>, kind: &str, sub: &[&str], default: Option<&str>) -> Texts {
    let cs = containers(v, kind)?;
    Some(
        cs.filter_map(|c| {
            at(c, sub)
                .and_then(text)
                .or_else(|| default.map(str::to_owned))
        })
        .collect(),
    )
}

fn container_field(v: V<'_>, kind: &str, what: &str) -> Texts {
    fn sc(k: &str) -> [&str; 2] {
        ["securityContext", k]
    }
    match what {
        "name" => per_container(v, kind, &["name"], None),
        "image" => per_container(v, kind, &["image"], None),
        "image.repository" => per_container(v, kind, &["image"], None)
            .map(|i| i.iter().map(|s| image_repository(s)).collect()),
        "command" => flat(v, kind, &["command"]),
        "args" => flat(v, kind, &["args"]),
        "privileged" => per_container(v, kind, &sc("privileged"), Some("false")),
        "allow_privilege_escalation" => {
            per_container(v, kind, &sc("allowPrivilegeEscalation"), Some("false"))
        }
        "read_only_fs" => per_container(v, kind, &sc("readOnlyRootFilesystem"), Some("false")),
        "run_as_user" => per_container(v, kind, &sc("runAsUser"), None),
        "run_as_group" => per_container(v, kind, &sc("runAsGroup"), None),
        "proc_mount" => per_container(v, kind, &sc("procMount"), None),
        "eff_run_as_user" | "eff_run_as_group" => {
            let key = if what == "eff_run_as_user" {
                "runAsUser"
            } else {
                "runAsGroup"
            };
            let pod = at(v, &[RO, "spec", "securityContext", key]).and_then(text);
            let cs = containers(v, kind)?;
            Some(
                cs.map(|c| {
                    at(c, &["securityContext", key])
                        .and_then(text)
                        .or_else(|| pod.clone())
                        .unwrap_or_else(|| "0".into())
                })
                .collect(),
            )
        }
        "add_capabilities" => {
            let cs = containers(v, kind)?;
            Some(
                cs.filter_map(|c| at(c, &["securityContext", "capabilities", "add"])?.as_array())
                    .flatten()
                    .filter_map(text)
                    .collect(),
            )
        }
        "host_port" => {
            let cs = containers(v, kind)?;
            Some(
                cs.filter_map(|c| at(c, &["ports"])?.as_array())
                    .flatten()
                    .filter_map(|p| at(p, &["hostPort"]).and_then(text))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// Every container's array at `sub`, flattened.
fn flat(v: V<'_>, kind: &str, sub: &[&str]) -> Texts {
    let cs = containers(v, kind)?;
    Some(
        cs.filter_map(|c| at(c, sub)?.as_array())
            .flatten()
            .filter_map(text)
            .collect(),
    )
}

fn subjects(v: V<'_>, kind: &str, ns: bool) -> Texts {
    let s = at(v, &[RO, "subjects"])?.as_array()?;
    Some(
        s.filter(|x| at(*x, &["kind"]).and_then(V::as_str).as_deref() == Some(kind))
            .filter_map(|x| {
                let name = at(x, &["name"]).and_then(text)?;
                Some(if ns {
                    format!(
                        "{}:{name}",
                        at(x, &["namespace"]).and_then(text).unwrap_or_default()
                    )
                } else {
                    name
                })
            })
            .collect(),
    )
}

fn rules_field(v: V<'_>, key: &str) -> Texts {
    let r = at(v, &[RO, "rules"])?.as_array()?;
    Some(
        r.filter_map(|x| at(x, &[key])?.as_array())
            .flatten()
            .filter_map(text)
            .collect(),
    )
}

fn annotation(v: V<'_>, key: &str) -> Texts {
    v.get("annotations")?
        .get(key)
        .and_then(text)
        .map(|s| vec![s])
}

fn uri_param(v: V<'_>, key: &str) -> Texts {
    let uri = at(v, &["requestURI"])?.as_str()?;
    let q = uri.split_once('?')?.1;
    let vals: Vec<String> = q
        .split('&')
        .filter_map(|kv| {
            let (k, val) = kv.split_once('=').unwrap_or((kv, ""));
            (k == key).then(|| percent_decode(val))
        })
        .collect();
    vals.into_iter().next().map(|s| vec![s])
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn volumes(v: V<'_>) -> Option<Elements<'_>> {
    at(v, &[RO, "spec", "volumes"])?.as_array()
}

/// Extracts `ka.*` field `name` (argument `arg`) as text values.
pub fn extract(v: V<'_>, name: &str, arg: Option<&str>) -> Texts {
    let pod_spec = |k: &str| one(v, &[RO, "spec", k]);
    match name {
        "ka.auditid" => one(v, &["auditID"]),
        "ka.stage" => one(v, &["stage"]),
        "ka.auth.decision" => annotation(v, "authorization.k8s.io/decision"),
        "ka.auth.reason" => annotation(v, "authorization.k8s.io/reason"),
        "ka.validations.admission.policy.failure" => {
            annotation(v, "validation.policy.admission.k8s.io/validation_failure")
        }
        "ka.security.pod.violations" => {
            annotation(v, "pod-security.kubernetes.io/audit-violations")
        }
        "ka.auth.openshift.decision" => annotation(v, "authorization.openshift.io/decision"),
        "ka.auth.openshift.username" => annotation(v, "authentication.openshift.io/username"),
        "ka.user.name" => one(v, &["user", "username"]),
        "ka.user.groups" => Some(
            at(v, &["user", "groups"])?
                .as_array()?
                .filter_map(text)
                .collect(),
        ),
        "ka.impuser.name" => one(v, &["impersonatedUser", "username"]),
        "ka.verb" => one(v, &["verb"]),
        "ka.uri" => one(v, &["requestURI"]),
        "ka.uri.param" => uri_param(v, arg?),
        "ka.target.name" => one(v, &["objectRef", "name"]),
        "ka.target.namespace" => one(v, &["objectRef", "namespace"]),
        "ka.target.resource" => one(v, &["objectRef", "resource"]),
        "ka.target.subresource" => one(v, &["objectRef", "subresource"]),
        "ka.target.pod.name" => {
            if at(v, &["objectRef", "resource"])
                .and_then(V::as_str)
                .is_some_and(|r| r == "pods")
            {
                one(v, &["objectRef", "name"])
            } else {
                None
            }
        }
        "ka.req.binding.subjects" => Some(
            at(v, &[RO, "subjects"])?
                .as_array()?
                .filter_map(text)
                .collect(),
        ),
        "ka.req.binding.subjects.user_names" => subjects(v, "User", false),
        "ka.req.binding.subjects.serviceaccount_names" => subjects(v, "ServiceAccount", false),
        "ka.req.binding.subjects.serviceaccount_ns_names" => subjects(v, "ServiceAccount", true),
        "ka.req.binding.subjects.group_names" => subjects(v, "Group", false),
        "ka.req.binding.role" => one(v, &[RO, "roleRef", "name"]),
        "ka.req.binding.subject.has_name" => None,
        "ka.req.configmap.name" => {
            one(v, &[RO, "metadata", "name"]).or_else(|| one(v, &["objectRef", "name"]))
        }
        "ka.req.configmap.obj" => one(v, &[RO, "data"]),
        "ka.req.container.image" => container_field(v, "containers", "image")?
            .into_iter()
            .next()
            .map(|s| vec![s]),
        "ka.req.container.image.repository" => {
            container_field(v, "containers", "image.repository")?
                .into_iter()
                .next()
                .map(|s| vec![s])
        }
        "ka.req.pod.host_ipc" => pod_spec("hostIPC"),
        "ka.req.pod.host_network" | "ka.req.container.host_network" => pod_spec("hostNetwork"),
        "ka.req.pod.host_pid" => pod_spec("hostPID"),
        "ka.req.container.privileged" => {
            let p = container_field(v, "containers", "privileged")?;
            Some(vec![p.iter().any(|x| x == "true").to_string()])
        }
        "ka.req.pod.run_as_user" => one(v, &[RO, "spec", "securityContext", "runAsUser"]),
        "ka.req.pod.run_as_group" => one(v, &[RO, "spec", "securityContext", "runAsGroup"]),
        "ka.req.pod.fs_group" => one(v, &[RO, "spec", "securityContext", "fsGroup"]),
        "ka.req.pod.supplemental_groups" => each(
            v,
            &[RO, "spec", "securityContext", "supplementalGroups"],
            &[],
        ),
        "ka.req.role.rules" => Some(
            at(v, &[RO, "rules"])?
                .as_array()?
                .filter_map(text)
                .collect(),
        ),
        "ka.req.role.rules.apiGroups" => rules_field(v, "apiGroups"),
        "ka.req.role.rules.nonResourceURLs" => rules_field(v, "nonResourceURLs"),
        "ka.req.role.rules.verbs" => rules_field(v, "verbs"),
        "ka.req.role.rules.resources" => rules_field(v, "resources"),
        "ka.req.service.type" => one(v, &[RO, "spec", "type"]),
        "ka.req.service.ports" => each(v, &[RO, "spec", "ports"], &[]),
        "ka.req.pod.volumes.hostpath" => each(v, &[RO, "spec", "volumes"], &["hostPath", "path"]),
        "ka.req.pod.volumes.flexvolume_driver" => {
            each(v, &[RO, "spec", "volumes"], &["flexVolume", "driver"])
        }
        "ka.req.pod.volumes.volume_type" => Some(
            volumes(v)?
                .filter_map(|vol| {
                    // The first key but `name` in sorted order (as a serde_json map has them).
                    vol.as_object()?
                        .map(|(k, _)| k)
                        .filter(|k| k != "name")
                        .min()
                        .map(std::borrow::Cow::into_owned)
                })
                .collect(),
        ),
        "ka.req.volume.hostpath" => {
            let prefix = arg?;
            let paths = each(v, &[RO, "spec", "volumes"], &["hostPath", "path"])?;
            Some(vec![paths
                .iter()
                .any(|p| p.starts_with(prefix))
                .to_string()])
        }
        "ka.resp.name" => one(v, &["responseObject", "metadata", "name"]),
        "ka.response.code" => one(v, &["responseStatus", "code"]),
        "ka.response.reason" => one(v, &["responseStatus", "reason"]),
        "ka.useragent" => one(v, &["userAgent"]),
        "ka.sourceips" => each(v, &["sourceIPs"], &[]),
        _ => {
            for (prefix, kind) in [
                ("ka.req.pod.containers.", "containers"),
                ("ka.req.pod.initContainers.", "initContainers"),
                ("ka.req.pod.ephemeralContainers.", "ephemeralContainers"),
            ] {
                if let Some(what) = name.strip_prefix(prefix) {
                    return container_field(v, kind, what);
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        assert_eq!(image_repository("nginx:1.2"), "nginx");
        assert_eq!(
            image_repository("docker.io/library/nginx"),
            "docker.io/library/nginx"
        );
        assert_eq!(
            image_repository("localhost:5000/app:v1"),
            "localhost:5000/app"
        );
        assert_eq!(image_repository("quay.io/x/y@sha256:abc"), "quay.io/x/y");
        assert_eq!(percent_decode("a%20b+c"), "a b c");
    }
}
