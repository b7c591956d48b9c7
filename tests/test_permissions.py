"""The ready-to-apply permissions of the person running `pulumi up` (docs/permissions/) hold exactly what the
stack needs: every cloud resource it registers and every lookup it makes, in every identity and zone mode, maps
to API permissions the documents grant, and the documents grant nothing no mode needs.

The permission each resource needs is read from the provider behind it: terraform-provider-aws
(internal/service/iam/role.go: create CreateRole, read GetRole + ListRolePolicies/GetRolePolicy +
ListAttachedRolePolicies, update UpdateAssumeRolePolicy/TagRole, delete ListInstanceProfilesForRole + DeleteRole;
role_policy.go, user.go, user_policy.go, access_key.go (read = ListAccessKeys), route53/zone.go (create waits on
GetChange, read GetHostedZone + ListTagsForResource), zone_data_source.go (by name: ListHostedZones),
eks/pod_identity_association.go, iam/openid_connect_provider_data_source.go (by URL: List then Get)), and the
Google Cloud API each google resource calls (iam.serviceAccounts.*, *.getIamPolicy/setIamPolicy read-modify-write
for every IAM member resource, dns.managedZones.*).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness import stack_config

PERMISSIONS = Path(__file__).resolve().parent.parent / "docs" / "permissions"

# Pulumi type token (resource or invoke) -> the actions `up`, a refresh and `destroy` of it call.
AWS_ACTIONS: dict[str, set[str]] = {
    "aws:iam/role:Role": {
        "iam:CreateRole",
        "iam:GetRole",
        "iam:TagRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
        "iam:DeleteRole",
    },
    "aws:iam/rolePolicy:RolePolicy": {"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"},
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": {
        "eks:CreatePodIdentityAssociation",
        "eks:DescribePodIdentityAssociation",
        "eks:UpdatePodIdentityAssociation",
        "eks:DeletePodIdentityAssociation",
        "iam:PassRole",  # EKS checks the caller may pass the role it associates
    },
    "aws:iam/user:User": {"iam:CreateUser", "iam:GetUser", "iam:TagUser", "iam:DeleteUser"},
    "aws:iam/userPolicy:UserPolicy": {"iam:PutUserPolicy", "iam:GetUserPolicy", "iam:DeleteUserPolicy"},
    "aws:iam/accessKey:AccessKey": {"iam:CreateAccessKey", "iam:ListAccessKeys", "iam:DeleteAccessKey"},
    # Retained on destroy: never deleted by the stack.
    "aws:route53/zone:Zone": {
        "route53:CreateHostedZone",
        "route53:GetChange",
        "route53:GetHostedZone",
        "route53:ListTagsForResource",
    },
    "aws:route53/getZone:getZone": {"route53:ListHostedZones", "route53:GetHostedZone", "route53:ListTagsForResource"},
    "aws:eks/getCluster:getCluster": {"eks:DescribeCluster"},
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": {
        "iam:ListOpenIDConnectProviders",
        "iam:GetOpenIDConnectProvider",
    },
}
GCP_PERMISSIONS: dict[str, set[str]] = {
    "gcp:serviceaccount/account:Account": {
        "iam.serviceAccounts.create",
        "iam.serviceAccounts.get",
        "iam.serviceAccounts.update",
        "iam.serviceAccounts.delete",
    },
    "gcp:serviceaccount/iAMMember:IAMMember": {"iam.serviceAccounts.getIamPolicy", "iam.serviceAccounts.setIamPolicy"},
    "gcp:projects/iAMMember:IAMMember": {
        "resourcemanager.projects.getIamPolicy",
        "resourcemanager.projects.setIamPolicy",
    },
    "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember": {
        "dns.managedZones.getIamPolicy",
        "dns.managedZones.setIamPolicy",
    },
    "gcp:serviceaccount/key:Key": {
        "iam.serviceAccountKeys.create",
        "iam.serviceAccountKeys.get",
        "iam.serviceAccountKeys.delete",
    },
    # Retained on destroy: never deleted by the stack.
    "gcp:dns/managedZone:ManagedZone": {"dns.managedZones.create", "dns.managedZones.get", "dns.managedZones.update"},
    "gcp:dns/getManagedZone:getManagedZone": {"dns.managedZones.get"},
    "gcp:dns/getManagedZones:getManagedZones": {"dns.managedZones.list"},
}


def with_section(stack: str, section: str, **changes: Any) -> dict[str, Any]:
    config = stack_config(stack)
    return {**config, section: {**config[section], **changes}}


# Every identity and zone mode of each cloud's stack.
AWS_MODES = {
    "irsa, zone by name": stack_config("aws"),
    "irsa, issuer given": with_section("aws", "aws", oidcIssuerUrl="https://oidc.eks.eu-west-1.amazonaws.com/id/X"),
    "pod-identity": with_section("aws", "aws", identity="pod-identity"),
    "access-key": with_section("aws", "aws", identity="access-key"),
    "zone by id": with_section("aws", "dns", zone={"id": "Z0EXAMPLE1234"}),
    "zone created": with_section("aws", "dns", domain="mesh.example.org", zone={"create": True}),
}
GCP_MODES = {
    "workload identity, zone by name": stack_config("gcp"),
    "key": with_section("gcp", "gcp", identity="key"),
    "zone by id": with_section("gcp", "dns", zone={"id": "4711"}),
    "zone created": with_section("gcp", "dns", domain="mesh.example.org", zone={"create": True}),
}


def needed(run, table: dict[str, set[str]], cloud: str) -> set[str]:
    tokens = {r.type for r in run.resources if r.type.startswith(f"{cloud}:") and not r.type.startswith("pulumi:")}
    tokens |= {token for token, _, _ in run.calls if token.startswith(f"{cloud}:")}
    tokens.discard(f"pulumi:providers:{cloud}")
    unknown = tokens - set(table)
    assert not unknown, f"a {cloud} resource or lookup with no permissions listed here: {sorted(unknown)}"
    return set().union(*(table[token] for token in tokens))


def aws_policy() -> dict[str, Any]:
    return json.loads((PERMISSIONS / "aws-iam-policy.json").read_text())


def aws_granted() -> set[str]:
    return {action for statement in aws_policy()["Statement"] for action in statement["Action"]}


def gcp_granted() -> set[str]:
    return set(yaml.safe_load((PERMISSIONS / "gcp-custom-role.yaml").read_text())["includedPermissions"])


@pytest.mark.parametrize("mode", AWS_MODES)
def test_the_aws_policy_grants_what_each_mode_needs(shared_run, mode):
    missing = needed(shared_run(AWS_MODES[mode]), AWS_ACTIONS, "aws") - aws_granted()
    assert sorted(missing) == []


@pytest.mark.parametrize("mode", GCP_MODES)
def test_the_gcp_role_grants_what_each_mode_needs(shared_run, mode):
    missing = needed(shared_run(GCP_MODES[mode]), GCP_PERMISSIONS, "gcp") - gcp_granted()
    assert sorted(missing) == []


def test_the_documents_grant_nothing_no_mode_needs(shared_run):
    aws_needed = set().union(*(needed(shared_run(config), AWS_ACTIONS, "aws") for config in AWS_MODES.values()))
    gcp_needed = set().union(*(needed(shared_run(config), GCP_PERMISSIONS, "gcp") for config in GCP_MODES.values()))
    assert sorted(aws_granted() - aws_needed) == []
    assert sorted(gcp_granted() - gcp_needed) == []


# Route53 and IAM cannot scope these to a resource (a zone or provider not known yet, a change id).
UNSCOPABLE = {
    "route53:ListHostedZones",
    "route53:CreateHostedZone",
    "route53:GetChange",
    "iam:ListOpenIDConnectProviders",
    "iam:GetOpenIDConnectProvider",
}


def test_only_unscopable_aws_actions_are_granted_on_every_resource():
    for statement in aws_policy()["Statement"]:
        if statement["Resource"] == "*":
            assert set(statement["Action"]) <= UNSCOPABLE, statement["Sid"]


def test_the_iam_identities_the_stack_makes_fall_under_the_policys_names(shared_run):
    """Roles and users are auto-named `<resource name>-<random suffix>` (no `name` input), so the policy names
    exactly `role/<resource name>-*` per identity the stack makes: never another role or user in the account."""
    granted = {
        arn.split(":", 5)[5]
        for statement in aws_policy()["Statement"]
        if statement["Sid"] in ("TheControllersRoles", "PodIdentityPassTheRoles", "AccessKeyUsersOutsideEks")
        for arn in statement["Resource"]
    }
    made = set()
    for config in AWS_MODES.values():
        run = shared_run(config)
        for kind, token in (("role", "aws:iam/role:Role"), ("user", "aws:iam/user:User")):
            for identity in run.of_type(token):
                assert "name" not in identity.inputs and "namePrefix" not in identity.inputs
                made.add(f"{kind}/{identity.name}-*")
    assert granted == made
    assert made == {
        "role/external-dns-aws-*",
        "role/cert-manager-aws-*",
        "user/external-dns-aws-*",
        "user/cert-manager-aws-*",
    }
