"""The mesh's dashboards: Prometheus, Grafana with Istio's dashboards, Jaeger (Zipkin protocol), Kiali wired to
all three. Each chart's values are a function of the typed args, so the tests can read them key by key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.chart import child_opts, pinned_chart
from stacks import addresses, versions

NOT_INJECTED = {"sidecar.istio.io/inject": "false"}
GRAFANA_ADMIN_SECRET = "grafana-admin"
KIALI_SIGNING_SECRET = "kiali-signing-key"
KIALI_OPENID_SECRET = "kiali"  # Kiali reads the OpenID client secret from Secret `kiali`, key `oidc-secret`
PROMETHEUS_DATASOURCE = "Prometheus"  # the name Istio's dashboards refer to

# Requests and limits per profile. production also keeps Prometheus' data on a volume.
SIZING: dict[str, dict[str, dict[str, Any]]] = {
    "dev": {
        "prometheus": {"requests": {"cpu": "50m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
        "grafana": {"requests": {"cpu": "25m", "memory": "96Mi"}, "limits": {"memory": "256Mi"}},
        "jaeger": {"requests": {"cpu": "25m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        "kiali": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "512Mi"}},
    },
    "production": {
        "prometheus": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
        "grafana": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "jaeger": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
        "kiali": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}},
    },
}
PROMETHEUS_STORAGE = {"dev": None, "production": {"size": "50Gi", "retention": "15d", "retentionSize": "45GB"}}


@dataclass(frozen=True)
class KialiOpenIdArgs:
    issuer_uri: str
    client_id: str
    client_secret: pulumi.Input[str]


@dataclass(frozen=True)
class DashboardsArgs:
    namespace: pulumi.Input[str]
    profile: str
    prometheus: bool
    grafana: bool
    jaeger: bool
    kiali: bool
    kiali_auth: str
    kiali_openid: Optional[KialiOpenIdArgs] = None
    # Grafana's URL when exposed through the ingress; private dashboards are reached by port-forward.
    grafana_public_url: Optional[str] = None
    # Kiali reads Istio's config and needs istiod serving.
    kiali_waits_for: list[pulumi.Resource] = field(default_factory=list)


def prometheus_values(profile: str) -> dict[str, Any]:
    storage = PROMETHEUS_STORAGE[profile]
    server: dict[str, Any] = {
        "service": {"servicePort": addresses.PROMETHEUS_PORT},
        # Not injected: it scrapes each pod's merged metrics on 15020, which Istio serves outside mTLS,
        # through the chart's default `kubernetes-pods` job (prometheus.io/* annotations set by injection).
        "podLabels": NOT_INJECTED,
        "global": {"scrape_interval": "15s"},
        "resources": SIZING[profile]["prometheus"],
        "persistentVolume": {"enabled": storage is not None},
    }
    if storage is not None:
        server["persistentVolume"]["size"] = storage["size"]
        server["retention"] = storage["retention"]
        server["retentionSize"] = storage["retentionSize"]
    else:
        server["retention"] = "2d"
    return {
        "alertmanager": {"enabled": False},
        "prometheus-pushgateway": {"enabled": False},
        "kube-state-metrics": {"enabled": False},
        "prometheus-node-exporter": {"enabled": False},
        "server": server,
    }


def grafana_values(profile: str, root_url: Optional[str]) -> dict[str, Any]:
    ini: dict[str, Any] = {"auth.anonymous": {"enabled": False}}
    if root_url:
        ini["server"] = {"root_url": root_url}
    values: dict[str, Any] = {
        "service": {"port": addresses.GRAFANA_PORT},
        "podLabels": NOT_INJECTED,
        "testFramework": {"enabled": False},
        "rbac": {"create": False},
        # A stable admin password from a Secret this stack owns: an empty adminPassword makes the chart
        # generate a new one on every render.
        "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
        "grafana.ini": ini,
        "resources": SIZING[profile]["grafana"],
        "persistence": {"enabled": profile == "production"},
        "datasources": {
            "datasources.yaml": {
                "apiVersion": 1,
                "datasources": [
                    {
                        "name": PROMETHEUS_DATASOURCE,
                        "type": "prometheus",
                        "uid": "prometheus",
                        "url": addresses.prometheus().url,
                        "access": "proxy",
                        "isDefault": True,
                        "jsonData": {"timeInterval": "15s"},
                    }
                ],
            }
        },
        # The chart looks providers up under this literal key.
        "dashboardProviders": {
            "dashboardproviders.yaml": {
                "apiVersion": 1,
                "providers": [
                    {
                        "name": "istio",
                        "orgId": 1,
                        "folder": "Istio",
                        "type": "file",
                        "disableDeletion": False,
                        "options": {"path": "/var/lib/grafana/dashboards/istio"},
                    }
                ],
            }
        },
        # Downloaded from grafana.com by the chart's init container at pod start (needs egress): Istio's
        # published dashboards, not vendored JSON.
        "dashboards": {
            "istio": {
                name: {
                    "gnetId": gnet_id,
                    "revision": revision,
                    "datasource": [{"name": "DS_PROMETHEUS", "value": PROMETHEUS_DATASOURCE}],
                }
                for name, (gnet_id, revision) in versions.ISTIO_GRAFANA_DASHBOARDS.items()
            }
        },
    }
    if profile == "production":
        values["persistence"]["size"] = "10Gi"
        values["deploymentStrategy"] = {"type": "Recreate"}  # a ReadWriteOnce volume
    return values


def jaeger_values(profile: str) -> dict[str, Any]:
    # No userconfig: Jaeger v2's built-in all-in-one config (memory storage) receives OTLP and Zipkin on 9411.
    return {"jaeger": {"podLabels": NOT_INJECTED, "resources": SIZING[profile]["jaeger"]}}


KIALI_GRAFANA_DASHBOARDS = [
    {"name": "Istio Service Dashboard", "variables": {"namespace": "var-namespace", "service": "var-service"}},
    {"name": "Istio Workload Dashboard", "variables": {"namespace": "var-namespace", "workload": "var-workload"}},
    {"name": "Istio Mesh Dashboard"},
    {"name": "Istio Control Plane Dashboard"},
    {"name": "Istio Performance Dashboard"},
    {"name": "Istio Wasm Extension Dashboard"},
]


def browser_urls(args: DashboardsArgs) -> tuple[str, str]:
    """Grafana's and Jaeger's URLs as a browser reaches them, for Kiali's links."""
    grafana = args.grafana_public_url or f"http://localhost:{addresses.GRAFANA_PORT}"
    return grafana, f"http://localhost:{addresses.JAEGER_QUERY_HTTP_PORT}"


