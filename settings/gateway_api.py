"""`gatewayApi`: the Gateway API CRD bundle, and what the platform and Istio need of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from definitions import versions
from settings.fields import Section

if TYPE_CHECKING:
    from settings.model import Settings


def _gateway_api_version(value: str) -> str:
    versions.check_gateway_api_version(value)
    return value


GatewayApiVersion = Annotated[str, AfterValidator(_gateway_api_version)]


class GatewayApiSettings(Section):
    version: GatewayApiVersion = versions.GATEWAY_API_DEFAULT_VERSION
    channel: Literal["standard", "experimental"] = "standard"
    install: bool = Field(True, description="false where the cluster's provider manages the CRDs (GKE >= 1.34)")
    retain_on_delete: bool = Field(
        True, description="keep the CRDs (and every Gateway/route in the cluster) on pulumi destroy"
    )
    tcp_routes: bool = Field(False, description="enable TCPRoute in Istio (experimental channel only)")


def tcp_routes_problems(settings: Settings) -> list[str]:
    """Istio reads TCPRoute only from a bundle that serves the version it reads."""
    problems = []
    gateway_api = settings.gateway_api
    for revision in settings.istio.installed if gateway_api.tcp_routes else ():
        problem = versions.istio_tcproute_problem(revision.version, gateway_api.version, gateway_api.channel)
        if problem:
            problems.append(
                f"gatewayApi.tcpRoutes: {problem}; accepted: Istio 1.31+ with Gateway API v1.6.0+ (either channel), "
                "Istio 1.30 and older with the experimental channel; or set tcpRoutes to false"
            )
    return problems


def platform_problems(settings: Settings) -> list[str]:
    """Combinations that would fight what the platform manages.

    On GKE (>= versions.GKE_MANAGES_GATEWAY_API_FROM) the Gateway API CRDs are GKE's: the standard channel, kept
    at GKE's version. A gcp stack that leaves them to GKE (gatewayApi.install false) cannot rely on the
    experimental channel's kinds and versions (TCPRoute, v1alpha2 routes), and installing the experimental
    bundle over standard CRDs is refused by the Gateway API's own admission policy from v1.5.
    """
    gateway_api = settings.gateway_api
    if settings.cloud == "gcp" and not gateway_api.install and gateway_api.channel == "experimental":
        return [
            "gatewayApi.channel: experimental with gatewayApi.install false on gcp: the cluster's Gateway API CRDs "
            "are GKE's (from GKE " + versions.GKE_MANAGES_GATEWAY_API_FROM + "), standard channel only; use "
            "channel standard (and no TCPRoute, HTTPRoute retries or experimental DNS sources), or a cluster "
            "whose Gateway API CRDs this stack installs (gatewayApi.install true)"
        ]
    return []
