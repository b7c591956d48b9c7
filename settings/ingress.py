"""`ingress` and `gateway`: the ingress gateway's Service, the shared Gateway, the ports taken on it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from settings.fields import DnsLabel, Section

ServiceType = Literal["LoadBalancer", "NodePort", "ClusterIP"]


class IngressSettings(Section):
    namespace: DnsLabel = "istio-ingress"
    service_type: ServiceType | None = Field(
        None, description="default: LoadBalancer on gcp/aws, NodePort on local (no load balancer to wait for)"
    )
    annotations: dict[str, str] = Field(
        default_factory=dict, description="added to the Service, over the cloud's defaults"
    )


class GatewaySettings(Section):
    """The shared Gateway API Gateway serving *.<dns.domain> through the mesh's ingress gateway."""

    name: DnsLabel = "mesh-gateway"
    tls_secret: str | None = Field(
        None,
        description="replaced by tls.mode secret and tls.secret; refused with a message saying so (settings/tls.py)",
    )


# Ports the ingress gateway's pod already uses, so a TCP listener there would never bind (read at istio/istio
# 1.30.3): 80/443 the shared Gateway's own listeners; pkg/config/mesh/mesh.go proxyAdminPort 15000,
# proxyListenPort 15001, proxyInboundListenPort 15006, statusPort 15020 (pilot-agent, merged metrics);
# pilot/cmd/pilot-agent/options/options.go ENVOY_STATUS_PORT 15021, ENVOY_PROMETHEUS_PORT 15090, DNS proxy
# :15053; tools/istio-iptables/pkg/constants 15002 (probe); pilot-agent/app/request.go lists 15004 (debug)
# among the agent's own ports; 15008 the HBONE tunnel (pilot/pkg/config/kube/gateway/conversion.go). 15003:
# no 1.30.3 source binds it; kept free with the rest of Istio's 15000-15004 block. pilot/pkg/model/context.go
# conflictWithReservedListener drops a gateway listener on 15021/15090/15001/15006 without an error.
RESERVED_INGRESS_PORTS = {
    80: "the shared Gateway's http listener",
    443: "the shared Gateway's https listener",
    15000: "Envoy admin",
    15001: "Envoy outbound",
    15002: "the agent's probe port",
    15003: "Istio's reserved 15000-15004 block",
    15004: "the agent's debug port",
    15006: "Envoy inbound",
    15008: "HBONE",
    15020: "the agent's merged metrics and health",
    15021: "the gateway's status port",
    15053: "the agent's DNS proxy",
    15090: "Envoy's Prometheus metrics",
}
