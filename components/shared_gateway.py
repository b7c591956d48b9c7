"""The shared Gateway API `Gateway` every published hostname goes through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts
from definitions import versions

GATEWAY_API = "gateway.networking.k8s.io/v1"
# external-dns (0.21, source/gateway.go and source/istio_virtualservice.go) publishes this annotation of a
# Gateway as the target of every hostname routed through it, instead of the Gateway's status addresses.
EXTERNAL_DNS_TARGET = f"{versions.EXTERNAL_DNS_ANNOTATION_PREFIX}target"


def dns_target_annotations(target: str | None) -> dict[str, str] | None:
    return {EXTERNAL_DNS_TARGET: target} if target is not None else None


@dataclass(frozen=True)
class SharedGatewayArgs:
    name: str
    namespace: pulumi.Input[str]
    domain: str
    ingress_service_host: str
    http_port: int
    https_port: int
    tls_secret: str | None
    # TCP routes: listener name -> port (the same port is opened on the ingress Service).
    tcp_listeners: dict[str, int] = field(default_factory=dict)
    # The public address external-dns publishes instead of the one Istio reports (dns.target).
    dns_target: str | None = None
    # The CRDs, istiod (it owns the `istio` GatewayClass) and the ingress gateway it binds to.
    wait_for: list[pulumi.Resource] = field(default_factory=list)


def gateway_spec(args: SharedGatewayArgs) -> dict[str, Any]:
    """One listener per protocol for `*.<domain>`, open to routes from every namespace.

    Bound to the ingress gateway of the mesh core through `spec.addresses` (Istio's manual deployment)
    instead of letting Istio deploy another one: exactly one ingress data path and one load balancer, whose
    address Istio writes into this Gateway's status, where external-dns reads it for every route's hostname.
    Listener ports are the ingress Service's ports, as manual deployment requires.
    """
    hostname = f"*.{args.domain}"
    every_namespace = {"namespaces": {"from": "All"}}
    listeners: list[dict[str, Any]] = [
        {
            "name": "http",
            "port": args.http_port,
            "protocol": "HTTP",
            "hostname": hostname,
            "allowedRoutes": every_namespace,
        }
    ]
    if args.tls_secret is not None:
        listeners.append(
            {
                "name": "https",
                "port": args.https_port,
                "protocol": "HTTPS",
                "hostname": hostname,
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": args.tls_secret}]},
                "allowedRoutes": every_namespace,
            }
        )
    for listener, port in args.tcp_listeners.items():
        listeners.append(
            {
                "name": listener,
                "port": port,
                "protocol": "TCP",
                "allowedRoutes": {**every_namespace, "kinds": [{"kind": "TCPRoute"}]},
            }
        )
    return {
        "gatewayClassName": "istio",
        "addresses": [{"type": "Hostname", "value": args.ingress_service_host}],
        "listeners": listeners,
    }


def https_redirect_spec(http_listener: dict[str, Any], hostnames: list[str]) -> dict[str, Any]:
    """An HTTPRoute on the HTTP listener answering requests for `hostnames` with a 301 to the same URL over https
    (the published routes attach to the HTTPS listener only, so nothing else matches on HTTP)."""
    return {
        "parentRefs": [http_listener],
        "hostnames": hostnames,
        "rules": [
            {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
        ],
    }


class SharedGateway(pulumi.ComponentResource):
    gateway: k8s.apiextensions.CustomResource
    name: str
    namespace: pulumi.Output[str]
    https: bool

    def __init__(self, name: str, args: SharedGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:gateway:SharedGateway", name, None, opts)
        self.name = args.name
        self.https = args.tls_secret is not None
        self.gateway = k8s.apiextensions.CustomResource(
            name,
            api_version=GATEWAY_API,
            kind="Gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.name, namespace=args.namespace, annotations=dns_target_annotations(args.dns_target)
            ),
            spec=gateway_spec(args),
            opts=child_opts(self, args.wait_for),
        )
        self.namespace = pulumi.Output.from_input(args.namespace)
        self.register_outputs({"name": args.name})

    def parent_ref(self, section: str | None = None) -> dict[str, Any]:
        """A route's reference to this Gateway; without a section, every listener whose hostname matches."""
        ref: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if section is not None:
            ref["sectionName"] = section
        return ref
