"""`routes` and `demo`: the services published through the mesh, with their retries and failure handling."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from definitions import durations, versions
from settings.dns import within
from settings.fields import DnsLabel, DnsName, Duration, Port, Section
from settings.ingress import RESERVED_INGRESS_PORTS

if TYPE_CHECKING:
    from settings.model import Settings


# Envoy retry conditions Istio's VirtualService accepts in retryOn (besides status codes).
ENVOY_RETRY_CONDITIONS = (
    "5xx",
    "gateway-error",
    "reset",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
)


# The HTTPRoute CRD's own rules for a PathPrefix match (kubernetes-sigs/gateway-api v1.5.1,
# config/crd/standard/gateway.networking.k8s.io_httproutes.yaml, x-kubernetes-validations of path): checked
# here so a bad prefix stops the run instead of failing the apply.
_PATH_CHARACTERS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")


def _path_prefix(value: str) -> str:
    if (
        not value.startswith("/")
        or len(value) > 1024
        or any(part in value for part in ("//", "/./", "/../", "%2f", "%2F", "#"))
        or value.endswith(("/..", "/."))
        or not _PATH_CHARACTERS.match(value)
    ):
        raise ValueError(
            f"{value!r} is not a path prefix (starts with /, at most 1024 URL path characters, no //, /./, /../, "
            "%2f or #, not ending in /. or /..)"
        )
    return value


def _retry_condition(value: str) -> str:
    if value in ENVOY_RETRY_CONDITIONS or (value.isdigit() and 400 <= int(value) <= 599):
        return value
    raise ValueError(
        f"{value!r} is not a retry condition: an HTTP status 400-599 or one of {', '.join(ENVOY_RETRY_CONDITIONS)}"
    )


PathPrefix = Annotated[str, AfterValidator(_path_prefix)]


RetryCondition = Annotated[str, AfterValidator(_retry_condition)]


class RetrySettings(Section):
    attempts: int = Field(ge=0, description="0 turns retries off")
    per_try_timeout: Duration | None = None
    conditions: tuple[RetryCondition, ...] = Field(
        (), description="kind http: status codes; kind istio: status codes and Envoy conditions (retryOn)"
    )


class OutlierDetectionSettings(Section):
    consecutive5xx_errors: int = Field(5, ge=0, alias="consecutive5xxErrors")
    interval: Duration = "10s"
    base_ejection_time: Duration = "30s"
    max_ejection_percent: int = Field(50, ge=0, le=100)


class ConnectionPoolSettings(Section):
    max_connections: int | None = Field(None, ge=1)
    http1_max_pending_requests: int | None = Field(None, ge=1, alias="http1MaxPendingRequests")
    max_requests_per_connection: int | None = Field(None, ge=1)


class DestinationSettings(Section):
    """Failure handling for the route's service, as an Istio DestinationRule."""

    outlier_detection: OutlierDetectionSettings | None = None
    connection_pool: ConnectionPoolSettings | None = None


class RouteSettings(Section):
    """A service published through the mesh at a hostname under dns.domain."""

    name: DnsLabel
    namespace: DnsLabel
    kind: Literal["http", "istio", "tcp"] = Field(
        "http", description="http: Gateway API HTTPRoute; istio: Istio Gateway + VirtualService; tcp: TCPRoute"
    )
    hostname: DnsName | None = Field(None, description="default: <name>.<dns.domain>")
    service: DnsLabel | None = Field(None, description="default: the route's name")
    port: Port = 80
    path_prefix: PathPrefix | None = Field(None, description="default / (http and istio only)")
    timeout: Duration | None = None
    retries: RetrySettings | None = None
    listener_port: Port | None = Field(None, description="tcp: the port opened on the ingress load balancer")
    destination: DestinationSettings | None = None

    @property
    def service_name(self) -> str:
        return self.service or self.name

    @property
    def path(self) -> str:
        return self.path_prefix or "/"


DEMO_SERVICE = "httpbin"


DEMO_PORT = 8000


class DemoSettings(Section):
    """An httpbin workload published at demo.<dns.domain>, to prove the path end to end."""

    enabled: bool = False
    namespace: DnsLabel = "demo"


