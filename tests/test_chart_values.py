"""Every value handed to a chart is a key read in that chart at the pinned version (tests/chart_keys.py)."""

from __future__ import annotations

import pytest

from tests.chart_keys import VERIFIED_KEYS, unverified_paths
from tests.harness import shipped_stacks
from tests.test_mesh import EVERYTHING

VARIANTS = {
    "tracing-off": {"mesh": {"tracing": {"enabled": False}}},
    "tcp-routes": {"gatewayApi": {"channel": "experimental", "tcpRoutes": True}},
    "ingress-annotated": {"ingress": {"annotations": {"x.example/y": "z"}, "serviceType": "ClusterIP"}},
    "production": {"profile": "production", "dashboards": {"kiali": {"auth": "token"}}},
    "sizing-overrides": {
        "sizing": {"istiod": {"memory": "256Mi"}, "gateway": {"cpu": "50m", "minReplicas": 2}, "sidecar": {"memoryLimit": "512Mi"}}
    },
    "tcp-route": {
        "gatewayApi": {"channel": "experimental", "tcpRoutes": True},
        "routes": [{"name": "db", "namespace": "apps", "kind": "tcp", "port": 5432, "listenerPort": 5432}],
    },
}
CONFIGS = {
    "everything": EVERYTHING,
    "aws-access-key": {
        "cloud": "local",
        "aws": {"region": "eu-west-1", "identity": "access-key"},
        "dns": {"enabled": True, "domain": "mesh.example.com", "zone": {"id": "Z0EXAMPLE1234"}},
    },
}


def _check_every_chart(run):
    charts = run.charts()
    assert charts, "no charts registered"
    for chart, registration in charts.items():
        version = registration.inputs["version"]
        assert (chart, version) in VERIFIED_KEYS, f"{chart} {version}: keys never checked against this version"
        assert unverified_paths(chart, version, registration.inputs.get("values", {})) == [], chart


@pytest.mark.parametrize("stack", shipped_stacks())
def test_shipped_stacks_use_only_verified_keys(run_stack, stack):
    _check_every_chart(run_stack(stack))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variants_use_only_verified_keys(run_stack, variant):
    _check_every_chart(run_stack("dev", **VARIANTS[variant]))


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_configs_use_only_verified_keys(run_stack, config):
    _check_every_chart(run_stack(CONFIGS[config], secret_keys=("dashboards",)))


def test_an_unverified_key_is_caught():
    assert unverified_paths("gateway", "1.30.3", {"service": {"typ": "NodePort"}}) == ["service.typ"]
    assert unverified_paths("istiod", "1.30.3", {"meshConfig": {"x": 1}, "pilot": {"env": {}}}) == ["pilot.env"]
    assert unverified_paths("base", "1.30.3", {"google": {"project": "p"}}) == ["google.project"]
