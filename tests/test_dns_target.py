"""DNS never publishes an address the internet cannot reach: without a load balancer, `dns.target` becomes
external-dns' target annotation on the shared Gateway and the classic Istio Gateway, or the config is refused."""

from __future__ import annotations

import pytest

from settings.loader import load_settings
from tests import test_settings
from tests.test_dns import AWS, GCP, merged

GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
ISTIO_GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
TARGET = "external-dns.alpha.kubernetes.io/target"
LOCAL_GCP = merged(
    GCP,
    cloud="local",
    gcp={"identity": "key"},
    dns={"enabled": True},
    mesh={"injectedNamespaces": ["shop"]},
    routes=[{"name": "shop", "namespace": "shop"}, {"name": "legacy", "namespace": "shop", "kind": "istio"}],
)


def annotations_of(run, type_: str) -> dict:
    return run.one(type_).inputs["metadata"].get("annotations", {})


def test_target_annotates_the_shared_and_the_istio_gateway(run_stack):
    run = run_stack(merged(LOCAL_GCP, dns={"target": "ingress.example.net"}))
    assert annotations_of(run, GATEWAY) == {TARGET: "ingress.example.net"}
    assert annotations_of(run, ISTIO_GATEWAY) == {TARGET: "ingress.example.net"}


def test_nodeport_on_gcp_with_a_public_ip_target(run_stack):
    run = run_stack(merged(GCP, ingress={"serviceType": "NodePort"}, dns={"target": "34.120.1.2"}))
    assert annotations_of(run, GATEWAY) == {TARGET: "34.120.1.2"}
    assert run.chart("gateway").inputs["values"]["service"]["type"] == "NodePort"


def test_a_private_address_fits_a_private_zone(run_stack):
    config = merged(
        GCP,
        gcp={"zoneVisibility": "private"},
        ingress={"serviceType": "ClusterIP"},
        dns={"domain": "mesh.internal.example", "zone": {"name": "internal-example"}, "target": "10.0.0.5"},
    )
    assert annotations_of(run_stack(config), GATEWAY) == {TARGET: "10.0.0.5"}


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_a_load_balancer_ingress_needs_no_target_and_gets_none(shared_run, stack):
    run = shared_run(stack)
    assert run.chart("gateway").inputs["values"]["service"]["type"] == "LoadBalancer"
    assert annotations_of(run, GATEWAY) == {}


BAD_TARGETS = [
    ("dns on local without a target", LOCAL_GCP, "dns.target", "required with DNS on and ingress.serviceType NodePort"),
    (
        "nodeport on gcp without a target",
        merged(GCP, ingress={"serviceType": "NodePort"}),
        "dns.target",
        "istio-ingressgateway.istio-ingress.svc.cluster.local, which external-dns would publish",
    ),
    (
        "clusterip on aws without a target",
        merged(AWS, ingress={"serviceType": "ClusterIP"}),
        "dns.target",
        "or set ingress.serviceType LoadBalancer",
    ),
    (
        "in-cluster name",
        merged(LOCAL_GCP, dns={"target": "istio-ingressgateway.istio-ingress.svc.cluster.local"}),
        "dns.target",
        "not reachable from outside",
    ),
    (
        "host-local name",
        merged(LOCAL_GCP, dns={"target": "ingress.localhost"}),
        "dns.target",
        "not reachable from outside",
    ),
    ("mdns name", merged(LOCAL_GCP, dns={"target": "node.local"}), "dns.target", "not reachable from outside"),
    ("not a name", merged(LOCAL_GCP, dns={"target": "http://ingress.example.net"}), "dns.target", "not a DNS name"),
    ("loopback", merged(LOCAL_GCP, dns={"target": "127.0.0.1"}), "dns.target", "loopback"),
    (
        "private address in a public zone",
        merged(LOCAL_GCP, dns={"target": "10.1.2.3"}),
        "dns.target",
        "10.1.2.3 is a private address, unreachable from the internet",
    ),
    (
        "shared address space in a public zone",
        merged(AWS, ingress={"serviceType": "NodePort"}, dns={"target": "100.64.0.7"}),
        "dns.target",
        "private address",
    ),
    (
        "target without dns",
        {"cloud": "local", "dns": {"target": "34.120.1.2"}},
        "dns.target",
        "only used when DNS is enabled",
    ),
]


@pytest.mark.parametrize(("case", "config", "key", "words"), BAD_TARGETS, ids=[case[0] for case in BAD_TARGETS])
def test_bad_target_is_refused_before_any_resource(run_stack, case, config, key, words):
    # the same check as every other bad input: one problem, naming the key, nothing registered
    test_settings.test_bad_input_is_refused_before_any_resource(run_stack, config, key, [words])


@pytest.mark.parametrize(
    "target", ["34.120.1.2", "2a00:1450:4001::1", "lb.example.net", "k8s-ingress-1a2b.elb.eu-west-1.amazonaws.com"]
)
def test_public_addresses_and_names_are_accepted(target):
    settings = load_settings(
        {
            "cloud": "gcp",
            "gcp": {"project": "gke-project"},
            "ingress": {"serviceType": "NodePort"},
            "dns": {"domain": "mesh.example.com", "zone": {"name": "example-com"}, "target": target},
            "tls": {"mode": "off"},
        }
    )
    assert settings.dns.target == target
