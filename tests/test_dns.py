"""DNS automation per cloud: zone-scoped IAM, keyless by default, secrets never plain, external-dns' values
and edges."""

from __future__ import annotations

import base64
import copy
import json
import re

import pytest

from settings.loader import SettingsError
from tests import fakes, harness
from tests.harness import ProgramFailed

GCP = {
    "cloud": "gcp",
    "gcp": {"project": "gke-project", "dnsProject": "dns-project"},
    "dns": {"domain": "mesh.example.com", "zone": {"name": "example-com"}},
    "tls": {"mode": "off"},  # cert-manager's identity: tests/test_tls.py
}
AWS = {
    "cloud": "aws",
    "aws": {"region": "eu-west-1", "clusterName": "mesh"},
    "dns": {"domain": "mesh.example.com", "zone": {"name": "example.com"}},
    "tls": {"mode": "off"},  # cert-manager's identity: tests/test_tls.py
}
ZONE_ARN = "arn:aws:route53:::hostedzone/Z0EXAMPLE1234"
IAM_MEMBER_TYPES = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
    "gcp:serviceaccount/iAMMember:IAMMember",
)


def merged(base: dict, **sections) -> dict:
    config = copy.deepcopy(base)
    for key, value in sections.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    return config


def values(run) -> dict:
    return run.chart("external-dns").inputs["values"]


# --- GCP -------------------------------------------------------------------------------------------------


def test_gcp_workload_identity_resources(run_stack):
    run = run_stack(GCP)
    account = run.one("gcp:serviceaccount/account:Account").inputs
    assert account["project"] == "gke-project"
    assert account["accountId"] == "external-dns-test"
    email = "external-dns-test@gke-project.iam.gserviceaccount.com"

    reader = run.one("gcp:projects/iAMMember:IAMMember").inputs
    assert (reader["project"], reader["role"], reader["member"]) == (
        "dns-project",
        "roles/dns.reader",
        f"serviceAccount:{email}",
    )
    zone_admin = run.one("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember").inputs
    assert (zone_admin["project"], zone_admin["managedZone"], zone_admin["role"], zone_admin["member"]) == (
        "dns-project",
        "example-com",
        "roles/dns.admin",
        f"serviceAccount:{email}",
    )
    binding = run.one("gcp:serviceaccount/iAMMember:IAMMember").inputs
    assert binding["serviceAccountId"] == f"projects/gke-project/serviceAccounts/{email}"
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"] == "serviceAccount:gke-project.svc.id.goog[external-dns/external-dns]"
    assert run.of_type("gcp:serviceaccount/key:Key") == []
    assert [
        r for r in run.of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == "cloud-dns-key"
    ] == []
    assert run.outputs["dns"]["identity"] == email


def test_gcp_roles_are_the_only_grants(run_stack):
    run = run_stack(GCP)
    grants = sorted(r.inputs["role"] for r in run.resources if r.type in IAM_MEMBER_TYPES)
    assert grants == ["roles/dns.admin", "roles/dns.reader", "roles/iam.workloadIdentityUser"]
    assert sorted(r.type for r in run.resources if r.type.startswith("gcp:")) == sorted(
        ["gcp:serviceaccount/account:Account", *IAM_MEMBER_TYPES]
    )


def test_gcp_workload_identity_chart_values(run_stack):
    assert values(run_stack(GCP)) == {
        "provider": {"name": "google"},
        "sources": [
            "service",
            "ingress",
            "istio-gateway",
            "istio-virtualservice",
            "gateway-httproute",
            "gateway-grpcroute",
        ],
        "policy": "upsert-only",
        "annotationPrefix": "external-dns.alpha.kubernetes.io/",
        "registry": "txt",
        "txtOwnerId": "service-mesh-test",
        "domainFilters": ["mesh.example.com"],
        "logFormat": "json",
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "96Mi"}},
        "extraArgs": {"google-project": "dns-project", "google-zone-visibility": "public"},
        "serviceAccount": {
            "create": True,
            "name": "external-dns",
            "annotations": {"iam.gke.io/gcp-service-account": "external-dns-test@gke-project.iam.gserviceaccount.com"},
        },
    }


def test_gcp_dns_project_defaults_to_the_cluster_project(run_stack):
    run = run_stack(merged(GCP, gcp={"project": "gke-project", "dnsProject": None}))
    assert run.one("gcp:projects/iAMMember:IAMMember").inputs["project"] == "gke-project"
    assert values(run)["extraArgs"]["google-project"] == "gke-project"