def kiali_values(args: DashboardsArgs) -> dict[str, Any]:
    grafana_url, jaeger_url = browser_urls(args)
    auth: dict[str, Any] = {"strategy": args.kiali_auth}
    if args.kiali_openid is not None:
        auth["openid"] = {"client_id": args.kiali_openid.client_id, "issuer_uri": args.kiali_openid.issuer_uri}
    values: dict[str, Any] = {
        "auth": auth,
        "deployment": {
            "instance_name": addresses.KIALI_INSTANCE,
            "pod_labels": NOT_INJECTED,
            "image_pull_policy": "IfNotPresent",
            "resources": SIZING[args.profile]["kiali"],
        },
        "external_services": {
            "prometheus": {"url": addresses.prometheus().url},
            "grafana": {"enabled": args.grafana},
            "tracing": {"enabled": args.jaeger},
        },
    }
    if args.kiali_auth != "anonymous":
        # A stable key from a Secret: an empty one is regenerated on every render and restarts Kiali.
        values["login_token"] = {"signing_key": f"secret:{KIALI_SIGNING_SECRET}:key"}
    if args.grafana:
        values["external_services"]["grafana"] = {
            "enabled": True,
            "internal_url": addresses.grafana().url,
            "external_url": grafana_url,
            "auth": {
                "type": "basic",
                "username": "admin",
                "password": f"secret:{GRAFANA_ADMIN_SECRET}:admin-password",
            },
            "dashboards": KIALI_GRAFANA_DASHBOARDS,
        }
    if args.jaeger:
        values["external_services"]["tracing"] = {
            "enabled": True,
            "provider": "jaeger",
            # Kiali queries Jaeger over gRPC at the host and port of internal_url.
            "use_grpc": True,
            "internal_url": addresses.jaeger_query_grpc().url,
            "external_url": jaeger_url,
        }
    return values


class Dashboards(pulumi.ComponentResource):
    charts: dict[str, k8s.helm.v4.Chart]

    def __init__(self, name: str, args: DashboardsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:observability:Dashboards", name, None, opts)
        self.charts = {}
        namespace = args.namespace
        if args.prometheus:
            self.charts["prometheus"] = pinned_chart(
                "prometheus", versions.PROMETHEUS, release=addresses.PROMETHEUS_RELEASE,
                namespace=namespace, values=prometheus_values(args.profile), opts=child_opts(self),
            )
        grafana_secret = None
        if args.grafana:
            grafana_secret = self._secret(
                GRAFANA_ADMIN_SECRET, namespace,
                {"admin-user": "admin", "admin-password": self._password("grafana-admin-password")},
            )
            self.charts["grafana"] = pinned_chart(
                "grafana", versions.GRAFANA, release=addresses.GRAFANA_RELEASE, namespace=namespace,
                values=grafana_values(args.profile, args.grafana_public_url),
                opts=child_opts(self, [grafana_secret]),
            )
        if args.jaeger:
            self.charts["jaeger"] = pinned_chart(
                "jaeger", versions.JAEGER, release=addresses.JAEGER_RELEASE,
                namespace=namespace, values=jaeger_values(args.profile), opts=child_opts(self),
            )
        if args.kiali:
            secrets: list[pulumi.Resource] = [grafana_secret] if grafana_secret else []
            if args.kiali_auth != "anonymous":
                secrets.append(
                    self._secret(KIALI_SIGNING_SECRET, namespace, {"key": self._password("kiali-signing-key")})
                )
            if args.kiali_openid is not None:
                secrets.append(
                    self._secret(KIALI_OPENID_SECRET, namespace, {"oidc-secret": args.kiali_openid.client_secret})
                )
            self.charts["kiali"] = pinned_chart(
                "kiali", versions.KIALI, release="kiali", namespace=namespace, values=kiali_values(args),
                opts=child_opts(self, [self.charts["prometheus"], *args.kiali_waits_for, *secrets]),
            )
        self.register_outputs({"charts": sorted(self.charts)})

    def _password(self, name: str) -> pulumi.Output[str]:
        # 32 characters: also a valid Kiali signing-key length (16, 24 or 32).
        return random.RandomPassword(name, length=32, special=False, opts=child_opts(self)).result

    def _secret(self, name: str, namespace: pulumi.Input[str], data: dict[str, pulumi.Input[str]]) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
            string_data={key: pulumi.Output.secret(value) for key, value in data.items()},
            opts=child_opts(self),
        )
