"""The dashboards: installed next to the mesh (in parallel with it), private by default, optionally exposed
through the shared Gateway over HTTPS with authentication."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.chart import prefixed
from components.dashboards import Dashboards, DashboardsArgs, KialiOpenIdArgs
from components.routes import PublishedRoute, RouteArgs
from definitions import addresses
from settings import profiles
from settings.model import Settings
from stacks import istio_dashboards
from stacks.mesh import Mesh
from stacks.mirror import chart_mirror


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


def install_dashboards(
    settings: Settings, mesh: Mesh, https_ready: Sequence[pulumi.Resource] = ()
) -> Observability | None:
    """`https_ready`: what an exposed dashboard's route waits for, the certificate of the HTTPS listener."""
    dashboards = settings.dashboards
    if not any(
        (dashboards.prometheus.enabled, dashboards.grafana.enabled, dashboards.jaeger.enabled, dashboards.kiali.enabled)
    ):
        return None
    hosts = exposed_hosts(settings)
    mirror = settings.mirror
    openid = dashboards.kiali.openid
    args = DashboardsArgs(
        # The dashboards wait for their namespace only (Kiali: istiod and Prometheus too): they install in
        # parallel with the mesh.
        namespace=mesh.control_plane.namespace.metadata.name,
        sizing=profiles.sizing(settings),
        istio_dashboards=istio_dashboards.load(settings.istio.version, mirror.istio_dashboards if mirror else None)
        if dashboards.grafana.enabled
        else (),
        prometheus=dashboards.prometheus.enabled,
        grafana=dashboards.grafana.enabled,
        jaeger=dashboards.jaeger.enabled,
        kiali=dashboards.kiali.enabled,
        kiali_auth=dashboards.kiali.auth,
        kiali_openid=KialiOpenIdArgs(openid.issuer_uri, openid.client_id, openid.client_secret) if openid else None,
        kiali_waits_for=[mesh.control_plane.istiod],
        grafana_public_url=f"https://{hosts['grafana']}/" if "grafana" in hosts else None,
        mirror=chart_mirror(settings.mirror),
        resource_prefix=mesh.cluster,
    )
    installed = Dashboards(
        prefixed(mesh.cluster, "dashboards"), args, opts=pulumi.ResourceOptions(providers=[mesh.provider])
    )
    if hosts:
        assert mesh.gateway is not None  # settings refuse exposure without a domain and a TLS listener
        backends = {"kiali": addresses.kiali(), "grafana": addresses.grafana()}
        for dashboard, host in hosts.items():
            PublishedRoute(
                prefixed(mesh.cluster, f"expose-{dashboard}"),
                RouteArgs(
                    name=dashboard,
                    namespace=mesh.control_plane.namespace.metadata.name,
                    kind="http",
                    hostname=host,
                    aliases=tuple(settings.host_names(host)[1:]),
                    service=backends[dashboard].service,
                    service_namespace=backends[dashboard].namespace,
                    port=backends[dashboard].port,
                    path="/",
                    timeout=None,
                    retry=None,
                    parent_ref=mesh.gateway.parent_ref("https"),  # logins never travel in clear text
                    wait_for=[mesh.control_plane.istiod, mesh.gateway.gateway, *https_ready],
                ),
                opts=pulumi.ResourceOptions(providers=[mesh.provider]),
            )
    paths = {"kiali": addresses.KIALI_WEB_ROOT, "grafana": "/"}
    # The name DNS answers: in one cluster of a mesh whose clusters write DNS, the cluster's own.
    return Observability(
        installed,
        {dashboard: f"https://{settings.host_names(host)[-1]}{paths[dashboard]}" for dashboard, host in hosts.items()},
    )


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
        name: f"kubectl{context} -n {address.namespace} port-forward svc/{address.service} "
        f"{address.port}:{address.port}"
        f"  # then open http://localhost:{address.port}{path}"
        for name, (enabled, address, path) in wanted.items()
        if enabled
    }


def export_dashboards(settings: Settings, observability: Observability | None) -> None:
    pulumi.export("dashboards", port_forward_commands(settings))
    pulumi.export("exposedDashboards", observability.exposed if observability else {})
