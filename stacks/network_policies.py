"""The flows the stack needs, as one table: every inbound connection to a pod in a namespace the stack owns is
refused unless a row here allows it (components/network_policies.py renders the rows as NetworkPolicies).

On with the `production` profile, a setting otherwise (security.networkPolicies). Application namespaces
(mesh.injectedNamespaces) hold your servers, whose callers the stack cannot know: no policy there. The demo's
namespace is the stack's and gets its rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.chart import prefixed
from components.east_west_gateway import CROSS_NETWORK_PORT
from components.east_west_gateway import RELEASE as EAST_WEST_RELEASE
from components.ingress_gateway import gateway_pod_labels
from components.mesh_policy import WAYPOINT_NAME
from components.network_policies import Flow, NetworkPolicies, NetworkPoliciesArgs, Peer
from components.verification import APP_LABELS as VERIFICATION
from definitions import addresses, versions
from settings import dataplane
from settings.model import Settings
from settings.routes import DEMO_SERVICE
from stacks import verification
from stacks.mesh import Mesh, tcp_listeners
from stacks.observability import exposed_hosts

# Pod labels, each read in its chart's templates at the pinned version.
ISTIOD = {"app": "istiod"}  # istio-discovery templates/deployment.yaml, on every revision's pods
GATEWAY = gateway_pod_labels(addresses.INGRESS_RELEASE)  # gateway templates/_helpers.tpl gateway.selectorLabels
EAST_WEST = gateway_pod_labels(EAST_WEST_RELEASE)  # the same chart, the east-west gateway's release
# prometheus templates/_helpers.tpl prometheus.server.matchLabels (server.name `server`, chart name prometheus)
PROMETHEUS = {
    "app.kubernetes.io/name": "prometheus",
    "app.kubernetes.io/instance": addresses.PROMETHEUS_RELEASE,
    "app.kubernetes.io/component": "server",
}
GRAFANA = {
    "app.kubernetes.io/name": "grafana",
    "app.kubernetes.io/instance": addresses.GRAFANA_RELEASE,
}  # selectorLabels
# jaeger templates/jaeger/jaeger-deploy.yaml: jaeger.selectorLabels and the component
JAEGER = {
    "app.kubernetes.io/name": "jaeger",
    "app.kubernetes.io/instance": addresses.JAEGER_RELEASE,
    "app.kubernetes.io/component": "all-in-one",
}
# kiali-server templates/_helpers.tpl kiali-server.selectorLabels (instance: deployment.instance_name)
KIALI = {"app.kubernetes.io/name": "kiali", "app.kubernetes.io/instance": addresses.KIALI_INSTANCE}
# cert-manager templates/webhook-deployment.yaml (webhook.name is always `webhook`)
CERT_MANAGER_WEBHOOK = {
    "app.kubernetes.io/name": "webhook",
    "app.kubernetes.io/instance": addresses.CERT_MANAGER_RELEASE,
    "app.kubernetes.io/component": "webhook",
}
DEMO = {"app": DEMO_SERVICE}  # components/demo.py

# Ports where the servers listen: container ports, read in each chart's pod template at the pinned version (a
# NetworkPolicy sees the pod's port, never the Service's, which several charts map elsewhere).
ISTIOD_XDS = 15012  # istiod: TLS xDS and certificates, the one port proxies, gateways and ztunnel dial (15010, plain
# text, is also a containerPort of templates/deployment.yaml, but nothing in the stack dials it: not opened)
ISTIOD_WEBHOOK = 15017  # istiod: injection and validation (Service port 443 -> 15017)
# istiod: metrics and debug endpoints. Kiali reads them through a pod port-forward over the API server (kiali/kiali
# ForwardGetRequest on istiod_pod_monitoring_port), which is not a network flow: only Prometheus is let in.
ISTIOD_MONITORING = 15014
MERGED_METRICS = 15020  # every injected pod's prometheus.io/port: the agent's merged metrics
GATEWAY_STATUS = 15021  # the gateway's readiness endpoint, the load balancers' health check
PROMETHEUS_CONTAINER_PORT = 9090  # prometheus templates/_helpers.tpl prometheus.port (fixed), deploy.yaml
GRAFANA_CONTAINER_PORT = 3000  # grafana values.yaml service.targetPort, templates/_pod.tpl containerPort
KIALI_CONTAINER_PORT = 20001  # kiali-server templates/deployment.yaml containerPort `server.port | default 20001`
KIALI_METRICS = 9090  # kiali-server values.yaml server.observability.metrics.port (prometheus.io/port)
# jaeger templates/jaeger/jaeger-deploy.yaml containerPorts: Zipkin, query HTTP, query gRPC
JAEGER_ZIPKIN_CONTAINER_PORT = 9411
JAEGER_QUERY_HTTP_CONTAINER_PORT = 16686
JAEGER_QUERY_GRPC_CONTAINER_PORT = 16685
JAEGER_METRICS = 8888  # jaeger-deploy.yaml prometheus.io/port
CERT_MANAGER_METRICS = 9402  # prometheus.io/port of cert-manager's controller, webhook and cainjector pods
CERT_MANAGER_WEBHOOK_PORT = 10250  # cert-manager values.yaml webhook.securePort

# Ambient (istio/istio 1.30.3): HBONE, the mTLS tunnel ztunnel and the gateway open to an ambient pod; the
# addresses the CNI agent gives the kubelet's probes of ambient pods (cni/pkg/nodeagent/options.go
# DefaultHostProbeSNATIP and DefaultHostProbeSNATIPV6: one per IP family, so dual-stack and IPv6 clusters too).
HBONE = 15008
AMBIENT_PROBES = (
    Peer(namespace=None, cidr="169.254.7.127/32"),
    Peer(namespace=None, cidr="fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128"),
)
ZTUNNEL = {"app": "ztunnel"}  # ztunnel templates/daemonset.yaml; prometheus.io/port 15020 (values.yaml podAnnotations)
# istio-cni templates/daemonset.yaml: the agent's pods, annotated prometheus.io/scrape with prometheus.io/port 15014
# (its metrics port); they share the node's network only with ambient.shareHostNetworkNamespace, off by default.
CNI_AGENT = {"k8s-app": "istio-cni-node"}
CNI_METRICS = 15014
# A namespace's waypoint pods (istiod files/waypoint.yaml: labelled gateway.networking.k8s.io/gateway-name with the
# Gateway's name, annotated prometheus.io/port 15020; Envoy serves the Gateway's HBONE listener on 15008). Their
# readiness port 15021 is probed by the kubelet from the pod's node, always allowed (components/network_policies.py).
WAYPOINT = {"gateway.networking.k8s.io/gateway-name": WAYPOINT_NAME}

EVERY_POD = Peer(namespace=None)


def _allow(
    name: str, namespace: str, pods: dict[str, str], ports: Sequence[int], why: str, *sources: Peer | None
) -> list[Flow]:
    """A flow from the sources that are installed; none left: no flow."""
    peers = tuple(source for source in sources if source is not None)
    return [Flow(name, namespace, pods, tuple(ports), peers, why)] if peers else []


def _from_anywhere(name: str, namespace: str, pods: dict[str, str], ports: Sequence[int], why: str) -> Flow:
    return Flow(name, namespace, pods, tuple(ports), (), why)


def flows(settings: Settings, east_west: bool = False) -> list[Flow]:
    """Every flow the stack needs, for what this stack installs; `east_west`: this cluster of a mesh across
    networks runs an east-west gateway, through which the other networks' proxies reach its pods."""
    dashboards = settings.dashboards
    system, ingress = addresses.ISTIO_NAMESPACE, settings.ingress.namespace
    planned = set(verification.checks(settings)) if settings.verify_enabled else set()
    exposed = exposed_hosts(settings)

    def peer(enabled: bool, namespace: str, pods: dict[str, str]) -> Peer | None:
        return Peer(namespace, pods) if enabled else None

    gateway = Peer(ingress, GATEWAY)
    prometheus = peer(dashboards.prometheus.enabled, system, PROMETHEUS)
    kiali = peer(dashboards.kiali.enabled, system, KIALI)

    def checks(check: str) -> Peer | None:
        """The verification Job, when it runs this check (ambient's ztunnel check queries Prometheus too, and
        is planned only beside prometheus-sees-demo)."""
        return peer(check in planned, system, VERIFICATION)

    table = [
        *_allow("istiod-xds", system, ISTIOD, (ISTIOD_XDS,), "every proxy's config and certificates", EVERY_POD),
        _from_anywhere("istiod-webhooks", system, ISTIOD, (ISTIOD_WEBHOOK,), "the API server, outside the pod network"),
        *_allow("istiod-monitoring", system, ISTIOD, (ISTIOD_MONITORING,), "scraping", prometheus),
        _from_anywhere(
            "gateway",
            ingress,
            GATEWAY,
            (
                addresses.INGRESS_HTTP_PORT,
                addresses.INGRESS_HTTPS_PORT,
                GATEWAY_STATUS,
                *tcp_listeners(settings).values(),
            ),
            "clients and load balancers, from anywhere",
        ),
        *_allow("gateway-metrics", ingress, GATEWAY, (MERGED_METRICS,), "scraping", prometheus),
    ]
    crossing = Peer(system, EAST_WEST) if east_west else None
    if east_west:
        table.append(
            _from_anywhere(
                "eastwest",
                system,
                EAST_WEST,
                (CROSS_NETWORK_PORT, GATEWAY_STATUS),
                "the other networks' proxies (mTLS passed through) and load balancers, from anywhere",
            )
        )
        table += _allow("eastwest-metrics", system, EAST_WEST, (MERGED_METRICS,), "scraping", prometheus)
    if dashboards.prometheus.enabled:
        grafana = peer(dashboards.grafana.enabled, system, GRAFANA)
        table += _allow(
            "prometheus",
            system,
            PROMETHEUS,
            (PROMETHEUS_CONTAINER_PORT,),
            "Grafana's datasource, Kiali, the verification's metrics check",
            grafana,
            kiali,
            checks("prometheus-sees-demo"),
        )
    if dashboards.grafana.enabled:
        table += _allow(
            "grafana",
            system,
            GRAFANA,
            (GRAFANA_CONTAINER_PORT,),
            "Kiali; the ingress gateway when exposed",
            kiali,
            gateway if "grafana" in exposed else None,
        )
    if dashboards.kiali.enabled:
        exposed_kiali = gateway if "kiali" in exposed else None
        table += _allow(
            "kiali", system, KIALI, (KIALI_CONTAINER_PORT,), "the ingress gateway when exposed", exposed_kiali
        )
        table += _allow("kiali-metrics", system, KIALI, (KIALI_METRICS,), "scraping", prometheus)
    if dashboards.jaeger.enabled:
        table += _allow(
            "jaeger-zipkin", system, JAEGER, (JAEGER_ZIPKIN_CONTAINER_PORT,), "spans from every proxy", EVERY_POD
        )
        table += _allow(
            "jaeger-query",
            system,
            JAEGER,
            (JAEGER_QUERY_HTTP_CONTAINER_PORT,),
            "the trace check",
            checks("trace-in-jaeger"),
        )
        table += _allow("jaeger-grpc", system, JAEGER, (JAEGER_QUERY_GRPC_CONTAINER_PORT,), "Kiali's traces", kiali)
        table += _allow("jaeger-metrics", system, JAEGER, (JAEGER_METRICS,), "scraping", prometheus)
    if settings.cert_manager_installed:
        namespace = addresses.CERT_MANAGER_NAMESPACE
        table.append(
            _from_anywhere(
                "webhook",
                namespace,
                CERT_MANAGER_WEBHOOK,
                (CERT_MANAGER_WEBHOOK_PORT,),
                "the API server, outside the pod network",
            )
        )
        table += _allow("metrics", namespace, {}, (CERT_MANAGER_METRICS,), "scraping", prometheus)
    if dataplane.cni_installed(settings):
        agents = addresses.NODE_AGENTS_NAMESPACE
        table += _allow("cni-metrics", agents, CNI_AGENT, (CNI_METRICS,), "scraping", prometheus)
    if dataplane.ambient_enabled(settings):
        table += _allow(
            "ztunnel-metrics",
            addresses.NODE_AGENTS_NAMESPACE,
            ZTUNNEL,
            (MERGED_METRICS,),
            "scraping (the ztunnel mTLS check reads it)",
            prometheus,
        )
    if settings.demo.enabled:
        table += _demo_flows(settings, gateway, prometheus, checks("plaintext-refused"), crossing)
    return table


