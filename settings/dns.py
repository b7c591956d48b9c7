"""`dns`: the zone external-dns writes to and what it watches, and the rules for each cloud's zone."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Literal, get_args

from pydantic import Field

from definitions import versions
from definitions.addresses import INGRESS_RELEASE
from settings.fields import DNS_LABEL, DnsLabel, DnsName, DnsTarget, Section

if TYPE_CHECKING:
    from settings.model import Settings


AWS_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


ExternalDnsSource = Literal[
    "service",
    "ingress",
    "istio-gateway",
    "istio-virtualservice",
    "gateway-httproute",
    "gateway-grpcroute",
    "gateway-tlsroute",
    "gateway-tcproute",
    "gateway-udproute",
]


# Every source whose API the default (standard) Gateway API channel serves.
DEFAULT_SOURCES: tuple[ExternalDnsSource, ...] = tuple(
    source for source in get_args(ExternalDnsSource) if source not in versions.EXTERNAL_DNS_SOURCES_NEEDING_EXPERIMENTAL
)


class ZoneSettings(Section):
    """The DNS zone external-dns writes to: an existing one by name or id, or one the stack creates."""

    name: str | None = Field(None, description="GCP: managed-zone name; AWS: hosted-zone name (the domain)")
    id: str | None = Field(None, description="GCP: numeric managed-zone id; AWS: hosted-zone id (Z...)")
    create: bool = Field(False, description="create a public zone for dns.domain; its name servers are an output")


class DnsSettings(Section):
    enabled: bool | None = Field(None, description="default: true on gcp and aws, false on local")
    domain: DnsName | None = Field(None, description="the domain external-dns manages (its domain filter)")
    zone: ZoneSettings = ZoneSettings()
    policy: Literal["upsert-only", "sync", "create-only"] = Field(
        "upsert-only", description="upsert-only never deletes records; sync also deletes the ones it owns"
    )
    sources: tuple[ExternalDnsSource, ...] = DEFAULT_SOURCES
    txt_owner_id: str | None = Field(None, description="default: <project>-<stack>, unique per stack")
    namespace: DnsLabel = "external-dns"
    target: DnsTarget | None = Field(
        None,
        description="the public IP or DNS name records point at (external-dns' target annotation on the Gateways); "
        "required when the ingress Service is not a LoadBalancer",
    )


def dns_problems(settings: Settings) -> list[str]:
    problems = []
    for cloud in ("gcp", "aws"):
        section = getattr(settings, cloud)
        if settings.cloud == cloud and section is None:
            problems.append(f"{cloud}: required with cloud {cloud} (see README, quick start for {cloud})")
        if section is not None and settings.cloud not in (cloud, "local"):
            problems.append(f"{cloud}: given, but cloud is {settings.cloud}; remove it")
    # A mesh across clusters names its zone's cloud and each cluster's own the way settings/multicluster.py says.
    across = settings.multicluster is not None
    if settings.cloud == "local" and not across and settings.gcp is not None and settings.aws is not None:
        problems.append("gcp, aws: on local, give the one section of the cloud that holds your DNS zone")
    if not settings.dns_enabled:
        return problems
    dns = settings.dns
    if settings.cloud == "local" and not across:
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
    if aws is not None and not across and aws.identity == "irsa" and not (aws.cluster_name or aws.oidc_issuer_url):
        problems.append("aws.clusterName: irsa needs the EKS cluster name (or aws.oidcIssuerUrl)")
    if aws is not None and not across and aws.identity == "pod-identity" and not aws.cluster_name:
        problems.append("aws.clusterName: pod-identity needs the EKS cluster name")
    for source in dns.sources:
        problem = versions.external_dns_source_problem(source, settings.gateway_api.channel)
        if problem:
            problems.append(f"dns.sources: {problem}")
    if len(set(dns.sources)) != len(dns.sources):
        problems.append("dns.sources: a source is listed twice")
    return problems


def dns_target_problems(settings: Settings) -> list[str]:
    """DNS never publishes an address the internet cannot reach.

    Without a load-balancer address (a NodePort or ClusterIP Service), Istio 1.30 writes the in-cluster name
    `<service>.<namespace>.svc.cluster.local` into the Gateway's status.addresses, and external-dns 0.21
    publishes every status address as a target unless the Gateway carries its target annotation
    (source/gateway.go; source/istio_virtualservice.go reads the Istio Gateway's the same way).
    """
    if settings.multicluster is not None:
        return []  # each cluster's own target (settings/multicluster.py dns_problems)
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
    if target is not None and visibility == "public" and is_private_ip(target):
        return [
            f"dns.target: {target} is a private address, unreachable from the internet the public zone serves; "
            "give a public IP or DNS name (a private address fits a private zone only)"
        ]
    return []


def is_private_ip(value: str) -> bool:
    try:
        return not ipaddress.ip_address(value).is_global
    except ValueError:
        return False


def _zone_visibility(settings: Settings) -> str:
    if settings.dns_cloud == "gcp" and settings.gcp is not None:
        return settings.gcp.zone_visibility
    if settings.dns_cloud == "aws" and settings.aws is not None:
        return settings.aws.zone_type
    return "public"


def within(domain: str, zone: str) -> bool:
    """Whether `domain` is the zone's apex or below it (trailing dots ignored)."""
    domain, zone = domain.rstrip("."), zone.rstrip(".")
    return domain == zone or domain.endswith("." + zone)
