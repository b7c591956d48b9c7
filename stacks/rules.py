"""Rules that span several settings sections: each problem names the key to change and what is accepted.

Run by `stacks.loader.load_settings` after every section has parsed, so a combination that cannot work (a
source whose API the CRDs do not serve, exposure without TLS, a route outside the domain...) fails before any
resource exists.
"""

from __future__ import annotations

import ipaddress

from definitions import durations, versions
from definitions.addresses import CERT_MANAGER_NAMESPACE, INGRESS_RELEASE, ISTIO_NAMESPACE, UNREVISIONED
from stacks import dataplane, mirror, profiles, quantities
from stacks.installed import InstalledIstio
from stacks.multicluster_rules import multicluster_problems
from stacks.settings import AWS_ZONE_ID, DNS_LABEL, RouteSettings, Settings

# Istio supports a canary across at most two minor versions (1.x beside 1.x+2), and an in-place upgrade
# from the previous minor only (istio.io content/en/docs/setup/upgrade/canary and .../upgrade/in-place).
CANARY_MAX_MINORS = 2
IN_PLACE_MAX_MINORS = 1


def cross_section_problems(settings: Settings) -> list[str]:
    """Rules that span several sections; each problem names the key to change."""
    problems = []
    gateway_api = settings.gateway_api
    for revision in settings.istio.installed if gateway_api.tcp_routes else ():
        problem = versions.istio_tcproute_problem(revision.version, gateway_api.version, gateway_api.channel)
        if problem:
            problems.append(
                f"gatewayApi.tcpRoutes: {problem}; accepted: Istio 1.31+ with Gateway API v1.6.0+ (either channel), "
                "Istio 1.30 and older with the experimental channel; or set tcpRoutes to false"
            )
    problems += _platform_problems(settings)
    problems += _namespace_problems(settings)
    problems += _istio_revision_problems(settings)
    problems += _dataplane_problems(settings)
    problems += _dns_problems(settings)
    problems += _dns_target_problems(settings)
    problems += _dashboard_problems(settings)
    problems += _route_problems(settings)
    problems += _sizing_problems(settings)
    problems += _tls_problems(settings)
    problems += _verify_problems(settings)
    problems += _mirror_problems(settings)
    problems += multicluster_problems(settings)
    return problems


def _platform_problems(settings: Settings) -> list[str]:
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


def _namespace_problems(settings: Settings) -> list[str]:
    """Workload namespaces are created by this stack: never one of its own, never twice."""
    problems = []
    reserved = {ISTIO_NAMESPACE: "the Istio control plane", settings.ingress.namespace: "the ingress gateway"}
    if settings.dns_enabled:
        reserved[settings.dns.namespace] = "external-dns"
    seen: set[str] = set()
    if settings.demo.enabled and settings.demo.namespace in reserved:
        problems.append(
            f"demo.namespace: {settings.demo.namespace!r} is the namespace of {reserved[settings.demo.namespace]}"
        )
    for namespace in settings.mesh.injected_namespaces:
        if namespace in reserved:
            problems.append(f"mesh.injectedNamespaces: {namespace!r} is the namespace of {reserved[namespace]}")
        if namespace in seen:
            problems.append(f"mesh.injectedNamespaces: {namespace!r} is listed twice")
        seen.add(namespace)
    return problems