def test_gcp_key_mode(run_stack):
    run = run_stack(merged(GCP, gcp={"identity": "key"}))
    key = run.one("gcp:serviceaccount/key:Key")
    assert key.inputs["serviceAccountId"].endswith("external-dns-test@gke-project.iam.gserviceaccount.com")
    secret = run.one("kubernetes:core/v1:Secret", "external-dns-gcp-key")
    assert secret.inputs["metadata"] == {"name": "cloud-dns-key", "namespace": "external-dns"}
    assert secret.inputs["data"] == {"credentials.json": fakes.GCP_PRIVATE_KEY}
    assert base64.b64decode(secret.inputs["data"]["credentials.json"]).decode() == fakes.GCP_PRIVATE_KEY_JSON
    assert run.of_type("gcp:serviceaccount/iAMMember:IAMMember") == []
    chart = values(run)
    assert chart["env"] == [
        {"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/etc/secrets/service-account/credentials.json"}
    ]
    assert chart["extraVolumes"] == [{"name": "google-service-account", "secret": {"secretName": "cloud-dns-key"}}]
    assert chart["extraVolumeMounts"] == [
        {"name": "google-service-account", "mountPath": "/etc/secrets/service-account", "readOnly": True}
    ]
    assert chart["serviceAccount"]["annotations"] == {}
    assert run.chart("external-dns").depends_on(secret)


def test_gcp_zone_by_id(run_stack):
    run = run_stack(merged(GCP, dns={"zone": {"id": "4711"}}))
    assert run.one("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember").inputs["managedZone"] == "example-com"
    assert run.outputs["dns"]["zone"] == {"name": "example-com", "id": "4711"}


def test_gcp_zone_created(run_stack):
    run = run_stack(merged(GCP, dns={"zone": {"create": True}}))
    zone = run.one("gcp:dns/managedZone:ManagedZone")
    assert zone.inputs["dnsName"] == "mesh.example.com."
    assert zone.inputs["name"] == "mesh-example-com"
    assert zone.inputs["project"] == "dns-project"
    assert zone.inputs["visibility"] == "public"
    assert zone.retain_on_delete
    assert run.one("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember").depends_on(zone)
    assert run.outputs["dns"]["nameServers"] == ["ns-cloud-a1.googledomains.com."]
    # looked up first, found nothing (tests/test_teardown.py: found)
    assert [token for token, _, _ in run.calls] == ["gcp:dns/getManagedZones:getManagedZones"]


# GCP's rule for a service-account id (iam.serviceAccounts.create): 6-30 characters, [a-z][-a-z0-9]*[a-z0-9].
GCP_ACCOUNT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")


@pytest.mark.parametrize(
    ("stack", "account_id"),
    [
        ("dev", "external-dns-dev"),
        ("Prod_EU", "external-dns-prod-eu"),
        ("a" * 40, "external-dns-" + "a" * 17),
        # the cut at 30 characters lands right after a separator: no trailing '-'
        ("b" * 16 + "_c", "external-dns-" + "b" * 16),
    ],
)
def test_account_id_is_valid_for_any_stack_name(run_stack, stack, account_id):
    run = run_stack(GCP, stack=stack)
    given = run.one("gcp:serviceaccount/account:Account").inputs["accountId"]
    assert given == account_id
    assert GCP_ACCOUNT_ID.match(given), given


# --- AWS -------------------------------------------------------------------------------------------------


def role_policy(run) -> dict:
    return json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])


def check_route53_policy(policy: dict) -> None:
    statements = policy["Statement"]
    assert len(statements) == 2
    records, zones = statements
    assert records["Effect"] == "Allow"
    assert sorted(records["Action"]) == [
        "route53:ChangeResourceRecordSets",
        "route53:ListResourceRecordSets",
        "route53:ListTagsForResource",
        "route53:ListTagsForResources",
    ]
    assert records["Resource"] == [ZONE_ARN]
    assert zones == {"Sid": "FindTheZone", "Effect": "Allow", "Action": ["route53:ListHostedZones"], "Resource": "*"}
    wildcard_actions = [action for s in statements if "*" in json.dumps(s["Resource"]) for action in s["Action"]]
    assert wildcard_actions == ["route53:ListHostedZones"]


