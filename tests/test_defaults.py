"""Every default the settings table (docs/settings.md) documents, pinned against the parsed settings of an empty config
(and of each cloud where the default differs), then against what the program makes of them.

The shipped stacks set several of these explicitly (dev sets mesh.tracing.sampling to 100), which would
hide a changed default: these tests read `load_settings` with nothing set."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from settings import dataplane
from settings.loader import load_settings

LOCAL = load_settings({})
# tls.email: acme is the default on gcp and aws, and Let's Encrypt needs an account e-mail (no default).
GCP = load_settings(
    {
        "cloud": "gcp",
        "gcp": {"project": "gke-project"},
        "dns": {"domain": "mesh.example.com", "zone": {"name": "example-com"}},
        "tls": {"email": "ops@example.com"},
    }
)
AWS = load_settings(
    {
        "cloud": "aws",
        "aws": {"region": "eu-west-1", "clusterName": "mesh"},
        "dns": {"domain": "mesh.example.com", "zone": {"name": "example.com"}},
        "tls": {"email": "ops@example.com"},
    }
)


def setting(settings: BaseModel, path: str) -> Any:
    """The parsed value at a documented key (camelCase, dotted)."""
    value: Any = settings
    for part in path.split("."):
        name = next(n for n, f in type(value).model_fields.items() if (f.alias or n) == part)
        value = getattr(value, name)
    return value


# docs/settings.md: key -> default, for an empty config (cloud local); the cloud-dependent ones are below.
SETTINGS_TABLE: list[tuple[str, Any]] = [
    ("cloud", "local"),
    ("profile", "dev"),
    *[
        (f"sizing.{container}.{key}", None)
        for container in ("istiod", "gateway", "sidecar")
        for key in ("cpu", "memory", "memoryLimit")
    ],
    ("sizing.gateway.minReplicas", None),
    ("sizing.gateway.maxReplicas", None),
    ("kubernetes.context", None),
    ("kubernetes.kubeconfig", None),
    ("istio.version", "1.31.4"),
    ("istio.revisions", None),
    ("istio.defaultRevision", "default"),
    ("istio.accessLogs", True),
    ("ingress.namespace", "istio-ingress"),
    ("ingress.annotations", {}),
    ("gatewayApi.version", "v1.6.1"),
    ("gatewayApi.channel", "standard"),
    ("gatewayApi.install", True),
    ("gatewayApi.retainOnDelete", True),
    ("gatewayApi.tcpRoutes", False),
    ("mesh.mtls", "STRICT"),
    ("mesh.tracing.enabled", True),
    ("mesh.tracing.sampling", 1.0),
    ("mesh.tracing.zipkinAddress", None),
    ("mesh.injectedNamespaces", ()),
    ("mesh.dataplane", "sidecar"),
    ("mesh.cni.enabled", False),
    ("dns.domain", None),
    ("dns.zone.name", None),
    ("dns.zone.id", None),
    ("dns.zone.create", False),
    ("dns.policy", "upsert-only"),
    (
        "dns.sources",
        ("service", "ingress", "istio-gateway", "istio-virtualservice", "gateway-httproute", "gateway-grpcroute"),
    ),
    ("dns.txtOwnerId", None),
    ("dns.namespace", "external-dns"),
    ("dashboards.prometheus.enabled", True),
    ("dashboards.grafana.enabled", True),
    ("dashboards.jaeger.enabled", True),
    ("dashboards.kiali.enabled", True),
    ("dashboards.kiali.auth", "token"),
    ("dashboards.kiali.openid", None),
    ("dashboards.expose.enabled", False),
    ("dashboards.expose.kialiHost", None),
    ("dashboards.expose.grafanaHost", None),
    ("gateway.name", "mesh-gateway"),
    ("gateway.tlsSecret", None),
    ("routes", ()),
    ("demo.enabled", False),
    ("demo.namespace", "demo"),
    ("verify.enabled", False),  # nothing published in an empty config
    ("verify.runId", ""),
    ("verify.deadlineSeconds", 420),
    ("verify.readyWaitSeconds", 60),
    ("verify.traceWaitSeconds", 60),
    ("verify.metricsWaitSeconds", 120),
    ("gcp", None),
    ("aws", None),
    ("tls.mode", "off"),  # no dns.domain: no Gateway to certify
    ("tls.email", None),
    ("tls.server", "production"),
    ("tls.secret", None),
    ("security.networkPolicies", False),  # profile dev
    ("security.podSecurity", "warn"),  # profile dev: warn and audit
]


# Keys whose documented default is resolved by the settings rather than stored in the field.
RESOLVED = {
    "istio.version": lambda s: s.istio.version,
    "istio.defaultRevision": lambda s: s.istio.default,
    "ingress.serviceType": lambda s: s.ingress_service_type,
    "dns.enabled": lambda s: s.dns_enabled,
    "gcp.dnsProject": lambda s: s.gcp.zone_project,
    "tls.mode": lambda s: s.tls_mode,
    "verify.enabled": lambda s: s.verify_enabled,
    "mesh.cni.enabled": lambda s: dataplane.cni_installed(s),
    "mesh.cni.platform": lambda s: dataplane.platform(s),
    "security.networkPolicies": lambda s: s.network_policies,
    "security.podSecurity": lambda s: s.pod_security_mode,
}


def resolved(settings: BaseModel, path: str) -> Any:
    return RESOLVED[path](settings) if path in RESOLVED else setting(settings, path)


@pytest.mark.parametrize(("path", "default"), SETTINGS_TABLE, ids=[row[0] for row in SETTINGS_TABLE])
def test_documented_default(path, default):
    value = resolved(LOCAL, path)
    assert value == default and type(value) is type(default), (path, value)


# Defaults that depend on the cloud: (cloud settings, documented key, default there).
PER_CLOUD = [
    (LOCAL, "ingress.serviceType", "NodePort"),
    (GCP, "ingress.serviceType", "LoadBalancer"),
    (AWS, "ingress.serviceType", "LoadBalancer"),
    (LOCAL, "dns.enabled", False),
    (GCP, "dns.enabled", True),
    (AWS, "dns.enabled", True),
    (GCP, "gcp.dnsProject", "gke-project"),
    (GCP, "gcp.identity", "workload-identity"),
    (GCP, "gcp.zoneVisibility", "public"),
    (AWS, "aws.oidcIssuerUrl", None),
    (AWS, "aws.identity", "irsa"),
    (AWS, "aws.zoneType", "public"),
    (GCP, "tls.mode", "acme"),
    (AWS, "tls.mode", "acme"),
    (load_settings({"dns": {"domain": "mesh.localhost"}}), "tls.mode", "ca"),
    # docs/ambient.md: Istio's global.platform, none (kind: the charts' defaults) on local, derived on clouds
    (LOCAL, "mesh.cni.platform", None),
    (GCP, "mesh.cni.platform", "gke"),
    (AWS, "mesh.cni.platform", None),
    (GCP, "mesh.cni.enabled", False),
    (load_settings({"profile": "production"}), "mesh.cni.enabled", True),
    (load_settings({"profile": "production"}), "security.networkPolicies", True),
    (load_settings({"profile": "production"}), "security.podSecurity", "enforce"),
    (load_settings({"mesh": {"dataplane": "ambient"}}), "mesh.cni.enabled", True),
]


@pytest.mark.parametrize(
    ("settings", "path", "default"), PER_CLOUD, ids=[f"{row[0].cloud}:{row[1]}" for row in PER_CLOUD]
)
def test_documented_default_per_cloud(settings, path, default):
    assert resolved(settings, path) == default


# docs/routes.md: the defaults of one route given only its name and namespace.
ROUTE = load_settings(
    {
        "dns": {"domain": "mesh.example.com"},
        "mesh": {"injectedNamespaces": ["shop"]},
        "routes": [{"name": "shop", "namespace": "shop"}],
    }
)


def test_route_defaults():
    [route] = ROUTE.routes
    assert (route.kind, route.port, route.timeout, route.retries, route.listener_port, route.destination) == (
        "http",
        80,
        None,
        None,
        None,
        None,
    )
    assert (route.service_name, route.path, ROUTE.hostname(route)) == ("shop", "/", "shop.mesh.example.com")


def test_verification_is_on_by_default_once_something_is_published():
    """docs/settings.md: `verify.enabled` is true when the demo or a route is published."""
    demo = load_settings({"dns": {"domain": "mesh.localhost"}, "demo": {"enabled": True}})
    assert (ROUTE.verify_enabled, demo.verify_enabled, LOCAL.verify_enabled) == (True, True, False)


def test_destination_defaults():
    """docs/routes.md: `consecutive5xxErrors` (5), `interval` (10s), `baseEjectionTime` (30s),
    `maxEjectionPercent` (50)."""
    settings = load_settings(
        {
            "dns": {"domain": "mesh.example.com"},
            "mesh": {"injectedNamespaces": ["shop"]},
            "routes": [
                {"name": "shop", "namespace": "shop", "destination": {"outlierDetection": {}, "connectionPool": {}}}
            ],
        }
    )
    destination = settings.routes[0].destination
    assert destination is not None
    outlier = destination.outlier_detection
    assert outlier is not None
    assert (
        outlier.consecutive5xx_errors,
        outlier.interval,
        outlier.base_ejection_time,
        outlier.max_ejection_percent,
    ) == (5, "10s", "30s", 50)
    pool = destination.connection_pool
    assert pool is not None
    assert (pool.max_connections, pool.http1_max_pending_requests, pool.max_requests_per_connection) == (
        None,
        None,
        None,
    )


def test_defaults_reach_the_cluster(run_stack):
    """What an empty config installs: the Jaeger collector as Zipkin address, 1 % sampling, STRICT mTLS, access logs,
    the standard v1.6.1 bundle kept on destroy, a NodePort ingress in istio-ingress."""
    run = run_stack({})
    mesh_config = run.chart("istiod").inputs["values"]["meshConfig"]
    assert mesh_config == {
        "accessLogFile": "/dev/stdout",
        "extensionProviders": [
            {"name": "jaeger", "zipkin": {"service": "jaeger.istio-system.svc.cluster.local", "port": 9411}}
        ],
    }
    telemetry = run.one("kubernetes:telemetry.istio.io/v1:Telemetry").inputs["spec"]
    assert telemetry["tracing"] == [{"providers": [{"name": "jaeger"}], "randomSamplingPercentage": 1.0}]
    peer = run.one("kubernetes:security.istio.io/v1:PeerAuthentication").inputs
    assert (peer["metadata"]["name"], peer["metadata"]["namespace"], peer["spec"]) == (
        "default",
        "istio-system",
        {"mtls": {"mode": "STRICT"}},
    )
    bundle = run.one("kubernetes:yaml/v2:ConfigFile")
    assert (
        bundle.inputs["file"]
        == "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml"
    )
    assert bundle.retain_on_delete
    gateway = run.chart("gateway").inputs
    assert (gateway["namespace"], gateway["values"]["service"]["type"]) == ("istio-ingress", "NodePort")
    assert run.outputs["injectedNamespaces"] == []