def _istio_revision_problems(settings: Settings) -> list[str]:
    """One or two revisions, distinct, within a supported canary distance, a default among them, pins to them."""
    istio = settings.istio
    problems = []
    if istio.revisions is not None and istio.shorthand_version is not None:
        problems.append("istio.version: give either istio.version (one revision) or istio.revisions, not both")
    if istio.revisions is None and istio.default_revision is not None:
        problems.append(
            "istio.defaultRevision: only with istio.revisions "
            f"(istio.version installs the one revision {UNREVISIONED!r})"
        )
    revisions = istio.installed
    names = [r.name for r in revisions]
    if not 1 <= len(revisions) <= 2:
        problems.append(f"istio.revisions: {len(revisions)} given; give one or two (the serving revision and a canary)")
    for kind, values in (("name", names), ("version", [r.version for r in revisions])):
        for value in sorted({v for v in values if values.count(v) > 1}):
            problems.append(f"istio.revisions: {kind} {value} is used twice; each revision needs its own {kind}")
    if istio.default_revision is None and len(revisions) > 1:
        problems.append(f"istio.defaultRevision: required with two revisions; one of {', '.join(names)}")
    elif istio.default_revision is not None and istio.default_revision not in names:
        problems.append(
            f"istio.defaultRevision: {istio.default_revision!r} is not one of the revisions ({', '.join(names)})"
        )
    minors = sorted(versions.parse_istio_version(r.version)[:2] for r in revisions)
    if len(minors) == 2 and (minors[0][0] != minors[1][0] or minors[1][1] - minors[0][1] > CANARY_MAX_MINORS):
        apart = " and ".join(r.version for r in revisions)
        problems.append(
            f"istio.revisions: {apart} are more than {CANARY_MAX_MINORS} minor versions apart; Istio supports a "
            f"canary across at most {CANARY_MAX_MINORS} minors: upgrade in smaller steps"
        )
    for index, namespace in enumerate(settings.mesh.namespaces):
        key = f"mesh.injectedNamespaces[{index}].revision"
        if namespace.revision == UNREVISIONED:
            problems.append(
                f"{key}: {UNREVISIONED!r} is the unrevisioned istiod, reached only through the default tag "
                "(istio.io/rev=default); list the namespace by name to follow the default revision"
            )
        elif namespace.revision is not None and namespace.revision not in names:
            problems.append(f"{key}: {namespace.revision!r} is not one of istio.revisions ({', '.join(names)})")
    return problems


def _dataplane_problems(settings: Settings) -> list[str]:
    """Each namespace labelled for one data plane only, ambient with the CNI agent it needs, a waypoint only where
    it can bind, the node agents' platform only where it is not derived from the cloud."""
    problems = []
    mesh = settings.mesh
    if dataplane.ambient_enabled(settings) and mesh.cni.enabled is False:
        problems.append(
            "mesh.cni.enabled: ambient needs Istio's CNI node agent (it redirects every ambient pod's traffic to "
            "ztunnel); remove mesh.cni.enabled or set it true, or set every namespace's dataplane to sidecar"
        )
    if mesh.cni.platform is not None and settings.cloud != "local":
        derived = dataplane.CLOUD_PLATFORMS[settings.cloud] or "none, the charts' defaults"
        problems.append(
            f"mesh.cni.platform: derived from the cloud on {settings.cloud} ({derived}); remove it (local only)"
        )
    for index, namespace in enumerate(mesh.namespaces):
        key = f"mesh.injectedNamespaces[{index}]"
        mode = dataplane.namespace_dataplane(settings, namespace.name)
        if mode == "ambient" and namespace.revision is not None:
            problems.append(
                f"{key}.revision: {namespace.name} is ambient, and an ambient namespace is not pinned to a revision: "
                "istio.io/rev on it would give its pods sidecars (the injector wins), ztunnel has no canary and "
                "serves every ambient pod from the default revision, and its waypoint follows the default tag; "
                "remove revision, or set dataplane sidecar"
            )
        if namespace.waypoint and mode != "ambient":
            problems.append(
                f"{key}.waypoint: {namespace.name} runs sidecars, which already do L7 (a waypoint binds only ambient "
                "traffic); set its dataplane (or mesh.dataplane) to ambient, or remove waypoint"
            )
    demo = settings.demo
    if (
        demo.enabled
        and settings.verify_enabled
        and dataplane.namespace_dataplane(settings, demo.namespace) == "ambient"
        and not settings.dashboards.prometheus.enabled
    ):
        problems.append(
            "verify.enabled: the demo is ambient, where no sidecar sees the request at the backend: the mTLS "
            "evidence is ztunnel's metrics, read from Prometheus; enable dashboards.prometheus, or set "
            "verify.enabled false"
        )
    return problems


