"""An AWS identity a DNS controller (external-dns, cert-manager) writes Route53 records with, scoped to one hosted
zone: one per controller, never shared, each with its own policy."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.chart import child_opts
from components.external_dns import DnsCredentials

ACCESS_KEY_SECRET = "external-dns-aws-credentials"


@dataclass(frozen=True)
class IrsaIssuer:
    """An EKS cluster's OIDC issuer and the IAM OIDC provider registered for it."""

    url: str
    provider_arn: str

    @property
    def host(self) -> str:
        return self.url.removeprefix("https://")


@dataclass(frozen=True)
class AwsDnsIdentityArgs:
    mode: str
    region: str
    zone_arn: pulumi.Input[str]
    namespace: pulumi.Input[str]
    service_account: str
    zone_type: str
    # zone ARN -> the identity's policy (route53_policy for external-dns, acme_route53_policy for cert-manager)
    permissions: Callable[[str], dict[str, Any]]
    access_key_secret: str  # access-key mode: the Secret in `namespace` holding the key
    issuer: IrsaIssuer | None = None
    cluster_name: str | None = None


def route53_policy(zone_arn: str) -> dict[str, Any]:
    """external-dns' documented permissions, with record changes limited to the one hosted zone."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RecordsInTheZone",
                "Effect": "Allow",
                "Action": [
                    "route53:ChangeResourceRecordSets",
                    "route53:ListResourceRecordSets",
                    "route53:ListTagsForResource",
                    "route53:ListTagsForResources",
                ],
                "Resource": [zone_arn],
            },
            # Route53 cannot scope ListHostedZones to a zone: it is account-wide by design.
            {"Sid": "FindTheZone", "Effect": "Allow", "Action": ["route53:ListHostedZones"], "Resource": "*"},
        ],
    }


def acme_route53_policy(zone_arn: str, domains: Sequence[str]) -> dict[str, Any]:
    """cert-manager's DNS-01 permissions, tighter than its docs: TXT records named _acme-challenge.<domain> for each
    of `domains` (the one challenge of each *.<domain> of the certificate) in the one hosted zone, and the status of
    its own changes.

    ForAllValues holds when a request carries no such key, so ListResourceRecordSets (which has none) stays
    allowed in the same statement. Condition values are normalized as Route53 requires: lower case, no
    trailing dot (Route53 developer guide, "Using IAM policy conditions for fine-grained access control").
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            # A change id is not known in advance: Route53 scopes GetChange to change/* only.
            {
                "Sid": "ChallengeStatus",
                "Effect": "Allow",
                "Action": ["route53:GetChange"],
                "Resource": "arn:aws:route53:::change/*",
            },
            {
                "Sid": "ChallengeRecords",
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                "Resource": [zone_arn],
                "Condition": {
                    "ForAllValues:StringEquals": {
                        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                            f"_acme-challenge.{domain.lower().rstrip('.')}" for domain in domains
                        ],
                    }
                },
            },
        ],
    }


def irsa_trust(issuer: IrsaIssuer, namespace: str, service_account: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": issuer.provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer.host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{issuer.host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def pod_identity_trust() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }


class AwsDnsIdentity(pulumi.ComponentResource):
    credentials: DnsCredentials

    def __init__(self, name: str, args: AwsDnsIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:dns:AwsDnsIdentity", name, None, opts)
        policy = pulumi.Output.from_input(args.zone_arn).apply(lambda arn: json.dumps(args.permissions(arn)))
        if args.mode == "access-key":
            self.credentials = self._access_key(name, args, policy)
        else:
            self.credentials = self._role(name, args, policy)
        self.register_outputs({"identity": self.credentials.identity})

    def _role(self, name: str, args: AwsDnsIdentityArgs, policy: pulumi.Output[str]) -> DnsCredentials:
        """irsa or pod-identity: a role only external-dns' service account can assume."""
        issuer = args.issuer
        if args.mode == "irsa" and issuer is not None:
            trust = pulumi.Output.from_input(args.namespace).apply(
                lambda namespace: json.dumps(irsa_trust(issuer, namespace, args.service_account))
            )
        elif args.mode == "pod-identity":
            trust = pulumi.Output.from_input(json.dumps(pod_identity_trust()))
        else:
            raise ValueError(f"AWS DNS identity mode {args.mode!r}: irsa needs an OIDC issuer")
        role = aws.iam.Role(name, assume_role_policy=trust, opts=child_opts(self))
        ready: list[pulumi.Resource] = [
            aws.iam.RolePolicy(f"{name}-route53", role=role.id, policy=policy, opts=child_opts(self))
        ]
        annotations: dict[str, pulumi.Input[str]] = {}
        if args.mode == "irsa":
            annotations["eks.amazonaws.com/role-arn"] = role.arn
        else:
            ready.append(
                aws.eks.PodIdentityAssociation(
                    name,
                    cluster_name=args.cluster_name,
                    namespace=args.namespace,
                    service_account=args.service_account,
                    role_arn=role.arn,
                    opts=child_opts(self),
                )
            )
        return DnsCredentials(
            provider="aws",
            identity=role.arn,
            provider_args={"aws-zone-type": args.zone_type},
            service_account_annotations=annotations,
            env=[region_env(args.region)],
            ready=ready,
        )

    def _access_key(self, name: str, args: AwsDnsIdentityArgs, policy: pulumi.Output[str]) -> DnsCredentials:
        """For clusters outside EKS: an IAM user whose key lives in a Kubernetes Secret, secret end to end."""
        secret_name = args.access_key_secret
        user = aws.iam.User(name, opts=child_opts(self))
        user_policy = aws.iam.UserPolicy(f"{name}-route53", user=user.name, policy=policy, opts=child_opts(self))
        key = aws.iam.AccessKey(
            name,
            user=user.name,
            opts=child_opts(self),  # pulumi-aws marks secret secret in state
        )
        key_id: pulumi.Output[str] = pulumi.Output.secret(key.id)
        secret_key: pulumi.Output[str] = pulumi.Output.secret(key.secret)
        secret = k8s.core.v1.Secret(
            f"{name}-access-key",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=args.namespace),
            string_data={"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret_key},
            opts=child_opts(self),
        )
        from_secret = [
            {"name": variable, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": variable}}}
            for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        ]
        return DnsCredentials(
            provider="aws",
            identity=user.arn,
            provider_args={"aws-zone-type": args.zone_type},
            env=[region_env(args.region), *from_secret],
            key_secret=secret_name,
            ready=[user_policy, secret],
        )


def region_env(region: str) -> dict[str, str]:
    return {"name": "AWS_DEFAULT_REGION", "value": region}