def route_problems(settings: Settings) -> list[str]:
    problems: list[str] = []
    routes = settings.published_routes
    if routes and settings.dns.domain is None:
        problems.append(
            "dns.domain: routes and the demo publish <name>.<dns.domain>; set it (on local e.g. mesh.localhost)"
        )
    if settings.dns_enabled and any(r.kind == "tcp" for r in routes) and "gateway-tcproute" not in settings.dns.sources:
        problems.append("dns.sources: add gateway-tcproute, so external-dns publishes the tcp routes' hostnames")
    names: set[tuple[str, str]] = set()
    paths: set[tuple[str, str]] = set()
    listener_ports: set[int] = set()
    for index, route in enumerate(routes):
        key = f"routes[{index}]"
        if (route.namespace, route.name) in names:
            problems.append(f"{key}.name: {route.name!r} is used twice in namespace {route.namespace}")
        names.add((route.namespace, route.name))
        if route.namespace not in settings.injected_namespaces:
            problems.append(
                f"{key}.namespace: {route.namespace!r} is not in mesh.injectedNamespaces "
                "(a published service gets mTLS to its pods only in an injected namespace)"
            )
        hostname = settings.hostname(route) if settings.dns.domain or route.hostname else None
        if hostname and settings.dns.domain and not within(hostname, settings.dns.domain):
            problems.append(f"{key}.hostname: {hostname} is outside dns.domain {settings.dns.domain}")
        if hostname and hostname == settings.dns.domain:
            problems.append(f"{key}.hostname: the shared Gateway serves *.{settings.dns.domain}, not the apex")
        if route.kind == "tcp":
            problems += tcp_route_problems(settings, route, key, listener_ports)
            continue
        if hostname and (hostname, route.path) in paths:
            problems.append(f"{key}: hostname {hostname} with path {route.path} is already routed")
        paths.add((hostname or "", route.path))
        problems += retry_problems(settings, route, key)
    return problems


def tcp_route_problems(settings: Settings, route: RouteSettings, key: str, listener_ports: set[int]) -> list[str]:
    problems = []
    if not settings.gateway_api.tcp_routes:
        problems.append(
            f"{key}.kind: tcp needs TCPRoute: set gatewayApi.tcpRoutes true (Istio 1.31+ reads it as v1 from a "
            "Gateway API v1.6+ bundle; Istio 1.30 and older as v1alpha2 from the experimental channel)"
        )
    for field_name, value in (
        ("pathPrefix", route.path_prefix),
        ("timeout", route.timeout),
        ("retries", route.retries),
    ):
        if value is not None:
            problems.append(f"{key}.{field_name}: not for a tcp route")
    if route.listener_port is None:
        problems.append(f"{key}.listenerPort: required for a tcp route (the port opened on the load balancer)")
    elif route.listener_port in RESERVED_INGRESS_PORTS:
        problems.append(
            f"{key}.listenerPort: {route.listener_port} is already taken on the ingress gateway "
            f"({RESERVED_INGRESS_PORTS[route.listener_port]}); accepted: any other port, e.g. 5432"
        )
    elif route.listener_port in listener_ports:
        problems.append(
            f"{key}.listenerPort: {route.listener_port} is already taken on the ingress gateway (another tcp route)"
        )
    else:
        listener_ports.add(route.listener_port)
    return problems


def retry_problems(settings: Settings, route: RouteSettings, key: str) -> list[str]:
    problems = []
    retries = route.retries
    if route.listener_port is not None:
        problems.append(f"{key}.listenerPort: only for a tcp route")
    if retries is None:
        return problems
    if (
        retries.per_try_timeout
        and route.timeout
        and durations.milliseconds(retries.per_try_timeout) > durations.milliseconds(route.timeout)
    ):
        problems.append(
            f"{key}.retries.perTryTimeout: {retries.per_try_timeout} is longer than the route timeout {route.timeout}"
        )
    if route.kind == "http":
        if settings.gateway_api.channel != "experimental":
            problems.append(
                f"{key}.retries: HTTPRoute retry is experimental in Gateway API {settings.gateway_api.version}, "
                "and the standard CRDs drop the field; set gatewayApi.channel experimental, or kind istio "
                "(VirtualService retries)"
            )
        words = [c for c in retries.conditions if not c.isdigit()]
        if words:
            problems.append(
                f"{key}.retries.conditions: an HTTPRoute retries on status codes only (Istio adds connection "
                f"failures itself); {', '.join(words)} needs kind istio"
            )
        # Gateway API v1.6's HTTPRoute CRD requires retry.attempts >= 1 and unique codes (config/crd at v1.6.1).
        if retries.attempts == 0 and versions.parse_gateway_api_version(settings.gateway_api.version) >= (1, 6, 0):
            problems.append(
                f"{key}.retries.attempts: 0 is refused by the HTTPRoute CRD of Gateway API "
                f"{settings.gateway_api.version} (at least 1); drop retries to turn them off"
            )
        if len(set(retries.conditions)) != len(retries.conditions):
            problems.append(f"{key}.retries.conditions: a status code is listed twice (the HTTPRoute CRD refuses it)")
    return problems
