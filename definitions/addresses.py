"""Release names, and every in-cluster address derived from them.

Release names are API: a chart names its Services after its release, and other charts and the mesh config
point at those Services. They are chosen here, once; each Service name is derived here by the naming rule of
the chart that makes it (its _helpers.tpl at the pinned version), and the ports are the ones this project
sets in the charts' values or the charts' fixed ones.
"""

from __future__ import annotations

from dataclasses import dataclass

ISTIO_NAMESPACE = "istio-system"
# Istio's node agents (the CNI agent and ztunnel) run as root with host paths and NET_ADMIN/SYS_ADMIN, which only
# Pod Security `privileged` admits: in a namespace of their own, so that istiod and the dashboards in
# ISTIO_NAMESPACE stay `restricted` (stacks/pod_security.py). istiod trusts ztunnel here (trustedZtunnelNamespace).
NODE_AGENTS_NAMESPACE = "istio-node-agents"
# Istio's own name for the unrevisioned istiod (its webhooks carry istio.io/rev=default; base's defaultRevision
# "default" points at Service `istiod`): the revision of this name is installed without `revision`, as release
# `istiod`, so that stacks installed before revisions keep their control plane (components/istio.py).
UNREVISIONED = "default"
# The gateway chart names its Service and Deployment after the release, and labels its pods
# `istio: <release without "istio-">`, i.e. `istio: ingressgateway` as in Istio's own profiles.
INGRESS_RELEASE = "istio-ingressgateway"
INGRESS_HTTP_PORT = 80
INGRESS_HTTPS_PORT = 443
TRACING_PROVIDER = "jaeger"
# Istio's default meshConfig.trustDomain (istio/istio 1.30.3 pkg/config/mesh/mesh.go); this stack keeps it.
TRUST_DOMAIN = "cluster.local"

# external-dns names its ServiceAccount after the release (`external-dns`, as the release contains the chart
# name); it is also set explicitly, because the IRSA trust, the pod-identity association and the GKE
# Workload Identity member all name it.
EXTERNAL_DNS_RELEASE = "external-dns"
EXTERNAL_DNS_SERVICE_ACCOUNT = "external-dns"

# cert-manager in its own namespace, never injected. The chart names its ServiceAccount `<release>-cert-manager`
# unless the release contains "cert-manager" (deploy/charts/cert-manager/templates/_helpers.tpl at v1.21.1); it
# is pinned by `serviceAccount.name` too, because the cloud identity's trust names it.
CERT_MANAGER_NAMESPACE = "cert-manager"
CERT_MANAGER_RELEASE = "cert-manager"
CERT_MANAGER_SERVICE_ACCOUNT = "cert-manager"
# The two controllers that write DNS records, each with its own cloud identity trusting this service account.
DNS_CONTROLLER_SERVICE_ACCOUNTS = {
    "external-dns": EXTERNAL_DNS_SERVICE_ACCOUNT,
    "cert-manager": CERT_MANAGER_SERVICE_ACCOUNT,
}

# The dashboards live next to the control plane, as in the source chapter.
DASHBOARDS_NAMESPACE = ISTIO_NAMESPACE
PROMETHEUS_RELEASE = "prometheus"
PROMETHEUS_PORT = 9090  # server.service.servicePort (the chart's default is 80)
GRAFANA_RELEASE = "grafana"
GRAFANA_PORT = 3000  # service.port (the chart's default is 80)
JAEGER_RELEASE = "jaeger"
JAEGER_ZIPKIN_PORT = 9411  # fixed by the jaeger chart's Service
JAEGER_QUERY_HTTP_PORT = 16686
JAEGER_QUERY_GRPC_PORT = 16685
KIALI_INSTANCE = "kiali"  # deployment.instance_name: the Kiali chart ignores the release name
KIALI_PORT = 20001  # server.port
KIALI_WEB_ROOT = "/kiali"  # the chart's web_root on Kubernetes


@dataclass(frozen=True)
class ServiceAddress:
    service: str
    namespace: str
    port: int

    @property
    def host(self) -> str:
        return f"{self.service}.{self.namespace}.svc.cluster.local"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def helm_fullname(release: str, chart: str) -> str:
    """The common Helm rule (grafana, jaeger, external-dns): the release if it contains the chart's name."""
    return release if chart in release else f"{release}-{chart}"


def prometheus_server_service(release: str) -> str:
    """prometheus chart, `prometheus.server.fullname`: `<release>-server`, or `<release>-prometheus-server`."""
    return f"{helm_fullname(release, 'prometheus')}-server"


def prometheus() -> ServiceAddress:
    return ServiceAddress(prometheus_server_service(PROMETHEUS_RELEASE), DASHBOARDS_NAMESPACE, PROMETHEUS_PORT)


def grafana() -> ServiceAddress:
    return ServiceAddress(helm_fullname(GRAFANA_RELEASE, "grafana"), DASHBOARDS_NAMESPACE, GRAFANA_PORT)


def jaeger_zipkin() -> ServiceAddress:
    """Where the mesh sends spans, Zipkin protocol: the Jaeger the dashboards install."""
    return ServiceAddress(helm_fullname(JAEGER_RELEASE, "jaeger"), DASHBOARDS_NAMESPACE, JAEGER_ZIPKIN_PORT)


def jaeger_query_grpc() -> ServiceAddress:
    return ServiceAddress(helm_fullname(JAEGER_RELEASE, "jaeger"), DASHBOARDS_NAMESPACE, JAEGER_QUERY_GRPC_PORT)


def jaeger_query_ui() -> ServiceAddress:
    return ServiceAddress(helm_fullname(JAEGER_RELEASE, "jaeger"), DASHBOARDS_NAMESPACE, JAEGER_QUERY_HTTP_PORT)


def kiali() -> ServiceAddress:
    return ServiceAddress(KIALI_INSTANCE, DASHBOARDS_NAMESPACE, KIALI_PORT)


def ingress_gateway(namespace: str) -> ServiceAddress:
    """The ingress gateway's in-cluster Service (named after the release), its HTTP port."""
    return ServiceAddress(INGRESS_RELEASE, namespace, INGRESS_HTTP_PORT)


def spiffe_id(namespace: str, service_account: str, trust_domain: str = TRUST_DOMAIN) -> str:
    return f"spiffe://{trust_domain}/ns/{namespace}/sa/{service_account}"