def test_aws_irsa(run_stack):
    run = run_stack(AWS)
    check_route53_policy(role_policy(run))
    trust = json.loads(run.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    issuer = fakes.OIDC_ISSUER.removeprefix("https://")
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{fakes.ACCOUNT}:oidc-provider/{issuer}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": "system:serviceaccount:external-dns:external-dns",
                    f"{issuer}:aud": "sts.amazonaws.com",
                }
            },
        }
    ]
    role_arn = f"arn:aws:iam::{fakes.ACCOUNT}:role/external-dns-aws-1234567"
    assert values(run) == {
        "provider": {"name": "aws"},
        "sources": [
            "service",
            "ingress",
            "istio-gateway",
            "istio-virtualservice",
            "gateway-httproute",
            "gateway-grpcroute",
        ],
        "policy": "upsert-only",
        "annotationPrefix": "external-dns.alpha.kubernetes.io/",
        "registry": "txt",
        "txtOwnerId": "service-mesh-test",
        "domainFilters": ["mesh.example.com"],
        "logFormat": "text",
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "96Mi"}},
        "extraArgs": {"aws-zone-type": "public"},
        "env": [{"name": "AWS_DEFAULT_REGION", "value": "eu-west-1"}],
        "serviceAccount": {
            "create": True,
            "name": "external-dns",
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
    }
    assert run.outputs["dns"]["identity"] == role_arn
    assert [token for token, _, _ in run.calls] == [
        "aws:route53/getZone:getZone",
        "aws:eks/getCluster:getCluster",
        "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider",
    ]


def test_aws_irsa_with_a_given_issuer_skips_the_cluster_lookup(run_stack):
    run = run_stack(merged(AWS, aws={"clusterName": None, "oidcIssuerUrl": "https://oidc.example/id/ABC"}))
    trust = json.loads(run.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"]["oidc.example/id/ABC:aud"] == "sts.amazonaws.com"
    assert "aws:eks/getCluster:getCluster" not in [token for token, _, _ in run.calls]


def test_aws_pod_identity(run_stack):
    run = run_stack(merged(AWS, aws={"identity": "pod-identity"}))
    check_route53_policy(role_policy(run))
    trust = json.loads(run.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ]
    association = run.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert association.inputs["clusterName"] == "mesh"
    assert association.inputs["namespace"] == "external-dns"
    assert association.inputs["serviceAccount"] == "external-dns"
    assert association.inputs["roleArn"].endswith(":role/external-dns-aws-1234567")
    assert values(run)["serviceAccount"]["annotations"] == {}
    assert run.chart("external-dns").depends_on(association)


def test_aws_access_key(run_stack):
    run = run_stack(merged(AWS, aws={"identity": "access-key", "clusterName": None}))
    check_route53_policy(json.loads(run.one("aws:iam/userPolicy:UserPolicy").inputs["policy"]))
    assert run.of_type("aws:iam/role:Role") == []
    secret = run.one("kubernetes:core/v1:Secret", "external-dns-aws-access-key")
    assert secret.inputs["metadata"] == {"name": "external-dns-aws-credentials", "namespace": "external-dns"}
    assert secret.inputs["stringData"] == {
        "AWS_ACCESS_KEY_ID": fakes.AWS_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": fakes.AWS_SECRET_ACCESS_KEY,
    }
    assert values(run)["env"] == [
        {"name": "AWS_DEFAULT_REGION", "value": "eu-west-1"},
        {
            "name": "AWS_ACCESS_KEY_ID",
            "valueFrom": {"secretKeyRef": {"name": "external-dns-aws-credentials", "key": "AWS_ACCESS_KEY_ID"}},
        },
        {
            "name": "AWS_SECRET_ACCESS_KEY",
            "valueFrom": {"secretKeyRef": {"name": "external-dns-aws-credentials", "key": "AWS_SECRET_ACCESS_KEY"}},
        },
    ]
    assert run.chart("external-dns").depends_on(secret)


def test_aws_zone_by_id(run_stack):
    run = run_stack(merged(AWS, dns={"zone": {"id": "Z0EXAMPLE1234"}}))
    check_route53_policy(role_policy(run))
    assert run.outputs["dns"]["zone"] == {"name": "example.com", "id": "Z0EXAMPLE1234"}


def test_aws_zone_created(run_stack):
    run = run_stack(merged(AWS, dns={"zone": {"create": True}}))
    zone = run.one("aws:route53/zone:Zone")
    assert zone.inputs["name"] == "mesh.example.com"
    assert zone.retain_on_delete
    policy = run.one("aws:iam/rolePolicy:RolePolicy")
    assert policy.depends_on(zone)
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Resource"] == [
        "arn:aws:route53:::hostedzone/Z0CREATED9999"
    ]
    assert run.outputs["dns"]["nameServers"] == ["ns-1.awsdns-01.org"]


