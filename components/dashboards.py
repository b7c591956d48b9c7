"""The mesh's dashboards: Prometheus, Grafana with Istio's dashboards, Jaeger (Zipkin protocol), Kiali wired to
all three. Each chart's values are a function of the typed args, so the tests can read them key by key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.chart import LOCKED_DOWN_CONTAINER, RUNTIME_DEFAULT_SECCOMP, child_opts, pinned_chart, prefixed
from definitions import addresses, versions
from definitions.mirror import ChartMirror
from definitions.sizing import Sizing

NOT_INJECTED = {"sidecar.istio.io/inject": "false"}
GRAFANA_ADMIN_SECRET = "grafana-admin"
KIALI_SIGNING_SECRET = "kiali-signing-key"
KIALI_OPENID_SECRET = "kiali"  # Kiali reads the OpenID client secret from Secret `kiali`, key `oidc-secret`
PROMETHEUS_DATASOURCE = "Prometheus"  # the name Istio's dashboards refer to

# Prometheus' data on a volume when the profile keeps data; without one it keeps two days.
PROMETHEUS_STORAGE = {"size": "50Gi", "retention": "15d", "retentionSize": "45GB"}
# Where the grafana chart mounts `dashboardsConfigMaps.<provider>` (templates/_pod.tpl at grafana-12.11.1).
GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards"


@dataclass(frozen=True)
class IstioDashboard:
    name: str  # e.g. istio-mesh-dashboard: the Grafana provider, the file and the ConfigMap's suffix
    title: str
    json: str  # compact


@dataclass(frozen=True)
class KialiOpenIdArgs:
    issuer_uri: str
    client_id: str
    client_secret: pulumi.Input[str]


@dataclass(frozen=True)
class DashboardsArgs:
    namespace: pulumi.Input[str]
    sizing: Sizing
    # Istio's dashboards for the installed version, delivered as ConfigMaps (stacks/istio_dashboards.py).
    istio_dashboards: tuple[IstioDashboard, ...]
    prometheus: bool
    grafana: bool
    jaeger: bool
    kiali: bool
    kiali_auth: str
    kiali_openid: KialiOpenIdArgs | None = None
    # Grafana's URL when exposed through the ingress; private dashboards are reached by port-forward.
    grafana_public_url: str | None = None
    # Kiali reads Istio's config and needs istiod serving.
    kiali_waits_for: list[pulumi.Resource] = field(default_factory=list)
    # Charts and images from this mirror instead of their public homes (stacks/mirror.py).
    mirror: ChartMirror | None = None
    # In a mesh across clusters, the cluster's name: it prefixes every child's resource name.
    resource_prefix: str | None = None


def prometheus_values(sizing: Sizing) -> dict[str, Any]:
    storage = PROMETHEUS_STORAGE if sizing.highly_available else None
    server: dict[str, Any] = {
        "service": {"servicePort": addresses.PROMETHEUS_PORT},
        # Not injected: it scrapes each pod's merged metrics on 15020, which Istio serves outside mTLS,
        # through the chart's default `kubernetes-pods` job (prometheus.io/* annotations set by injection).
        "podLabels": NOT_INJECTED,
        "global": {"scrape_interval": "15s"},
        "resources": sizing.prometheus.values(),
        "persistentVolume": {"enabled": storage is not None},
        # Merged over the chart's pod context (values.yaml: runAsUser/runAsGroup/fsGroup 65534, runAsNonRoot);
        # the container's is empty by default. Prometheus writes only its TSDB, on the storage volume (an
        # emptyDir without persistence, templates/deploy.yaml), so the root filesystem can be read-only.
        "securityContext": {"seccompProfile": RUNTIME_DEFAULT_SECCOMP},
        "containerSecurityContext": LOCKED_DOWN_CONTAINER,
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
        # The server pod's second container (templates/deploy.yaml); the chart gives it no resources.
        # It only reads the mounted config and calls the server's reload endpoint.
        "configmapReload": {
            "prometheus": {
                "resources": sizing.prometheus_reloader.values(),
                "containerSecurityContext": LOCKED_DOWN_CONTAINER,
            }
        },
        "server": server,
    }


def dashboard_config_map(dashboard: IstioDashboard) -> str:
    return f"grafana-{dashboard.name}"


def grafana_values(sizing: Sizing, root_url: str | None, dashboards: tuple[IstioDashboard, ...]) -> dict[str, Any]:
    ini: dict[str, Any] = {"auth.anonymous": {"enabled": False}}
    if root_url:
        ini["server"] = {"root_url": root_url}
    persistent = sizing.highly_available
    values: dict[str, Any] = {
        "service": {"port": addresses.GRAFANA_PORT},
        "podLabels": NOT_INJECTED,
        "testFramework": {"enabled": False},
        "rbac": {"create": False},
        # A stable admin password from a Secret this stack owns: an empty adminPassword makes the chart
        # generate a new one on every render.
        "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
        "grafana.ini": ini,
        "resources": sizing.grafana.values(),
        "persistence": {"enabled": persistent},
        # The chart's container context (values.yaml: no escalation, ALL dropped, RuntimeDefault) gets a
        # read-only root filesystem; Grafana writes to /var/lib/grafana (the storage volume, an emptyDir without
        # persistence) and /var/lib/grafana-search (an emptyDir), both mounted by templates/_pod.tpl, and to
        # these two, emptyDirs here (paths.logs in the chart's grafana.ini, and temporary files).
        "containerSecurityContext": {"readOnlyRootFilesystem": True},
        "extraEmptyDirMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "logs", "mountPath": "/var/log/grafana"},
        ],
        # The chart's init-chown-data runs as root with CHOWN and DAC_OVERRIDE (values.yaml
        # initChownData.securityContext), which Pod Security restricted refuses; the pod's fsGroup 472 (the
        # chart's securityContext) already makes the volume Grafana's.
        "initChownData": {"enabled": False},
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
        # One file provider per dashboard, reading the directory its ConfigMap is mounted at. Istio's
        # dashboards pick their datasource through a `datasource` variable (the default one: Prometheus).
        # The chart looks providers up under this literal key.
        "dashboardProviders": {
            "dashboardproviders.yaml": {
                "apiVersion": 1,
                "providers": [
                    {
                        "name": dashboard.name,
                        "orgId": 1,
                        "folder": "Istio",
                        "type": "file",
                        "disableDeletion": False,
                        "options": {"path": f"{GRAFANA_DASHBOARDS_DIR}/{dashboard.name}"},
                    }
                    for dashboard in dashboards
                ],
            }
        },
        # provider -> ConfigMap this stack creates, mounted at <dir>/<provider> (no download at pod start, so
        # no `dashboards` value and no download-dashboards init container).
        "dashboardsConfigMaps": {dashboard.name: dashboard_config_map(dashboard) for dashboard in dashboards},
    }
    if persistent:
        values["persistence"]["size"] = "10Gi"
        # The chart's default lookupVolumeName: true (grafana-12.11.1 values.yaml, templates/pvc.yaml) renders the
        # bound claim's spec.volumeName once the claim exists, an immutable field the first render did not set: the
        # second `up` would replace the claim (and lose Grafana's data). The binder owns volumeName.
        values["persistence"]["lookupVolumeName"] = False
        # A ReadWriteOnce volume: the old pod goes before the new one starts. Not `Recreate`: the chart's default
        # (grafana-12.11.1 values.yaml) is RollingUpdate, whose `rollingUpdate` the API server fills in, and a
        # Deployment that keeps it is refused as `Recreate` ("may not be specified when strategy type is
        # 'Recreate'"), so a live dev stack could not move to production. Found by the e2e on the real chart.
        values["deploymentStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    return values


def jaeger_values(sizing: Sizing) -> dict[str, Any]:
    # No userconfig: Jaeger v2's built-in all-in-one config (memory storage) receives OTLP and Zipkin on 9411.
    return {
        "jaeger": {
            "podLabels": NOT_INJECTED,
            "resources": sizing.jaeger.values(),
            # Merged over the chart's pod context (values.yaml jaeger.podSecurityContext: runAsUser, runAsGroup and
            # fsGroup 10001), which Pod Security restricted finds short of these two.
            "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": RUNTIME_DEFAULT_SECCOMP},
            # The chart's container context is empty (values.yaml jaeger.securityContext: {}).
            "securityContext": LOCKED_DOWN_CONTAINER,
            # Memory storage writes no file; /tmp stays writable for the Go runtime's temporary files.
            "extraVolumes": [{"name": "tmp", "emptyDir": {}}],
            "extraVolumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
    }


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
            # The chart's default, stated: Kiali reads every namespace, the node agents' among them, where it
            # detects ambient from ztunnel's DaemonSet (kiali/kiali v2.29.0 cache/cache.go IsAmbientEnabled lists
            # DaemonSets labelled app.kubernetes.io/name=ztunnel in the namespaces it can read).
            "cluster_wide_access": True,
            "pod_labels": NOT_INJECTED,
            # On by default in kiali-server 2.29.0 (values.yaml; templates/networkpolicy.yaml admits server.port and
            # the metrics port from anywhere): policies add up, so it would void the stack's own, narrower rules.
            "network_policy": {"enabled": False},
            "image_pull_policy": "IfNotPresent",
            "resources": args.sizing.kiali.values(),
        },
        "external_services": {
            "prometheus": {"url": addresses.prometheus().url},
            "grafana": {"enabled": args.grafana},
            "tracing": {"enabled": args.jaeger},
        },
    }
    # A stable key from a Secret, under every strategy, anonymous too: kiali-server v2.29.0 templates/configmap.yaml
    # writes login_token.signing_key into the ConfigMap unconditionally, randAlphaNum 32 when empty (_helpers.tpl),
    # and the Deployment's checksum/config follows it, so an empty key replaces the ConfigMap and restarts Kiali on
    # every `up`.
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
        self.prefix = args.resource_prefix
        namespace = args.namespace
        if args.prometheus:
            self.charts["prometheus"] = pinned_chart(
                prefixed(self.prefix, "prometheus"),
                versions.PROMETHEUS,
                release=addresses.PROMETHEUS_RELEASE,
                namespace=namespace,
                values=prometheus_values(args.sizing),
                opts=child_opts(self),
                mirror=args.mirror,
            )
        grafana_secret = None
        if args.grafana:
            grafana_secret = self._secret(
                GRAFANA_ADMIN_SECRET,
                namespace,
                {"admin-user": "admin", "admin-password": self._password("grafana-admin-password")},
            )
            config_maps = [self._dashboard(dashboard, namespace) for dashboard in args.istio_dashboards]
            self.charts["grafana"] = pinned_chart(
                prefixed(self.prefix, "grafana"),
                versions.GRAFANA,
                release=addresses.GRAFANA_RELEASE,
                namespace=namespace,
                values=grafana_values(args.sizing, args.grafana_public_url, args.istio_dashboards),
                opts=child_opts(self, [grafana_secret, *config_maps]),
                mirror=args.mirror,
            )
        if args.jaeger:
            self.charts["jaeger"] = pinned_chart(
                prefixed(self.prefix, "jaeger"),
                versions.JAEGER,
                release=addresses.JAEGER_RELEASE,
                namespace=namespace,
                values=jaeger_values(args.sizing),
                opts=child_opts(self),
                mirror=args.mirror,
            )
        if args.kiali:
            secrets: list[pulumi.Resource] = [grafana_secret] if grafana_secret else []
            secrets.append(self._secret(KIALI_SIGNING_SECRET, namespace, {"key": self._password("kiali-signing-key")}))
            if args.kiali_openid is not None:
                secrets.append(
                    self._secret(KIALI_OPENID_SECRET, namespace, {"oidc-secret": args.kiali_openid.client_secret})
                )
            self.charts["kiali"] = pinned_chart(
                prefixed(self.prefix, "kiali"),
                versions.KIALI,
                release="kiali",
                namespace=namespace,
                values=kiali_values(args),
                opts=child_opts(self, [self.charts["prometheus"], *args.kiali_waits_for, *secrets]),
                mirror=args.mirror,
            )
        self.register_outputs({"charts": sorted(self.charts)})

    def _dashboard(self, dashboard: IstioDashboard, namespace: pulumi.Input[str]) -> k8s.core.v1.ConfigMap:
        name = dashboard_config_map(dashboard)
        return k8s.core.v1.ConfigMap(
            prefixed(self.prefix, name),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
            data={f"{dashboard.name}.json": dashboard.json},
            opts=child_opts(self),
        )

    def _password(self, name: str) -> pulumi.Output[str]:
        # 32 characters: also a valid Kiali signing-key length (16, 24 or 32).
        return random.RandomPassword(
            prefixed(self.prefix, name), length=32, special=False, opts=child_opts(self)
        ).result

    def _secret(
        self, name: str, namespace: pulumi.Input[str], data: dict[str, pulumi.Input[str]]
    ) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            prefixed(self.prefix, name),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
            string_data={key: pulumi.Output.secret(value) for key, value in data.items()},
            opts=child_opts(self),
        )
