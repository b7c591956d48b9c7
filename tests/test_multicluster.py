"""A mesh across clusters (stacks/multicluster.py): bad input refused naming the key, one root of trust, the
values each istiod gets, the east-west gateway, the remote secrets and their order, and a third cluster that only
adds. Expected values are literals read in istio/istio 1.30.3 (cited where they come from)."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from scripts.footprint import CHART_PODS, at, footprint
from settings.loader import SettingsError
from tests.harness import ProgramFailed, Registration, Run, assert_refused, plain_occurrences, reveal

EAST = {"name": "east", "cloud": "local", "context": "kind-east", "network": "net-east"}
WEST = {"name": "west", "cloud": "local", "context": "kind-west", "network": "net-west"}
TWO_CLUSTERS = """\
apiVersion: v1
kind: Config
current-context: kind-east
contexts:
  - {name: kind-east, context: {cluster: east, user: u}}
  - {name: kind-west, context: {cluster: west, user: u}}
  - {name: kind-south, context: {cluster: south, user: u}}
  - {name: kind-again, context: {cluster: east, user: u}}
  - {name: prod, context: {cluster: prod, user: u}}
clusters:
  - {name: east, cluster: {server: "https://127.0.0.1:6443"}}
  - {name: west, cluster: {server: "https://127.0.0.1:7443"}}
  - {name: south, cluster: {server: "https://127.0.0.1:8443"}}
  - {name: prod, cluster: {server: "https://k8s.prod.example.com"}}
users:
  - {name: u, user: {}}