def installed_istio_problems(settings: Settings, installed: InstalledIstio) -> list[str]:
    """Steps that are unsafe from what the previous `up` installed (the stack's own outputs, stacks/installed.py).

    Each runbook step is one `up`: a step that does two of them at once, or an in-place jump Istio does not
    support, is refused here.
    """
    istio = settings.istio
    problems = []
    names = [r.name for r in istio.installed]
    for index, revision in enumerate(istio.installed):
        before = installed.revisions.get(revision.name)
        if before is None:
            continue
        (old_major, old_minor, _), (new_major, new_minor, _) = map(
            versions.parse_istio_version, (before, revision.version)
        )
        if old_major != new_major or abs(new_minor - old_minor) > IN_PLACE_MAX_MINORS:
            key = "istio.version" if istio.revisions is None else f"istio.revisions[{index}].version"
            problems.append(
                f"{key}: revision {revision.name!r} runs {before}; "
                f"an in-place change to {revision.version} is more than "
                f"{IN_PLACE_MAX_MINORS} minor version; add a canary revision at {revision.version} instead"
            )
    if installed.default not in names:
        problems.append(
            f"istio.revisions: {installed.default!r} is still the default revision (installed); move "
            "istio.defaultRevision in one up, then remove the revision in the next"
        )
    for namespace, pinned in sorted(installed.namespaces.items()):
        if pinned not in names and pinned != installed.default:
            problems.append(
                f"istio.revisions: {pinned!r} is still pinned by namespace {namespace} (installed); pin it to another "
                "revision and restart its workloads in one up, then remove the revision in the next"
            )
    if istio.default != installed.default and istio.default not in installed.revisions:
        problems.append(
            f"istio.defaultRevision: {istio.default!r} is not installed yet; add it in one up and move the default "
            "in the next (the default tag, the validator and the gateway would point at an istiod not yet serving)"
        )
    return problems + _node_agent_problems(settings, installed)


def _node_agent_problems(settings: Settings, installed: InstalledIstio) -> list[str]:
    """istio-cni and ztunnel have no canary: they follow the default revision in place, after the control plane,
    and a node agent at 1.x works with control planes 1.x and 1.x+1 only (istio.io ambient upgrade runbook). So
    the default revision may move at most one minor ahead of the running agents, and never behind them."""
    if installed.node_agents is None or not dataplane.cni_installed(settings):
        return []
    istio = settings.istio
    (old_major, old_minor, _), (new_major, new_minor, _) = map(
        versions.parse_istio_version, (installed.node_agents, istio.version)
    )
    if old_major == new_major and 0 <= new_minor - old_minor <= IN_PLACE_MAX_MINORS:
        return []
    if istio.revisions is None:
        key = "istio.version"
    elif istio.default != installed.default:
        key = "istio.defaultRevision"
    else:
        key = f"istio.revisions[{[r.name for r in istio.installed].index(istio.default)}].version"
    where = (
        "ahead of the default revision's control plane"
        if (new_major, new_minor) < (old_major, old_minor)
        else f"more than {IN_PLACE_MAX_MINORS} minor behind it"
    )
    return [
        f"{key}: istio-cni and ztunnel run {installed.node_agents} and follow the default revision in place (no "
        f"canary); moving it to {istio.version} would leave them {where} until they are upgraded; move the "
        f"default revision one minor at a time, never below the agents' {old_major}.{old_minor}"
    ]


