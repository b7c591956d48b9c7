"""The e2e's convergence checks (e2e/convergence.py) classify live objects: what a destroy may keep (the CRDs
docs/teardown.md names) and what a controller made rather than the stack. A wrong rule there would hide an
orphan or a leftover from every fault scenario, so each rule is pinned here on literal objects."""

from __future__ import annotations

from e2e.convergence import kept, made_by_a_controller

CRD = ("apiextensions.k8s.io", "customresourcedefinitions", "")
STATE = {("", "services", "istio-system", "istiod"): "urn:pulumi:dev::service-mesh::kubernetes:core/v1:Service::istiod"}


def test_only_the_kept_groups_crds_may_stay() -> None:
    assert kept((*CRD, "gateways.networking.istio.io"))
    assert kept((*CRD, "httproutes.gateway.networking.k8s.io"))
    assert kept((*CRD, "certificates.cert-manager.io"))
    assert not kept((*CRD, "servicemonitors.monitoring.coreos.com"))
    assert not kept(("", "configmaps", "istio-system", "gateways.networking.istio.io"))


def test_owned_objects_and_per_namespace_defaults_are_a_controllers() -> None:
    owner = {"ownerReferences": [{"kind": "ReplicaSet", "name": "istiod-5d"}]}
    assert made_by_a_controller(("", "pods", "istio-system", "istiod-5d-x"), owner, STATE)
    assert made_by_a_controller(("", "serviceaccounts", "apps", "default"), {}, STATE)
    assert made_by_a_controller(("", "configmaps", "apps", "kube-root-ca.crt"), {}, STATE)


def test_endpoints_only_for_a_service_of_the_state() -> None:
    assert made_by_a_controller(("", "endpoints", "istio-system", "istiod"), {}, STATE)
    assert not made_by_a_controller(("", "endpoints", "istio-system", "kiali"), {}, STATE)


def test_a_secret_is_cert_managers_only_when_it_names_its_certificate() -> None:
    issued = {"annotations": {"cert-manager.io/certificate-name": "mesh-wildcard"}}
    assert made_by_a_controller(("", "secrets", "istio-ingress", "mesh-wildcard-tls"), issued, STATE)
    assert not made_by_a_controller(("", "secrets", "istio-ingress", "made-by-hand"), {}, STATE)
    assert not made_by_a_controller(("", "configmaps", "istio-system", "made-by-hand"), {}, STATE)


def test_the_api_servers_own_api_services_are_kept_with_their_crds() -> None:
    assert kept(("apiregistration.k8s.io", "apiservices", "", "v1.networking.istio.io"))
    assert not kept(("apiregistration.k8s.io", "apiservices", "", "v1.monitoring.coreos.com"))
    automanaged = {"labels": {"kube-aggregator.kubernetes.io/automanaged": "true"}}
    assert made_by_a_controller(("apiregistration.k8s.io", "apiservices", "", "v1.cert-manager.io"), automanaged, {})


def test_a_services_cluster_ip_is_the_api_servers() -> None:
    allocated = {"labels": {"ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io"}}
    assert made_by_a_controller(("networking.k8s.io", "ipaddresses", "", "10.96.0.12"), allocated, {})
    assert not made_by_a_controller(("networking.k8s.io", "ipaddresses", "", "10.96.0.13"), {}, {})
