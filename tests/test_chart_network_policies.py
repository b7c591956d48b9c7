"""No chart installs a NetworkPolicy of its own: the stack's flow table (stacks/network_policies.py) is the only
source of policies, because policies add up and one chart's wide rule voids every narrower one on its pods.

Mocks cannot render a chart, so each chart's NetworkPolicy templates were read at the pinned version and their
guards written below with the chart's defaults; the values the program passes must leave every guard off. The
e2e renders the charts for real and fails on any NetworkPolicy in the cluster that is not the stack's own
(e2e/network_policy_scenarios.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import harness

CHART = "kubernetes:helm.sh/v4:Chart"

# chart -> every NetworkPolicy template's guard: the value paths that must all be true for it to render, each with
# the chart's default (values.yaml at the pinned version). A chart without a NetworkPolicy template: no guard.
GUARDS: dict[str, list[tuple[tuple[str, Any], ...]]] = {
    # kiali/helm-charts v2.29.0 kiali-server templates/networkpolicy.yaml (and not remote_cluster_resources_only)
    "kiali-server": [(("deployment.network_policy.enabled", True),)],
    # prometheus-community/helm-charts prometheus-29.27.0: templates/network-policy.yaml; the subcharts'
    # templates/networkpolicy.yaml, each rendered only with the subchart on (pushgateway's guard is the map itself,
    # `{}` by default); alertmanager's subchart has none.
    "prometheus": [
        (("networkPolicy.enabled", False),),
        (("kube-state-metrics.enabled", True), ("kube-state-metrics.networkPolicy.enabled", False)),
        (("prometheus-node-exporter.enabled", True), ("prometheus-node-exporter.networkPolicy.enabled", False)),
        (("prometheus-pushgateway.enabled", True), ("prometheus-pushgateway.networkPolicy", {})),
    ],
    # grafana-community/helm-charts grafana-12.11.1: templates/networkpolicy.yaml, image-renderer-network-policy.yaml
    "grafana": [
        (("networkPolicy.enabled", False),),
        (("imageRenderer.enabled", False), ("imageRenderer.networkPolicy.limitIngress", True)),
        (("imageRenderer.enabled", False), ("imageRenderer.networkPolicy.limitEgress", False)),
    ],
    # istio/istio 1.30.3 manifests/charts/*/templates/networkpolicy.yaml: `(.Values.global.networkPolicy).enabled`
    "istiod": [(("global.networkPolicy.enabled", False),)],
    "gateway": [(("global.networkPolicy.enabled", False),)],
    "cni": [(("global.networkPolicy.enabled", False),)],
    "ztunnel": [(("global.networkPolicy.enabled", False),)],
    "base": [],
    # cert-manager v1.21.1 deploy/charts/cert-manager templates/networkpolicy-{cert-manager,webhooks,cainjector}.yaml
    "cert-manager": [
        (("networkPolicy.enabled", False),),
        (("webhook.networkPolicy.enabled", False),),
        (("cainjector.networkPolicy.enabled", False),),
    ],
    # jaegertracing/helm-charts jaeger-4.11.1 and external-dns-helm-chart-1.21.1: no NetworkPolicy template
    "jaeger": [],
    "external-dns": [],
}

MISSING = object()


def passed(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def rendered_policies(chart: str, values: dict[str, Any]) -> list[tuple[tuple[str, Any], ...]]:
    """The guards of `chart` that the values leave on: each a NetworkPolicy the chart would install."""
    on = []
    for guard in GUARDS[chart]:
        if all(default if (value := passed(values, path)) is MISSING else value for path, default in guard):
            on.append(guard)
    return on


def every_chart(run: harness.Run) -> list[tuple[str, dict[str, Any]]]:
    return [(chart.inputs["chart"], chart.inputs.get("values") or {}) for chart in run.of_type(CHART)]


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("dev", {"security": {"networkPolicies": True}}),
        ("dev", {"profile": "production"}),
        ("ambient", {"security": {"networkPolicies": True}}),
        ("gcp", {}),
        ("aws", {}),
    ],
)
def test_no_chart_installs_a_network_policy_of_its_own(shared_run, stack, overrides):
    run = shared_run(stack, **overrides)
    charts = every_chart(run)
    assert {"kiali-server", "prometheus", "grafana", "istiod", "gateway"} <= {chart for chart, _ in charts}
    for chart, values in charts:
        assert chart in GUARDS, f"{chart}: read its templates for NetworkPolicies, then add its guards here"
        assert rendered_policies(chart, values) == [], chart


def test_kiali_is_given_its_policy_off_because_the_chart_turns_it_on(shared_run):
    [(_, values)] = [(chart, values) for chart, values in every_chart(shared_run("dev")) if chart == "kiali-server"]
    assert values["deployment"]["network_policy"] == {"enabled": False}


@pytest.mark.parametrize(
    ("chart", "values", "rendered"),
    [
        ("kiali-server", {}, 1),  # the chart's default is on
        ("kiali-server", {"deployment": {"network_policy": {"enabled": False}}}, 0),
        ("prometheus", {"kube-state-metrics": {"networkPolicy": {"enabled": True}}}, 1),
        ("prometheus", {"kube-state-metrics": {"enabled": False, "networkPolicy": {"enabled": True}}}, 0),
        ("prometheus", {"prometheus-pushgateway": {"networkPolicy": {"allowAll": True}}}, 1),
        ("grafana", {"imageRenderer": {"enabled": True}}, 1),
        ("istiod", {"global": {"networkPolicy": {"enabled": True}}}, 1),
    ],
)
def test_a_guard_left_on_is_seen(chart, values, rendered):
    assert len(rendered_policies(chart, values)) == rendered