"""


def mesh(*clusters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"multicluster": {"meshId": "mesh1", "clusters": list(clusters or (EAST, WEST)), **extra}}


@pytest.fixture
def run_mesh(run_stack):
    def run(config: dict[str, Any] | None = None, **overrides: Any) -> Run:
        return run_stack(copy.deepcopy(config or mesh()), kubeconfig=TWO_CLUSTERS, **overrides)

    return run


def with_cluster(cluster: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**cluster, **changes}


# external-dns in every cluster into one zone (tests/fakes.py: the Cloud DNS zone example-com is example.com., the
# Route53 zone Z0EXAMPLE1234 too). Loopback clusters have no load balancer: each names its records' target.
DOMAIN = "mesh.example.com"
TARGETS = {"east": "35.190.0.10", "west": "35.190.0.20", "south": "35.190.0.30"}
EKS = {"name": "us", "cloud": "aws", "context": "prod", "network": "net-us", "awsClusterName": "mesh-us"}


def dns_cluster(cluster: dict[str, Any]) -> dict[str, Any]:
    return {"dnsTarget": TARGETS.get(cluster["name"]), **cluster} if cluster["cloud"] == "local" else cluster


def gcp_zone(*clusters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        **mesh(*(dns_cluster(c) for c in clusters or (EAST, WEST))),
        "dns": {"enabled": True, "domain": DOMAIN, "zone": {"name": "example-com"}, **extra},
        "gcp": {"project": "my-project"},
    }


def aws_zone(*clusters: dict[str, Any], identity: str = "irsa", eks: dict[str, Any] | None = None) -> dict[str, Any]:
    listed = [dns_cluster({**c, **(eks or {})} if c["name"] == "us" else c) for c in clusters]
    if eks and "awsOidcIssuerUrl" in eks:
        listed = [{k: v for k, v in c.items() if k != "awsClusterName"} for c in listed]
    return {
        **mesh(*listed),
        "dns": {"enabled": True, "domain": DOMAIN, "zone": {"id": "Z0EXAMPLE1234"}},
        "aws": {"region": "eu-west-1", "identity": identity},
    }


BAD_INPUTS = [
    (mesh(EAST), "multicluster.clusters", ["1 given", "two or more"]),
    (mesh(EAST, with_cluster(WEST, name="east", context="kind-south")), "multicluster.clusters", ["'east'", "2 times"]),
    (mesh(EAST, with_cluster(WEST, name="west2", context="kind-east")), "multicluster.clusters[1]", ["same cluster"]),
    (mesh(EAST, with_cluster(WEST, context="kind-again")), "multicluster.clusters[1]", ["same API server"]),
    (mesh(EAST, with_cluster(WEST, context=None)), "multicluster.clusters[1].context", ["ambient current context"]),
    (
        mesh(EAST, with_cluster(WEST, network="net-east")),
        "multicluster.clusters",
        ["network 'net-east'", "flatNetworks"],
    ),
    (mesh(EAST, WEST, flatNetworks=["net-east"]), "multicluster.flatNetworks[0]", ["1 cluster(s)"]),
    (mesh(EAST, with_cluster(WEST, istioVersion="1.29.6")), "multicluster.clusters", ["east 1.31.4, west 1.29.6"]),
    (mesh(EAST, with_cluster(WEST, name="West")), "multicluster.clusters[1].name", ["DNS-1123 label"]),
    (mesh(EAST, with_cluster(WEST, network="net_west")), "multicluster.clusters[1].network", ["DNS-1123 label"]),
    (mesh(EAST, with_cluster(WEST, cloud="azure")), "multicluster.clusters[1].cloud", ["'local', 'gcp' or 'aws'"]),
    (mesh(EAST, with_cluster(WEST, apiServer="http://10.0.0.1")), "multicluster.clusters[1].apiServer", ["https://"]),
    (mesh(EAST, with_cluster(WEST, context="prod")), "multicluster.clusters[1].context", ["does not look like"]),
    (mesh(EAST, with_cluster(WEST, context="kind-nowhere")), "multicluster.clusters[1].apiServer", ["not in"]),
    (
        {**mesh(), "dns": {"domain": "mesh.example.com", "enabled": True, "zone": {"name": "example-com"}}},
        "dns.enabled",
        ["writes into one zone", "gcp section", "aws section"],
    ),
    (
        {**mesh(), "dns": {"domain": "mesh.example.com"}, "gcp": {"project": "my-project"}},
        "gcp",
        ["only for the DNS zone", "dns.enabled is not true"],
    ),
    (
        {**mesh(EAST, with_cluster(WEST, dnsTarget="35.190.0.7")), "dns": {"domain": "mesh.example.com"}},
        "multicluster.clusters[1].dnsTarget",
        ["only read with dns.enabled"],
    ),
    (
        {**mesh(), **{k: v for k, v in gcp_zone().items() if k != "multicluster"}, "aws": {"region": "eu-west-1"}},
        "gcp, aws",
        ["the one section of the cloud that holds it"],
    ),
    ({**gcp_zone(), "dns": {**gcp_zone()["dns"], "target": "35.190.0.9"}}, "dns.target", ["clusters[].dnsTarget"]),
    (
        gcp_zone(EAST, with_cluster(WEST, dnsTarget=None)),
        "multicluster.clusters[1].dnsTarget",
        ["required with dns.enabled", "NodePort", "this cluster's ingress"],
    ),
    (
        gcp_zone(EAST, with_cluster(WEST, dnsTarget="10.1.2.3")),
        "multicluster.clusters[1].dnsTarget",
        ["private address", "public zone"],
    ),
    (
        aws_zone(EAST, with_cluster(EKS, awsClusterName=None)),
        "multicluster.clusters[1].awsClusterName",
        ["irsa needs this EKS cluster's name"],
    ),
    (
        aws_zone(EAST, EKS, identity="pod-identity", eks={"awsOidcIssuerUrl": "https://oidc.example/x"}),
        "multicluster.clusters[1].awsClusterName",
        ["pod-identity needs"],
    ),
    (
        gcp_zone(with_cluster(EAST, awsClusterName="mesh-east"), WEST),
        "multicluster.clusters[0].awsClusterName",
        ["only read for a cluster of cloud aws writing into a Route53 zone", "cloud local"],
    ),
    (
        {**aws_zone(EAST, EKS), "aws": {"region": "eu-west-1", "clusterName": "mesh-us"}},
        "aws.clusterName",
        ["each cluster's own", "multicluster.clusters[].awsClusterName"],
    ),
    (
        {
            **gcp_zone(),
            "routes": [
                {
                    "name": "api",
                    "namespace": "apps",
                    "service": "api",
                    "port": 80,
                    "hostname": "api.west.mesh.example.com",
                }
            ],
            "mesh": {"injectedNamespaces": ["apps"]},
        },
        "routes[0].hostname",
        ["inside west.mesh.example.com", "cluster west's external-dns"],
    ),
    (
        {**mesh(), "dns": {"domain": "mesh.example.com"}, "tls": {"mode": "acme", "email": "ops@example.com"}},
        "tls.mode",
        ["acme proves the domain by DNS-01", "DNS is off"],
    ),
    (
        {**gcp_zone(), "tls": {"mode": "ca"}, "dashboards": {"expose": {"enabled": True, "kialiHost": DOMAIN}}},
        "dashboards.expose.kialiHost",
        ["is the apex", "<name>.<cluster>.mesh.example.com"],
    ),
    (
        {
            **gcp_zone(),
            "tls": {"mode": "secret", "secret": "wildcard"},
            "dashboards": {"expose": {"enabled": True, "grafanaHost": "g.east." + DOMAIN}},
        },
        "dashboards.expose.grafanaHost",
        ["inside east.mesh.example.com"],
    ),
    (
        {
            **mesh(EAST, with_cluster(WEST, network="net-east"), flatNetworks=["net-east"]),
            "security": {"networkPolicies": True},
        },
        "security.networkPolicies",
        ["straight from their pod IPs (net-east)", "east-west gateway"],
    ),
    ({**mesh(), "kubernetes": {"context": "kind-east"}}, "kubernetes", ["multicluster.clusters[].context"]),
    ({**mesh(), "cloud": "local"}, "cloud", ["multicluster.clusters[].cloud"]),
    ({**mesh(), "mesh": {"dataplane": "ambient"}}, "mesh.dataplane", ["ambient", "15008", "AUTO_PASSTHROUGH"]),
    (
        {**mesh(), "mesh": {"injectedNamespaces": [{"name": "apps", "dataplane": "ambient"}]}},
        "mesh.dataplane",
        ["ambient is refused in a multicluster stack"],
    ),
    (
        {
            **mesh(EAST, with_cluster(WEST, istioVersion="1.30.3")),
            "mirror": {"charts": {"repository": "https://m.example"}, "images": "m.example/i"},
        },
        "multicluster.clusters[1].istioVersion",
        ["mirror command"],
    ),
    (
        {**mesh(), "istio": {"revisions": [{"name": "a", "version": "1.31.4"}]}},
        "istio.revisions",
        ["one revision per cluster"],
    ),
]


def test_a_mesh_on_an_unsupported_istio_only_is_refused_cluster_by_cluster(run_mesh):
    """Istio 1.30 ended on 2026-12-02 (six weeks after 1.32.0): a mesh with no cluster on a supported release has
    no way out but an acknowledged one; one cluster on 1.31.4 beside it is the upgrade under way (a near miss)."""
    config = mesh(with_cluster(EAST, istioVersion="1.30.3"), with_cluster(WEST, istioVersion="1.30.8"))
    with pytest.raises(ProgramFailed) as failure:
        run_mesh(config)
    assert failure.value.registered == []
    assert isinstance(failure.value.error, SettingsError)
    problems = failure.value.error.problems
    assert [p.split(":")[0] for p in problems] == [
        "multicluster.clusters[0].istioVersion",
        "multicluster.clusters[1].istioVersion",
    ]
    assert all("out of support since 2026-12-02" in p and "istio.allowUnsupported" in p for p in problems)


@pytest.mark.parametrize(("config", "key", "words"), BAD_INPUTS, ids=[f"{c[1]}:{i}" for i, c in enumerate(BAD_INPUTS)])
def test_bad_input_is_refused_naming_the_key_before_any_resource(run_mesh, config, key, words):
    assert_refused(lambda: run_mesh(config), key, words)


NEAR_MISSES = [
    mesh(EAST, with_cluster(WEST, network="net-east"), flatNetworks=["net-east"]),
    mesh(EAST, with_cluster(WEST, istioVersion="1.30.3")),  # one minor apart
    mesh(EAST, with_cluster(WEST, context="prod", cloud="gcp")),  # not local: no local guard
    mesh(EAST, with_cluster(WEST, context="kind-nowhere", apiServer="https://10.0.0.7:6443")),
    {**mesh(), "profile": "production", "istio": {"version": "1.31.4"}},
    {
        **mesh(with_cluster(EAST, istioVersion="1.30.3"), with_cluster(WEST, istioVersion="1.30.8")),
        "istio": {"allowUnsupported": True},
    },
]


@pytest.mark.parametrize("config", NEAR_MISSES)
def test_near_misses_are_accepted(run_mesh, config):
    assert run_mesh(config).outputs["meshId"] == "mesh1"


def on(resource: Registration, cluster: str) -> bool:
    """Registered through the cluster's own (strict) provider."""
    return f"$pulumi:providers:kubernetes::{cluster}-cluster::" in resource.provider


def istiod(run: Run, cluster: str) -> Registration:
    return run.named(f"{cluster}-istio-istiod")


def test_each_istiod_carries_the_mesh_its_name_and_network(run_mesh):
    run = run_mesh(mesh(EAST, WEST, trustDomain="example.org"))
    for cluster, network in (("east", "net-east"), ("west", "net-west")):
        values = reveal(istiod(run, cluster).inputs["values"])
        # istio-discovery values.yaml: global.meshID, global.multiCluster.clusterName, global.network.
        assert values["global"]["meshID"] == "mesh1"
        assert values["global"]["multiCluster"] == {"clusterName": cluster}
        assert values["global"]["network"] == network
        assert values["meshConfig"]["trustDomain"] == "example.org"
        # templates/reader-clusterrole.yaml is rendered unless global.enableReaderRBAC is false.
        assert values["global"]["enableReaderRBAC"] is False
        namespace = run.named(f"{cluster}-istio-system")
        assert namespace.inputs["metadata"]["labels"]["topology.istio.io/network"] == network
        assert on(istiod(run, cluster), cluster)


