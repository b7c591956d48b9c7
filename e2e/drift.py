"""Drift: objects of a converged stack changed by hand. What `pulumi preview --refresh` shows, what
`pulumi up --refresh` restores, and the drift `refresh` cannot see (docs/when-up-fails.md says what can).

Deleted by hand: istiod's Deployment, the shared Gateway, the injection label of `apps`; weakened by hand: the
mesh-wide PeerAuthentication set to PERMISSIVE. A plain `preview` reads only the state and shows none of it;
`preview --refresh` plans each back; `up --refresh` restores each. Then the drift a refresh does not see: a field
another manager took over by server-side apply (same value), a label the stack never set, an object made in a
namespace the stack owns. Ends converged and destroyed with nothing left behind (e2e/convergence.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from e2e.context import Context
from e2e.convergence import changes, check_converged, kinds, listing, state_objects
from e2e.faults import destroy_clean, fault_row, require_empty
from e2e.scenarios import urn_name, urn_type

ISTIOD = "/apis/apps/v1/namespaces/istio-system/deployments/istiod"
PEER_AUTHENTICATION = "/apis/security.istio.io/v1/namespaces/istio-system/peerauthentications/default"
APPS = "/api/v1/namespaces/apps"
MERGE = "application/merge-patch+json"
HAND_CONFIG_MAP = "made-by-hand"


def path_of(context: Context, outputs: dict[str, Any]) -> str:
    api, metadata = outputs["apiVersion"], outputs["metadata"]
    group = api.split("/")[0] if "/" in api else ""
    plural = kinds(context.cluster)[(group, outputs["kind"])]
    prefix = "/api/v1" if api == "v1" else f"/apis/{api}"
    scope = f"/namespaces/{metadata['namespace']}" if metadata.get("namespace") else ""
    return f"{prefix}{scope}/{plural}/{metadata['name']}"


def shared_gateway(context: Context) -> tuple[str, str]:
    """(URN, API path) of the shared Gateway: the Gateway the SharedGateway component made."""
    for resource in context.stack.resources():
        outputs = resource.get("outputs") or {}
        if outputs.get("kind") == "Gateway" and "SharedGateway" in resource.get("parent", ""):
            return resource["urn"], path_of(context, outputs)
    raise AssertionError("drift: no Gateway under the SharedGateway component in the state")


def planned(ops: dict[str, str], type_: str, name: str) -> list[str]:
    return [op for urn, op in ops.items() if urn_type(urn) == type_ and urn_name(urn).endswith(name)]


def drift(context: Context) -> None:
    report, stack, cluster = context.report, context.stack, context.cluster
    require_empty(context, "drift")
    with report.step("drift: up"):
        stack.up()
    gateway_urn, gateway_path = shared_gateway(context)

    cluster.request("DELETE", ISTIOD)
    cluster.request("DELETE", gateway_path)
    cluster.request("PATCH", APPS, {"metadata": {"labels": {"istio-injection": None}}}, MERGE)
    cluster.request("PATCH", PEER_AUTHENTICATION, {"spec": {"mtls": {"mode": "PERMISSIVE"}}}, MERGE)

    with report.step("drift: preview (no refresh)"):
        plain = changes(stack.preview())
    report.check("drift: a plain preview shows none of it", not plain, plain)
    with report.step("drift: preview --refresh"):
        refreshed = changes(stack.preview("--refresh"))
    print("e2e:   drift plans: " + ", ".join(f"{op} {urn_name(urn)}" for urn, op in sorted(refreshed.items())))
    deployment = planned(refreshed, "kubernetes:apps/v1:Deployment", "istiod")
    report.check("drift: preview --refresh plans istiod's Deployment back", deployment == ["create"], deployment)
    gateway = refreshed.get(gateway_urn)
    report.check("drift: preview --refresh plans the shared Gateway back", gateway == "create", gateway)
    namespace = planned(refreshed, "kubernetes:core/v1:Namespace", "apps")
    report.check("drift: preview --refresh plans the label of apps back", namespace == ["update"], namespace)
    policy = [op for urn, op in refreshed.items() if "PeerAuthentication" in urn or urn_name(urn).endswith("mtls")]
    report.check("drift: preview --refresh plans the PeerAuthentication back", "update" in policy, refreshed)

    with report.step("drift: up --refresh"):
        restore = stack.up("--refresh", check=False)
    report.check("drift: up --refresh succeeds", restore.code == 0, restore.output[-2000:])
    labels = cluster.get(APPS)["metadata"].get("labels", {})
    mode = cluster.get(PEER_AUTHENTICATION)["spec"]["mtls"]["mode"]
    restored = {
        "istiod": cluster.get_or_none(ISTIOD) is not None,
        "gateway": cluster.get_or_none(gateway_path) is not None,
        "label": labels.get("istio-injection") == "enabled",
        "mtls": mode == "STRICT",
    }
    report.check("drift: up --refresh restores each", all(restored.values()), restored)
    check_converged(context, "drift")
    fault_row(
        "drift: 4 objects deleted or weakened by hand",
        "nothing on a plain preview",
        restore.seconds,
        "`pulumi up --refresh`",
        all(restored.values()),
    )

    unseen(context)
    destroy_clean(context, "drift")


def unseen(context: Context) -> None:
    """The drift a refresh does not see: each made, then `preview --refresh` shows no change."""
    report, cluster = context.report, context.cluster
    cluster.request(
        "PATCH",
        f"{PEER_AUTHENTICATION}?fieldManager=other-team&force=true",
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": "istio-system"},
            "spec": {"mtls": {"mode": "STRICT"}},
        },
        "application/apply-patch+yaml",
    )
    managers = [m["manager"] for m in cluster.get(PEER_AUTHENTICATION)["metadata"].get("managedFields", [])]
    report.check("unseen drift: another manager owns the PeerAuthentication's mode", "other-team" in managers, managers)
    cluster.request("PATCH", APPS, {"metadata": {"labels": {"made-by": "hand"}}}, MERGE)
    cluster.request(
        "POST",
        "/api/v1/namespaces/istio-system/configmaps",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": HAND_CONFIG_MAP}, "data": {"a": "b"}},
    )
    with report.step("unseen drift: preview --refresh"):
        preview = context.stack.preview("--refresh", "--expect-no-changes", check=False)
    report.check(
        "unseen drift: preview --refresh shows no change for a taken-over field, a label or an extra object",
        preview.code == 0 and not changes(preview),
        changes(preview) or preview.output[-1500:],
    )
    check_nothing_left_of_hand(context)


def check_nothing_left_of_hand(context: Context) -> None:
    """What can see the extra object: the e2e's own listing (the state against the cluster) names it."""
    state = state_objects(context)
    live = listing(context.cluster)
    extra = ("", "configmaps", "istio-system", HAND_CONFIG_MAP)
    context.report.check(
        "unseen drift: the cluster-against-state listing names the extra object",
        extra in live and extra not in state,
        extra,
    )


ALL: dict[str, Callable[[Context], None]] = {"drift": drift}