def _dns_problems(settings: Settings) -> list[str]:
    problems = []
    for cloud in ("gcp", "aws"):
        section = getattr(settings, cloud)
        if settings.cloud == cloud and section is None:
            problems.append(f"{cloud}: required with cloud {cloud} (see README, quick start for {cloud})")
        if section is not None and settings.cloud not in (cloud, "local"):
            problems.append(f"{cloud}: given, but cloud is {settings.cloud}; remove it")
    if settings.cloud == "local" and settings.gcp is not None and settings.aws is not None:
        problems.append("gcp, aws: on local, give the one section of the cloud that holds your DNS zone")
    if not settings.dns_enabled:
        return problems
    dns = settings.dns
    if settings.cloud == "local":
        if settings.dns_cloud is None:
            problems.append("dns.enabled: on local, external-dns needs the gcp or aws section of your DNS zone")
        elif settings.gcp is not None and settings.gcp.identity != "key":
            problems.append("gcp.identity: on local only key works (workload identity needs GKE)")
        elif settings.aws is not None and settings.aws.identity != "access-key":
            problems.append("aws.identity: on local only access-key works (irsa and pod-identity need EKS)")
    if dns.domain is None:
        problems.append("dns.domain: required when DNS is enabled, e.g. mesh.example.com")
    zone = dns.zone
    if zone.create:
        if zone.id is not None:
            problems.append("dns.zone.id: a zone to create has no id yet; give create or id, not both")
        if settings.dns_cloud == "aws" and zone.name is not None and zone.name != dns.domain:
            problems.append(f"dns.zone.name: an AWS zone to create is named after dns.domain ({dns.domain})")
        visibility = settings.gcp.zone_visibility if settings.gcp else settings.aws.zone_type if settings.aws else None
        if visibility == "private":
            problems.append("dns.zone.create: only public zones are created; a private zone needs its networks")
    elif zone.name is None and zone.id is None:
        problems.append("dns.zone: give name or id of an existing zone, or create: true")
    if settings.dns_cloud == "aws" and zone.id is not None and not AWS_ZONE_ID.match(zone.id):
        problems.append(f"dns.zone.id: {zone.id!r} is not a Route53 hosted-zone id (Z followed by letters and digits)")
    if settings.dns_cloud == "gcp" and zone.id is not None and not zone.id.isdigit():
        problems.append(f"dns.zone.id: {zone.id!r} is not a Cloud DNS managed-zone id (digits)")
    if settings.dns_cloud == "gcp" and zone.name is not None and not DNS_LABEL.match(zone.name):
        problems.append(f"dns.zone.name: {zone.name!r} is not a Cloud DNS managed-zone name (e.g. example-com)")
    if settings.dns_cloud == "aws" and zone.name is not None and dns.domain and not within(dns.domain, zone.name):
        problems.append(f"dns.domain: {dns.domain} is not inside the zone {zone.name}")
    aws = settings.aws
    if aws is not None and aws.identity == "irsa" and not (aws.cluster_name or aws.oidc_issuer_url):
        problems.append("aws.clusterName: irsa needs the EKS cluster name (or aws.oidcIssuerUrl)")
    if aws is not None and aws.identity == "pod-identity" and not aws.cluster_name:
        problems.append("aws.clusterName: pod-identity needs the EKS cluster name")
    for source in dns.sources:
        problem = versions.external_dns_source_problem(source, settings.gateway_api.channel)
        if problem:
            problems.append(f"dns.sources: {problem}")
    if len(set(dns.sources)) != len(dns.sources):
        problems.append("dns.sources: a source is listed twice")
    return problems


def _dns_target_problems(settings: Settings) -> list[str]:
    """DNS never publishes an address the internet cannot reach.

    Without a load-balancer address (a NodePort or ClusterIP Service), Istio 1.30 writes the in-cluster name
    `<service>.<namespace>.svc.cluster.local` into the Gateway's status.addresses, and external-dns 0.21
    publishes every status address as a target unless the Gateway carries its target annotation
    (source/gateway.go; source/istio_virtualservice.go reads the Istio Gateway's the same way).
    """
    target = settings.dns.target
    if not settings.dns_enabled:
        if target is not None:
            return ["dns.target: only used when DNS is enabled (dns.enabled); remove it"]
        return []
    service_type = settings.ingress_service_type
    if target is None and service_type != "LoadBalancer":
        return [
            f"dns.target: required with DNS on and ingress.serviceType {service_type}: without a load balancer "
            f"Istio reports the Gateway's address as {INGRESS_RELEASE}.{settings.ingress.namespace}.svc.cluster.local, "
            "which external-dns would publish; give the public IP or DNS name that reaches the ingress, "
            "or set ingress.serviceType LoadBalancer"
        ]
    visibility = settings.gcp.zone_visibility if settings.gcp else settings.aws.zone_type if settings.aws else "public"
    if target is not None and visibility == "public" and _is_private_ip(target):
        return [
            f"dns.target: {target} is a private address, unreachable from the internet the public zone serves; "
            "give a public IP or DNS name (a private address fits a private zone only)"
        ]
    return []


