"""Which chart Services the provider awaits: `pulumi.com/skipAwait` on every Service with a selector, except the
ingress gateway's when a LoadBalancer's address is what a later step (DNS, the `ingress` output) reads.

Transforms do not run under mocks: the transform is called directly, and the registrations show which charts carry
it. The Services below are the shapes the upstream charts render (istio/istio 1.30.3
manifests/charts/istio-control/istio-discovery/templates/service.yaml selects `app: istiod, istio: pilot`).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.chart import skip_service_await

SERVICE = "kubernetes:core/v1:Service"


def _args(type_: str, props: dict) -> pulumi.ResourceTransformArgs:
    return pulumi.ResourceTransformArgs(
        custom=True, type_=type_, name="istio-istiod:istio-system/istiod", props=props, opts=pulumi.ResourceOptions()
    )


ISTIOD_SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "istiod", "namespace": "istio-system", "annotations": {"owner": "istio"}},
    "spec": {"selector": {"app": "istiod", "istio": "pilot"}, "ports": [{"name": "grpc-xds", "port": 15010}]},
}


def test_a_service_with_a_selector_is_not_awaited():
    result = skip_service_await(_args(SERVICE, ISTIOD_SERVICE))
    assert isinstance(result, pulumi.ResourceTransformResult)
    props: dict[str, Any] = dict(result.props)
    assert props["metadata"]["annotations"] == {"owner": "istio", "pulumi.com/skipAwait": "true"}
    assert props["metadata"]["name"] == "istiod"
    assert props["spec"] == ISTIOD_SERVICE["spec"]
    # The chart's own object is left as it was: the transform returns new props.
    assert ISTIOD_SERVICE["metadata"]["annotations"] == {"owner": "istio"}


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        # No selector: nothing for the awaiter to wait on (endpoints are managed by hand).
        (SERVICE, {"metadata": {"name": "external"}, "spec": {"type": "ExternalName", "externalName": "a.example"}}),
        (SERVICE, {"metadata": {"name": "manual"}, "spec": {"selector": {}, "ports": [{"port": 80}]}}),
        # Another kind keeps its await (a Deployment's is what proves the Service's pods Ready).
        ("kubernetes:apps/v1:Deployment", {"metadata": {"name": "istiod"}, "spec": {"selector": {"app": "istiod"}}}),
    ],
)
def test_other_objects_keep_their_await(type_, props):
    assert skip_service_await(_args(type_, props)) is None


def test_every_chart_but_a_load_balancer_gateway_skips_service_awaits(shared_run):
    dev = shared_run("dev")
    charts = dev.charts()
    assert {"base", "istiod", "gateway", "cert-manager", "kiali-server"} <= set(charts)
    for name, chart in charts.items():
        assert skip_service_await in chart.transforms, name
    assert dev.outputs["ingress"]["type"] == "NodePort"


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_a_load_balancer_gateway_keeps_its_service_await(shared_run, stack):
    run = shared_run(stack)
    assert run.outputs["ingress"]["type"] == "LoadBalancer"
    assert skip_service_await not in run.chart("gateway").transforms
    assert skip_service_await in run.chart("istiod").transforms


def test_the_demos_service_is_not_awaited_but_its_deployment_is(shared_run):
    dev = shared_run("dev")
    service = next(r for r in dev.of_type(SERVICE) if r.name == "demo-service")
    assert service.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    deployment = next(r for r in dev.of_type("kubernetes:apps/v1:Deployment") if r.name == "demo")
    assert "pulumi.com/skipAwait" not in (deployment.inputs["metadata"].get("annotations") or {})
