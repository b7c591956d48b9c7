"""The last checks of every fault and drift scenario (e2e/faults.py, e2e/drift.py): the stack converged, and a
`destroy` left nothing behind.

- converged: `preview --expect-no-changes` passes, the state holds no pending operation (`pulumi stack export`),
  and the cluster holds exactly what the state says: every Kubernetes object in the state is live, and every live
  object that was not there before the run's first `up` is in the state or made by a controller for one that is
  (an owner reference, or one of the kinds the API server and controllers make per namespace, Service, CRD group
  or Certificate, or a node: see `made_by_a_controller`).
- nothing left behind: every object of every resource the API server discovers (every group, every version it
  prefers) listed after the `destroy` is the listing taken before the run's first `up`, except the CRDs a
  destroy keeps on purpose (docs/teardown.md).
"""

from __future__ import annotations

import json
import time
from typing import Any

from e2e.cluster import LoopbackCluster
from e2e.context import Context
from e2e.pulumi_cli import Result
from e2e.scenarios import CRD_GROUPS_KEPT, UNCHANGED, steps

# (group, resource, namespace, name): an object's identity, whatever its version.
Identity = tuple[str, str, str, str]
Listing = dict[Identity, dict[str, Any]]

# Records, not objects: every action adds some.
EVENTS = {("", "events"), ("events.k8s.io", "events")}
CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")
# The API server registers an APIService for every group version its CRDs serve (labelled so), and drops it
# with the last CRD of the group.
API_SERVICES = ("apiregistration.k8s.io", "apiservices")
AUTOMANAGED = "kube-aggregator.kubernetes.io/automanaged"
# And an IPAddress for every ClusterIP it allocates (networking.k8s.io/v1), freed with the Service.
IP_ALLOCATOR = "ipaddress.kubernetes.io/managed-by"
# What the API server and the controllers make in every namespace, for every Service, for every Certificate
# (cert-manager's Secret, here e2e/cert_manager_double.py's): never in a stack's state, gone with their namespace.
PER_NAMESPACE = {(("", "serviceaccounts"), "default"), (("", "configmaps"), "kube-root-ca.crt")}
# The NodePort Service's ingress gateway and every Service: Endpoints carry no owner reference.
ENDPOINTS = ("", "endpoints")
SECRETS = ("", "secrets")
# The cluster's machines are the operator's, never a stack's (a node added for capacity, e2e/faults.py).
NODES = ("", "nodes")


def discover(cluster: LoopbackCluster) -> dict[str, list[dict[str, Any]]]:
    """group version -> its listable top-level resources, for the version of each group the server prefers."""
    versions = [f"v{v.removeprefix('v')}" for v in cluster.get("/api")["versions"]]
    found = {version: cluster.get(f"/api/{version}")["resources"] for version in versions}
    for group in cluster.get("/apis")["groups"]:
        version = group["preferredVersion"]["groupVersion"]
        found[version] = cluster.get(f"/apis/{version}")["resources"]
    return {
        version: [r for r in resources if "/" not in r["name"] and "list" in r.get("verbs", [])]
        for version, resources in found.items()
    }


def listing(cluster: LoopbackCluster) -> Listing:
    """Every object the API server holds, by identity, with its metadata (events aside)."""
    objects: Listing = {}
    for version, resources in discover(cluster).items():
        group = version.split("/")[0] if "/" in version else ""
        prefix = "/api" if group == "" else "/apis"
        for resource in resources:
            if (group, resource["name"]) in EVENTS:
                continue
            for item in cluster.get(f"{prefix}/{version}/{resource['name']}")["items"]:
                metadata = item["metadata"]
                key = (group, resource["name"], metadata.get("namespace", ""), metadata["name"])
                objects[key] = metadata
    return objects


def kinds(cluster: LoopbackCluster) -> dict[tuple[str, str], str]:
    """(group, kind) -> resource name, for mapping a state's objects onto the listing."""
    found = {}
    for version, resources in discover(cluster).items():
        group = version.split("/")[0] if "/" in version else ""
        for resource in resources:
            found[(group, resource["kind"])] = resource["name"]
    return found


