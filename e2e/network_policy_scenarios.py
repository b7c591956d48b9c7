"""NetworkPolicies as the charts render them for real: the shipped `ambient` stack with `security.networkPolicies`
on (it installs every chart a stack can but external-dns, which has no NetworkPolicy template: the node agents'
cni and ztunnel too), previewed and brought up on the loopback cluster, must hold exactly the policies of the
stack's flow table (stacks/network_policies.py) and no NetworkPolicy of any chart's own. Policies add up: a chart's
wide policy (kiali-server 2.29.0 renders one by default) would void the table's narrower rules on its pods.

With the fixture charts, kiali-server's stand-in renders a policy under the same value as upstream's
(e2e/fixtures/charts/kiali-server); with `--mirror`, every real chart renders whatever it ships. The API server
stores the policies; nothing enforces them here (no CNI runs), so what a CNI would let through is the unit
tests' reading (tests/test_network_policies.py).
"""

from __future__ import annotations

from typing import Any

from components.network_policies import DENY_ALL
from e2e.context import Context
from e2e.scenarios import (
    changes,
    destroy_and_check,
    dev_config,
    kept_crds,
    set_settings,
    shipped_config,
    stack_namespaces,
)
from settings.loader import load_settings
from stacks.network_policies import flows, owned_namespaces

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
OWNER = "servicemesh:security:NetworkPolicies"  # the stack's own policies' component (components/network_policies.py)


def policies_on() -> dict[str, Any]:
    return {**shipped_config("ambient"), "security": {"networkPolicies": True}}


def expected_policies(context: Context) -> set[str]:
    """`<namespace>/<name>` of every policy the flow table makes for these settings."""
    config = {key.split(":", 1)[1]: value for key, value in dev_config(context, **policies_on()).items()}
    settings = load_settings(config)
    denied = {f"{namespace}/{DENY_ALL}" for namespace in owned_namespaces(settings)}
    return denied | {f"{flow.namespace}/allow-{flow.name}" for flow in flows(settings)}


def urn_types(urn: str) -> list[str]:
    """The type chain of a URN: its parents' types, then its own."""
    return urn.split("::")[2].split("$")


def network_policies(context: Context) -> None:
    report = context.report
    set_settings(context, **policies_on())
    expected = expected_policies(context)

    with report.step("preview (ambient, network policies on)"):
        preview = context.stack.preview()
    planned = [urn for urn, op in changes(preview).items() if urn_types(urn)[-1] == POLICY and op == "create"]
    foreign = [urn for urn in planned if OWNER not in urn_types(urn)]
    report.check("network policies: the preview plans no chart's own NetworkPolicy", not foreign, foreign)
    report.check(
        "network policies: the preview plans one per row of the flow table",
        len(planned) == len(expected),
        (len(planned), len(expected)),
    )

    with report.step("up (ambient, network policies on)"):
        context.stack.up()
    live = context.cluster.get("/apis/networking.k8s.io/v1/networkpolicies")["items"]
    in_cluster = {f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in live}
    report.check(
        "network policies: no NetworkPolicy in the cluster that the flow table does not account for",
        in_cluster <= expected,
        sorted(in_cluster - expected),
    )
    report.check(
        "network policies: every row of the flow table is in the cluster",
        expected <= in_cluster,
        sorted(expected - in_cluster),
    )
    owned = {policy_name(r) for r in context.stack.resources() if r["type"] == POLICY and OWNER in urn_types(r["urn"])}
    report.check(
        "network policies: each is the stack's own, none a chart's", owned == in_cluster, sorted(in_cluster ^ owned)
    )
    destroy_and_check(context, "network policies", stack_namespaces(context), kept_crds(context))


def policy_name(resource: dict[str, Any]) -> str:
    metadata = resource.get("outputs", {}).get("metadata", {})
    return f"{metadata.get('namespace')}/{metadata.get('name')}"


SCENARIOS = {"network-policies": network_policies}