def test_aws_ingress_is_an_internet_facing_nlb(run_stack):
    service = run_stack(AWS).chart("gateway").inputs["values"]["service"]
    assert service["type"] == "LoadBalancer"
    assert service["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    }


# --- both clouds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [GCP, AWS], ids=["gcp", "aws"])
def test_external_dns_waits_for_crds_and_credentials_but_not_istiod(run_stack, config):
    run = run_stack(config)
    chart = run.chart("external-dns")
    assert chart.depends_on(run.chart("base"))
    assert chart.depends_on(run.one("kubernetes:yaml/v2:ConfigFile"))
    assert not chart.depends_on(run.chart("istiod"))
    assert chart.inputs["namespace"] == "external-dns"
    assert (chart.inputs["name"], chart.inputs["version"]) == ("external-dns", "1.21.1")
    assert chart.inputs["repositoryOpts"] == {"repo": "https://kubernetes-sigs.github.io/external-dns/"}


@pytest.mark.parametrize("config", [GCP, AWS], ids=["gcp", "aws"])
def test_cloud_objects_go_through_the_explicit_cloud_provider(run_stack, config):
    run = run_stack(config)
    cloud = config["cloud"]
    provider = run.one(f"pulumi:providers:{cloud}")
    cloud_objects = [r for r in run.resources if r.type.startswith(f"{cloud}:")]
    assert cloud_objects
    for resource in cloud_objects:
        assert resource.provider == f"{provider.urn}::{cloud}-id", resource.name
    assert run.calls
    assert [ref for _, _, ref in run.calls] == [f"{provider.urn}::{cloud}-id"] * len(run.calls)


def test_policy_sources_and_owner_from_settings(run_stack):
    run = run_stack(
        merged(GCP, dns={"policy": "sync", "sources": ["service", "gateway-httproute"], "txtOwnerId": "blue"})
    )
    chart = values(run)
    assert (chart["policy"], chart["sources"], chart["txtOwnerId"]) == (
        "sync",
        ["service", "gateway-httproute"],
        "blue",
    )
    assert run.outputs["dns"]["txtOwnerId"] == "blue"


def test_txt_owner_differs_per_stack(run_stack):
    assert values(run_stack(GCP, stack="blue"))["txtOwnerId"] == "service-mesh-blue"
    assert values(run_stack(GCP, stack="green"))["txtOwnerId"] == "service-mesh-green"


def test_tls_route_source_with_experimental_crds(run_stack):
    run = run_stack(merged(GCP, gatewayApi={"channel": "experimental"}, dns={"sources": ["gateway-tlsroute"]}))
    assert values(run)["sources"] == ["gateway-tlsroute"]


def test_dns_can_be_turned_off_on_a_cloud(run_stack):
    run = run_stack(merged(GCP, dns={"enabled": False}))
    assert "external-dns" not in run.charts()
    assert not [r for r in run.resources if r.type.startswith("gcp:")]
    assert run.outputs.get("dns") is None


# --- local ----------------------------------------------------------------------------------------------


def test_local_keeps_external_dns_off(run_stack):
    run = run_stack("dev")
    assert "external-dns" not in run.charts()
    assert run.outputs.get("dns") is None
    assert not [
        r for r in run.resources if r.type.startswith(("gcp:", "aws:", "pulumi:providers:gcp", "pulumi:providers:aws"))
    ]


def test_local_with_a_gcp_zone_uses_a_key(run_stack):
    run = run_stack(merged(GCP, cloud="local", gcp={"identity": "key"}, dns={"enabled": True, "target": "34.120.1.2"}))
    assert values(run)["provider"] == {"name": "google"}
    assert run.one("kubernetes:core/v1:Secret", "external-dns-gcp-key").inputs["metadata"]["name"] == "cloud-dns-key"
    assert run.chart("gateway").inputs["values"]["service"]["type"] == "NodePort"


def test_local_with_a_route53_zone_uses_an_access_key(run_stack):
    run = run_stack(
        merged(
            AWS,
            cloud="local",
            aws={"identity": "access-key", "clusterName": None},
            dns={"enabled": True, "target": "34.120.1.2"},
        )
    )
    assert values(run)["provider"] == {"name": "aws"}
    user = run.one("aws:iam/user:User")
    assert run.one("aws:iam/accessKey:AccessKey").inputs["user"] == "external-dns-aws-1234567"
    assert run.one("aws:iam/userPolicy:UserPolicy").inputs["user"] == "external-dns-aws-1234567"
    assert user.name == "external-dns-aws"
    assert run.of_type("aws:iam/role:Role") == []
    assert run.outputs["dns"]["identity"] == f"arn:aws:iam::{fakes.ACCOUNT}:user/external-dns-aws-1234567"
    assert run.chart("gateway").inputs["values"]["service"]["type"] == "NodePort"


# --- bad inputs -----------------------------------------------------------------------------------------

BAD_INPUTS = [
    ("missing gcp section", {"cloud": "gcp", "dns": GCP["dns"]}, "gcp", "required with cloud gcp"),
    ("missing project", merged(GCP, gcp={"project": None}), "gcp.project", "Field required"),
    ("bad project", merged(GCP, gcp={"project": "My Project"}), "gcp.project", "not a GCP project id"),
    ("missing zone", merged(GCP, dns={"zone": {}}), "dns.zone", "name or id"),
    ("missing domain", merged(GCP, dns={"domain": None}), "dns.domain", "required"),
    ("unknown gcp mode", merged(GCP, gcp={"identity": "keyless"}), "gcp.identity", "'workload-identity' or 'key'"),
    (
        "unknown aws mode",
        merged(AWS, aws={"identity": "kiam"}),
        "aws.identity",
        "'irsa', 'pod-identity' or 'access-key'",
    ),
    ("domain not a DNS name", merged(GCP, dns={"domain": "mesh_example.com"}), "dns.domain", "not a DNS name"),
    ("domain with one label", merged(GCP, dns={"domain": "localhost"}), "dns.domain", "not a DNS name"),
    (
        "unknown policy",
        merged(GCP, dns={"policy": "delete-all"}),
        "dns.policy",
        "'upsert-only', 'sync' or 'create-only'",
    ),
    ("unknown source", merged(GCP, dns={"sources": ["service", "nodes"]}), "dns.sources[1]", "'istio-gateway'"),
    ("source not served", merged(GCP, dns={"sources": ["gateway-tlsroute"]}), "dns.sources", "v1alpha2"),
    ("tcproute not served", merged(AWS, dns={"sources": ["gateway-tcproute"]}), "dns.sources", "crash-loop"),
    ("irsa without cluster", merged(AWS, aws={"clusterName": None}), "aws.clusterName", "irsa needs"),
    (
        "pod identity without cluster",
        merged(AWS, aws={"identity": "pod-identity", "clusterName": None}),
        "aws.clusterName",
        "pod-identity needs",
    ),
    ("missing region", merged(AWS, aws={"region": None}), "aws.region", "Field required"),
    ("bad region", merged(AWS, aws={"region": "europe"}), "aws.region", "not an AWS region"),
    ("issuer not https", merged(AWS, aws={"oidcIssuerUrl": "oidc.example"}), "aws", "https://"),
    ("bad aws zone id", merged(AWS, dns={"zone": {"id": "example"}}), "dns.zone.id", "hosted-zone id"),
    ("bad gcp zone id", merged(GCP, dns={"zone": {"id": "Z123"}}), "dns.zone.id", "managed-zone id"),
    (
        "domain outside the aws zone name",
        merged(AWS, dns={"domain": "mesh.example.org"}),
        "dns.domain",
        "not inside the zone example.com",
    ),
    ("create with id", merged(GCP, dns={"zone": {"create": True, "id": "4711"}}), "dns.zone.id", "create or id"),
    (
        "create private zone",
        merged(GCP, gcp={"zoneVisibility": "private"}, dns={"zone": {"create": True}}),
        "dns.zone.create",
        "only public",
    ),
    ("aws section on gcp", merged(GCP, aws={"region": "eu-west-1"}), "aws", "cloud is gcp"),
    (
        "workload identity on local",
        merged(GCP, cloud="local", dns={"enabled": True}),
        "gcp.identity",
        "on local only key",
    ),
    ("irsa on local", merged(AWS, cloud="local", dns={"enabled": True}), "aws.identity", "on local only access-key"),
    (
        "dns on local without a cloud",
        {"cloud": "local", "dns": {"enabled": True, "domain": "a.example.com", "zone": {"name": "x"}}},
        "dns.enabled",
        "gcp or aws section",
    ),
    ("typo in zone", merged(GCP, dns={"zone": {"nmae": "example-com"}}), "dns.zone.nmae", "did you mean 'name'"),
    ("typo in gcp", merged(GCP, gcp={"dnsProjet": "x"}), "gcp.dnsProjet", "did you mean 'dnsProject'"),
]


@pytest.mark.parametrize(("case", "config", "key", "words"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_dns_input_is_refused_before_any_resource(run_stack, case, config, key, words):
    config = {k: v for k, v in config.items()}
    for section in ("gcp", "aws", "dns"):
        if isinstance(config.get(section), dict):
            config[section] = {k: v for k, v in config[section].items() if v is not None}
    with pytest.raises(ProgramFailed) as failure:
        run_stack(config)
    assert failure.value.registered == []
    assert isinstance(failure.value.error, SettingsError)
    matching = [p for p in failure.value.error.problems if p.startswith(f"{key}: ")]
    assert matching, failure.value.error.problems
    assert words in matching[0], matching[0]


# Problems only a lookup can find: raised after the cloud provider is configured, before anything else.
LOOKUP_PROBLEMS = [
    (
        "gcp zone name and id disagree",
        merged(GCP, dns={"zone": {"name": "example-com", "id": "4712"}}),
        "dns.zone",
        "has id 4711, not 4712",
    ),
    ("gcp zone id unknown", merged(GCP, dns={"zone": {"id": "999"}}), "dns.zone.id", "no managed zone with id 999"),
    (
        "gcp domain outside zone",
        merged(GCP, dns={"domain": "mesh.example.org"}),
        "dns.domain",
        "not inside the zone example.com",
    ),
    (
        "gcp visibility differs",
        merged(GCP, gcp={"zoneVisibility": "private"}),
        "gcp.zoneVisibility",
        "is public, not private",
    ),
    (
        "aws zone name and id disagree",
        merged(AWS, dns={"zone": {"name": "example.com", "id": "Z0PRIVATE5678"}}),
        "dns.zone",
        "is the zone corp.example, not example.com",
    ),
    (
        "aws zone type differs",
        merged(AWS, dns={"domain": "a.corp.example", "zone": {"id": "Z0PRIVATE5678"}}),
        "aws.zoneType",
        "is private, not public",
    ),
]


@pytest.mark.parametrize(("case", "config", "key", "words"), LOOKUP_PROBLEMS, ids=[case[0] for case in LOOKUP_PROBLEMS])
def test_zone_lookup_problems_stop_before_any_cloud_or_cluster_object(run_stack, case, config, key, words):
    with pytest.raises(ProgramFailed) as failure:
        run_stack(config)
    assert isinstance(failure.value.error, SettingsError)
    assert [r.type for r in failure.value.registered if not r.type.startswith("pulumi:providers:")] == []
    problem = failure.value.error.problems[0]
    assert problem.startswith(f"{key}: ") and words in problem, problem


def test_a_listed_gcp_zone_without_a_name_is_refused_not_granted_on(run_stack, monkeypatch):
    """get_managed_zones types a zone's name as optional: a nameless entry must stop the run with the key,
    never reach the zone IAM binding as a missing zone (issue 14: an Optional passed where a value is needed)."""
    answer = fakes.invoke

    def invoke(token: str, args: dict) -> harness.InvokeResult:
        if token == "gcp:dns/getManagedZones:getManagedZones":
            return {
                "managedZones": [{"managedZoneId": "4711", "dnsName": "example.com.", "visibility": "public"}],
                "id": "z",
            }
        return answer(token, args)

    monkeypatch.setattr(fakes, "invoke", invoke)
    with pytest.raises(ProgramFailed) as failure:
        run_stack(merged(GCP, dns={"zone": {"id": "4711"}}))
    assert isinstance(failure.value.error, SettingsError)
    assert failure.value.error.problems == ["dns.zone.id: no managed zone with id 4711 in project dns-project"]
    assert [r.type for r in failure.value.registered if not r.type.startswith("pulumi:providers:")] == []