def _is_private_ip(value: str) -> bool:
    try:
        return not ipaddress.ip_address(value).is_global
    except ValueError:
        return False


def _dashboard_problems(settings: Settings) -> list[str]:
    problems = []
    dashboards = settings.dashboards
    kiali = dashboards.kiali
    if kiali.enabled and not dashboards.prometheus.enabled:
        problems.append("dashboards.kiali.enabled: Kiali draws its graph from Prometheus; enable dashboards.prometheus")
    if kiali.enabled and kiali.auth == "openid" and kiali.openid is None:
        problems.append("dashboards.kiali.openid: required with auth openid (issuerUri, clientId, clientSecret)")
    if kiali.openid is not None and not kiali.openid.issuer_uri.startswith("https://"):
        problems.append("dashboards.kiali.openid.issuerUri: must be an https:// URL")
    tracing = settings.mesh.tracing
    if not dashboards.jaeger.enabled and tracing.zipkin_address is None and tracing.enabled:
        explicit = {"sampling", "enabled"} & tracing.model_fields_set
        if explicit:
            problems.append(
                f"mesh.tracing.{sorted(explicit)[0]}: tracing is off without Jaeger (no collector to send spans to); "
                "enable dashboards.jaeger or give mesh.tracing.zipkinAddress"
            )
    expose = dashboards.expose
    if expose.enabled:
        if settings.dns.domain is None and not (expose.kiali_host and expose.grafana_host):
            problems.append("dashboards.expose: needs dns.domain for the hostnames (or kialiHost and grafanaHost)")
        if settings.tls_mode == "off":
            problems.append(
                "dashboards.expose: needs HTTPS (tls.mode acme, ca or secret); dashboards are exposed over HTTPS only"
            )
        if kiali.enabled and kiali.auth == "anonymous":
            problems.append("dashboards.kiali.auth: anonymous Kiali cannot be exposed; use token or openid")
        for key, host in (("kialiHost", expose.kiali_host), ("grafanaHost", expose.grafana_host)):
            if host and settings.dns.domain and not within(host, settings.dns.domain):
                problems.append(f"dashboards.expose.{key}: {host} is outside dns.domain {settings.dns.domain}")
    return problems


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


def _route_problems(settings: Settings) -> list[str]:
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
            problems += _tcp_route_problems(settings, route, key, listener_ports)
            continue
        if hostname and (hostname, route.path) in paths:
            problems.append(f"{key}: hostname {hostname} with path {route.path} is already routed")
        paths.add((hostname or "", route.path))
        problems += _retry_problems(settings, route, key)
    return problems


def _tcp_route_problems(settings: Settings, route: RouteSettings, key: str, listener_ports: set[int]) -> list[str]:
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


def _retry_problems(settings: Settings, route: RouteSettings, key: str) -> list[str]:
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


