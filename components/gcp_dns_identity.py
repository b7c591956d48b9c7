"""A Google identity a DNS controller (external-dns, cert-manager) writes Cloud DNS records with, scoped to one
managed zone: one per controller, never shared."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.chart import child_opts
from components.external_dns import DnsCredentials

KEY_SECRET = "cloud-dns-key"
KEY_FILE = "credentials.json"
KEY_MOUNT = "/etc/secrets/service-account"


@dataclass(frozen=True)
class GcpDnsIdentityArgs:
    project: str
    dns_project: str
    managed_zone: pulumi.Input[str]
    mode: str
    namespace: pulumi.Input[str]
    service_account: str
    account_id: str
    zone_visibility: str
    controller: str  # who uses it: names the account's purpose
    # external-dns lists the project's zones (roles/dns.reader on the project); cert-manager, given the zone's
    # name (hostedZoneName), needs nothing outside the zone.
    project_reader: bool


def account_id_for(stack: str, controller: str = "external-dns") -> str:
    """A valid, stack-unique service-account id: 6-30 characters, [a-z][-a-z0-9]*[a-z0-9]."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", f"{controller}-{stack}".lower())[:30].rstrip("-")
    return cleaned.ljust(6, "0")


def cluster_account_id(stack: str, cluster: str, controller: str = "external-dns") -> str:
    """One cluster's service-account id in a mesh across clusters: the controller, the start of the cluster's name
    and a digest of the stack and the whole cluster name (6-30 characters, as account_id_for), so no truncation
    can give two clusters, or two stacks' clusters, one account."""
    digest = hashlib.sha256(f"{stack}/{cluster}/{controller}".encode()).hexdigest()[:8]
    start = re.sub(r"[^a-z0-9-]+", "-", f"{controller[:12]}-{cluster[:8]}".lower()).rstrip("-")
    return f"{start}-{digest}"


def workload_identity_member(project: str, namespace: str, service_account: str) -> str:
    return f"serviceAccount:{project}.svc.id.goog[{namespace}/{service_account}]"


class GcpDnsIdentity(pulumi.ComponentResource):
    account: gcp.serviceaccount.Account
    credentials: DnsCredentials

    def __init__(self, name: str, args: GcpDnsIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:dns:GcpDnsIdentity", name, None, opts)
        self.account = gcp.serviceaccount.Account(
            name,
            account_id=args.account_id,
            project=args.project,
            display_name=f"{args.controller}: writes records in one Cloud DNS zone",
            opts=child_opts(self),
        )
        member = self.account.email.apply(lambda email: f"serviceAccount:{email}")
        # Least privilege: change records in the one managed zone (and, for a controller that looks zones up,
        # read zones in the DNS project).
        grants: list[pulumi.Resource] = []
        if args.project_reader:
            grants.append(
                gcp.projects.IAMMember(
                    f"{name}-dns-reader",
                    project=args.dns_project,
                    role="roles/dns.reader",
                    member=member,
                    opts=child_opts(self),
                )
            )
        zone_admin = gcp.dns.DnsManagedZoneIamMember(
            f"{name}-zone-admin",
            project=args.dns_project,
            managed_zone=args.managed_zone,
            role="roles/dns.admin",
            member=member,
            opts=child_opts(self),
        )
        provider_args = {"google-project": args.dns_project, "google-zone-visibility": args.zone_visibility}
        if args.mode == "workload-identity":
            binding = gcp.serviceaccount.IAMMember(
                f"{name}-workload-identity",
                service_account_id=self.account.name,
                role="roles/iam.workloadIdentityUser",
                member=pulumi.Output.from_input(args.namespace).apply(
                    lambda namespace: workload_identity_member(args.project, namespace, args.service_account)
                ),
                opts=child_opts(self),
            )
            self.credentials = DnsCredentials(
                provider="google",
                identity=self.account.email,
                provider_args=provider_args,
                service_account_annotations={"iam.gke.io/gcp-service-account": self.account.email},
                log_format="json",
                ready=[*grants, zone_admin, binding],
            )
        else:
            key = gcp.serviceaccount.Key(
                f"{name}-key",
                service_account_id=self.account.name,
                opts=child_opts(self),  # pulumi-gcp marks privateKey secret in state
            )
            private_key: pulumi.Output[str] = pulumi.Output.secret(key.private_key)
            secret = k8s.core.v1.Secret(
                f"{name}-key",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=KEY_SECRET, namespace=args.namespace),
                # privateKey is the base64 of the key's JSON, as `data` wants it.
                data={KEY_FILE: private_key},
                opts=child_opts(self),
            )
            self.credentials = DnsCredentials(
                provider="google",
                identity=self.account.email,
                provider_args=provider_args,
                env=[{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": f"{KEY_MOUNT}/{KEY_FILE}"}],
                volumes=[{"name": "google-service-account", "secret": {"secretName": KEY_SECRET}}],
                volume_mounts=[{"name": "google-service-account", "mountPath": KEY_MOUNT, "readOnly": True}],
                log_format="json",
                key_secret=KEY_SECRET,
                ready=[*grants, zone_admin, secret],
            )
        self.register_outputs({"email": self.account.email})
