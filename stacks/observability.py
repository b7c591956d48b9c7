"""The dashboards: installed next to the mesh (in parallel with it), private by default, optionally exposed
through the shared Gateway over HTTPS with authentication."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from components.dashboards import Dashboards, DashboardsArgs, KialiOpenIdArgs
from components.shared_gateway import GATEWAY_API
from stacks import addresses
from stacks.mesh import Mesh
from stacks.settings import Settings


@dataclass(frozen=True)
class Observability:
    dashboards: Dashboards
    exposed: dict[str, str]  # dashboard -> https URL


def exposed_hosts(settings: Settings) -> dict[str, str]:
    """Dashboard -> hostname, for the dashboards the stack exposes (those with their own authentication)."""
    dashboards, expose = settings.dashboards, settings.dashboards.expose
    if not expose.enabled:
        return {}
    hosts = {}
    if dashboards.kiali.enabled:
        hosts["kiali"] = expose.kiali_host or f"kiali.{settings.dns.domain}"
    if dashboards.grafana.enabled:
        hosts["grafana"] = expose.grafana_host or f"grafana.{settings.dns.domain}"
    return hosts


def install_dashboards(settings: Settings, mesh: Mesh) -> Optional[Observability]:
    dashboards = settings.dashboards
    if not any((dashboards.prometheus.enabled, dashboards.grafana.enabled, dashboards.jaeger.enabled, dashboards.kiali.enabled)):
        return None
    hosts = exposed_hosts(settings)
    openid = dashboards.kiali.openid
    args = DashboardsArgs(
        # The dashboards wait for their namespace only (Kiali: istiod and Prometheus too): they install in
        # parallel with the mesh.
        namespace=mesh.control_plane.namespace.metadata.name,
        profile=dashboards.profile,
        prometheus=dashboards.prometheus.enabled,
        grafana=dashboards.grafana.enabled,
        jaeger=dashboards.jaeger.enabled,
        kiali=dashboards.kiali.enabled,
        kiali_auth=dashboards.kiali.auth,
        kiali_openid=KialiOpenIdArgs(openid.issuer_uri, openid.client_id, openid.client_secret) if openid else None,
        kiali_waits_for=[mesh.control_plane.istiod],
        **({"grafana_url": f"https://{hosts['grafana']}/"} if "grafana" in hosts else {}),
    )
    installed = Dashboards("dashboards", args, opts=pulumi.ResourceOptions(providers=[mesh.provider]))
    ports = {"kiali": addresses.kiali(), "grafana": addresses.grafana()}
    if hosts:
        assert mesh.gateway is not None  # settings refuse exposure without a domain and a TLS listener
        for dashboard, host in hosts.items():
            k8s.apiextensions.CustomResource(
                f"expose-{dashboard}",
                api_version=GATEWAY_API,
                kind="HTTPRoute",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=dashboard, namespace=addresses.DASHBOARDS_NAMESPACE),
                spec={
                    "parentRefs": [mesh.gateway.parent_ref("https")],
                    "hostnames": [host],
                    "rules": [{"backendRefs": [{"name": ports[dashboard].service, "port": ports[dashboard].port}]}],
                },
                opts=pulumi.ResourceOptions(provider=mesh.provider, depends_on=[mesh.gateway.gateway]),
            )
    urls = {"kiali": f"https://{hosts['kiali']}{addresses.KIALI_WEB_ROOT}"} if "kiali" in hosts else {}
    if "grafana" in hosts:
        urls["grafana"] = f"https://{hosts['grafana']}/"
    return Observability(installed, urls)


def port_forward_commands(settings: Settings) -> dict[str, str]:
    """How to open each installed dashboard from a workstation (nothing is reachable from outside by default)."""
    context = f" --context {settings.kubernetes.context}" if settings.kubernetes.context else ""
    dashboards = settings.dashboards
    wanted = {
        "kiali": (dashboards.kiali.enabled, addresses.kiali(), addresses.KIALI_WEB_ROOT),
        "grafana": (dashboards.grafana.enabled, addresses.grafana(), "/"),
        "jaeger": (dashboards.jaeger.enabled, addresses.jaeger_query_ui(), "/"),
        "prometheus": (dashboards.prometheus.enabled, addresses.prometheus(), "/"),
    }
    return {
        name: f"kubectl{context} -n {address.namespace} port-forward svc/{address.service} {address.port}:{address.port}"
        f"  # then open http://localhost:{address.port}{path}"
        for name, (enabled, address, path) in wanted.items()
        if enabled
    }


def export_dashboards(settings: Settings, observability: Optional[Observability]) -> None:
    pulumi.export("dashboards", port_forward_commands(settings))
    pulumi.export("exposedDashboards", observability.exposed if observability else {})
