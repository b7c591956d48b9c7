"""A mesh across clusters (stacks/multicluster.py): bad input refused naming the key, one root of trust, the
values each istiod gets, the east-west gateway, the remote secrets and their order, and a third cluster that only
adds. Expected values are literals read in istio/istio 1.30.3 (cited where they come from)."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from scripts.footprint import CHART_PODS, at
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
    ({**mesh(), "dns": {"domain": "mesh.example.com"}}, "dns", ["not read by a multicluster stack"]),
    ({**mesh(), "kubernetes": {"context": "kind-east"}}, "kubernetes", ["not read by a multicluster stack"]),
    ({**mesh(), "mesh": {"dataplane": "ambient"}}, "mesh.dataplane", ["ambient", "15008", "AUTO_PASSTHROUGH"]),
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


def test_every_object_goes_through_its_clusters_provider(run_mesh):
    run = run_mesh()
    for r in run.resources:
        if r.type.startswith("kubernetes:"):
            cluster = r.name.split("-")[0]
            # base's kept CRDs go through the cluster's adopting provider (stacks/mesh.py, adopting_provider)
            adopting = f"$pulumi:providers:kubernetes::{cluster}-cluster-adopting::" in r.provider
            assert on(r, cluster) or (adopting and r.name == f"{cluster}-istio-base"), (r.name, r.provider)


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
    assert len(run.of_type("kubernetes:core/v1:Secret")) == 2 + 2 + 2  # cacerts, reader tokens, remote secrets


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
        f"{cluster}-{chart}" for cluster in ("east", "west") for chart in ("istio-base", "istio-istiod", "eastwest")
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
    assert checked == 4  # istiod and the east-west gateway, in each cluster


def test_with_a_mirror_every_chart_of_every_cluster_comes_from_it(run_mesh):
    mirror = {
        "charts": {"repository": "https://mirror.internal.example/charts"},
        "images": "registry.internal.example/m",
    }
    charts = run_mesh({**mesh(), "mirror": mirror}).of_type("kubernetes:helm.sh/v4:Chart")
    assert len(charts) == 6
    for chart in charts:
        assert chart.inputs["repositoryOpts"]["repo"] == "https://mirror.internal.example/charts", chart.name
