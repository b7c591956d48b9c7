"""The cloud-agnostic half of DNS automation: the zone a cloud module resolved, external-dns' namespace,
and external-dns itself, installed after its credentials and every CRD its sources watch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.chart import prefixed
from components.external_dns import DnsCredentials, ExternalDns, ExternalDnsArgs
from definitions import addresses
from settings import profiles
from settings.dns import within
from settings.loader import SettingsError
from settings.model import Settings
from stacks import pod_security
from stacks.mesh import Mesh
from stacks.mirror import chart_mirror
from stacks.tls import AcmeDns


@dataclass(frozen=True)
class DnsZone:
    """The zone external-dns writes to, found by a lookup or created by the stack."""

    name: pulumi.Input[str]
    id: pulumi.Input[str]
    name_servers: pulumi.Input[Sequence[str]] | None = None
    arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class DnsAccess:
    """What a cloud module prepares before the mesh: the zone, the credentials, external-dns' namespace (and, for
    ACME, cert-manager's)."""

    zone: DnsZone
    credentials: DnsCredentials
    namespace: k8s.core.v1.Namespace
    # tls.mode acme: cert-manager's own identity on the same zone, and its DNS-01 solver.
    acme: AcmeDns | None = None


@dataclass(frozen=True)
class Dns:
    zone: DnsZone
    credentials: DnsCredentials
    external_dns: ExternalDns
    txt_owner_id: str
    domain_filter: str


def check_zone_holds_domain(settings: Settings, zone_dns_name: str) -> None:
    """A looked-up zone must contain dns.domain, or external-dns would filter every record out."""
    if not within(settings.dns.domain or "", zone_dns_name):
        raise SettingsError([f"dns.domain: {settings.dns.domain} is not inside the zone {zone_dns_name.rstrip('.')}"])


def txt_owner_id(settings: Settings, cluster: str | None = None) -> str:
    """Unique per project and stack by default, so two clusters never fight over the same records; in a mesh across
    clusters, each cluster's own (`<owner>-<cluster>`): every external-dns writes into the one zone and owns only
    its records."""
    owner = settings.dns.txt_owner_id or f"{pulumi.get_project()}-{pulumi.get_stack()}"
    return f"{owner}-{cluster}" if cluster else owner


def domain_filter(settings: Settings) -> str:
    """What external-dns writes: names under dns.domain; in one cluster of a mesh across clusters, names under its
    `<cluster>.<domain>` only (settings.model cluster_domain: the routes' own names there), so the shared names
    every cluster serves are never written by two."""
    return settings.cluster_domain or settings.dns.domain or ""


def external_dns_namespace(settings: Settings, cluster: k8s.Provider, name: str | None = None) -> k8s.core.v1.Namespace:
    """`name`: the cluster's, in a mesh across clusters (prefixes the resource)."""
    return k8s.core.v1.Namespace(
        prefixed(name, settings.dns.namespace),
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=settings.dns.namespace, labels=pod_security.namespace_labels(settings, settings.dns.namespace)
        ),
        opts=pulumi.ResourceOptions(provider=cluster),
    )


def install_external_dns(settings: Settings, mesh: Mesh, access: DnsAccess) -> Dns:
    crds: list[pulumi.Resource] = [mesh.control_plane.base]  # Istio Gateway / VirtualService
    if mesh.gateway_api is not None:
        crds.append(mesh.gateway_api)
    owner = txt_owner_id(settings, mesh.cluster)
    domains = domain_filter(settings)
    external_dns = ExternalDns(
        prefixed(mesh.cluster, "external-dns"),
        ExternalDnsArgs(
            namespace=access.namespace.metadata.name,
            release=addresses.EXTERNAL_DNS_RELEASE,
            service_account=addresses.EXTERNAL_DNS_SERVICE_ACCOUNT,
            credentials=access.credentials,
            sources=settings.dns.sources,
            policy=settings.dns.policy,
            txt_owner_id=owner,
            domain=domains,
            resources=profiles.sizing(settings).external_dns,
            wait_for=crds,
            mirror=chart_mirror(settings.mirror),
        ),
        opts=pulumi.ResourceOptions(providers=[mesh.provider]),
    )
    return Dns(access.zone, access.credentials, external_dns, owner, domains)
