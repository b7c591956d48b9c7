"""Route53 access, shared by the `aws` stack and by `local` with a Route53 zone: the AWS provider, the hosted
zone and the OIDC issuer (looked up before anything is created), and the identities external-dns (and, for
tls.mode acme, cert-manager) write it with, each scoped to that zone."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.aws_dns_identity import (
    ACCESS_KEY_SECRET,
    AwsDnsIdentity,
    AwsDnsIdentityArgs,
    IrsaIssuer,
    acme_route53_policy,
    route53_policy,
)
from components.chart import prefixed
from definitions import addresses
from settings.cloud import AwsSettings
from settings.loader import SettingsError
from settings.model import Settings
from stacks.dns import DnsAccess, DnsZone, check_zone_holds_domain, external_dns_namespace
from stacks.tls import AcmeDns, cert_manager_namespace

CERT_MANAGER_ACCESS_KEY_SECRET = "cert-manager-aws-credentials"


def aws_provider(aws_settings: AwsSettings) -> aws.Provider:
    return aws.Provider("aws", region=aws_settings.region)


def aws_dns(settings: Settings, aws_settings: AwsSettings, amazon: aws.Provider, cluster: k8s.Provider) -> DnsAccess:
    """The hosted zone and the OIDC issuer (looked up before anything is created), then a zone-scoped identity."""
    zone = hosted_zone(settings, aws_settings, amazon)
    return aws_access(settings, aws_settings, amazon, cluster, zone)


def aws_access(
    settings: Settings,
    aws_settings: AwsSettings,
    amazon: aws.Provider,
    cluster: k8s.Provider,
    zone: DnsZone,
    name: str | None = None,
) -> DnsAccess:
    """On one cluster, what writes the zone: its OIDC issuer (irsa, looked up), external-dns' namespace and role or
    user (and cert-manager's for acme). `name`: the cluster's, in a mesh across clusters (prefixes every resource:
    its own role or user)."""
    issuer = irsa_issuer(aws_settings, amazon) if aws_settings.identity == "irsa" else None
    namespace = external_dns_namespace(settings, cluster, name)
    identity = zone_identity(
        "external-dns", aws_settings, amazon, cluster, zone, issuer, namespace, route53_policy, ACCESS_KEY_SECRET, name
    )
    acme = (
        aws_acme(settings, aws_settings, amazon, cluster, zone, issuer, name) if settings.tls_mode == "acme" else None
    )
    return DnsAccess(zone, identity.credentials, namespace, acme)


def aws_acme(
    settings: Settings,
    aws_settings: AwsSettings,
    amazon: aws.Provider,
    cluster: k8s.Provider,
    zone: DnsZone,
    issuer: IrsaIssuer | None,
    name: str | None = None,
) -> AcmeDns:
    """cert-manager's own role (or user), on the same zone as external-dns' but never the same identity; the
    solver names the zone (hostedZoneID), so it never lists zones. In a mesh across clusters (`name`), one per
    cluster, whose certificate also covers the cluster's own names (<cluster>.<domain>)."""
    namespace = cert_manager_namespace(settings, cluster, name)
    permissions = partial(acme_route53_policy, domains=settings.certificate_domains)
    identity = zone_identity(
        "cert-manager",
        aws_settings,
        amazon,
        cluster,
        zone,
        issuer,
        namespace,
        permissions,
        CERT_MANAGER_ACCESS_KEY_SECRET,
        name,
    )
    route53: dict = {"region": aws_settings.region, "hostedZoneID": zone.id}
    if identity.credentials.key_secret is not None:
        # Without secret refs the solver uses ambient credentials (IRSA, Pod Identity), ClusterIssuers only.
        route53["accessKeyIDSecretRef"] = {"name": CERT_MANAGER_ACCESS_KEY_SECRET, "key": "AWS_ACCESS_KEY_ID"}
        route53["secretAccessKeySecretRef"] = {"name": CERT_MANAGER_ACCESS_KEY_SECRET, "key": "AWS_SECRET_ACCESS_KEY"}
    return AcmeDns(namespace, identity.credentials, {"route53": route53})


def zone_identity(
    controller: str,
    aws_settings: AwsSettings,
    amazon: aws.Provider,
    cluster: k8s.Provider,
    zone: DnsZone,
    issuer: IrsaIssuer | None,
    namespace: k8s.core.v1.Namespace,
    permissions: Callable[[str], dict[str, Any]],
    access_key_secret: str,
    name: str | None = None,
) -> AwsDnsIdentity:
    """One controller's own role (or user) with its own policy on the zone, trusted by its service account."""
    # Every Route53 zone this module returns carries its ARN (hosted_zone); only Cloud DNS zones have none.
    if zone.arn is None:
        raise ValueError(f"{controller}: the Route53 zone {zone.name} came without an ARN")
    return AwsDnsIdentity(
        prefixed(name, f"{controller}-aws"),
        AwsDnsIdentityArgs(
            mode=aws_settings.identity,
            region=aws_settings.region,
            zone_arn=zone.arn,
            namespace=namespace.metadata.name,
            service_account=addresses.DNS_CONTROLLER_SERVICE_ACCOUNTS[controller],
            zone_type=aws_settings.zone_type,
            permissions=permissions,
            access_key_secret=access_key_secret,
            issuer=issuer,
            cluster_name=aws_settings.cluster_name,
        ),
        opts=pulumi.ResourceOptions(providers=[amazon, cluster]),
    )


def hosted_zone(settings: Settings, aws_settings: AwsSettings, amazon: aws.Provider) -> DnsZone:
    dns = settings.dns
    if dns.zone.create:
        return zone_to_create(settings, amazon)
    lookup = pulumi.InvokeOptions(provider=amazon)
    if dns.zone.id is not None:
        found = aws.route53.get_zone(zone_id=dns.zone.id, opts=lookup)
        if dns.zone.name is not None and found.name.rstrip(".") != dns.zone.name.rstrip("."):
            raise SettingsError(
                [
                    f"dns.zone: id {dns.zone.id} is the zone {found.name.rstrip('.')}, not {dns.zone.name}; "
                    "give one of them"
                ]
            )
    else:
        found = aws.route53.get_zone(name=dns.zone.name, private_zone=aws_settings.zone_type == "private", opts=lookup)
    check_zone_holds_domain(settings, found.name)
    if found.private_zone != (aws_settings.zone_type == "private"):
        kind = "private" if found.private_zone else "public"
        raise SettingsError([f"aws.zoneType: zone {found.name.rstrip('.')} is {kind}, not {aws_settings.zone_type}"])
    return DnsZone(name=found.name.rstrip("."), id=found.zone_id, arn=found.arn)


# getZone wraps terraform-provider-aws' aws_route53_zone data source: a lookup by name lists the account's zones
# and fails with these messages for no match and for several (internal/service/route53/zone_data_source.go,
# tfresource.SingularDataSourceFindError; read at the repository's stored head, not at the version pulumi-aws
# 7.51 bundles). The engine returns a data source's error to the program, which can catch it.
NO_MATCHING_ZONE = "no matching route 53 hosted zone found"
SEVERAL_MATCHING_ZONES = "multiple route 53 hosted zones matched"


def zone_to_create(settings: Settings, amazon: aws.Provider) -> DnsZone:
    """`dns.zone.create`: the public hosted zone for dns.domain, reused when it exists, created (and kept) when not.

    Looked up first: Route53 accepts a second hosted zone of the same name, with other name servers, and the
    registrar's delegation would silently keep pointing at the first. When this stack created the zone, the next
    `up` finds it and the created resource leaves the program: it was registered with retain_on_delete, which
    the engine reads from the state, so the zone stays and only leaves the stack's state.
    """
    domain = settings.dns.domain or ""
    try:
        found = aws.route53.get_zone(name=domain, private_zone=False, opts=pulumi.InvokeOptions(provider=amazon))
    except Exception as error:  # the invoke reports every provider error as a plain Exception
        if SEVERAL_MATCHING_ZONES in str(error).lower():
            raise SettingsError(
                [
                    f"dns.zone.create: the account already has several public hosted zones named {domain}; give the "
                    "one the registrar delegates to as dns.zone.id instead of create"
                ]
            ) from None
        if NO_MATCHING_ZONE not in str(error).lower():
            raise
    else:
        return DnsZone(
            name=found.name.rstrip("."), id=found.zone_id, name_servers=list(found.name_servers), arn=found.arn
        )
    # Retained on destroy: the zone holds records external-dns never deletes, and a registrar may delegate to
    # its name servers.
    created = aws.route53.Zone(
        "dns-zone",
        name=domain,
        comment="managed by external-dns",
        opts=pulumi.ResourceOptions(provider=amazon, retain_on_delete=True),
    )
    return DnsZone(name=created.name, id=created.zone_id, name_servers=created.name_servers, arn=created.arn)


def irsa_issuer(aws_settings: AwsSettings, amazon: aws.Provider) -> IrsaIssuer:
    """The cluster's OIDC issuer, and the IAM OIDC provider IRSA trusts (it must already exist)."""
    lookup = pulumi.InvokeOptions(provider=amazon)
    url = aws_settings.oidc_issuer_url
    if url is None:
        cluster = aws.eks.get_cluster(name=aws_settings.cluster_name, opts=lookup)
        url = cluster.identities[0].oidcs[0].issuer
    provider = aws.iam.get_open_id_connect_provider(url=url, opts=lookup)
    return IrsaIssuer(url=url, provider_arn=provider.arn)
