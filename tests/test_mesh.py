"""The mesh core: install order as dependency edges, the explicit provider, and what each piece is given."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.gateway_api import retain_on_delete
from components.ingress_gateway import load_balancer_address
from tests.harness import single_cluster_stacks

CHART = "kubernetes:helm.sh/v4:Chart"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"


@pytest.fixture
def dev(shared_run):
    return shared_run("dev")


def test_istiod_waits_for_base_and_the_gateway_api_crds(dev):
    istiod, base = dev.chart("istiod"), dev.chart("base")
    crds = dev.one(CONFIG_FILE)
    assert istiod.depends_on(base)
    assert istiod.depends_on(crds)


def test_crds_and_base_install_in_parallel(dev):
    base, crds = dev.chart("base"), dev.one(CONFIG_FILE)
    assert not base.depends_on(crds)
    assert not crds.depends_on(base)
    assert crds.dependencies == []


def test_ingress_gateway_waits_for_istiod(dev):
    assert dev.chart("gateway").depends_on(dev.chart("istiod"))


@pytest.mark.parametrize(
    ("type_", "name"),
    [
        ("kubernetes:security.istio.io/v1:PeerAuthentication", "mesh-policy-mtls"),
        ("kubernetes:telemetry.istio.io/v1:Telemetry", "mesh-policy-tracing"),
        ("kubernetes:core/v1:Namespace", "apps"),
    ],
)
def test_istio_resources_and_injected_namespaces_wait_for_istiod(dev, type_, name):
    assert dev.one(type_, name).depends_on(dev.chart("istiod"))


def test_nothing_else_is_serialised(dev):
    """Each edge between two awaited installs is one the design asks for."""
    installs = [r for r in dev.resources if r.type in (CHART, CONFIG_FILE)]
    edges = {(a.name, b.name) for a in installs for b in installs if a.depends_on(b)}
    assert edges == {
        ("istio-istiod", "istio-base"),
        ("istio-istiod", "gateway-api-standard"),
        ("ingress-gateway", "istio-istiod"),
        ("kiali", "istio-istiod"),
        ("kiali", "prometheus"),
        ("cert-manager", "gateway-api-standard"),  # dev's local CA (tls.mode ca): tests/test_tls.py
    }


EVERYTHING = {
    "cloud": "local",
    "gcp": {"project": "gke-project", "identity": "key"},
    "dns": {
        "enabled": True,
        "domain": "mesh.example.com",
        "zone": {"name": "example-com"},
        "target": "ingress.example.net",
    },
    "tls": {"mode": "acme", "email": "ops@example.com"},
    "mesh": {"injectedNamespaces": ["shop"]},
    "demo": {"enabled": True},
    "dashboards": {
        "expose": {"enabled": True},
        "kiali": {
            "auth": "openid",
            "openid": {"issuerUri": "https://idp.example", "clientId": "k", "clientSecret": "s"},
        },
    },
    "routes": [
        {"name": "shop", "namespace": "shop", "destination": {"outlierDetection": {}}},
        {"name": "legacy", "namespace": "shop", "kind": "istio"},
    ],
}


@pytest.mark.parametrize("config", [*single_cluster_stacks(), "everything"])
def test_every_kubernetes_object_goes_through_the_explicit_provider(run_stack, config):
    run = run_stack(EVERYTHING, secret_keys=("dashboards",)) if config == "everything" else run_stack(config)
    # the strict one, or the one adopting kept objects (which installs use it: tests/test_teardown.py)
    explicit = {run.named(name).urn + f"::{name}-id" for name in ("cluster", "cluster-adopting")}
    kubernetes_objects = [r for r in run.resources if r.type.startswith("kubernetes:")]
    assert len(kubernetes_objects) >= 8
    for resource in kubernetes_objects:
        if resource.remote:
            assert set(resource.providers) == {"kubernetes"} and resource.providers["kubernetes"] in explicit, (
                resource.name
            )
        else:
            assert resource.provider in explicit, resource.name


def test_provider_takes_context_and_kubeconfig_from_settings(run_stack):
    run = run_stack("dev", kubernetes={"context": "kind-mesh", "kubeconfig": "/tmp/kubeconfig"})
    for provider in run.of_type("pulumi:providers:kubernetes"):
        assert provider.inputs["context"] == "kind-mesh", provider.name
        assert provider.inputs["kubeconfig"] == "/tmp/kubeconfig", provider.name


def test_provider_is_ambient_without_settings(dev):
    for provider in dev.of_type("pulumi:providers:kubernetes"):
        assert "context" not in provider.inputs and "kubeconfig" not in provider.inputs, provider.name


def test_istio_charts_are_pinned_to_the_istio_version(run_stack):
    run = run_stack("dev", istio={"version": "1.31.2"})
    for chart in ("base", "istiod", "gateway"):
        inputs = run.chart(chart).inputs
        assert inputs["version"] == "1.31.2"
        assert inputs["repositoryOpts"] == {"repo": "https://blob.istio.io/istio-release/charts"}


def test_release_names_and_namespaces(dev):
    assert (dev.chart("base").inputs["name"], dev.chart("base").inputs["namespace"]) == ("istio-base", "istio-system")
    assert (dev.chart("istiod").inputs["name"], dev.chart("istiod").inputs["namespace"]) == ("istiod", "istio-system")
    gateway = dev.chart("gateway").inputs
    assert (gateway["name"], gateway["namespace"]) == ("istio-ingressgateway", "istio-ingress")


def test_webhook_failure_policy_is_fail_in_base_and_istiod(dev):
    assert dev.chart("base").inputs["values"] == {
        "base": {"validationFailurePolicy": "Fail"},
        "defaultRevision": "default",
    }
    assert dev.chart("istiod").inputs["values"]["base"] == {"validationFailurePolicy": "Fail"}


def test_mesh_config_traces_to_jaeger_over_zipkin(dev):
    mesh_config = dev.chart("istiod").inputs["values"]["meshConfig"]
    assert mesh_config["extensionProviders"] == [
        {"name": "jaeger", "zipkin": {"service": "jaeger.istio-system.svc.cluster.local", "port": 9411}}
    ]
    assert mesh_config["accessLogFile"] == "/dev/stdout"


def test_access_logs_switch_off(run_stack):
    run = run_stack("dev", istio={"accessLogs": False})
    assert run.chart("istiod").inputs["values"]["meshConfig"]["accessLogFile"] == ""


def test_tracing_address_from_settings(run_stack):
    run = run_stack("dev", mesh={"tracing": {"zipkinAddress": "otel-collector.observability.svc.cluster.local:9411"}})
    provider = run.chart("istiod").inputs["values"]["meshConfig"]["extensionProviders"][0]
    assert provider["zipkin"] == {"service": "otel-collector.observability.svc.cluster.local", "port": 9411}


def test_tracing_off_means_no_provider_and_no_telemetry(run_stack):
    run = run_stack("dev", mesh={"tracing": {"enabled": False}})
    assert "extensionProviders" not in run.chart("istiod").inputs["values"]["meshConfig"]
    assert run.of_type("kubernetes:telemetry.istio.io/v1:Telemetry") == []


def test_tcp_routes_turn_on_the_alpha_gateway_api_of_istio_before_1_31_only(run_stack):
    """Istio 1.30.3 reads TCPRoute only behind PILOT_ENABLE_ALPHA_GATEWAY_API; 1.31 reads it as v1 without it
    (pkg/config/schema/collections at 1.31.0-rc.0: TCPRoute in the stable Gateway API set)."""
    istio = {"revisions": [{"name": "old", "version": "1.30.3"}, {"name": "new", "version": "1.31.4"}]}
    run = run_stack(
        "dev", istio={**istio, "defaultRevision": "old"}, gatewayApi={"channel": "experimental", "tcpRoutes": True}
    )
    assert run.named("istio-istiod-old").inputs["values"]["env"] == {"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"}
    assert "env" not in run.named("istio-istiod-new").inputs["values"]
    assert run.one(CONFIG_FILE).inputs["file"].endswith("/v1.6.1/experimental-install.yaml")
    alone = run_stack("dev", gatewayApi={"tcpRoutes": True})
    assert "env" not in alone.chart("istiod").inputs["values"]


def test_no_alpha_gateway_api_by_default(dev):
    assert "env" not in dev.chart("istiod").inputs["values"]


def test_peer_authentication_is_mesh_wide_strict(dev):
    policy = dev.one("kubernetes:security.istio.io/v1:PeerAuthentication").inputs
    assert policy["metadata"] == {"name": "default", "namespace": "istio-system"}
    assert policy["spec"] == {"mtls": {"mode": "STRICT"}}
    assert policy["apiVersion"] == "security.istio.io/v1"


def test_permissive_mtls(run_stack):
    run = run_stack("dev", mesh={"mtls": "PERMISSIVE"})
    assert run.one("kubernetes:security.istio.io/v1:PeerAuthentication").inputs["spec"]["mtls"]["mode"] == "PERMISSIVE"


def test_telemetry_enables_the_tracing_provider_with_the_sampling(run_stack):
    run = run_stack("dev", mesh={"tracing": {"sampling": 2.5}})
    telemetry = run.one("kubernetes:telemetry.istio.io/v1:Telemetry").inputs
    assert telemetry["metadata"]["namespace"] == "istio-system"
    assert telemetry["spec"] == {"tracing": [{"providers": [{"name": "jaeger"}], "randomSamplingPercentage": 2.5}]}


def test_injected_namespaces_are_labelled(run_stack):
    run = run_stack("dev", mesh={"injectedNamespaces": ["shop", "payments"]})
    for name in ("shop", "payments"):
        namespace = run.one("kubernetes:core/v1:Namespace", name).inputs
        assert namespace["metadata"]["name"] == name
        assert namespace["metadata"]["labels"]["istio-injection"] == "enabled"


def test_ingress_namespace_is_not_labelled_against_injection(dev):
    namespace = dev.one("kubernetes:core/v1:Namespace", "istio-ingress").inputs
    assert "istio-injection" not in namespace["metadata"]["labels"]


def test_local_ingress_is_a_node_port(dev):
    assert dev.chart("gateway").inputs["values"]["service"] == {"type": "NodePort", "annotations": {}}


def test_ingress_service_type_and_annotations_from_settings(run_stack):
    run = run_stack("dev", ingress={"serviceType": "ClusterIP", "annotations": {"a.example/b": "c"}})
    assert run.chart("gateway").inputs["values"]["service"] == {
        "type": "ClusterIP",
        "annotations": {"a.example/b": "c"},
    }


def test_gateway_api_crds_are_the_pinned_release_asset(dev):
    bundle = dev.one(CONFIG_FILE)
    assert bundle.inputs["file"] == (
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml"
    )


def test_gateway_api_crds_are_retained_on_delete(dev):
    bundle = dev.one(CONFIG_FILE)
    assert bundle.retain_on_delete
    assert bundle.transforms == [retain_on_delete]


def test_gateway_api_crds_deletable_when_asked(run_stack):
    bundle = run_stack("dev", gatewayApi={"retainOnDelete": False}).one(CONFIG_FILE)
    assert not bundle.retain_on_delete
    assert bundle.transforms == []


def test_gateway_api_crds_skipped_when_the_cluster_manages_them(run_stack):
    run = run_stack("dev", gatewayApi={"install": False})
    assert run.of_type(CONFIG_FILE) == []
    assert run.outputs["versions"]["gatewayApi"] == "managed by the cluster"
    istiod = run.chart("istiod")
    assert istiod.depends_on(run.chart("base"))
    assert [run.by_urn(urn).type for urn in istiod.dependencies if run.by_urn(urn).type == CONFIG_FILE] == []


def test_retain_transform_sets_retain_on_delete_on_each_object():
    args = pulumi.ResourceTransformArgs(
        custom=True,
        type_="kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
        name="httproutes",
        props={"metadata": {"name": "httproutes.gateway.networking.k8s.io"}},
        opts=pulumi.ResourceOptions(protect=False),
    )
    result = retain_on_delete(args)
    assert result.opts.retain_on_delete is True
    assert result.props == args.props
    assert result.opts.protect is False


def test_outputs(dev):
    assert dev.outputs["versions"] == {
        "istio": "1.31.4",
        "gatewayApi": "v1.6.1",
        "gatewayApiChannel": "standard",
        "gatewayApiBundle": "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml",
    }
    assert dev.outputs["ingress"]["service"] == "istio-ingressgateway"
    assert dev.outputs["ingress"]["namespace"] == "istio-ingress"
    assert dev.outputs["ingress"]["type"] == "NodePort"
    assert dev.outputs["injectedNamespaces"] == ["apps", "demo"]


@pytest.mark.parametrize(
    ("ingress", "expected"),
    [
        ([k8s.core.v1.outputs.LoadBalancerIngress(ip="203.0.113.7")], "203.0.113.7"),
        ([k8s.core.v1.outputs.LoadBalancerIngress(hostname="abc.elb.amazonaws.com")], "abc.elb.amazonaws.com"),
        ([], None),
    ],
)
def test_load_balancer_address(ingress, expected):
    status = k8s.core.v1.outputs.ServiceStatus(load_balancer=k8s.core.v1.outputs.LoadBalancerStatus(ingress=ingress))
    assert load_balancer_address(status) == expected


def test_no_address_without_a_status():
    assert load_balancer_address(None) is None


def test_dev_critical_path_is_at_most_three_chained_installs(dev):
    from scripts.benchmark import critical_path

    path = critical_path(dev)
    assert len(path) == 3
    assert path[0] in ("istio-base", "gateway-api-standard")
    assert path[1] == "istio-istiod"
    assert path[2] in ("ingress-gateway", "kiali")
