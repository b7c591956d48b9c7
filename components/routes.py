"""A service published through the mesh: an HTTPRoute, a VirtualService or a TCPRoute on the shared ingress,
and optionally a DestinationRule for failure handling. Each object's spec is a function of the typed args,
so the tests read them field by field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts
from components.shared_gateway import GATEWAY_API
from definitions import versions
from definitions.durations import protobuf

ISTIO_NETWORKING = "networking.istio.io/v1"
EXTERNAL_DNS_HOSTNAME = f"{versions.EXTERNAL_DNS_ANNOTATION_PREFIX}hostname"


@dataclass(frozen=True)
class Retry:
    attempts: int
    per_try_timeout: str | None
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class OutlierDetection:
    consecutive_5xx_errors: int
    interval: str
    base_ejection_time: str
    max_ejection_percent: int


@dataclass(frozen=True)
class ConnectionPool:
    max_connections: int | None
    http1_max_pending_requests: int | None
    max_requests_per_connection: int | None


@dataclass(frozen=True)
class RouteArgs:
    name: str
    namespace: pulumi.Input[str]
    kind: str
    hostname: str
    service: str
    service_namespace: str
    port: int
    path: str
    timeout: str | None
    retry: Retry | None
    # The other names it answers to (one cluster's own name in a mesh across clusters, settings.model hostnames).
    aliases: tuple[str, ...] = ()
    # http/tcp: the shared Gateway API Gateway; istio: "<namespace>/<name>" of the Istio Gateway
    parent_ref: dict[str, Any] | None = None
    istio_gateway: str | None = None
    # tcp: the TCPRoute version the Gateway API bundle serves and Istio reads (definitions/versions.py)
    tcp_route_api: str | None = None
    outlier_detection: OutlierDetection | None = None
    connection_pool: ConnectionPool | None = None
    # The shared gateway, its CRDs and istiod (its webhook validates Istio objects, fail-closed).
    wait_for: list[pulumi.Resource] = field(default_factory=list)


def service_host(args: RouteArgs) -> str:
    return f"{args.service}.{args.service_namespace}.svc.cluster.local"


def http_route_spec(args: RouteArgs) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "matches": [{"path": {"type": "PathPrefix", "value": args.path}}],
        "backendRefs": [{"name": args.service, "port": args.port}],
    }
    timeouts: dict[str, str] = {}
    if args.timeout:
        timeouts["request"] = args.timeout
    if args.retry is not None:
        # Experimental channel only (settings refuse it on standard). Istio retries connection failures
        # itself and adds these status codes; the per-try timeout is the backend request timeout.
        rule["retry"] = {"attempts": args.retry.attempts}
        if args.retry.conditions:
            rule["retry"]["codes"] = [int(code) for code in args.retry.conditions]
        if args.retry.per_try_timeout:
            timeouts["backendRequest"] = args.retry.per_try_timeout
    if timeouts:
        rule["timeouts"] = timeouts
    return {"parentRefs": [args.parent_ref], "hostnames": [args.hostname, *args.aliases], "rules": [rule]}


def virtual_service_spec(args: RouteArgs) -> dict[str, Any]:
    http: dict[str, Any] = {
        "match": [{"uri": {"prefix": args.path}}],
        "route": [{"destination": {"host": service_host(args), "port": {"number": args.port}}}],
    }
    if args.timeout:
        http["timeout"] = protobuf(args.timeout)
    if args.retry is not None:
        retries: dict[str, Any] = {"attempts": args.retry.attempts}
        if args.retry.per_try_timeout:
            retries["perTryTimeout"] = protobuf(args.retry.per_try_timeout)
        if args.retry.conditions and args.retry.attempts > 0:
            retries["retryOn"] = ",".join(args.retry.conditions)
        http["retries"] = retries
    return {"hosts": [args.hostname, *args.aliases], "gateways": [args.istio_gateway], "http": [http]}


def tcp_route_spec(args: RouteArgs) -> dict[str, Any]:
    return {"parentRefs": [args.parent_ref], "rules": [{"backendRefs": [{"name": args.service, "port": args.port}]}]}


def destination_rule_spec(args: RouteArgs) -> dict[str, Any] | None:
    policy: dict[str, Any] = {}
    if args.connection_pool is not None:
        pool = args.connection_pool
        if pool.max_connections is not None:
            policy.setdefault("connectionPool", {})["tcp"] = {"maxConnections": pool.max_connections}
        http = {
            key: value
            for key, value in (
                ("http1MaxPendingRequests", pool.http1_max_pending_requests),
                ("maxRequestsPerConnection", pool.max_requests_per_connection),
            )
            if value is not None
        }
        if http:
            policy.setdefault("connectionPool", {})["http"] = http
    if args.outlier_detection is not None:
        outlier = args.outlier_detection
        policy["outlierDetection"] = {
            "consecutive5xxErrors": outlier.consecutive_5xx_errors,
            "interval": protobuf(outlier.interval),
            "baseEjectionTime": protobuf(outlier.base_ejection_time),
            "maxEjectionPercent": outlier.max_ejection_percent,
        }
    if not policy:
        return None
    # No `tls` block: Istio's auto mTLS keeps ISTIO_MUTUAL to the pods (STRICT stays satisfied).
    return {"host": service_host(args), "trafficPolicy": policy}


class PublishedRoute(pulumi.ComponentResource):
    route: k8s.apiextensions.CustomResource
    destination_rule: k8s.apiextensions.CustomResource | None

    def __init__(self, name: str, args: RouteArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:routes:PublishedRoute", name, None, opts)
        metadata = k8s.meta.v1.ObjectMetaArgs(name=args.name, namespace=args.namespace)
        if args.kind == "http":
            api_version, kind, spec = GATEWAY_API, "HTTPRoute", http_route_spec(args)
        elif args.kind == "istio":
            api_version, kind, spec = ISTIO_NETWORKING, "VirtualService", virtual_service_spec(args)
        else:
            assert args.tcp_route_api is not None, "a tcp route needs its TCPRoute version"
            api_version, kind, spec = args.tcp_route_api, "TCPRoute", tcp_route_spec(args)
            # A TCPRoute has no hostnames: external-dns (source gateway-tcproute) reads this annotation, a
            # comma-separated list.
            names = ",".join([args.hostname, *args.aliases])
            metadata = k8s.meta.v1.ObjectMetaArgs(
                name=args.name, namespace=args.namespace, annotations={EXTERNAL_DNS_HOSTNAME: names}
            )
        self.route = k8s.apiextensions.CustomResource(
            name,
            api_version=api_version,
            kind=kind,
            metadata=metadata,
            spec=spec,
            opts=child_opts(self, args.wait_for),
        )
        self.destination_rule = None
        rule = destination_rule_spec(args)
        if rule is not None:
            self.destination_rule = k8s.apiextensions.CustomResource(
                f"{name}-destination",
                api_version=ISTIO_NETWORKING,
                kind="DestinationRule",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=args.name, namespace=args.namespace),
                spec=rule,
                opts=child_opts(self, args.wait_for),
            )
        self.register_outputs({"hostname": args.hostname})