def _demo_flows(
    settings: Settings, gateway: Peer, prometheus: Peer | None, plaintext: Peer | None, crossing: Peer | None = None
) -> list[Flow]:
    namespace, port = settings.demo.namespace, versions.DEMO_CONTAINER_PORT
    if dataplane.namespace_dataplane(settings, namespace) == "ambient":
        waypoint = Peer(namespace, WAYPOINT) if namespace in dataplane.waypoints(settings) else None
        return [
            *_allow(
                "demo-hbone",
                namespace,
                DEMO,
                (HBONE,),
                "HBONE from the ingress gateway and the namespace's waypoint",
                gateway,
                waypoint,
            ),
            *_allow(
                "demo",
                namespace,
                DEMO,
                (port,),
                "the kubelet's probes, through ztunnel; the verification's plain text, which ztunnel must refuse",
                *AMBIENT_PROBES,
                plaintext,
            ),
            *(_waypoint_flows(namespace, prometheus) if waypoint else []),
        ]
    return [
        *_allow(
            "demo",
            namespace,
            DEMO,
            (port,),
            "the ingress gateway; the verification's plain-text request, which the sidecar itself must refuse"
            + ("; the east-west gateway, for the other networks' requests" if crossing else ""),
            gateway,
            plaintext,
            crossing,
        ),
        *_allow("demo-metrics", namespace, DEMO, (MERGED_METRICS,), "scraping", prometheus),
    ]