@pytest.mark.parametrize("config", [None, "everything"])
def test_every_object_goes_through_its_clusters_provider(run_mesh, config):
    # "everything": DNS, HTTPS from the stack's CA, the demo and routes, production's NetworkPolicies, the dashboards.
    run = run_mesh({**DNS_APPS, "tls": {"mode": "ca"}, "profile": "production"} if config else None)
    for r in run.resources:
        if r.type.startswith("kubernetes:"):
            cluster = r.name.split("-")[0]
            # base's, the Gateway API's and cert-manager's kept CRDs go through the cluster's adopting provider
            # (stacks/mesh.py, adopting_provider; components/cert_manager.py, crd_provider)
            adopting = f"$pulumi:providers:kubernetes::{cluster}-cluster-adopting::" in r.provider
            kept = (f"{cluster}-istio-base", f"{cluster}-gateway-api-standard", f"{cluster}-cert-manager")
            assert on(r, cluster) or (adopting and r.name in kept), (r.name, r.provider)


def test_cacerts_hold_the_intermediate_chained_to_the_one_root_before_istiod(run_mesh):
    run = run_mesh()
    root = "-----BEGIN CERTIFICATE-----\nmesh-root-ca\n-----END CERTIFICATE-----\n"
    for cluster in ("east", "west"):
        cacerts = run.named(f"{cluster}-istio-cacerts")
        assert cacerts.inputs["metadata"]["name"] == "cacerts"  # templates/deployment.yaml: secretName cacerts
        files = reveal(cacerts.inputs["stringData"])
        intermediate = f"-----BEGIN CERTIFICATE-----\n{cluster}-intermediate-ca\n-----END CERTIFICATE-----\n"
        key = f"{cluster}-intermediate-ca-key"
        assert files == {
            "ca-cert.pem": intermediate,
            "ca-key.pem": f"-----BEGIN RSA PRIVATE KEY-----\n{key}\n-----END RSA PRIVATE KEY-----\n",
            "root-cert.pem": root,
            "cert-chain.pem": intermediate + root,
        }
        assert istiod(run, cluster).depends_on(cacerts)
        signed = run.one("tls:index/locallySignedCert:LocallySignedCert", f"{cluster}-intermediate-ca")
        assert signed.inputs["isCaCertificate"] is True
        assert "cert_signing" in signed.inputs["allowedUses"]
        assert signed.depends_on(run.one("tls:index/selfSignedCert:SelfSignedCert", "mesh-root-ca"))
    assert len(run.of_type("tls:index/selfSignedCert:SelfSignedCert")) == 1


def test_no_private_key_in_plain_text_in_inputs_or_outputs(run_mesh):
    run = run_mesh()
    for key in ("mesh-root-ca-key", "east-intermediate-ca-key", "west-intermediate-ca-key"):
        for r in run.resources:
            assert plain_occurrences(r.raw_inputs, f"\n{key}\n") == [], r.name
        assert plain_occurrences(run.raw_outputs, f"\n{key}\n") == []
    for name in ("east-reads-west", "west-reads-east"):
        assert plain_occurrences(run.one("kubernetes:core/v1:Secret", name).raw_inputs, "token-of-") == []


def test_new_certificates_restart_istiod(run_mesh):
    values = reveal(istiod(run_mesh(), "east").inputs["values"])
    digest = values["podAnnotations"]["servicemesh.dev/cacerts-sha256"]
    assert len(digest) == 64
    other = reveal(istiod(run_mesh(), "west").inputs["values"])["podAnnotations"]["servicemesh.dev/cacerts-sha256"]
    assert digest != other  # each cluster's own intermediate


def test_east_west_gateway_per_cluster_exposes_the_mesh_on_15443(run_mesh):
    run = run_mesh()
    for cluster, network in (("east", "net-east"), ("west", "net-west")):
        chart = run.one("kubernetes:helm.sh/v4:Chart", f"{cluster}-eastwest")
        assert chart.inputs["chart"] == "gateway"
        # gen-eastwest-gateway.sh: the gateway labelled istio=eastwestgateway, i.e. release istio-eastwestgateway.
        assert chart.inputs["name"] == "istio-eastwestgateway"
        assert chart.inputs["namespace"] == "istio-system"
        values = reveal(chart.inputs["values"])
        assert values["networkGateway"] == network
        assert values["service"]["type"] == "LoadBalancer"
        gateway = run.named(f"{cluster}-eastwest-cross-network-gateway")
        # samples/multicluster/expose-services.yaml
        assert gateway.inputs["spec"] == {
            "selector": {"istio": "eastwestgateway"},
            "servers": [
                {
                    "port": {"number": 15443, "name": "tls", "protocol": "TLS"},
                    "tls": {"mode": "AUTO_PASSTHROUGH"},
                    "hosts": ["*.local"],
                }
            ],
        }
        assert gateway.depends_on(istiod(run, cluster)) and chart.depends_on(istiod(run, cluster))


def test_one_flat_network_needs_no_east_west_gateway(run_mesh):
    run = run_mesh(mesh(EAST, with_cluster(WEST, network="net-east"), flatNetworks=["net-east"]))
    assert [r.name for r in run.of_type("servicemesh:istio:EastWestGateway")] == []
    # cacerts, reader tokens, remote secrets (the rest are the dashboards')
    mesh_secrets = [
        r.name for r in run.of_type("kubernetes:core/v1:Secret") if "grafana" not in r.name and "kiali" not in r.name
    ]
    assert sorted(mesh_secrets) == sorted(
        [
            "east-istio-cacerts",
            "west-istio-cacerts",
            "east-reader-token",
            "west-reader-token",
            "east-reads-west",
            "west-reads-east",
        ]
    )


def kubeconfig_in(run: Run, reading: str, read: str) -> dict[str, Any]:
    secret = run.one("kubernetes:core/v1:Secret", f"{reading}-reads-{read}")
    return json.loads(reveal(secret.inputs["stringData"])[read])


def test_each_cluster_holds_a_remote_secret_for_every_other(run_mesh):
    run = run_mesh()
    for reading, read, server in (
        ("east", "west", "https://127.0.0.1:7443"),
        ("west", "east", "https://127.0.0.1:6443"),
    ):
        secret = run.one("kubernetes:core/v1:Secret", f"{reading}-reads-{read}")
        # istioctl/pkg/multicluster/remote_secret.go and pkg/kube/multicluster/secretcontroller.go
        assert secret.inputs["metadata"] == {
            "name": f"istio-remote-secret-{read}",
            "namespace": "istio-system",
            "labels": {"istio/multiCluster": "true"},
            "annotations": {"networking.istio.io/cluster": read},
        }
        assert on(secret, reading)
        kubeconfig = kubeconfig_in(run, reading, read)
        assert kubeconfig["current-context"] == read
        assert kubeconfig["clusters"] == [
            {
                "name": read,
                "cluster": {
                    "certificate-authority-data": base64.b64encode(f"ca-of-{read}-reader-token".encode()).decode(),
                    "server": server,
                },
            }
        ]
        assert kubeconfig["users"] == [{"name": read, "user": {"token": f"token-of-{read}-reader-token"}}]
        token = run.named(f"{read}-reader-token")
        # Created after the reader exists (base renders the service account), deleted first (it depends on it).
        assert secret.depends_on(token)
        assert token.depends_on(run.named(f"{read}-istio-base"))


