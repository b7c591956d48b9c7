"""The mesh's ingress gateway: its own namespace and Istio's `gateway` chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.chart import RUNTIME_DEFAULT_SECCOMP, child_opts, pinned_chart, prefixed
from definitions import versions
from definitions.mirror import ChartMirror
from definitions.sizing import Replicas, Resources, spread


@dataclass(frozen=True)
class IngressGatewayArgs:
    version: str
    namespace: str
    release: str
    service_type: str
    annotations: Mapping[str, str]
    resources: Resources
    replicas: Replicas
    highly_available: bool
    # TCP routes: name -> port, opened on the Service besides the chart's status, http2 and https ports.
    tcp_ports: Mapping[str, int] = field(default_factory=dict)
    # The default revision: the chart's `revision` labels the pods istio.io/rev=<revision> (templates/_helpers.tpl,
    # gateway.sidecarInjectionLabels, istio/istio 1.30.3), so moving the default rolls the gateway onto it. None
    # for the unrevisioned istiod: its pods are injected through sidecar.istio.io/inject=true, as before revisions.
    revision: str | None = None
    # The gateway's pods are injected with the `gateway` template: istiod's webhook must be serving.
    wait_for: list[pulumi.Resource] = field(default_factory=list)
    # The namespace's labels (Pod Security Admission).
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    # Charts and images from this mirror instead of their public homes (stacks/mirror.py).
    mirror: ChartMirror | None = None
    # Prefixes the resource names that are not the component's own (its namespace), so that one stack can hold
    # this component in several clusters (Pulumi URNs do not carry the parent's name); None keeps the
    # single-cluster stacks' names.
    resource_prefix: str | None = None


# The chart's default Service ports (manifests/charts/gateway/values.yaml): a list, replaced as a whole when
# TCP ports are added, so they are repeated here.
DEFAULT_PORTS = (("status-port", 15021), ("http2", 80), ("https", 443))


def gateway_values(args: IngressGatewayArgs) -> dict[str, Any]:
    service: dict[str, Any] = {"type": args.service_type, "annotations": dict(args.annotations)}
    if args.tcp_ports:
        ports = [*DEFAULT_PORTS, *args.tcp_ports.items()]
        service["ports"] = [{"name": name, "port": port, "protocol": "TCP", "targetPort": port} for name, port in ports]
    values: dict[str, Any] = {
        "service": service,
        "resources": args.resources.values(),
        # The pod's securityContext replaces the chart's default one, a sysctl that lets Envoy bind 80 and 443
        # unprivileged (templates/deployment.yaml at 1.30.3): repeated here, with the seccomp profile Pod
        # Security `restricted` requires (the container's own default context sets none).
        "securityContext": {
            "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}],
            "seccompProfile": RUNTIME_DEFAULT_SECCOMP,
        },
        # The autoscaler's range, never `replicaCount`: the chart renders .spec.replicas only with autoscaling
        # off (templates/deployment.yaml), so the HPA alone owns it.
        "autoscaling": {"enabled": True, "minReplicas": args.replicas.min, "maxReplicas": args.replicas.max},
    }
    if args.highly_available:
        # templates/poddisruptionbudget.yaml renders it only with minReplicas > 1.
        values["podDisruptionBudget"] = {"minAvailable": 1}
        # Required across nodes: two gateways on one node drop all ingress traffic when that node dies, which
        # the PDB (drains only) cannot prevent. maxSkew 1 never blocks a single-node cluster (one domain) or a
        # surge pod (skew stays <= 1), and nodeTaintsPolicy Honor leaves cordoned/tainted nodes out.
        values["topologySpreadConstraints"] = spread(gateway_pod_labels(args.release), "DoNotSchedule")
    if args.revision is not None:
        values["revision"] = args.revision
    return values


def gateway_pod_labels(release: str) -> dict[str, str]:
    """The chart's selector labels (templates/_helpers.tpl gateway.selectorLabels): app = the release name,
    istio = the release name without "istio-"."""
    return {"app": release, "istio": release.removeprefix("istio-")}


def load_balancer_address(status: k8s.core.v1.outputs.ServiceStatus | None) -> str | None:
    """The first IP or hostname a load balancer published on the Service, if any (none for NodePort)."""
    load_balancer = status.load_balancer if status is not None else None
    for ingress in (load_balancer.ingress if load_balancer is not None else None) or []:
        if ingress.ip or ingress.hostname:
            return ingress.ip or ingress.hostname
    return None


class IngressGateway(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    chart: k8s.helm.v4.Chart
    service_name: str
    address: pulumi.Output[str | None]

    def __init__(self, name: str, args: IngressGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:istio:IngressGateway", name, None, opts)
        # Not labelled istio-injection=disabled: the chart relies on injection of its own pods.
        self.namespace = k8s.core.v1.Namespace(
            prefixed(args.resource_prefix, args.namespace),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels=dict(args.namespace_labels)),
            opts=child_opts(self),
        )
        self.chart = pinned_chart(
            name,
            versions.istio_chart("gateway", args.version),
            release=args.release,
            namespace=self.namespace.metadata.name,
            values=gateway_values(args),
            opts=child_opts(self, args.wait_for),
            mirror=args.mirror,
            # A LoadBalancer's await lasts until it has its address, which the stack exports and DNS publishes.
            await_services=args.service_type == "LoadBalancer",
        )
        self.service_name = args.release
        self.address = self.chart.resources.apply(self._service_address)
        self.register_outputs({"service_name": self.service_name, "address": self.address})

    @staticmethod
    def _service_address(resources: Sequence[Any] | None) -> pulumi.Output[str | None]:
        services = [r for r in resources or [] if isinstance(r, k8s.core.v1.Service)]
        if not services:
            return pulumi.Output.from_input(None)
        return services[0].status.apply(load_balancer_address)
