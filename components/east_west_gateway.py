"""A cluster's east-west gateway: the way into its network for the mesh's other networks.

Read in istio/istio 1.30.3: samples/multicluster/gen-eastwest-gateway.sh installs a gateway labelled
`istio: eastwestgateway` with `topology.istio.io/network` and ISTIO_META_REQUESTED_NETWORK_VIEW, which the
`gateway` chart renders itself from `networkGateway: <network>` (templates/deployment.yaml, service.yaml: the
Service then opens `networkGatewayPorts`, 15021, 15443, 15012 and 15017, instead of `service.ports`);
samples/multicluster/expose-services.yaml is the Istio Gateway `cross-network-gateway` on 15443, TLS mode
AUTO_PASSTHROUGH for `*.local`, which routes mTLS traffic by its SNI to the service it names, without
terminating it. istiod learns the gateway's address from the Service's network label (LoadBalancer Services only,
values.yaml `meshNetworks` comment).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts, pinned_chart
from components.ingress_gateway import IngressGatewayArgs, gateway_values
from definitions import versions
from definitions.mirror import ChartMirror
from definitions.sizing import Replicas, Resources

# Release names are API: the chart's selector labels are app=<release>, istio=<release without "istio-">, and the
# exposing Gateway selects istio=eastwestgateway (expose-services.yaml).
RELEASE = "istio-eastwestgateway"
SELECTOR = {"istio": "eastwestgateway"}
CROSS_NETWORK_GATEWAY = "cross-network-gateway"
CROSS_NETWORK_PORT = 15443


@dataclass(frozen=True)
class EastWestGatewayArgs:
    version: str
    namespace: pulumi.Input[str]
    network: str
    resources: Resources
    replicas: Replicas
    highly_available: bool
    # On the Service: a cloud's load balancer settings (an internal load balancer, say).
    annotations: Mapping[str, str] = field(default_factory=dict)
    # The gateway's pods are injected (istiod's webhook serving), and the Gateway is validated by istiod.
    wait_for: list[pulumi.Resource] = field(default_factory=list)
    mirror: ChartMirror | None = None


def east_west_values(args: EastWestGatewayArgs) -> dict[str, Any]:
    values = gateway_values(
        IngressGatewayArgs(
            version=args.version,
            namespace="",
            release=RELEASE,
            service_type="LoadBalancer",
            annotations=args.annotations,
            resources=args.resources,
            replicas=args.replicas,
            highly_available=args.highly_available,
        )
    )
    return {**values, "networkGateway": args.network}


def cross_network_gateway_spec() -> dict[str, Any]:
    return {
        "selector": dict(SELECTOR),
        "servers": [
            {
                "port": {"number": CROSS_NETWORK_PORT, "name": "tls", "protocol": "TLS"},
                "tls": {"mode": "AUTO_PASSTHROUGH"},
                "hosts": ["*.local"],
            }
        ],
    }


class EastWestGateway(pulumi.ComponentResource):
    chart: k8s.helm.v4.Chart
    gateway: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: EastWestGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:istio:EastWestGateway", name, None, opts)
        self.chart = pinned_chart(
            name,
            versions.istio_chart("gateway", args.version),
            release=RELEASE,
            namespace=args.namespace,
            values=east_west_values(args),
            opts=child_opts(self, args.wait_for),
            mirror=args.mirror,
        )
        self.gateway = k8s.apiextensions.CustomResource(
            f"{name}-{CROSS_NETWORK_GATEWAY}",
            api_version="networking.istio.io/v1",
            kind="Gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CROSS_NETWORK_GATEWAY, namespace=args.namespace),
            spec=cross_network_gateway_spec(),
            opts=child_opts(self, args.wait_for),
        )
        self.register_outputs({})