def _tls_problems(settings: Settings) -> list[str]:
    """Each TLS mode only where it can work: acme needs a public zone this stack writes to, secret a Secret."""
    problems = []
    tls, mode, domain = settings.tls, settings.tls_mode, settings.dns.domain
    if settings.gateway.tls_secret is not None:
        problems.append(
            f"gateway.tlsSecret: replaced by tls.mode secret and tls.secret {settings.gateway.tls_secret}; "
            "or drop it and let cert-manager issue the certificate (tls.mode acme or ca)"
        )
    if mode != "off" and domain is None:
        problems.append(f"tls.mode: {mode} certifies *.<dns.domain>; set dns.domain, or tls.mode off")
    if mode == "acme":
        if tls.email is None:
            problems.append(
                "tls.email: required with tls.mode acme (the default on gcp and aws): Let's Encrypt's account e-mail; "
                "or set tls.mode ca, secret or off"
            )
        if settings.dns_cloud is None:
            problems.append(
                "tls.mode: acme proves the domain by DNS-01 in the zone external-dns manages, and DNS is off; "
                "enable dns (gcp or aws), or use tls.mode ca, secret or off"
            )
        elif _zone_visibility(settings) == "private":
            key = "gcp.zoneVisibility" if settings.dns_cloud == "gcp" else "aws.zoneType"
            problems.append(
                f"tls.mode: acme cannot use a private zone ({key} private): Let's Encrypt resolves the challenge "
                "in public DNS; use a public zone, or tls.mode ca or secret"
            )
    else:
        for key, given in (("email", tls.email), ("server", "server" in tls.model_fields_set or None)):
            if given is not None:
                problems.append(f"tls.{key}: only for tls.mode acme (tls.mode is {mode})")
    if mode == "secret" and tls.secret is None:
        problems.append(
            "tls.secret: required with tls.mode secret: a kubernetes.io/tls Secret in the ingress namespace"
        )
    if mode != "secret" and tls.secret is not None:
        problems.append(f"tls.secret: only for tls.mode secret (tls.mode is {mode})")
    if mode in ("acme", "ca") and CERT_MANAGER_NAMESPACE in settings.injected_namespaces:
        key = (
            "demo.namespace"
            if settings.demo.enabled and settings.demo.namespace == CERT_MANAGER_NAMESPACE
            else "mesh.injectedNamespaces"
        )
        problems.append(f"{key}: {CERT_MANAGER_NAMESPACE!r} is cert-manager's namespace (never injected)")
    if mode in ("acme", "ca") and domain:
        expose = settings.dashboards.expose
        hosts = [
            ("dashboards.expose.kialiHost", expose.kiali_host),
            ("dashboards.expose.grafanaHost", expose.grafana_host),
        ]
        hosts += [(f"routes[{i}].hostname", r.hostname) for i, r in enumerate(settings.routes) if r.kind != "tcp"]
        for key, host in hosts:
            if host and host != domain and within(host, domain) and not covered_by_wildcard(host, domain):
                problems.append(
                    f"{key}: {host} is outside the certificate *.{domain} (a wildcard covers one label); "
                    f"use <name>.{domain}"
                )
    return problems


def _zone_visibility(settings: Settings) -> str:
    if settings.dns_cloud == "gcp" and settings.gcp is not None:
        return settings.gcp.zone_visibility
    if settings.dns_cloud == "aws" and settings.aws is not None:
        return settings.aws.zone_type
    return "public"


def covered_by_wildcard(host: str, domain: str) -> bool:
    """Whether the certificate for *.<domain> covers `host`: exactly one label in front of the domain."""
    prefix = host.rstrip(".").removesuffix("." + domain.rstrip("."))
    return prefix != host.rstrip(".") and "." not in prefix


def within(domain: str, zone: str) -> bool:
    """Whether `domain` is the zone's apex or below it (trailing dots ignored)."""
    domain, zone = domain.rstrip("."), zone.rstrip(".")
    return domain == zone or domain.endswith("." + zone)


