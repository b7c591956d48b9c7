"""Publishing applications: each route of the settings (and the demo's) on the shared ingress, the classic
Istio Gateway for `kind: istio` routes, and the demo workload."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pulumi
import pulumi_kubernetes as k8s

from components.chart import prefixed
from components.demo import DemoApp, DemoAppArgs
from components.routes import (
    ISTIO_NETWORKING,
    ConnectionPool,
    OutlierDetection,
    PublishedRoute,
    Retry,
    RouteArgs,
)
from components.shared_gateway import dns_target_annotations
from definitions import addresses, versions
from definitions.mirror import image_or_mirrored
from settings import profiles
from settings.model import Settings
from settings.routes import DEMO_PORT, DEMO_SERVICE, RouteSettings
from stacks.mesh import Mesh
from stacks.mirror import chart_mirror
from stacks.tls import Tls

ISTIO_GATEWAY = "mesh-istio-gateway"
ROOT_CA_FILE = "mesh-root-ca.pem"


@dataclass(frozen=True)
class Published:
    urls: dict[str, str]  # route name -> URL
    demo_curl: str | None
    # Every object made to publish them (routes, the classic Istio Gateway, the demo): what the verification
    # waits for.
    resources: list[pulumi.Resource]


def istio_gateway_spec(settings: Settings, hostnames: list[str]) -> dict:
    """The classic Istio Gateway for `kind: istio` routes, on the same ingress gateway pods (one data path).

    It lists the routes' hostnames rather than `*.<domain>`, so external-dns' istio-gateway source publishes
    exactly those names, as the istio-virtualservice and gateway-httproute sources do for theirs.
    """
    http: dict = {
        "port": {"number": addresses.INGRESS_HTTP_PORT, "name": "http", "protocol": "HTTP"},
        "hosts": hostnames,
    }
    servers = [http]
    if settings.tls_secret:
        # With TLS on, plain HTTP answers 301 to https, as the shared Gateway's redirect route does.
        http["tls"] = {"httpsRedirect": True}
        servers.append(
            {
                "port": {"number": addresses.INGRESS_HTTPS_PORT, "name": "https", "protocol": "HTTPS"},
                "hosts": hostnames,
                "tls": {"mode": "SIMPLE", "credentialName": settings.tls_secret},
            }
        )
    # The gateway chart labels its pods `istio: <release without "istio-">`.
    return {"selector": {"istio": addresses.INGRESS_RELEASE.removeprefix("istio-")}, "servers": servers}


def listener(settings: Settings, route: RouteSettings) -> str | None:
    """The shared Gateway listener a route attaches to: with TLS on, HTTPS only (HTTP answers with a redirect)."""
    if route.kind == "tcp":
        return f"tcp-{route.listener_port}"
    return "https" if settings.tls_secret else None


def route_args(
    settings: Settings, mesh: Mesh, route: RouteSettings, namespace: pulumi.Input[str], tls: Tls
) -> RouteArgs:
    assert mesh.gateway is not None  # settings refuse routes without dns.domain
    retry = route.retries
    destination = route.destination
    outlier = destination.outlier_detection if destination else None
    pool = destination.connection_pool if destination else None
    return RouteArgs(
        name=route.name,
        namespace=namespace,
        kind=route.kind,
        hostname=settings.hostname(route),
        aliases=tuple(settings.hostnames(route)[1:]),
        service=route.service_name,
        service_namespace=route.namespace,
        port=route.port,
        path=route.path,
        timeout=route.timeout,
        retry=Retry(retry.attempts, retry.per_try_timeout, retry.conditions) if retry else None,
        parent_ref=mesh.gateway.parent_ref(listener(settings, route)),
        istio_gateway=f"{settings.ingress.namespace}/{ISTIO_GATEWAY}",
        tcp_route_api=versions.tcp_route_api_version(settings.gateway_api.version) if route.kind == "tcp" else None,
        outlier_detection=OutlierDetection(
            outlier.consecutive5xx_errors, outlier.interval, outlier.base_ejection_time, outlier.max_ejection_percent
        )
        if outlier
        else None,
        connection_pool=ConnectionPool(
            pool.max_connections, pool.http1_max_pending_requests, pool.max_requests_per_connection
        )
        if pool
        else None,
        wait_for=[
            *([mesh.gateway_api] if mesh.gateway_api else []),
            mesh.control_plane.istiod,
            mesh.gateway.gateway,
            *(tls.ready if route.kind != "tcp" else ()),
        ],
    )


def publish_routes(settings: Settings, mesh: Mesh, tls: Tls) -> Published | None:
    routes = settings.published_routes
    if not routes or mesh.gateway is None:
        return None
    on_cluster = pulumi.ResourceOptions(providers=[mesh.provider])
    injected = mesh.policy.namespaces

    istio_hosts = [name for r in routes if r.kind == "istio" for name in settings.hostnames(r)]
    resources: list[pulumi.Resource] = []
    istio_gateway = None
    if istio_hosts:
        istio_gateway = k8s.apiextensions.CustomResource(
            prefixed(mesh.cluster, "istio-gateway"),
            api_version=ISTIO_NETWORKING,
            kind="Gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ISTIO_GATEWAY,
                namespace=mesh.ingress.namespace.metadata.name,
                annotations=dns_target_annotations(settings.dns.target),
            ),
            spec=istio_gateway_spec(settings, istio_hosts),
            opts=pulumi.ResourceOptions(
                provider=mesh.provider, depends_on=[mesh.control_plane.istiod, mesh.ingress.chart, *tls.ready]
            ),
        )
        resources.append(istio_gateway)

    scheme = "https" if settings.tls_secret else "http"
    urls = {}
    for route in routes:
        args = route_args(settings, mesh, route, injected[route.namespace].metadata.name, tls)
        if istio_gateway is not None and route.kind == "istio":
            args = replace(args, wait_for=[*args.wait_for, istio_gateway])
        resources.append(
            PublishedRoute(prefixed(mesh.cluster, f"route-{route.namespace}-{route.name}"), args, opts=on_cluster)
        )
        # The name DNS answers: in one cluster of a mesh whose clusters write DNS, the cluster's own.
        published = args.aliases[-1] if args.aliases else args.hostname
        if route.kind == "tcp":
            urls[route.name] = f"tcp://{published}:{route.listener_port}"
        else:
            urls[route.name] = f"{scheme}://{published}{route.path}"

    demo_curl = None
    if settings.demo.enabled:
        demo = DemoApp(
            prefixed(mesh.cluster, "demo"),
            DemoAppArgs(
                namespace=injected[settings.demo.namespace].metadata.name,
                name=DEMO_SERVICE,
                image=image_or_mirrored(versions.DEMO_IMAGE, chart_mirror(settings.mirror)),
                container_port=versions.DEMO_CONTAINER_PORT,
                run_as_user=versions.DEMO_RUN_AS_USER,
                service_port=DEMO_PORT,
                resources=profiles.sizing(settings).demo,
                wait_for=[mesh.control_plane.istiod],
                account=demo_account(mesh.cluster),
            ),
            opts=on_cluster,
        )
        resources.append(demo)
        demo_curl = demo_command(settings, urls["demo"])
    return Published(urls, demo_curl, resources)


def demo_account(cluster: str | None) -> str:
    """The demo's ServiceAccount: in a mesh across clusters `httpbin-<cluster>`, so the identity of the demo that
    answered (X-Forwarded-Client-Cert `By=`) names its cluster, while one Service name in every cluster lets Istio
    merge their endpoints (stacks/verification.py, demo-across-clusters)."""
    return f"{DEMO_SERVICE}-{cluster}" if cluster else DEMO_SERVICE


# curl fails loudly: an HTTP error status fails it (--fail) and its reason is printed (no --silent); until the
# port-forward listens, a refused connection is retried (--retry-connrefused), once a second for 30 s.
CURL = "curl --fail --no-progress-meter --retry 30 --retry-delay 1 --retry-connrefused"
SHOW = " | grep -iE 'x-b3-traceid|x-forwarded-client-cert'"


def demo_command(settings: Settings, url: str) -> str:
    """A curl whose answer shows the request crossed the mesh: the trace headers Envoy added (X-B3-*) and the
    client certificate of the mTLS hop from the ingress gateway (X-Forwarded-Client-Cert). One line, pasted as is.
    """
    # In a mesh across clusters without DNS no record is written: through each cluster's own gateway, as without a
    # load balancer; with DNS, the cluster's own name (`<route>.<cluster>.<domain>`) reaches its load balancer.
    if settings.ingress_service_type == "LoadBalancer" and (settings.multicluster is None or settings.dns_enabled):
        return f"{CURL} {url}headers{SHOW}"
    # No load balancer (local): through a port-forward to the ingress gateway; *.localhost resolves to loopback,
    # any other domain is given as the Host header (or, over HTTPS, resolved to the forwarded port).
    context = f" --context {settings.kubernetes.context}" if settings.kubernetes.context else ""
    host = url.split("://", 1)[1].split("/", 1)[0]
    forward = f"kubectl{context} -n {settings.ingress.namespace} port-forward svc/{addresses.INGRESS_RELEASE}"
    if not url.startswith("https://"):
        return _through_port_forward(
            f"{forward} 8080:{addresses.INGRESS_HTTP_PORT}", f"-H 'Host: {host}' http://localhost:8080/headers"
        )
    if settings.tls_mode != "ca":
        return _through_port_forward(
            f"{forward} 8443:{addresses.INGRESS_HTTPS_PORT}",
            f"--resolve {host}:8443:127.0.0.1 https://{host}:8443/headers",
        )
    # The stack's root CA, from its outputs: the certificate is verified, not skipped.
    trust = f"pulumi stack output tls --json | jq -r .rootCertificate > {ROOT_CA_FILE} && "
    return trust + _through_port_forward(
        f"{forward} 8443:{addresses.INGRESS_HTTPS_PORT}",
        f"--cacert {ROOT_CA_FILE} --resolve {host}:8443:127.0.0.1 https://{host}:8443/headers",
    )


def _through_port_forward(forward: str, request: str) -> str:
    """In a subshell: the port-forward alone in the background (its output, the `Forwarding from` lines, left
    out), stopped when the subshell exits whatever curl did; curl waits for it to listen."""
    return f"""({forward} >/dev/null & trap "kill $!" EXIT; {CURL} {request}{SHOW})"""
