"""NetworkPolicies, read the way a CNI enforces them: every flow the stack needs is allowed, a flow it does not
need is refused. Pods are written with the labels their charts give them (read at the pinned versions), never
with the project's own label constants; an address outside the pod network (the API server, a client on the
internet) is `OUTSIDE`."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests import harness
from tests.harness import Run, assert_refused

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Address:
    """A source that is not a pod, known by its address."""

    ip: str


OUTSIDE = None  # not a pod: the API server on a managed control plane, a load balancer, a browser
# The source addresses of the kubelet's probes of an ambient pod, per IP family (the CNI agent's SNAT: istio/istio
# 1.30.3 cni/pkg/nodeagent/options.go DefaultHostProbeSNATIP, DefaultHostProbeSNATIPV6).
AMBIENT_PROBE = Address("169.254.7.127")
AMBIENT_PROBE_V6 = Address("fd16:9254:7127:1337:ffff:ffff:ffff:ffff")

# Labels as each chart renders them on its pods (templates read at the pinned tags).
ISTIOD = Pod(
    "istio-system", {"app": "istiod", "istio.io/rev": "default", "install.operator.istio.io/owning-resource": "unknown"}
)
GATEWAY = Pod("istio-ingress", {"app": "istio-ingressgateway", "istio": "ingressgateway", "istio.io/rev": "default"})
PROMETHEUS = Pod(
    "istio-system",
    {
        "app.kubernetes.io/name": "prometheus",
        "app.kubernetes.io/instance": "prometheus",
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/part-of": "prometheus",
        "sidecar.istio.io/inject": "false",
    },
)
GRAFANA = Pod("istio-system", {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "grafana"})
JAEGER = Pod(
    "istio-system",
    {
        "app.kubernetes.io/name": "jaeger",
        "app.kubernetes.io/instance": "jaeger",
        "app.kubernetes.io/component": "all-in-one",
    },
)
KIALI = Pod("istio-system", {"app.kubernetes.io/name": "kiali", "app.kubernetes.io/instance": "kiali", "app": "kiali"})
VERIFY = Pod("istio-system", {"app": "mesh-verify", "sidecar.istio.io/inject": "false"})
CERT_MANAGER = Pod(
    "cert-manager",
    {"app": "cert-manager", "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/instance": "cert-manager"},
)
WEBHOOK = Pod(
    "cert-manager",
    {
        "app": "webhook",
        "app.kubernetes.io/name": "webhook",
        "app.kubernetes.io/instance": "cert-manager",
        "app.kubernetes.io/component": "webhook",
    },
)
DEMO = Pod("demo", {"app": "httpbin", "security.istio.io/tlsMode": "istio"})
APP = Pod("apps", {"app": "shop"})
EXTERNAL_DNS = Pod(
    "external-dns", {"app.kubernetes.io/name": "external-dns", "app.kubernetes.io/instance": "external-dns"}
)


def _selects(selector: dict, labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in (selector.get("matchLabels") or {}).items())


def _peer_admits(peer: dict, source: Pod | Address) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        return isinstance(source, Address) and ipaddress.ip_address(source.ip) in ipaddress.ip_network(block["cidr"])
    if isinstance(source, Address):
        return False
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": source.namespace}):
            return False
    elif source.namespace != peer.get("_policy_namespace"):
        return False
    return "podSelector" not in peer or _selects(peer["podSelector"], source.labels)


def allowed(run: Run, source: Pod | Address | None, destination: Pod, port: int) -> bool:
    """Whether a TCP connection from `source` reaches `destination` on `port` (NetworkPolicy v1 semantics)."""
    selecting = [
        policy.inputs
        for policy in run.of_type(POLICY)
        if policy.inputs["metadata"]["namespace"] == destination.namespace
        and _selects(policy.inputs["spec"]["podSelector"], destination.labels)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            if rule.get("ports") and port not in [p["port"] for p in rule["ports"]]:
                continue
            if "from" not in rule:
                return True
            if source is OUTSIDE:
                continue
            peers = [{**peer, "_policy_namespace": policy["metadata"]["namespace"]} for peer in rule["from"]]
            if any(_peer_admits(peer, source) for peer in peers):
                return True
    return False


# production, exposed dashboards (Kiali with a token login), the demo and its checks: every flow present.
EXPOSED = {"profile": "production", "dashboards": {"kiali": {"auth": "token"}, "expose": {"enabled": True}}}


@pytest.fixture(scope="module")
def exposed():
    from tests.test_profile import _run

    return _run(**EXPOSED)


@pytest.fixture(scope="module")
def private():
    from tests.test_profile import _run

    return _run(profile="production", dashboards={"kiali": {"auth": "token"}})


NEEDED = [
    # every proxy's xDS and certificates
    (APP, ISTIOD, 15012, "a sidecar's xDS and certificate"),
    (GATEWAY, ISTIOD, 15012, "the gateway's xDS"),
    (DEMO, ISTIOD, 15012, "the demo's sidecar"),
    (OUTSIDE, ISTIOD, 15017, "the API server calls the injection and validation webhooks"),
    (OUTSIDE, WEBHOOK, 10250, "the API server calls cert-manager's webhook"),
    # the entrance
    (OUTSIDE, GATEWAY, 80, "HTTP (the redirect)"),
    (OUTSIDE, GATEWAY, 443, "HTTPS"),
    (OUTSIDE, GATEWAY, 15021, "the load balancer's health check"),
    (GATEWAY, DEMO, 8080, "the gateway to the demo"),
    (GATEWAY, KIALI, 20001, "Kiali, exposed"),
    (GATEWAY, GRAFANA, 3000, "Grafana, exposed"),
    # scraping
    (PROMETHEUS, GATEWAY, 15020, "the gateway's merged metrics"),
    (PROMETHEUS, DEMO, 15020, "the demo's merged metrics (the metrics check reads them)"),
    (PROMETHEUS, ISTIOD, 15014, "control-plane metrics"),
    (PROMETHEUS, JAEGER, 8888, "Jaeger's metrics (prometheus.io/port)"),
    (PROMETHEUS, KIALI, 9090, "Kiali's metrics (prometheus.io/port)"),
    (PROMETHEUS, CERT_MANAGER, 9402, "cert-manager's metrics"),
    (PROMETHEUS, WEBHOOK, 9402, "cert-manager webhook's metrics"),
    # the dashboards among themselves
    (GRAFANA, PROMETHEUS, 9090, "Grafana's datasource"),
    (KIALI, PROMETHEUS, 9090, "Kiali's metrics"),
    (KIALI, GRAFANA, 3000, "Kiali's dashboards links"),
    (KIALI, JAEGER, 16685, "Kiali's traces over gRPC"),
    # spans
    (APP, JAEGER, 9411, "a sidecar's spans"),
    (GATEWAY, JAEGER, 9411, "the gateway's spans"),
    # the verification
    (VERIFY, JAEGER, 16686, "trace-in-jaeger"),
    (VERIFY, PROMETHEUS, 9090, "prometheus-sees-demo"),
    (VERIFY, DEMO, 8080, "plaintext-refused: the sidecar, not the network, must refuse it"),
]

NOT_NEEDED = [
    (APP, PROMETHEUS, 9090, "an application reading the metrics"),
    (APP, KIALI, 20001, "an application reaching Kiali"),
    (APP, GRAFANA, 3000, "an application reaching Grafana"),
    (APP, JAEGER, 16686, "an application reading traces"),
    (APP, ISTIOD, 15014, "an application on istiod's debug endpoints"),
    (APP, DEMO, 8080, "an application calling the demo around the gateway"),
    (GATEWAY, PROMETHEUS, 9090, "the gateway reaching Prometheus (never exposed)"),
    (GATEWAY, JAEGER, 16686, "the gateway reaching Jaeger (never exposed)"),
    (OUTSIDE, KIALI, 20001, "Kiali straight from outside, around the gateway"),
    (OUTSIDE, PROMETHEUS, 9090, "Prometheus from outside"),
    (OUTSIDE, DEMO, 8080, "the demo from outside, around the gateway"),
    (DEMO, ISTIOD, 15014, "the demo on istiod's debug endpoints"),
    (APP, ISTIOD, 15010, "plain-text xDS: nothing in the stack dials it (every proxy uses 15012)"),
    (KIALI, ISTIOD, 15014, "Kiali reads istiod through a port-forward over the API server, not the network"),
    (OUTSIDE, GRAFANA, 3000, "Grafana from outside, around the gateway"),
    (VERIFY, KIALI, 20001, "the verification reaching Kiali"),
    (GRAFANA, JAEGER, 16686, "Grafana reading traces (no such datasource)"),
]


@pytest.mark.parametrize(("source", "destination", "port", "why"), NEEDED, ids=[n[3] for n in NEEDED])
def test_every_flow_the_stack_needs_is_allowed(exposed, source, destination, port, why):
    assert allowed(exposed, source, destination, port), why


@pytest.mark.parametrize(("source", "destination", "port", "why"), NOT_NEEDED, ids=[n[3] for n in NOT_NEEDED])
def test_a_flow_the_stack_does_not_need_is_refused(exposed, source, destination, port, why):
    assert not allowed(exposed, source, destination, port), why


def test_private_dashboards_are_not_reachable_through_the_gateway(private):
    assert not allowed(private, GATEWAY, KIALI, 20001)
    assert not allowed(private, GATEWAY, GRAFANA, 3000)
    assert allowed(private, KIALI, GRAFANA, 3000)


def test_every_namespace_the_stack_owns_denies_what_it_does_not_allow(exposed):
    denied = {
        p.inputs["metadata"]["namespace"]
        for p in exposed.of_type(POLICY)
        if p.inputs["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    }
    # dev's namespaces: the control plane and dashboards, the ingress, the node agents (production's CNI agent),
    # cert-manager (tls ca), the demo.
    assert denied == {"istio-system", "istio-ingress", "istio-node-agents", "cert-manager", "demo"}
    # Applications' namespaces hold servers whose callers the stack cannot know.
    assert not [p for p in exposed.of_type(POLICY) if p.inputs["metadata"]["namespace"] == "apps"]


def test_external_dns_namespace_is_closed(run_stack):
    run = run_stack("gcp")
    assert not allowed(run, APP, EXTERNAL_DNS, 7979)
    assert not allowed(run, OUTSIDE, EXTERNAL_DNS, 7979)
    assert not allowed(run, PROMETHEUS, EXTERNAL_DNS, 7979)  # its pods carry no scrape annotation


def test_a_tcp_route_opens_its_listener_port(run_stack):
    run = run_stack(
        "dev",
        profile="production",
        gatewayApi={"channel": "experimental", "tcpRoutes": True},
        routes=[{"name": "db", "namespace": "apps", "kind": "tcp", "listenerPort": 5432}],
    )
    assert allowed(run, OUTSIDE, GATEWAY, 5432)
    assert not allowed(run, OUTSIDE, GATEWAY, 5433)


def test_each_allowing_policy_says_why(exposed):
    for policy in exposed.of_type(POLICY):
        if policy.inputs["metadata"]["name"].startswith("allow-"):
            assert policy.inputs["metadata"]["annotations"]["servicemesh/why"]


def test_policies_follow_their_namespace(exposed):
    namespaces = {r.inputs["metadata"]["name"]: r for r in exposed.of_type("kubernetes:core/v1:Namespace")}
    for policy in exposed.of_type(POLICY):
        assert policy.depends_on(namespaces[policy.inputs["metadata"]["namespace"]]), policy.name


def test_on_by_default_with_production_only(shared_run):
    assert shared_run("dev").of_type(POLICY) == []
    assert shared_run("dev", security={"networkPolicies": True}).of_type(POLICY) != []
    assert shared_run("dev", profile="production", security={"networkPolicies": False}).of_type(POLICY) == []
    assert shared_run("gcp").of_type(POLICY) != []


@pytest.mark.parametrize("value", ["sometimes", "enforce", 2])
def test_an_unknown_network_policy_setting_is_refused(run_stack, value):
    assert_refused(lambda: run_stack("dev", security={"networkPolicies": value}), "security.networkPolicies", ["bool"])


# The node agents' pods (istio/istio 1.30.3 ztunnel and istio-cni templates/daemonset.yaml), in their namespace.
ZTUNNEL_POD = Pod("istio-node-agents", {"app": "ztunnel", "app.kubernetes.io/name": "ztunnel"})
CNI_POD = Pod("istio-node-agents", {"k8s-app": "istio-cni-node", "app.kubernetes.io/name": "istio-cni"})


def test_prometheus_scrapes_the_cni_agent_and_nothing_else_reaches_it(exposed):
    """Its pods are annotated prometheus.io/scrape, prometheus.io/port 15014 (istio-cni templates/daemonset.yaml)."""
    assert allowed(exposed, PROMETHEUS, CNI_POD, 15014)
    assert not allowed(exposed, APP, CNI_POD, 15014)
    assert not allowed(exposed, PROMETHEUS, CNI_POD, 15020)


# Ambient (the shipped `ambient` stack, policies on): the demo has no sidecar; HBONE reaches it.
AMBIENT_DEMO = Pod("demo", {"app": "httpbin"})


@pytest.fixture(scope="module")
def ambient():
    from tests.test_ambient import run

    return run({"security": {"networkPolicies": True}}, base="ambient")


AMBIENT_NEEDED = [
    (GATEWAY, AMBIENT_DEMO, 15008, "HBONE from the gateway"),
    (AMBIENT_PROBE, AMBIENT_DEMO, 8080, "the kubelet's probes, SNATed by ztunnel"),
    (AMBIENT_PROBE_V6, AMBIENT_DEMO, 8080, "the kubelet's probes on an IPv6 or dual-stack cluster"),
    (VERIFY, AMBIENT_DEMO, 8080, "plaintext-refused: ztunnel, not the network, must refuse it"),
    (PROMETHEUS, ZTUNNEL_POD, 15020, "mtls-ztunnel-to-demo reads ztunnel's metrics"),
    (VERIFY, PROMETHEUS, 9090, "mtls-ztunnel-to-demo queries Prometheus"),
    (VERIFY, JAEGER, 16686, "trace-in-jaeger"),
    (ZTUNNEL_POD, ISTIOD, 15012, "ztunnel's xDS and certificates"),
]
AMBIENT_NOT_NEEDED = [
    (GATEWAY, AMBIENT_DEMO, 8080, "plain text from the gateway (it speaks HBONE to ambient pods)"),
    (APP, AMBIENT_DEMO, 15008, "another namespace's HBONE around the gateway"),
    (APP, ZTUNNEL_POD, 15020, "an application reading ztunnel's metrics"),
    (VERIFY, ZTUNNEL_POD, 15020, "the verification reading ztunnel itself (it asks Prometheus)"),
    (GATEWAY, ZTUNNEL_POD, 15008, "HBONE to ztunnel's own pod (it listens inside the ambient pods)"),
    (AMBIENT_PROBE, GRAFANA, 3000, "the probe address reaching a dashboard"),
    (AMBIENT_PROBE_V6, GRAFANA, 3000, "the IPv6 probe address reaching a dashboard"),
    (Address("fd16:9254:7127:1337:ffff:ffff:ffff:fffe"), AMBIENT_DEMO, 8080, "the address next to the probes'"),
    (APP, ISTIOD, 15010, "plain-text xDS in ambient too"),
]


@pytest.mark.parametrize(("source", "destination", "port", "why"), AMBIENT_NEEDED, ids=[n[3] for n in AMBIENT_NEEDED])
def test_in_ambient_every_flow_needed_is_allowed(ambient, source, destination, port, why):
    assert allowed(ambient, source, destination, port), why


@pytest.mark.parametrize(
    ("source", "destination", "port", "why"), AMBIENT_NOT_NEEDED, ids=[n[3] for n in AMBIENT_NOT_NEEDED]
)
def test_in_ambient_a_flow_not_needed_is_refused(ambient, source, destination, port, why):
    assert not allowed(ambient, source, destination, port), why


# Every address the verification's script is given, as the pod behind it (Service port -> container port, read
# in each chart: prometheus-server 9090 -> 9090, jaeger 16686 -> 16686, the demo's Service 8000 -> 8080, the
# gateway's 80/443 -> 80/443).
BEHIND = {
    "prometheus-server.istio-system.svc.cluster.local:9090": (PROMETHEUS, 9090),
    "jaeger.istio-system.svc.cluster.local:16686": (JAEGER, 16686),
    "httpbin.demo.svc.cluster.local:8000": (DEMO, 8080),
    "istio-ingressgateway.istio-ingress.svc.cluster.local:443": (GATEWAY, 443),
    "istio-ingressgateway.istio-ingress.svc.cluster.local:80": (GATEWAY, 80),
}


def verification_addresses(run: Run) -> set[str]:
    config = json.loads(run.one("kubernetes:core/v1:ConfigMap", "verification-checks").inputs["data"]["config.json"])
    urls = [config["gateway"]["url"]]
    urls += [
        config[key]["url"] for key in ("jaeger", "prometheus", "plaintext", "redirect", "ztunnel") if key in config
    ]
    return {urlsplit(url).netloc for url in urls}


@pytest.mark.parametrize("stack", ["exposed", "ambient"])
def test_every_address_the_verification_uses_is_reachable_from_its_pod(request, stack):
    run = request.getfixturevalue(stack)
    addresses = verification_addresses(run)
    assert len(addresses) >= 4, addresses
    for address in addresses:
        pod, port = BEHIND[address]
        destination = AMBIENT_DEMO if stack == "ambient" and pod is DEMO else pod
        assert allowed(run, VERIFY, destination, port), address


# The demo's namespace in ambient with a waypoint: the waypoint's pods (istio/istio 1.30.3 istiod
# files/waypoint.yaml: gateway.networking.k8s.io/gateway-name is the Gateway's name, `waypoint` as istioctl names it;
# containerPorts 15020, 15021, 15090; HBONE on 15008, the Gateway's listener).
WAYPOINT_POD = Pod(
    "demo",
    {
        "gateway.networking.k8s.io/gateway-name": "waypoint",
        "gateway.networking.k8s.io/gateway-class-name": "istio-waypoint",
        "istio.io/dataplane-mode": "none",
        "sidecar.istio.io/inject": "false",
    },
)


@pytest.fixture(scope="module")
def demo_waypoint():
    from tests.test_ambient import run

    mesh = {
        **harness.stack_config("ambient")["mesh"],
        "injectedNamespaces": ["apps", {"name": "demo", "waypoint": True}],
    }
    return run({"security": {"networkPolicies": True}, "mesh": mesh}, base="ambient")


WAYPOINT_NEEDED = [
    (APP, WAYPOINT_POD, 15008, "a client's ztunnel sends HBONE to the waypoint of the Service it calls"),
    (GATEWAY, WAYPOINT_POD, 15008, "the gateway, for a Service with istio.io/ingress-use-waypoint"),
    (WAYPOINT_POD, AMBIENT_DEMO, 15008, "the waypoint forwards to the demo over HBONE"),
    (GATEWAY, AMBIENT_DEMO, 15008, "the gateway straight to the demo (skips service waypoints by default)"),
    (PROMETHEUS, WAYPOINT_POD, 15020, "the waypoint's metrics (prometheus.io/port 15020): istio_requests_total"),
]
WAYPOINT_NOT_NEEDED = [
    (APP, WAYPOINT_POD, 15020, "an application reading the waypoint's metrics"),
    (APP, WAYPOINT_POD, 15090, "Envoy's own stats port"),
    (APP, AMBIENT_DEMO, 15008, "another namespace's HBONE straight to the demo, around its waypoint"),
    (OUTSIDE, WAYPOINT_POD, 15021, "the waypoint's status port from outside (the kubelet probes it from the node)"),
]


@pytest.mark.parametrize(("source", "destination", "port", "why"), WAYPOINT_NEEDED, ids=[n[3] for n in WAYPOINT_NEEDED])
def test_a_waypoint_in_the_demo_namespace_gets_its_flows(demo_waypoint, source, destination, port, why):
    assert allowed(demo_waypoint, source, destination, port), why


@pytest.mark.parametrize(
    ("source", "destination", "port", "why"), WAYPOINT_NOT_NEEDED, ids=[n[3] for n in WAYPOINT_NOT_NEEDED]
)
def test_a_waypoint_is_closed_but_for_its_flows(demo_waypoint, source, destination, port, why):
    assert not allowed(demo_waypoint, source, destination, port), why


def test_no_waypoint_no_waypoint_flows(ambient):
    assert not allowed(ambient, APP, WAYPOINT_POD, 15008)
    assert not allowed(ambient, WAYPOINT_POD, AMBIENT_DEMO, 15008)