def _waypoint_flows(namespace: str, prometheus: Peer | None) -> list[Flow]:
    """The waypoint of an ambient namespace the stack owns: HBONE from whichever pod's ztunnel calls the
    namespace's Services (any client in the mesh), its merged metrics for Prometheus."""
    return [
        *_allow("waypoint-hbone", namespace, WAYPOINT, (HBONE,), "HBONE from every client's ztunnel", EVERY_POD),
        *_allow("waypoint-metrics", namespace, WAYPOINT, (MERGED_METRICS,), "scraping", prometheus),
    ]


def owned_namespaces(settings: Settings) -> list[str]:
    """The namespaces the stack creates for its own servers: closed but for their flows."""
    namespaces = [addresses.ISTIO_NAMESPACE, settings.ingress.namespace]
    if dataplane.cni_installed(settings):
        namespaces.append(addresses.NODE_AGENTS_NAMESPACE)
    if settings.dns_enabled:
        namespaces.append(settings.dns.namespace)
    if settings.cert_manager_installed:
        namespaces.append(addresses.CERT_MANAGER_NAMESPACE)
    if settings.demo.enabled:
        namespaces.append(settings.demo.namespace)
    return namespaces


def namespace_resources(mesh: Mesh, *others: k8s.core.v1.Namespace | None) -> list[pulumi.Resource]:
    """The Namespace resources of one cluster the policies live in: the mesh's, and `others` installed (external-dns',
    cert-manager's)."""
    namespaces: list[pulumi.Resource] = [mesh.control_plane.namespace, mesh.ingress.namespace]
    namespaces += mesh.policy.namespaces.values()
    namespaces += [mesh.node_agents.namespace] if mesh.node_agents else []
    return namespaces + [namespace for namespace in others if namespace is not None]


def restrict_ingress(
    settings: Settings,
    provider: k8s.Provider,
    namespaces: Sequence[pulumi.Resource],
    cluster: str | None = None,
    east_west: bool = False,
) -> NetworkPolicies | None:
    """`namespaces`: the Namespace resources the policies live in; in a mesh across clusters, `cluster` (its name
    prefixes the resources) and `east_west` (flows)."""
    if not settings.network_policies:
        return None
    return NetworkPolicies(
        prefixed(cluster, "network-policies"),
        NetworkPoliciesArgs(
            owned_namespaces(settings), flows(settings, east_west), wait_for=list(namespaces), resource_prefix=cluster
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
