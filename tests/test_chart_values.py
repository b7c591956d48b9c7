"""Every value handed to a chart is a key read in that chart at the pinned version (tests/chart_keys.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import harness
from tests.chart_keys import VERIFIED_KEYS, unverified_paths
from tests.harness import shipped_stacks
from tests.test_mesh import EVERYTHING

VARIANTS: dict[str, dict[str, Any]] = {
    "tracing-off": {"mesh": {"tracing": {"enabled": False}}},
    "tcp-routes": {"gatewayApi": {"channel": "experimental", "tcpRoutes": True}},
    "ingress-annotated": {"ingress": {"annotations": {"x.example/y": "z"}, "serviceType": "ClusterIP"}},
    "production": {"profile": "production", "dashboards": {"kiali": {"auth": "token"}}},
    "sizing-overrides": {
        "sizing": {
            "istiod": {"memory": "256Mi"},
            "gateway": {"cpu": "50m", "minReplicas": 2},
            "sidecar": {"memoryLimit": "512Mi"},
        }
    },
    "cni-for-sidecars": {"mesh": {"injectedNamespaces": ["apps"], "cni": {"enabled": True}}},
    "ambient-k3d-waypoint-revision": {
        "istio": {"revisions": [{"name": "stable", "version": "1.31.4"}]},
        "mesh": {
            "dataplane": "ambient",
            "cni": {"platform": "k3d"},
            "injectedNamespaces": [{"name": "apps", "waypoint": True}],
        },
    },
    "tcp-route": {
        "gatewayApi": {"channel": "experimental", "tcpRoutes": True},
        "routes": [{"name": "db", "namespace": "apps", "kind": "tcp", "port": 5432, "listenerPort": 5432}],
    },
}
CONFIGS = {
    "everything": EVERYTHING,
    "gcp-ambient": {
        **harness.stack_config("gcp"),
        "mesh": {"dataplane": "ambient", "injectedNamespaces": [{"name": "apps", "waypoint": True}]},
    },
    "aws-access-key": {
        "cloud": "local",
        "aws": {"region": "eu-west-1", "identity": "access-key"},
        "dns": {"enabled": True, "domain": "mesh.example.com", "zone": {"id": "Z0EXAMPLE1234"}, "target": "34.120.1.2"},
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


# A typo or a foreign key at every depth the program writes, including under what used to be wildcards.
TYPOS = [
    ("gateway", "1.30.3", {"service": {"typ": "NodePort"}}, "service.typ"),
    ("gateway", "1.30.3", {"service": {"ports": [{"name": "tcp", "prot": 5432}]}}, "service.ports[].prot"),
    ("base", "1.30.3", {"google": {"project": "p"}}, "google.project"),
    ("cni", "1.30.3", {"cni": {"cniBinDIr": "/home/kubernetes/bin"}}, "cni.cniBinDIr"),
    ("cni", "1.30.3", {"global": {"plaform": "gke"}}, "global.plaform"),
    ("ztunnel", "1.30.3", {"podAnnotation": {"prometheus.io/port": "15020"}}, "podAnnotation.prometheus.io/port"),
    ("ztunnel", "1.30.3", {"resourcename": "ztunnel"}, "resourcename"),
    ("istiod", "1.30.3", {"pilot": {"cni": {"enabled": True}}}, "pilot.cni.enabled"),
    ("istiod", "1.30.3", {"trustedZtunnelNamespaces": "istio-system"}, "trustedZtunnelNamespaces"),
    ("istiod", "1.30.3", {"meshConfig": {"accessLogFIle": "/dev/stdout"}}, "meshConfig.accessLogFIle"),
    (
        "istiod",
        "1.30.3",
        {"meshConfig": {"extensionProviders": [{"name": "j", "zipkin": {"host": "j"}}]}},
        "meshConfig.extensionProviders[].zipkin.host",
    ),
    ("istiod", "1.30.3", {"env": {"PILOT_ENABLE_ALPHA_GATEWAY": "true"}}, "env.PILOT_ENABLE_ALPHA_GATEWAY"),
    ("external-dns", "1.21.1", {"extraArgs": {"google-projet": "p"}}, "extraArgs.google-projet"),
    ("external-dns", "1.21.1", {"env": [{"name": "A", "valueForm": {}}]}, "env[].valueForm"),
    (
        "grafana",
        "12.11.1",
        {"datasources": {"datasources.yaml": {"datasources": [{"isDefualt": True}]}}},
        "datasources.datasources.yaml.datasources[].isDefualt",
    ),
    (
        "grafana",
        "12.11.1",
        {"datasources": {"datasource.yaml": {"apiVersion": 1}}},
        "datasources.datasource.yaml.apiVersion",
    ),
    (
        "grafana",
        "12.11.1",
        {"dashboardProviders": {"dashboardproviders.yaml": {"providers": [{"option": {}}]}}},
        "dashboardProviders.dashboardproviders.yaml.providers[].option",
    ),
    (
        "grafana",
        "12.11.1",
        {"dashboardsConfigMap": {"istio-mesh": "grafana-istio-mesh"}},
        "dashboardsConfigMap.istio-mesh",
    ),
    (
        "grafana",
        "12.11.1",
        {"dashboardsConfigMaps": {"istio-mesh": {"name": "grafana-istio-mesh"}}},
        "dashboardsConfigMaps.istio-mesh.name",
    ),
    (
        "istiod",
        "1.30.3",
        {"topologySpreadConstraints": [{"maxSkew": 1, "whenUnsatisfable": "DoNotSchedule"}]},
        "topologySpreadConstraints[].whenUnsatisfable",
    ),
    ("grafana", "12.11.1", {"grafana.ini": {"server": {"rootUrl": "x"}}}, "grafana.ini.server.rootUrl"),
    ("prometheus", "29.27.0", {"server": {"resources": {"request": {"cpu": "1"}}}}, "server.resources.request.cpu"),
    (
        "kiali-server",
        "2.29.0",
        {"external_services": {"grafana": {"in_cluster_url": "x"}}},
        "external_services.grafana.in_cluster_url",
    ),
    (
        "kiali-server",
        "2.29.0",
        {"external_services": {"tracing": {"useGrpc": True}}},
        "external_services.tracing.useGrpc",
    ),
    (
        "kiali-server",
        "2.29.0",
        {"external_services": {"jaeger": {"enabled": True}}},
        "external_services.jaeger.enabled",
    ),
]


@pytest.mark.parametrize(("chart", "version", "values", "path"), TYPOS, ids=[case[3] for case in TYPOS])
def test_an_unverified_key_is_caught(chart, version, values, path):
    assert unverified_paths(chart, version, values) == [path]


def test_passthrough_maps_take_any_label():
    assert unverified_paths("gateway", "1.30.3", {"service": {"annotations": {"a.example/b": "c"}}}) == []
    assert unverified_paths("grafana", "12.11.1", {"podLabels": {"sidecar.istio.io/inject": "false"}}) == []
