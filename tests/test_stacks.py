"""Every shipped Pulumi.<stack>.yaml builds under mocks with what its README section promises, and nothing of
another cloud."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import shipped_stacks

MESH_CHARTS = {"base", "istiod", "gateway", "prometheus", "grafana", "jaeger", "kiali-server", "cert-manager"}
MESH_KINDS = {
    "kubernetes:yaml/v2:ConfigFile": 1,  # the Gateway API CRDs
    "kubernetes:security.istio.io/v1:PeerAuthentication": 1,
    "kubernetes:telemetry.istio.io/v1:Telemetry": 1,
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": 1,  # the shared Gateway (dns.domain is set)
    # the strict one, and the one the kept CRD installs adopt their objects through (docs/teardown.md)
    "pulumi:providers:kubernetes": 2,
    # cert-manager's API check and the certificate's wait (HTTPS by default: docs/https.md)
    "kubernetes:batch/v1:Job": 2,
}
# README: "What `pulumi up` does", "Quick start: GCP", "Quick start: AWS", "Publish your app" (the demo on dev).
EXPECTED: dict[str, dict[str, Any]] = {
    "dev": {
        "cloud": "local",
        "charts": MESH_CHARTS,
        "namespaces": {"istio-system", "istio-ingress", "apps", "demo", "cert-manager"},
        "kinds": {
            **MESH_KINDS,
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 2,  # the demo's and the https redirect
            # cert-manager's API check, the certificate's wait and the verification (the demo is on)
            "kubernetes:batch/v1:Job": 3,
            "kubernetes:cert-manager.io/v1:Certificate": 2,  # the local root CA and the wildcard
            "kubernetes:apps/v1:Deployment": 1,
            "kubernetes:core/v1:Service": 1,
        },
        "outputs": {"demo", "tls"},
    },
    # docs/air-gapped.md: the dev stack, every artifact from the mirror (tests/test_mirror.py).
    "airgapped": {
        "cloud": "local",
        "charts": MESH_CHARTS,
        "namespaces": {"istio-system", "istio-ingress", "apps", "demo", "cert-manager"},
        "kinds": {
            **MESH_KINDS,
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 2,
            "kubernetes:batch/v1:Job": 3,
            "kubernetes:cert-manager.io/v1:Certificate": 2,
            "kubernetes:apps/v1:Deployment": 1,
            "kubernetes:core/v1:Service": 1,
        },
        "outputs": {"demo", "tls"},
    },
    # docs/ambient.md: dev with every namespace ambient, the node agents, and a waypoint in apps.
    "ambient": {
        "cloud": "local",
        "charts": MESH_CHARTS | {"cni", "ztunnel"},
        "namespaces": {"istio-system", "istio-node-agents", "istio-ingress", "apps", "demo", "cert-manager"},
        "kinds": {
            **MESH_KINDS,
            "kubernetes:gateway.networking.k8s.io/v1:Gateway": 2,  # the shared Gateway and the apps waypoint
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 2,
            "kubernetes:batch/v1:Job": 3,  # the API check, the certificate's wait, the verification
            "kubernetes:cert-manager.io/v1:Certificate": 2,
            "kubernetes:apps/v1:Deployment": 1,
            "kubernetes:core/v1:Service": 1,
        },
        "outputs": {"demo", "tls", "dataplane"},
    },
    "gcp": {
        "cloud": "gcp",
        "charts": MESH_CHARTS | {"external-dns", "cni"},  # production: the CNI agent instead of istio-init
        "namespaces": {"istio-system", "istio-node-agents", "istio-ingress", "apps", "external-dns", "cert-manager"},
        "kinds": {
            **MESH_KINDS,
            "kubernetes:yaml/v2:ConfigFile": 0,  # GKE installs and manages the Gateway API CRDs (gatewayApi.install)
            "pulumi:providers:gcp": 1,
            # one identity each for external-dns and cert-manager; only external-dns reads the project
            "gcp:serviceaccount/account:Account": 2,
            "gcp:projects/iAMMember:IAMMember": 1,
            "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember": 2,
            "gcp:serviceaccount/iAMMember:IAMMember": 2,
            "kubernetes:cert-manager.io/v1:Certificate": 1,
        },
        "outputs": {"dns", "tls"},
    },
    "aws": {
        "cloud": "aws",
        "charts": MESH_CHARTS | {"external-dns", "cni"},
        "namespaces": {"istio-system", "istio-node-agents", "istio-ingress", "apps", "external-dns", "cert-manager"},
        "kinds": {
            **MESH_KINDS,
            "pulumi:providers:aws": 1,
            "aws:iam/role:Role": 2,  # external-dns' and cert-manager's
            "aws:iam/rolePolicy:RolePolicy": 2,
            "kubernetes:cert-manager.io/v1:Certificate": 1,
        },
        "outputs": {"dns", "tls"},
    },
}
OTHER_CLOUDS = {"local": ("gcp", "aws"), "gcp": ("aws",), "aws": ("gcp",)}


def test_every_shipped_stack_has_a_row():
    assert sorted(EXPECTED) == shipped_stacks()


@pytest.mark.parametrize("stack", sorted(EXPECTED))
def test_shipped_stack_builds_what_its_readme_promises(shared_run, stack):
    expected = EXPECTED[stack]
    run = shared_run(stack, stack=stack)
    assert run.outputs["cloud"] == expected["cloud"]
    assert run.outputs["versions"]["istio"] == "1.31.4"
    assert set(run.charts()) == expected["charts"]
    assert {r.inputs["metadata"]["name"] for r in run.of_type("kubernetes:core/v1:Namespace")} == expected["namespaces"]
    counts = {kind: len(run.of_type(kind)) for kind in expected["kinds"]}
    assert counts == expected["kinds"]
    assert expected["outputs"] <= set(run.outputs)
    others = OTHER_CLOUDS[expected["cloud"]]
    foreign = [r.type for r in run.resources if r.type.split(":")[0] in others or r.type.split(":")[-1] in others]
    assert foreign == []