def _sizing_problems(settings: Settings) -> list[str]:
    """Overrides of the profile: above the floors, limits over requests, a sane replica range."""
    problems = []
    effective = profiles.sizing(settings)
    for component, (cpu_floor, memory_floor) in profiles.FLOORS.items():
        override = getattr(settings.sizing, component)
        resources = getattr(effective, component)
        key = f"sizing.{component}"
        if override.cpu is not None and quantities.millicores(override.cpu) < cpu_floor:
            problems.append(
                f"{key}.cpu: {override.cpu} is below the floor of {cpu_floor}m; accepted: {cpu_floor}m or more"
            )
        if override.memory is not None and quantities.mebibytes(override.memory) < memory_floor:
            problems.append(
                f"{key}.memory: {override.memory} is below the floor of {memory_floor}Mi "
                f"(it would be OOM-killed); accepted: {memory_floor}Mi or more"
            )
        if quantities.mebibytes(resources.memory_limit) < quantities.mebibytes(resources.memory):
            field = "memoryLimit" if override.memory_limit is not None else "memory"
            problems.append(
                f"{key}.{field}: the memory limit {resources.memory_limit} is below the request {resources.memory}; "
                "accepted: a limit at least the request"
            )
    gateway, replicas = settings.sizing.gateway, effective.gateway_replicas
    if replicas.max < replicas.min:
        problems.append(
            f"sizing.gateway.maxReplicas: {replicas.max} is below minReplicas {replicas.min}; "
            f"accepted: at least {replicas.min}"
        )
    if (
        settings.profile == "production"
        and gateway.min_replicas is not None
        and gateway.min_replicas < profiles.PRODUCTION_MIN_REPLICAS
    ):
        problems.append(
            f"sizing.gateway.minReplicas: {gateway.min_replicas} gateway cannot survive the loss of its node; "
            f"accepted with profile production: {profiles.PRODUCTION_MIN_REPLICAS} or more"
        )
    return problems


# Seconds the checks spend besides their bounded waits: requests (5 s each), image pull, pod start.
VERIFY_MARGIN_SECONDS = 60


def _verify_problems(settings: Settings) -> list[str]:
    verify = settings.verify
    if verify.enabled and not settings.published_routes:
        return ["verify.enabled: nothing to check; it needs demo.enabled or at least one route"]
    if not settings.verify_enabled:
        return []
    waits = verify.ready_wait_seconds + verify.trace_wait_seconds + verify.metrics_wait_seconds
    if verify.deadline_seconds < waits + VERIFY_MARGIN_SECONDS:
        return [
            f"verify.deadlineSeconds: {verify.deadline_seconds} is shorter than the checks' waits ({waits} s) "
            f"plus {VERIFY_MARGIN_SECONDS} s; raise it to at least {waits + VERIFY_MARGIN_SECONDS} or shorten the waits"
        ]
    return []


def _mirror_problems(settings: Settings) -> list[str]:
    """With a mirror, everything the stack installs comes from it: each source it needs is given, and every
    per-chart override names a chart the stack installs (a typo would otherwise fetch that chart publicly)."""
    if settings.mirror is None:
        return []
    problems = []
    installed = mirror.installed_charts(settings)
    for chart in settings.mirror.charts.overrides:
        if chart not in installed:
            problems.append(
                f"mirror.charts.overrides: {chart!r} is not a chart this stack installs "
                f"(installed: {', '.join(installed)})"
            )
    # A multicluster stack installs Istio's charts only (stacks/multicluster.py).
    around_the_mesh = settings.multicluster is None
    if around_the_mesh and settings.gateway_api.install and settings.mirror.gateway_api is None:
        problems.append(
            "mirror.gatewayApi: required while gatewayApi.install is true (the bundle would come from GitHub); give "
            "the base URL or directory holding <version>/<channel>-install.yaml"
        )
    if around_the_mesh and settings.dashboards.grafana.enabled and settings.mirror.istio_dashboards is None:
        problems.append(
            "mirror.istioDashboards: required while Grafana is on (the dashboards would come from GitHub); give the "
            "base URL or directory holding <istio version>/<file>"
        )
    if settings.tls_mode == "acme":
        problems.append(
            "tls.mode: acme needs Let's Encrypt (acme-v02.api.letsencrypt.org) from the cluster, which a mirror "
            "cannot serve; with mirror set, use tls.mode ca or secret"
        )
    if settings.mirror.charts.password is not None and settings.mirror.charts.username is None:
        problems.append("mirror.charts.password: given without mirror.charts.username")
    return problems
