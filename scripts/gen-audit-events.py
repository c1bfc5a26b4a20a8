#!/usr/bin/env python3
"""Writes N Kubernetes audit events as JSON lines (the API server's log backend format) for
the agent benchmarks: mostly routine traffic (kubelet and controller reads and updates,
service accounts listing and watching), about 1 in 20 events an attack-shaped event from
testdata/events/k8s_audit.json. auditIDs and timestamps vary per event.

usage: gen-audit-events.py N OUT.jsonl
"""
import json
import sys
import uuid

n = int(sys.argv[1])
out = sys.argv[2]
attacks = json.load(open("testdata/events/k8s_audit.json"))

def routine(i):
    kinds = [
        ("get", "nodes", "", "system:node:ip-10-0-1-12", ["system:nodes", "system:authenticated"], "/api/v1/nodes/ip-10-0-1-12"),
        ("update", "replicasets", "apps", "system:serviceaccount:kube-system:replicaset-controller",
         ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
         "/apis/apps/v1/namespaces/default/replicasets/web-7d9f8b6c5d/status"),
        ("list", "pods", "", "system:serviceaccount:monitoring:prometheus",
         ["system:serviceaccounts", "system:serviceaccounts:monitoring", "system:authenticated"],
         "/api/v1/pods?limit=500&resourceVersion=0"),
        ("watch", "configmaps", "", "system:kube-controller-manager", ["system:authenticated"],
         "/api/v1/namespaces/kube-system/configmaps?watch=true"),
        ("patch", "leases", "coordination.k8s.io", "system:node:ip-10-0-1-13", ["system:nodes", "system:authenticated"],
         "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/ip-10-0-1-13"),
    ]
    verb, res, group, user, groups, uri = kinds[i % len(kinds)]
    ref = {"resource": res, "apiVersion": "v1"}
    if group:
        ref["apiGroup"] = group
    if "namespaces/" in uri:
        ref["namespace"] = uri.split("namespaces/")[1].split("/")[0]
    return {
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": "", "stage": "ResponseComplete", "requestURI": uri, "verb": verb,
        "user": {"username": user, "groups": groups},
        "sourceIPs": ["10.0.1.12"], "userAgent": "kubelet/v1.29.2 (linux/amd64) kubernetes/4b8e819",
        "objectRef": ref, "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": "", "stageTimestamp": "",
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""},
    }

with open(out, "w") as f:
    for i in range(n):
        e = dict(attacks[i // 20 % len(attacks)]) if i % 20 == 0 else routine(i)
        e["auditID"] = str(uuid.UUID(int=i))
        s, ns = divmod(i, 1000)
        ts = "2024-05-01T%02d:%02d:%02d.%06dZ" % (10 + s // 3600 % 14, s // 60 % 60, s % 60, ns * 1000)
        e["requestReceivedTimestamp"] = ts
        e["stageTimestamp"] = ts
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
