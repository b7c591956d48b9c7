"""Google Cloud DNS access, shared by the `gcp` stack and by `local` with a Cloud DNS zone: the Google
provider, the managed zone (looked up before anything is created, or created), and the identities external-dns
(and, for tls.mode acme, cert-manager) write it with, each scoped to that zone."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.chart import prefixed
from components.gcp_dns_identity import (
    KEY_FILE,
    KEY_SECRET,
    GcpDnsIdentity,
    GcpDnsIdentityArgs,
    account_id_for,
    cluster_account_id,
)
from definitions import addresses
from settings.cloud import GcpSettings
from settings.loader import SettingsError
from settings.model import Settings
from stacks.dns import DnsAccess, DnsZone, check_zone_holds_domain, external_dns_namespace
from stacks.tls import AcmeDns, cert_manager_namespace


def google_provider(google_settings: GcpSettings) -> gcp.Provider:
    return gcp.Provider("gcp", project=google_settings.project)


def gcp_dns(settings: Settings, google_settings: GcpSettings, google: gcp.Provider, cluster: k8s.Provider) -> DnsAccess:
    """The managed zone (looked up before anything is created, or created) and a service account scoped to it."""
    zone = managed_zone(settings, google_settings, google)
    return gcp_access(settings, google_settings, google, cluster, zone)


def gcp_access(
    settings: Settings,
    google_settings: GcpSettings,
    google: gcp.Provider,
    cluster: k8s.Provider,
    zone: DnsZone,
    name: str | None = None,
) -> DnsAccess:
    """On one cluster, what writes the zone: external-dns' namespace and service account (and cert-manager's for
    acme). `name`: the cluster's, in a mesh across clusters (prefixes every resource, its own service account)."""
    namespace = external_dns_namespace(settings, cluster, name)
    identity = zone_identity(
        "external-dns", google_settings, google, cluster, zone, namespace, project_reader=True, name=name
    )
    acme = gcp_acme(settings, google_settings, google, cluster, zone, name) if settings.tls_mode == "acme" else None
    return DnsAccess(zone, identity.credentials, namespace, acme)


def gcp_acme(
    settings: Settings,
    google_settings: GcpSettings,
    google: gcp.Provider,
    cluster: k8s.Provider,
    zone: DnsZone,
    name: str | None = None,
) -> AcmeDns:
    """cert-manager's own service account, on the same zone as external-dns' but never the same account.

    Only roles/dns.admin on the managed zone: with hostedZoneName set, cert-manager's Cloud DNS solver
    (pkg/issuer/acme/dns/clouddns at v1.21.1) calls resourceRecordSets.list, changes.create and changes.get on
    that zone only, and never managedZones.list, so no project-level permission is needed.
    """
    namespace = cert_manager_namespace(settings, cluster, name)
    identity = zone_identity(
        "cert-manager", google_settings, google, cluster, zone, namespace, project_reader=False, name=name
    )
    cloud_dns: dict = {"project": google_settings.zone_project, "hostedZoneName": zone.name}
    if identity.credentials.key_secret is not None:
        # Without a secret ref the solver uses ambient credentials (Workload Identity), ClusterIssuers only.
        cloud_dns["serviceAccountSecretRef"] = {"name": KEY_SECRET, "key": KEY_FILE}
    return AcmeDns(namespace, identity.credentials, {"cloudDNS": cloud_dns})


def zone_identity(
    controller: str,
    google_settings: GcpSettings,
    google: gcp.Provider,
    cluster: k8s.Provider,
    zone: DnsZone,
    namespace: k8s.core.v1.Namespace,
    project_reader: bool,
    name: str | None = None,
) -> GcpDnsIdentity:
    """One controller's own service account on the zone, trusted by its Kubernetes service account (named after
    the controller in its namespace: addresses.py pins both charts' names to that); in a mesh across clusters, one
    per cluster (`name`)."""
    stack = pulumi.get_stack()
    return GcpDnsIdentity(
        prefixed(name, f"{controller}-gcp"),
        GcpDnsIdentityArgs(
            project=google_settings.project,
            dns_project=google_settings.zone_project,
            managed_zone=zone.name,
            mode=google_settings.identity,
            namespace=namespace.metadata.name,
            service_account=addresses.DNS_CONTROLLER_SERVICE_ACCOUNTS[controller],
            account_id=cluster_account_id(stack, name, controller) if name else account_id_for(stack, controller),
            zone_visibility=google_settings.zone_visibility,
            controller=controller,
            project_reader=project_reader,
        ),
        opts=pulumi.ResourceOptions(providers=[google, cluster]),
    )