def test_the_reader_token_is_long_lived_and_awaited(run_mesh):
    token = run_mesh().named("west-reader-token")
    assert token.inputs["type"] == "kubernetes.io/service-account-token"
    assert token.inputs["metadata"]["name"] == "istio-reader-service-account-istio-remote-secret-token"
    assert token.inputs["metadata"]["annotations"] == {
        "kubernetes.io/service-account.name": "istio-reader-service-account",
        "pulumi.com/waitFor": "jsonpath={.data.token}",
    }


def test_the_reader_lists_what_istiod_lists_and_no_secret(run_mesh):
    role = run_mesh().one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "west-reader-role")
    assert role.type == "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
    granted = {
        (group, resource)
        for rule in role.inputs["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    for needed in (("", "services"), ("", "pods"), ("", "namespaces"), ("discovery.k8s.io", "endpointslices")):
        assert needed in granted
    assert ("", "secrets") not in granted and ("", "*") not in granted


def test_a_third_cluster_is_one_entry_that_only_adds(run_mesh):
    south = {"name": "south", "cloud": "local", "context": "kind-south", "network": "net-south"}
    two, three = run_mesh(), run_mesh(mesh(EAST, WEST, south))
    before = {r.urn: r for r in two.resources}
    after = {r.urn: r for r in three.resources}
    assert set(before) < set(after)
    changed = [urn for urn, r in before.items() if reveal(r.inputs) != reveal(after[urn].inputs)]
    assert changed == []
    added = {after[urn].name for urn in set(after) - set(before)}
    assert {
        "south-istio-istiod",
        "east-reads-south",
        "south-reads-east",
        "west-reads-south",
        "south-reads-west",
    } <= added


def test_every_container_of_every_cluster_has_requests_and_a_memory_limit(run_mesh):
    charts = run_mesh({**mesh(), "profile": "production"}).of_type("kubernetes:helm.sh/v4:Chart")
    assert sorted(c.name for c in charts) == sorted(
        f"{cluster}-{chart}"
        for cluster in ("east", "west")
        # production: the CNI node agent instead of the privileged istio-init, as in one cluster (settings/dataplane.py)
        for chart in (
            "istio-base",
            "istio-istiod",
            "eastwest",
            "ingress-gateway",
            "istio-node-agents-cni",
            "prometheus",
            "grafana",
            "jaeger",
            "kiali",
        )
    )
    checked = 0
    for chart in charts:
        values = reveal(chart.inputs["values"])
        for pod in CHART_PODS[chart.inputs["chart"]]:
            for container in pod.containers:
                if container.rendered(values):
                    resources = at(values, container.resources_at)
                    assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]
                    checked += 1
    # istiod, the east-west and the ingress gateway, the CNI agent, Prometheus and its config reloader, Grafana,
    # Jaeger and Kiali, in each cluster
    assert checked == 2 * 9


def test_with_a_mirror_every_chart_of_every_cluster_comes_from_it(run_mesh):
    mirror = {
        "charts": {"repository": "https://mirror.internal.example/charts"},
        "images": "registry.internal.example/m",
    }
    charts = run_mesh({**mesh(), "mirror": mirror}).of_type("kubernetes:helm.sh/v4:Chart")
    assert len(charts) == 2 * 8  # Istio's four, the east-west gateway, the dashboards' four
    for chart in charts:
        assert chart.inputs["repositoryOpts"]["repo"] == "https://mirror.internal.example/charts", chart.name


# What every cluster installs around the mesh, from shared settings (stacks/multicluster.py, cluster_settings).
APPS = {
    **mesh(),
    "mesh": {"mtls": "STRICT", "injectedNamespaces": ["apps"]},
    "dns": {"domain": "mesh.localhost"},
    "demo": {"enabled": True},
}


def checks_config(run: Run, cluster: str) -> dict[str, Any]:
    config_map = run.one("kubernetes:core/v1:ConfigMap", f"{cluster}-verification-checks")
    return json.loads(config_map.inputs["data"]["config.json"])


def test_each_cluster_gets_the_mesh_policy_the_ingress_gateway_the_gateway_api_and_the_demo(run_mesh):
    run = run_mesh(APPS)
    for cluster in ("east", "west"):
        mtls = run.named(f"{cluster}-mesh-policy-mtls")
        assert (mtls.inputs["kind"], mtls.inputs["metadata"]["name"]) == ("PeerAuthentication", "default")
        assert mtls.inputs["spec"] == {"mtls": {"mode": "STRICT"}}
        assert mtls.depends_on(istiod(run, cluster))
        apps = run.named(f"{cluster}-apps")
        assert apps.inputs["metadata"]["name"] == "apps"
        assert apps.inputs["metadata"]["labels"]["istio-injection"] == "enabled"
        ingress = run.one("kubernetes:helm.sh/v4:Chart", f"{cluster}-ingress-gateway")
        assert (ingress.inputs["chart"], ingress.inputs["name"]) == ("gateway", "istio-ingressgateway")
        assert reveal(ingress.inputs["values"])["service"]["type"] == "NodePort"  # cloud local: no load balancer
        assert ingress.depends_on(istiod(run, cluster))
        assert run.named(f"{cluster}-gateway-api-standard").inputs["file"].endswith("standard-install.yaml")
        gateway = run.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", f"{cluster}-shared-gateway")
        assert {listener["hostname"] for listener in gateway.inputs["spec"]["listeners"]} == {"*.mesh.localhost"}
        # One Service name in every cluster (Istio merges its endpoints), one identity per cluster.
        service = run.named(f"{cluster}-demo-service").inputs["metadata"]
        assert (service["name"], service["namespace"]) == ("httpbin", "demo")
        assert run.named(f"{cluster}-demo-account").inputs["metadata"]["name"] == f"httpbin-{cluster}"
        for r in (mtls, apps, ingress, gateway, run.one("kubernetes:apps/v1:Deployment", f"{cluster}-demo")):
            assert on(r, cluster), r.name


def across_config(run: Run, cluster: str, other: str) -> dict[str, Any]:
    config_map = run.one("kubernetes:core/v1:ConfigMap", f"{cluster}-across-{other}-checks")
    return json.loads(config_map.inputs["data"]["config.json"])


def test_each_clusters_verification_checks_its_own_demo(run_mesh):
    run = run_mesh({**APPS, "multicluster": {**APPS["multicluster"], "trustDomain": "example.org"}})
    for cluster in ("east", "west"):
        config = checks_config(run, cluster)
        assert config["checks"] == [
            "demo-through-gateway",
            "mtls-gateway-to-demo",
            "trace-in-jaeger",
            "prometheus-sees-demo",
            "plaintext-refused",
        ]
        # Its own cluster's Jaeger and Prometheus: the gateway that took the request reports there.
        assert config["jaeger"]["url"] == "http://jaeger.istio-system.svc.cluster.local:16686"
        assert config["demo"]["gatewayIdentity"] == "spiffe://example.org/ns/istio-ingress/sa/istio-ingressgateway"
        assert "acrossClusters" not in config
        assert on(run.one("kubernetes:batch/v1:Job", f"{cluster}-verification"), cluster)


def test_a_job_per_ordered_pair_requests_the_other_clusters_demo_over_mtls(run_mesh):
    run = run_mesh({**APPS, "multicluster": {**APPS["multicluster"], "trustDomain": "example.org"}})
    for cluster, other in (("east", "west"), ("west", "east")):
        config = across_config(run, cluster, other)
        assert config["checks"] == ["demo-across-clusters"]
        assert config["acrossClusters"] == {
            "clusters": {other: f"spiffe://example.org/ns/demo/sa/httpbin-{other}"},
            "demo": {
                "host": "demo.mesh.localhost",
                "path": "/headers",
                "gatewayIdentity": "spiffe://example.org/ns/istio-ingress/sa/istio-ingressgateway",
            },
        }
        assert config["gateway"] == {"url": "http://istio-ingressgateway.istio-ingress.svc.cluster.local:80"}
        job = run.one("kubernetes:batch/v1:Job", f"{cluster}-across-{other}")
        assert on(job, cluster)
        # After what the cross-cluster request crosses: the other's demo, both east-west gateways, and the remote
        # secret through which this cluster's istiod learns the other's endpoints.
        assert job.depends_on(run.one("kubernetes:apps/v1:Deployment", f"{other}-demo"))
        assert job.depends_on(run.one("kubernetes:core/v1:Secret", f"{cluster}-reads-{other}"))
        for side in (cluster, other):
            assert job.depends_on(run.one("kubernetes:helm.sh/v4:Chart", f"{side}-eastwest"))
        output = run.outputs["clusters"][cluster]["acrossClusters"][other]
        assert output["log"].startswith(f"kubectl --context kind-{cluster} -n istio-system logs job/mesh-verify-")
        assert run.outputs["clusters"][cluster]["verification"]["job"] != output["job"]


def test_without_a_demo_no_cross_cluster_check_and_no_job(run_mesh):
    run = run_mesh({**mesh(), "dns": {"domain": "mesh.localhost"}, "mesh": {"injectedNamespaces": ["apps"]}})
    assert run.of_type("kubernetes:batch/v1:Job") == []
    assert run.outputs["clusters"]["east"]["verification"] is None


def test_each_clusters_ingress_follows_its_cloud(run_mesh):
    run = run_mesh(
        {
            **APPS,
            **mesh(
                with_cluster(EAST, context="prod", cloud="gcp"),
                with_cluster(WEST, context="kind-nowhere", cloud="aws", apiServer="https://10.0.0.7:6443"),
            ),
        }
    )
    east = reveal(run.one("kubernetes:helm.sh/v4:Chart", "east-ingress-gateway").inputs["values"])["service"]
    west = reveal(run.one("kubernetes:helm.sh/v4:Chart", "west-ingress-gateway").inputs["values"])["service"]
    assert east["type"] == "LoadBalancer" and east["annotations"] == {}
    assert west["type"] == "LoadBalancer"
    assert west["annotations"] == {  # as the aws stack gives its ingress (stacks/aws.py)
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    }
    # One hostname for every cluster's gateway and no DNS record written: the demo's curl goes through this
    # cluster's own gateway even behind a load balancer.
    curl = run.outputs["clusters"]["east"]["demo"]
    assert "kubectl --context prod -n istio-ingress port-forward svc/istio-ingressgateway 8080:80" in curl
    assert "-H 'Host: demo.mesh.localhost' http://localhost:8080/headers" in curl


def test_each_cluster_traces_to_its_own_jaeger_or_the_collector_named(run_mesh):
    """Dashboards per cluster: each cluster's proxies report to its own Jaeger; mesh.tracing.zipkinAddress names one
    collector for every cluster instead; no Jaeger and no collector, no Telemetry."""
    run = run_mesh(APPS)
    for cluster in ("east", "west"):
        assert on(run.one("kubernetes:helm.sh/v4:Chart", f"{cluster}-jaeger"), cluster)
        mesh_config = reveal(istiod(run, cluster).inputs["values"])["meshConfig"]
        assert mesh_config["extensionProviders"][0]["zipkin"] == {
            "service": "jaeger.istio-system.svc.cluster.local",
            "port": 9411,
        }
        assert run.named(f"{cluster}-mesh-policy-tracing").inputs["spec"]["tracing"][0]["providers"] == [
            {"name": "jaeger"}
        ]
    untraced = run_mesh({**APPS, "dashboards": {"jaeger": {"enabled": False}}})
    assert [r.name for r in untraced.resources if r.name.endswith("-mesh-policy-tracing")] == []
    traced = run_mesh(
        {
            **APPS,
            "mesh": {**APPS["mesh"], "tracing": {"zipkinAddress": "collector.tracing:9411"}},
            "dashboards": {"jaeger": {"enabled": False}},
        }
    )
    for cluster in ("east", "west"):
        telemetry = traced.named(f"{cluster}-mesh-policy-tracing")
        assert telemetry.inputs["spec"]["tracing"][0]["providers"] == [{"name": "jaeger"}]
        mesh_config = reveal(istiod(traced, cluster).inputs["values"])["meshConfig"]
        assert mesh_config["extensionProviders"][0]["zipkin"] == {"service": "collector.tracing", "port": 9411}


def test_a_third_cluster_with_the_demo_only_adds(run_mesh):
    """Nothing existing changes, the verification Jobs included (each hashes its own cluster, a pair's Job its two):
    the third cluster's installs, its remote secrets both ways, and a Job per new ordered pair."""
    south = {"name": "south", "cloud": "local", "context": "kind-south", "network": "net-south"}
    two = run_mesh(APPS)
    three = run_mesh({**APPS, "multicluster": {**APPS["multicluster"], "clusters": [EAST, WEST, south]}})
    before = {r.urn: r for r in two.resources}
    after = {r.urn: r for r in three.resources}
    assert set(before) < set(after)
    changed = sorted(r.name for urn, r in before.items() if reveal(r.inputs) != reveal(after[urn].inputs))
    assert changed == []
    added = {after[urn].name for urn in set(after) - set(before)}
    jobs = {name for name in added if after_job(three, name)}
    assert jobs == {"south-verification", *(f"{a}-across-{b}" for a, b in PAIRS_WITH_SOUTH)}
    assert across_config(three, "east", "south")["acrossClusters"]["clusters"] == {
        "south": "spiffe://cluster.local/ns/demo/sa/httpbin-south"
    }


PAIRS_WITH_SOUTH = (("east", "south"), ("west", "south"), ("south", "east"), ("south", "west"))


def after_job(run: Run, name: str) -> bool:
    return any(r.name == name for r in run.of_type("kubernetes:batch/v1:Job"))


def test_the_footprint_of_the_shipped_example_is_per_cluster(shared_run):
    """docs/sizing.md: each cluster of the multicluster example (production) requests 3450m CPU and 7172Mi: istiod,
    the ingress and the east-west gateways, the CNI agent, external-dns (50m, 64Mi), cert-manager with its API check
    and the certificate's wait (220m, 704Mi), the dashboards (910m, 2976Mi), the demo with its sidecar, the
    verification Job, and the Job that reaches the other cluster's demo (10m, 32Mi: one per other cluster)."""
    run = shared_run("multicluster", stack="multicluster")
    for cluster in ("europe", "us"):
        mine = [r for r in run.resources if r.name.startswith(f"{cluster}-")]
        # footprint() reads one chart per chart name: the east-west gateway, a second `gateway`, apart.
        east_west = [r for r in mine if r.name == f"{cluster}-eastwest"]
        rest = footprint(Run([r for r in mine if r not in east_west], {}, {}))
        extra = footprint(Run(east_west, {}, {}))
        assert extra.pods == {"ingress gateway": (2, 250, 256.0)}  # named after the chart's pod, not the release
        assert (rest.cpu_millicores + extra.cpu_millicores, rest.memory_mib + extra.memory_mib) == (3450, 7172)


def test_each_route_is_published_in_every_cluster_and_checked_there(run_mesh):
    run = run_mesh({**APPS, "routes": [{"name": "shop", "namespace": "apps", "service": "shop", "port": 8080}]})
    for cluster in ("east", "west"):
        route = run.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", f"{cluster}-route-apps-shop")
        assert route.inputs["metadata"] == {"name": "shop", "namespace": "apps"}
        assert route.inputs["spec"]["hostnames"] == ["shop.mesh.localhost"]
        assert route.inputs["spec"]["parentRefs"] == [{"name": "mesh-gateway", "namespace": "istio-ingress"}]
        assert on(route, cluster)
        assert route.depends_on(run.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", f"{cluster}-shared-gateway"))
        assert "route-apps/shop" in checks_config(run, cluster)["checks"]
        assert run.outputs["clusters"][cluster]["urls"] == {
            "shop": "http://shop.mesh.localhost/",
            "demo": "http://demo.mesh.localhost/",
        }


def test_https_with_a_secret_of_yours_in_every_cluster(run_mesh):
    """tls.mode secret: the same Secret name in every cluster's ingress namespace, put there by you; the checks go
    over HTTPS without verifying the certificate (the stack does not know its CA), and plain HTTP is redirected."""
    run = run_mesh({**APPS, "tls": {"mode": "secret", "secret": "mesh-tls"}})
    for cluster in ("east", "west"):
        gateway = run.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", f"{cluster}-shared-gateway")
        https = [listener for listener in gateway.inputs["spec"]["listeners"] if listener["protocol"] == "HTTPS"]
        assert [listener["tls"]["certificateRefs"] for listener in https] == [[{"kind": "Secret", "name": "mesh-tls"}]]
        redirect = run.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", f"{cluster}-https-redirect")
        assert on(redirect, cluster)
        config = checks_config(run, cluster)
        assert config["gateway"] == {
            "url": "https://istio-ingressgateway.istio-ingress.svc.cluster.local:443",
            "trust": "unverified",
        }
        assert "https-redirect" in config["checks"]
        other = "west" if cluster == "east" else "east"
        assert across_config(run, cluster, other)["gateway"] == config["gateway"]  # through HTTPS too
    assert run.of_type("kubernetes:cert-manager.io/v1:Certificate") == []


def test_a_clusters_kubeconfig_does_not_rename_the_verification_job(run_mesh):
    """A kubeconfig given as contents changes when its credentials rotate: the same checks, the same Job."""

    def job_names(kubeconfig: str) -> list[str]:
        east = with_cluster(EAST, kubeconfig=kubeconfig)
        run = run_mesh({**APPS, "multicluster": {**APPS["multicluster"], "clusters": [east, WEST]}})
        return sorted(job.inputs["metadata"]["name"] for job in run.of_type("kubernetes:batch/v1:Job"))

    first, rotated = job_names(TWO_CLUSTERS), job_names(TWO_CLUSTERS + "# rotated\n")
    assert len(first) == 4 and first == rotated  # each cluster's own, and one per ordered pair


# external-dns per cluster: each writes its own names (`<route>.<cluster>.<domain>`) into the mesh's one zone.
DNS_APPS = {
    **gcp_zone(),
    "mesh": {"mtls": "STRICT", "injectedNamespaces": ["apps"]},
    "demo": {"enabled": True},
    "routes": [
        {"name": "shop", "namespace": "apps", "service": "shop", "port": 8080},
        {"name": "legacy", "namespace": "apps", "service": "legacy", "port": 80, "kind": "istio"},
    ],
}
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"


def external_dns_values(run: Run, cluster: str) -> dict[str, Any]:
    chart = run.one("kubernetes:helm.sh/v4:Chart", f"{cluster}-external-dns")
    assert on(chart, cluster)
    return dict(reveal(chart.inputs["values"]))


def test_each_cluster_runs_its_own_external_dns_into_the_one_zone(run_mesh):
    run = run_mesh(DNS_APPS)
    # One zone, looked up once through the one Google provider; none created.
    lookups = [call for call in run.calls if call[0] == "gcp:dns/getManagedZone:getManagedZone"]
    assert [args["name"] for _, args, _ in lookups] == ["example-com"]
    assert run.of_type("gcp:dns/managedZone:ManagedZone") == []
    owners, accounts = set(), set()
    for cluster in ("east", "west"):
        values = external_dns_values(run, cluster)
        # Its own owner, so no cluster's external-dns touches another's records, and only its own names.
        assert values["txtOwnerId"] == f"service-mesh-test-{cluster}"
        assert values["domainFilters"] == [f"{cluster}.mesh.example.com"]
        owners.add(values["txtOwnerId"])
        namespace = run.one("kubernetes:core/v1:Namespace", f"{cluster}-external-dns")
        assert on(namespace, cluster) and namespace.inputs["metadata"]["name"] == "external-dns"
        # Its own service account on the zone, and (a loopback cluster is not GKE) its key in its own cluster.
        account = run.one("gcp:serviceaccount/account:Account", f"{cluster}-external-dns-gcp").inputs
        accounts.add(account["accountId"])
        assert 6 <= len(account["accountId"]) <= 30
        grant = run.one(
            "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", f"{cluster}-external-dns-gcp-zone-admin"
        )
        assert grant.inputs["managedZone"] == "example-com" and grant.inputs["role"] == "roles/dns.admin"
        secret = run.one("kubernetes:core/v1:Secret", f"{cluster}-external-dns-gcp-key")
        assert on(secret, cluster) and secret.inputs["metadata"]["namespace"] == "external-dns"
        assert run.outputs["clusters"][cluster]["dns"]["domainFilter"] == f"{cluster}.mesh.example.com"
    assert len(owners) == 2 and len(accounts) == 2
    assert run.outputs["dns"]["zone"] == {"name": "example-com", "id": "4711"}


def test_each_clusters_routes_answer_to_its_own_name_and_point_at_its_target(run_mesh):
    run = run_mesh(DNS_APPS)
    for cluster, target in (("east", "35.190.0.10"), ("west", "35.190.0.20")):
        shop = run.one(HTTP_ROUTE, f"{cluster}-route-apps-shop")
        assert shop.inputs["spec"]["hostnames"] == ["shop.mesh.example.com", f"shop.{cluster}.mesh.example.com"]
        legacy = run.one("kubernetes:networking.istio.io/v1:VirtualService", f"{cluster}-route-apps-legacy")
        assert legacy.inputs["spec"]["hosts"] == ["legacy.mesh.example.com", f"legacy.{cluster}.mesh.example.com"]
        istio_gateway = run.one("kubernetes:networking.istio.io/v1:Gateway", f"{cluster}-istio-gateway").inputs
        assert istio_gateway["spec"]["servers"][0]["hosts"] == [
            "legacy.mesh.example.com",
            f"legacy.{cluster}.mesh.example.com",
        ]
        # external-dns publishes this cluster's address, not the in-cluster name Istio reports without a balancer.
        for gateway in (
            run.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", f"{cluster}-shared-gateway").inputs,
            istio_gateway,
        ):
            assert gateway["metadata"]["annotations"] == {"external-dns.alpha.kubernetes.io/target": target}
        assert run.outputs["clusters"][cluster]["urls"]["shop"] == f"http://shop.{cluster}.mesh.example.com/"
    # Without DNS, one name in every cluster, as before.
    plain = run_mesh(APPS)
    assert plain.one(HTTP_ROUTE, "east-route-demo-demo").inputs["spec"]["hostnames"] == ["demo.mesh.localhost"]


def test_identity_follows_the_clusters_cloud(run_mesh):
    """In the zone's own cloud, the section's identity (workload identity on GKE, irsa on EKS); elsewhere a key."""
    gke = with_cluster(EAST, context="prod", cloud="gcp")
    run = run_mesh(gcp_zone(gke, WEST))
    assert run.of_type("gcp:serviceaccount/key:Key")[0].name == "west-external-dns-gcp-key"
    assert len(run.of_type("gcp:serviceaccount/key:Key")) == 1
    binding = run.one("gcp:serviceaccount/iAMMember:IAMMember", "east-external-dns-gcp-workload-identity").inputs
    assert binding["member"] == "serviceAccount:my-project.svc.id.goog[external-dns/external-dns]"
    eks = with_cluster(EKS, apiServer="https://10.0.0.7:6443")
    run = run_mesh(aws_zone(EAST, eks))
    role = run.one("aws:iam/role:Role", "us-external-dns-aws").inputs
    assert "system:serviceaccount:external-dns:external-dns" in role["assumeRolePolicy"]
    clusters = [args["name"] for token, args, _ in run.calls if token == "aws:eks/getCluster:getCluster"]
    assert clusters == ["mesh-us"]
    assert run.one("aws:iam/user:User", "east-external-dns-aws").inputs == {}
    assert run.one("aws:iam/accessKey:AccessKey", "east-external-dns-aws")


def test_a_third_cluster_with_dns_only_adds(run_mesh):
    south = {"name": "south", "cloud": "local", "context": "kind-south", "network": "net-south"}
    two, three = run_mesh(DNS_APPS), run_mesh({**DNS_APPS, **gcp_zone(EAST, WEST, south)} | {"demo": {"enabled": True}})
    before = {r.urn: r for r in two.resources}
    after = {r.urn: r for r in three.resources}
    assert set(before) < set(after)
    assert [urn for urn, r in before.items() if reveal(r.inputs) != reveal(after[urn].inputs)] == []
    added = {after[urn].name for urn in set(after) - set(before)}
    assert {"south-external-dns", "south-external-dns-gcp"} <= added


# HTTPS per cluster from cert-manager: ca on one ingress root (an intermediate per cluster), or acme.
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
INGRESS_ROOT = "-----BEGIN CERTIFICATE-----\ningress-root-ca\n-----END CERTIFICATE-----\n"


def test_ca_signs_every_clusters_certificate_with_its_own_intermediate_of_one_root(run_mesh):
    run = run_mesh({**DNS_APPS, "tls": {"mode": "ca"}})
    root = run.one("tls:index/selfSignedCert:SelfSignedCert", "ingress-root-ca")
    assert root.inputs["isCaCertificate"] is True
    assert root.inputs["subject"] == {"organization": "service-mesh", "commonName": "service-mesh-test ingress root CA"}
    # Apart from the mesh's root, which signs the workloads' identities only.
    assert {r.name for r in run.of_type("tls:index/selfSignedCert:SelfSignedCert")} == {
        "mesh-root-ca",
        "ingress-root-ca",
    }
    assert run.outputs["tls"] == {"mode": "ca", "rootCertificate": INGRESS_ROOT}
    for cluster in ("east", "west"):
        intermediate = run.one("tls:index/locallySignedCert:LocallySignedCert", f"{cluster}-ingress-ca")
        assert intermediate.inputs["isCaCertificate"] is True
        assert intermediate.inputs["caCertPem"] == INGRESS_ROOT
        assert run.one("kubernetes:helm.sh/v4:Chart", f"{cluster}-cert-manager").inputs["chart"] == "cert-manager"
        # The cluster holds its intermediate and its key, and the root's certificate: never the root's key.
        secret = run.one("kubernetes:core/v1:Secret", f"{cluster}-wildcard-certificate-issuing-ca")
        assert on(secret, cluster)
        assert secret.inputs["type"] == "kubernetes.io/tls"
        assert secret.inputs["metadata"] == {"name": "mesh-issuing-ca", "namespace": "cert-manager"}
        files = reveal(secret.inputs["stringData"])
        assert files["tls.crt"] == f"-----BEGIN CERTIFICATE-----\n{cluster}-ingress-ca\n-----END CERTIFICATE-----\n"
        assert (
            files["tls.key"]
            == f"-----BEGIN RSA PRIVATE KEY-----\n{cluster}-ingress-ca-key\n-----END RSA PRIVATE KEY-----\n"
        )
        assert files["ca.crt"] == INGRESS_ROOT
        issuer = run.one(CLUSTER_ISSUER, f"{cluster}-wildcard-certificate-ca")
        assert issuer.inputs["spec"] == {"ca": {"secretName": "mesh-issuing-ca"}} and issuer.depends_on(secret)
        certificate = run.one(CERTIFICATE, f"{cluster}-wildcard-certificate")
        assert certificate.inputs["spec"]["dnsNames"] == ["*.mesh.example.com", f"*.{cluster}.mesh.example.com"]
        # No root of its own in the cluster.
        assert [r.name for r in run.of_type(CERTIFICATE) if on(r, cluster)] == [f"{cluster}-wildcard-certificate"]
        # Its checks, and the one across, go over HTTPS verified against the one root, once the certificate is Ready.
        wait = run.one("kubernetes:batch/v1:Job", f"{cluster}-certificate-wait")
        for job, config_map in ((f"{cluster}-verification", f"{cluster}-verification-checks"),):
            assert run.one("kubernetes:batch/v1:Job", job).depends_on(wait)
            data = run.one("kubernetes:core/v1:ConfigMap", config_map).inputs["data"]
            assert data["ca.crt"] == INGRESS_ROOT and json.loads(data["config.json"])["gateway"]["trust"] == "ca"
        other = "west" if cluster == "east" else "east"
        across = run.one("kubernetes:batch/v1:Job", f"{cluster}-across-{other}")
        assert across.depends_on(wait)
        data = run.one("kubernetes:core/v1:ConfigMap", f"{cluster}-across-{other}-checks").inputs["data"]
        assert data["ca.crt"] == INGRESS_ROOT and across_config(run, cluster, other)["gateway"]["trust"] == "ca"
        assert run.outputs["clusters"][cluster]["tls"]["issuer"] == "mesh-ca"
    assert plain_occurrences(run.raw_outputs, "ingress-root-ca-key") == []


def acme(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "tls": {"mode": "acme", "email": "ops@example.com"}}


def test_acme_per_cluster_with_its_own_identity_one_challenge_at_a_time_on_route53(run_mesh):
    eks = with_cluster(EKS, apiServer="https://10.0.0.7:6443")
    run = run_mesh(acme({**aws_zone(EAST, eks), "demo": {"enabled": True}}))
    for cluster in ("east", "us"):
        certificate = run.one(CERTIFICATE, f"{cluster}-wildcard-certificate")
        assert certificate.inputs["spec"]["dnsNames"] == ["*.mesh.example.com", f"*.{cluster}.mesh.example.com"]
        issuer = run.one(CLUSTER_ISSUER, f"{cluster}-wildcard-certificate-acme").inputs["spec"]["acme"]
        assert issuer["solvers"][0]["dns01"]["route53"]["hostedZoneID"] == "Z0EXAMPLE1234"
        # Its own cert-manager identity, allowed the challenge records of its certificate's two names only.
        policy_owner = "aws:iam/rolePolicy:RolePolicy" if cluster == "us" else "aws:iam/userPolicy:UserPolicy"
        policy = json.loads(run.one(policy_owner, f"{cluster}-cert-manager-aws-route53").inputs["policy"])
        names = policy["Statement"][1]["Condition"]["ForAllValues:StringEquals"]
        assert names["route53:ChangeResourceRecordSetsNormalizedRecordNames"] == [
            "_acme-challenge.mesh.example.com",
            f"_acme-challenge.{cluster}.mesh.example.com",
        ]
    # Both prove *.mesh.example.com at _acme-challenge.mesh.example.com, which cert-manager's Route53 solver
    # overwrites: the second cluster's order waits for the first's certificate.
    second = run.one(CLUSTER_ISSUER, "us-wildcard-certificate-acme")
    assert second.depends_on(run.one("kubernetes:batch/v1:Job", "east-certificate-wait"))
    first = run.one(CLUSTER_ISSUER, "east-wildcard-certificate-acme")
    assert not first.depends_on(run.one("kubernetes:batch/v1:Job", "us-certificate-wait"))
    # Cloud DNS merges the challenge values: no order between the clusters.
    gcp = run_mesh(acme(DNS_APPS))
    west = gcp.one(CLUSTER_ISSUER, "west-wildcard-certificate-acme")
    assert not west.depends_on(gcp.one("kubernetes:batch/v1:Job", "east-certificate-wait"))
    account = gcp.one("gcp:serviceaccount/account:Account", "west-cert-manager-gcp").inputs["accountId"]
    assert account != gcp.one("gcp:serviceaccount/account:Account", "east-cert-manager-gcp").inputs["accountId"]


NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def test_network_policies_per_cluster_admit_the_east_west_gateway(run_mesh):
    run = run_mesh({**APPS, "profile": "production"})
    for cluster in ("east", "west"):
        policies = {r.name: r for r in run.of_type(NETWORK_POLICY) if on(r, cluster)}
        # Every namespace the stack owns is closed but for its flows, as in one cluster.
        for namespace in ("istio-system", "istio-ingress", "istio-node-agents", "demo"):
            assert policies[f"{cluster}-{namespace}-deny-all-ingress"].inputs["spec"] == {
                "podSelector": {},
                "policyTypes": ["Ingress"],
            }
        # The other networks' proxies reach this one through the east-west gateway, from anywhere, on 15443; its
        # load balancer's health check on 15021.
        east_west = policies[f"{cluster}-istio-system-allow-eastwest"].inputs["spec"]
        assert east_west == {
            "podSelector": {"matchLabels": {"app": "istio-eastwestgateway", "istio": "eastwestgateway"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": 15443}, {"protocol": "TCP", "port": 15021}]}],
        }
        # ... and from it the demo, which the other clusters' gateways reach through it.
        demo = policies[f"{cluster}-demo-allow-demo"].inputs["spec"]["ingress"][0]["from"]
        assert {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
            "podSelector": {"matchLabels": {"app": "istio-eastwestgateway", "istio": "eastwestgateway"}},
        } in demo
    # One flat network: no east-west gateway, and pods of the other cluster arrive from addresses the stack does not
    # know: no policies unless asked for (and asked for, refused: BAD_INPUTS).
    flat = run_mesh(
        {
            **APPS,
            **mesh(EAST, with_cluster(WEST, network="net-east"), flatNetworks=["net-east"]),
            "profile": "production",
        }
    )
    assert flat.of_type(NETWORK_POLICY) == []


def test_what_every_cluster_installs_around_the_mesh_has_requests_and_a_memory_limit(run_mesh):
    """external-dns, cert-manager and the stack's own Jobs and Deployments (cert-manager's API check, the certificate's
    wait, the demo, the verification and the Jobs across), in each cluster."""
    run = run_mesh({**DNS_APPS, "tls": {"mode": "ca"}, "profile": "production"})
    checked = 0
    for chart in run.of_type("kubernetes:helm.sh/v4:Chart"):
        if chart.inputs["chart"] not in ("external-dns", "cert-manager"):
            continue
        values = reveal(chart.inputs["values"])
        for pod in CHART_PODS[chart.inputs["chart"]]:
            for container in pod.containers:
                if container.rendered(values):
                    resources = at(values, container.resources_at)
                    assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]
                    checked += 1
    assert checked == 2 * 4  # external-dns; cert-manager's controller, webhook and cainjector
    workloads = [*run.of_type("kubernetes:batch/v1:Job"), *run.of_type("kubernetes:apps/v1:Deployment")]
    assert len(workloads) == 2 * 5  # the API check, the wait, the verification, the Job across, the demo
    for workload in workloads:
        pod = reveal(workload.inputs["spec"]["template"]["spec"])
        for container in [*pod["containers"], *pod.get("initContainers", [])]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), (workload.name, container["name"])
            assert "memory" in resources["limits"], (workload.name, container["name"])
