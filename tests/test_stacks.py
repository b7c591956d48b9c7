"""Every shipped Pulumi.<stack>.yaml builds under mocks with what its README section promises, and nothing of
another cloud."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.harness import PROJECT_DIR, shipped_stacks

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
# docs/architecture.md (what `up` installs); README, "Quick start: GCP (GKE)" and "Quick start: AWS (EKS)";
# docs/routes.md (the demo on dev).
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
        "namespaces": {
            "istio-system",
            "istio-node-agents",
            "istio-ingress",
            "apps",
            "external-dns",
            "cert-manager",
            "demo",
        },
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
            # the demo, published and verified (README, the cloud quick starts)
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 2,  # the demo's and the https redirect
            "kubernetes:batch/v1:Job": 3,  # the API check, the certificate's wait, the verification
            "kubernetes:apps/v1:Deployment": 1,
            "kubernetes:core/v1:Service": 1,
        },
        "outputs": {"dns", "tls", "demo", "routes", "verification"},
    },
    "aws": {
        "cloud": "aws",
        "charts": MESH_CHARTS | {"external-dns", "cni"},
        "namespaces": {
            "istio-system",
            "istio-node-agents",
            "istio-ingress",
            "apps",
            "external-dns",
            "cert-manager",
            "demo",
        },
        "kinds": {
            **MESH_KINDS,
            "pulumi:providers:aws": 1,
            "aws:iam/role:Role": 2,  # external-dns' and cert-manager's
            "aws:iam/rolePolicy:RolePolicy": 2,
            "kubernetes:cert-manager.io/v1:Certificate": 1,
            # the demo, published and verified (README, the cloud quick starts)
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 2,  # the demo's and the https redirect
            "kubernetes:batch/v1:Job": 3,  # the API check, the certificate's wait, the verification
            "kubernetes:apps/v1:Deployment": 1,
            "kubernetes:core/v1:Service": 1,
        },
        "outputs": {"dns", "tls", "demo", "routes", "verification"},
    },
    # docs/multicluster.md: per cluster Istio, the east-west and ingress gateways, the mesh policy, the demo and its
    # verification, the remote secrets, external-dns into the one Cloud DNS zone, cert-manager and its Let's Encrypt
    # certificate, the dashboards.
    "multicluster": {
        "cloud": "multicluster",
        "charts": {
            "base",
            "istiod",
            "gateway",
            "cni",
            "external-dns",
            "cert-manager",
            "prometheus",
            "grafana",
            "jaeger",
            "kiali-server",
        },
        "namespaces": {
            "istio-system",
            "istio-node-agents",
            "istio-ingress",
            "apps",
            "demo",
            "external-dns",
            "cert-manager",
        },
        "kinds": {
            "pulumi:providers:kubernetes": 4,
            "kubernetes:core/v1:Namespace": 14,  # seven per cluster
            # base, istiod, cni, the ingress and east-west gateways, external-dns, cert-manager, the dashboards' four
            "kubernetes:helm.sh/v4:Chart": 22,
            "pulumi:providers:gcp": 1,  # the zone's cloud
            # each cluster's external-dns and cert-manager, each its own account on the zone
            "gcp:serviceaccount/account:Account": 4,
            "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember": 4,
            "gcp:serviceaccount/iAMMember:IAMMember": 2,  # the GKE cluster's two workload identities
            "gcp:serviceaccount/key:Key": 2,  # the EKS cluster's two keys: workload identity does not cross clouds
            "kubernetes:cert-manager.io/v1:ClusterIssuer": 2,  # Let's Encrypt, per cluster
            "kubernetes:cert-manager.io/v1:Certificate": 2,  # *.<domain> and *.<cluster>.<domain>, per cluster
            "kubernetes:networking.istio.io/v1:Gateway": 2,
            # per cluster cacerts, the reader's token, the remote secret, Grafana's admin and Kiali's signing key;
            # the EKS cluster's two Cloud DNS keys
            "kubernetes:core/v1:Secret": 12,
            "tls:index/locallySignedCert:LocallySignedCert": 2,
            "kubernetes:security.istio.io/v1:PeerAuthentication": 2,
            "kubernetes:gateway.networking.k8s.io/v1:Gateway": 2,
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 4,  # per cluster the demo's and the https redirect
            "kubernetes:apps/v1:Deployment": 2,
            # per cluster cert-manager's API check, the certificate's wait, its verification, the Job across
            "kubernetes:batch/v1:Job": 8,
        },
        "outputs": {"meshId", "rootCertificate", "clusters", "dns", "tls"},
    },
}
# The multicluster stack's clusters are on gcp and aws; its only cloud resources are on the zone's cloud (gcp).
OTHER_CLOUDS = {"local": ("gcp", "aws"), "gcp": ("aws",), "aws": ("gcp",), "multicluster": ("aws",)}


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


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_cloud_examples_publish_the_demo_and_verify_it(shared_run, stack):
    """README, cloud quick starts: `routes` gives the demo's URL, the `up` ends with the in-cluster checks, and
    `demo` gives a curl straight to the load balancer's DNS name."""
    run = shared_run(stack, stack=stack)
    assert run.outputs["routes"] == {"demo": "https://demo.mesh.example.com/"}
    checks = run.outputs["verification"]["checks"]
    assert {"demo-through-gateway", "mtls-gateway-to-demo", "https-redirect"} <= set(checks)
    assert run.outputs["demo"]["curl"].startswith("curl --fail ")
    assert "https://demo.mesh.example.com/headers" in run.outputs["demo"]["curl"]


@pytest.mark.parametrize("stack", ["dev", "ambient", "airgapped"])
def test_local_stacks_carry_a_passphrase_salt_so_pulumi_writes_nothing_into_them(stack):
    """README, "Quick start: local": the CLI writes a salt into a stack's file only when it has none
    (pulumi/pulumi pkg/secrets/passphrase/manager.go, NewPromptingPassphraseSecretsManager); the e2e's clean-tree
    scenario proves the shipped one unlocks with the empty passphrase and keeps the tree clean."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    assert re.fullmatch(r"v1:[A-Za-z0-9+/]{11}=:v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/=]{32}", document["encryptionsalt"])