def managed_zone(settings: Settings, google_settings: GcpSettings, google: gcp.Provider) -> DnsZone:
    dns = settings.dns
    project = google_settings.zone_project
    if dns.zone.create:
        return zone_to_create(settings, google_settings, google)
    lookup = pulumi.InvokeOptions(provider=google)
    if dns.zone.name is not None:
        found = gcp.dns.get_managed_zone(name=dns.zone.name, project=project, opts=lookup)
        if dns.zone.id is not None and str(found.managed_zone_id) != dns.zone.id:
            raise SettingsError(
                [f"dns.zone: name {dns.zone.name} has id {found.managed_zone_id}, not {dns.zone.id}; give one of them"]
            )
        name, zone_id, dns_name, visibility = found.name, str(found.managed_zone_id), found.dns_name, found.visibility
    else:
        zones = gcp.dns.get_managed_zones(project=project, opts=lookup).managed_zones
        match = next((z for z in zones if str(z.managed_zone_id) == dns.zone.id), None)
        # A zone the API lists without a name cannot be granted on (the IAM binding names the zone).
        if match is None or match.name is None:
            raise SettingsError([f"dns.zone.id: no managed zone with id {dns.zone.id} in project {project}"])
        name, zone_id, dns_name, visibility = match.name, str(match.managed_zone_id), match.dns_name, match.visibility
    check_zone_holds_domain(settings, dns_name)
    if visibility != google_settings.zone_visibility:
        raise SettingsError([f"gcp.zoneVisibility: zone {name} is {visibility}, not {google_settings.zone_visibility}"])
    return DnsZone(name=name, id=zone_id)


def zone_to_create(settings: Settings, google_settings: GcpSettings, google: gcp.Provider) -> DnsZone:
    """`dns.zone.create`: the public zone for dns.domain, reused when it exists, created (and kept) when not.

    Looked up first, so the `up` after a destroy (the zone is kept) or a fresh stack over an existing zone never
    asks for a second one (Cloud DNS would refuse the name). When this stack created the zone, the next `up`
    finds it and the created resource leaves the program: it was registered with retain_on_delete, which the
    engine reads from the state, so the zone stays and only leaves the stack's state.
    """
    dns = settings.dns
    project = google_settings.zone_project
    wanted = dns.zone.name or (dns.domain or "").replace(".", "-")
    zones = gcp.dns.get_managed_zones(project=project, opts=pulumi.InvokeOptions(provider=google)).managed_zones
    named = next((z for z in zones if z.name == wanted), None)
    serving = [z for z in zones if z.visibility == "public" and z.dns_name.rstrip(".") == dns.domain]
    if named is not None and named not in serving:
        raise SettingsError(
            [
                f"dns.zone.name: the managed zone {wanted} in project {project} is the {named.visibility} zone "
                f"{named.dns_name.rstrip('.')}, not the public zone of {dns.domain}; choose another name"
            ]
        )
    if len(serving) > 1:
        names = ", ".join(sorted(str(z.name) for z in serving))
        raise SettingsError(
            [
                f"dns.zone.create: project {project} already has {len(serving)} public zones for {dns.domain} "
                f"({names}); give the one the registrar delegates to as dns.zone.name instead of create"
            ]
        )
    if serving:
        found = serving[0]
        if dns.zone.name is not None and found.name != dns.zone.name:
            raise SettingsError(
                [
                    f"dns.zone.name: the public zone of {dns.domain} in project {project} is {found.name}, not "
                    f"{dns.zone.name}; a second zone for the same domain would not be the one delegated to"
                ]
            )
        return DnsZone(name=str(found.name), id=str(found.managed_zone_id), name_servers=list(found.name_servers))
    # Retained on destroy: the zone holds records external-dns never deletes, and a registrar may delegate to
    # its name servers.
    created = gcp.dns.ManagedZone(
        "dns-zone",
        name=wanted,
        dns_name=f"{dns.domain}.",
        project=project,
        visibility="public",
        description="managed by external-dns",
        opts=pulumi.ResourceOptions(provider=google, retain_on_delete=True),
    )
    return DnsZone(name=created.name, id=created.managed_zone_id, name_servers=created.name_servers)