def state_objects(context: Context) -> dict[Identity, str]:
    """identity -> URN of every Kubernetes object the stack's state holds (components and providers aside)."""
    names = kinds(context.cluster)
    found = {}
    for resource in context.stack.resources():
        outputs = resource.get("outputs") or {}
        if not resource["type"].startswith("kubernetes:") or "kind" not in outputs or "metadata" not in outputs:
            continue
        api = outputs["apiVersion"]
        group = api.split("/")[0] if "/" in api else ""
        plural = names.get((group, outputs["kind"]), f"<{outputs['kind']} not served>")
        metadata = outputs["metadata"]
        found[(group, plural, metadata.get("namespace") or "", metadata["name"])] = resource["urn"]
    return found


def made_by_a_controller(key: Identity, metadata: dict[str, Any], state: dict[Identity, str]) -> bool:
    group, resource, namespace, name = key
    labels = metadata.get("labels") or {}
    if metadata.get("ownerReferences") or AUTOMANAGED in labels or IP_ALLOCATOR in labels:
        return True
    if ((group, resource), name) in PER_NAMESPACE:
        return True
    if (group, resource) == NODES:
        return True
    if (group, resource) == ENDPOINTS:
        return ("", "services", namespace, name) in state
    if (group, resource) == SECRETS:
        return "cert-manager.io/certificate-name" in (metadata.get("annotations") or {})
    return False


def pending_operations(context: Context) -> list[dict[str, Any]]:
    exported = context.stack.cli("stack", "export", program=False).json()
    found: list[dict[str, Any]] = exported.get("deployment", {}).get("pending_operations") or []
    return found


def changes(result: Result) -> dict[str, str]:
    """URN -> op for every step of a preview that changes something (a `--refresh` preview's reads aside)."""
    return {step["urn"]: step["op"] for step in steps(result) if step["op"] not in (*UNCHANGED, "refresh")}


def check_converged(context: Context, label: str) -> None:
    report, cluster = context.report, context.cluster
    with report.step(f"{label}: preview --expect-no-changes"):
        preview = context.stack.preview("--expect-no-changes", check=False)
    report.check(
        f"{label}: converged: preview shows no changes",
        preview.code == 0 and not changes(preview),
        changes(preview) or preview.output[-2000:],
    )
    pending = pending_operations(context)
    report.check(f"{label}: converged: no pending operation in the state", not pending, pending[:3])
    state = state_objects(context)
    live = listing(cluster)
    missing = sorted(urn for key, urn in state.items() if key not in live)
    report.check(f"{label}: converged: every object of the state is live", not missing, missing[:10])
    orphans = sorted(
        key
        for key, metadata in live.items()
        if key not in context.baseline and key not in state and not made_by_a_controller(key, metadata, state)
    )
    report.check(f"{label}: converged: no live object outside the state", not orphans, orphans[:10])


def kept(key: Identity) -> bool:
    """A kept CRD, or the APIService the API server keeps for its group."""
    return key[:2] in (CRDS, API_SERVICES) and key[3].endswith(CRD_GROUPS_KEPT)


# The Gateway API bundle the stack applies (its CRDs and admission policy) is kept by a destroy as a whole
# (`gatewayApi.retainOnDelete`, docs/teardown.md): its objects are the GatewayApiCrds component's children.
GATEWAY_API_BUNDLE = "servicemesh:gateway:GatewayApiCrds$"


def kept_by_destroy(context: Context) -> set[Identity]:
    """Before a destroy: the objects of the state the destroy keeps on purpose besides the CRDs (the bundle)."""
    return {key for key, urn in state_objects(context).items() if GATEWAY_API_BUNDLE in urn}


def check_nothing_left(context: Context, label: str, bundle: set[Identity], seconds: float = 60) -> None:
    """After a destroy: the listing is the one before the run's first `up`, the kept CRDs and `bundle` (what
    kept_by_destroy said before it) aside. Objects being deleted (garbage collection of what a deleted owner
    owned) are given `seconds` to go."""
    deadline = time.monotonic() + seconds
    while True:
        live = listing(context.cluster)
        added = sorted(key for key in live if key not in context.baseline and not kept(key) and key not in bundle)
        removed = sorted(key for key in context.baseline if key not in live)
        if (not added and not removed) or time.monotonic() >= deadline:
            break
        time.sleep(2)
    context.report.check(f"{label}: nothing left behind after destroy", not added, json.dumps(added[:8]))
    context.report.check(f"{label}: nothing there before the first up is gone", not removed, removed[:8])
