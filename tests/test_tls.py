"""HTTPS: cert-manager's chart values, its explicit webhook wait, the issuers and the wildcard certificate (fields of
the cert-manager v1.21.1 CRDs), one zone-scoped identity per controller, the redirects, the outputs, every mode on
every shipped stack, and the bad inputs. Expected values are literals read upstream, not the project's helpers."""

from __future__ import annotations

import json

import pytest

from settings.loader import SettingsError
from tests import fakes
from tests.harness import ProgramFailed, plain_occurrences, single_cluster_stacks
from tests.test_chart_values import _check_every_chart
from tests.test_dns import merged

CHART = "kubernetes:helm.sh/v4:Chart"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
JOB = ("kubernetes:batch/v1:Job", "cert-manager-api-check")
WAIT_JOB = ("kubernetes:batch/v1:Job", "certificate-wait")
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
ISTIO_GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
ZONE_MEMBER = "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
WI_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
LE_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory"
LE_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
ZONE_ARN = "arn:aws:route53:::hostedzone/Z0EXAMPLE1234"

GCP = {
    "cloud": "gcp",
    "gcp": {"project": "gke-project", "dnsProject": "dns-project"},
    "dns": {"domain": "mesh.example.com", "zone": {"name": "example-com"}},
    "tls": {"email": "ops@example.com"},
    "mesh": {"injectedNamespaces": ["shop"]},
    "routes": [{"name": "shop", "namespace": "shop"}, {"name": "legacy", "namespace": "shop", "kind": "istio"}],
}
AWS = {
    "cloud": "aws",
    "aws": {"region": "eu-west-1", "clusterName": "mesh"},
    "dns": {"domain": "mesh.example.com", "zone": {"name": "example.com"}},
    "tls": {"email": "ops@example.com"},
}
LOCAL = {
    "cloud": "local",
    "dns": {"domain": "mesh.localhost"},
    "mesh": {"injectedNamespaces": ["shop"]},
    "routes": [{"name": "shop", "namespace": "shop"}],
}


# The read-only tests share runs (conftest.shared_run: one per distinct config per session).
@pytest.fixture
def dev(shared_run):
    return shared_run("dev")


@pytest.fixture
def gcp(shared_run):
    return shared_run(GCP)


@pytest.fixture
def production(shared_run):
    return shared_run("dev", profile="production")


def cert_manager_values(run) -> dict:
    return run.chart("cert-manager").inputs["values"]


def by_name(run, type_: str, name: str):
    found = [r for r in run.of_type(type_) if r.inputs["metadata"]["name"] == name]
    assert len(found) == 1, [r.inputs["metadata"]["name"] for r in run.of_type(type_)]
    return found[0]


# --- cert-manager: chart, values, sizing -----------------------------------------------------------------


def test_cert_manager_chart_is_pinned_in_its_own_namespace(dev):
    run = dev
    chart = run.chart("cert-manager").inputs
    assert (chart["version"], chart["repositoryOpts"], chart["name"], chart["namespace"]) == (
        "v1.21.1",
        {"repo": "https://charts.jetstack.io"},
        "cert-manager",
        "cert-manager",
    )
    namespace = run.one("kubernetes:core/v1:Namespace", "cert-manager").inputs
    assert namespace["metadata"]["name"] == "cert-manager"
    assert namespace["metadata"]["labels"]["istio-injection"] == "disabled"


def test_dev_values_key_by_key(dev):
    assert cert_manager_values(dev) == {
        "crds": {"enabled": True, "keep": True},
        "serviceAccount": {"name": "cert-manager", "annotations": {}},
        "global": {"leaderElection": {"namespace": "cert-manager"}},
        "replicaCount": 1,
        "resources": {"requests": {"cpu": "10m", "memory": "48Mi"}, "limits": {"memory": "256Mi"}},
        "podDisruptionBudget": {"enabled": False},
        "webhook": {
            "replicaCount": 1,
            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
            "podDisruptionBudget": {"enabled": False},
        },
        "cainjector": {
            "replicaCount": 1,
            "resources": {"requests": {"cpu": "10m", "memory": "48Mi"}, "limits": {"memory": "256Mi"}},
            "podDisruptionBudget": {"enabled": False},
        },
        "startupapicheck": {"enabled": False},
    }


def _milli(cpu: str) -> int:
    return int(cpu.removesuffix("m"))


def _mebi(memory: str) -> int:
    return int(memory.removesuffix("Mi"))


def test_dev_requests_at_most_30m_cpu_and_128mi_in_all(dev):
    values = cert_manager_values(dev)
    requests = [
        values["resources"]["requests"],
        values["webhook"]["resources"]["requests"],
        values["cainjector"]["resources"]["requests"],
    ]
    assert sum(_milli(r["cpu"]) for r in requests) <= 30
    assert sum(_mebi(r["memory"]) for r in requests) <= 128


def test_production_runs_two_of_each_behind_disruption_budgets(production):
    _check_every_chart(production)
    values = cert_manager_values(production)
    for section in (values, values["webhook"], values["cainjector"]):
        assert section["replicaCount"] == 2
        assert section["podDisruptionBudget"] == {"enabled": True}
    assert values["resources"] == {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}


@pytest.mark.parametrize("profile", ["dev", "production"])
def test_every_cert_manager_container_has_requests_and_a_memory_limit(request, profile):
    run = request.getfixturevalue(profile)
    values = cert_manager_values(run)
    [check] = run.one(*JOB).inputs["spec"]["template"]["spec"]["containers"]
    for resources in (
        values["resources"],
        values["webhook"]["resources"],
        values["cainjector"]["resources"],
        check["resources"],
    ):
        assert set(resources["requests"]) == {"cpu", "memory"}
        assert "memory" in resources["limits"]


# --- the webhook wait ---------------------------------------------------------------------------------------


def test_api_check_job_is_bounded_and_never_stuck(dev):
    job = dev.one(*JOB).inputs
    # Two attempts of --wait=2m fit the deadline; Pulumi waits a minute longer (its default, 10 minutes, is
    # shorter than the chart's 4 retries of 1m plus back-off would be with our wait, and would hide the reason).
    assert job["spec"]["backoffLimit"] == 1
    assert job["spec"]["activeDeadlineSeconds"] == 300
    assert job["metadata"]["annotations"] == {"pulumi.com/replaceUnready": "true", "pulumi.com/timeoutSeconds": "360"}


def test_api_check_job_is_the_charts_check_as_a_plain_job(dev):
    run = dev
    job = run.one(*JOB)
    assert job.inputs["metadata"]["name"] == "cert-manager-api-check"
    assert job.inputs["metadata"]["namespace"] == "cert-manager"
    spec = job.inputs["spec"]
    assert "ttlSecondsAfterFinished" not in spec  # a deleted Job would be re-created (and re-run) on the next up
    pod = spec["template"]["spec"]
    assert (pod["restartPolicy"], pod["serviceAccountName"]) == ("OnFailure", "cert-manager-api-check")
    [container] = pod["containers"]
    assert container["image"] == (
        "quay.io/jetstack/cert-manager-startupapicheck:v1.21.1"
        "@sha256:d8ab6416e6e7303a86fa0a8daa82c94a8001f21c9d78eb2e7db20534e5d07ae8"
    )
    assert container["args"] == ["check", "api", "--wait=2m", "-v"]
    role = run.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "cert-manager-api-check").inputs
    assert role["rules"] == [
        {"apiGroups": ["cert-manager.io"], "resources": ["certificaterequests"], "verbs": ["create"]}
    ]
    binding = run.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "cert-manager-api-check").inputs
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "cert-manager-api-check", "namespace": "cert-manager"}
    ]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "cert-manager-api-check",
    }
    for dependency in (
        run.chart("cert-manager"),
        run.one("kubernetes:core/v1:ServiceAccount", "cert-manager-api-check"),
    ):
        assert job.depends_on(dependency)


@pytest.mark.parametrize("config", ["dev", "gcp", "aws"])
def test_order_crds_then_cert_manager_then_webhook_then_issuers_then_certificate(request, shared_run, config):
    run = shared_run(AWS) if config == "aws" else request.getfixturevalue(config)
    chart, job = run.chart("cert-manager"), run.one(*JOB)
    assert chart.depends_on(run.one("kubernetes:yaml/v2:ConfigFile"))
    assert job.depends_on(chart)
    issuers = run.of_type(CLUSTER_ISSUER)
    assert issuers
    first = [i for i in issuers if i.inputs["metadata"]["name"] in ("mesh-selfsigned", "letsencrypt-production")]
    assert len(first) == 1 and first[0].depends_on(job)
    certificate = by_name(run, CERTIFICATE, "mesh-wildcard")
    issuer = by_name(run, CLUSTER_ISSUER, certificate.inputs["spec"]["issuerRef"]["name"])
    assert certificate.depends_on(issuer)


def test_cert_manager_is_off_the_mesh_critical_path(gcp):
    run = gcp
    chart = run.chart("cert-manager")
    for mesh_install in ("base", "istiod", "gateway"):
        assert not chart.depends_on(run.chart(mesh_install))
        assert not run.chart(mesh_install).depends_on(chart)
    assert not run.chart("external-dns").depends_on(chart)


def test_https_is_relied_on_only_after_the_certificate_is_ready(gcp):
    run = gcp
    certificate = by_name(run, CERTIFICATE, "mesh-wildcard")
    # Awaited by its wait Job (which fails with cert-manager's reasons), not by the provider's generic await.
    assert "pulumi.com/waitFor" not in (certificate.inputs["metadata"].get("annotations") or {})
    wait = run.one(*WAIT_JOB)
    assert wait.depends_on(certificate)
    for route in run.of_type(HTTP_ROUTE):
        assert route.depends_on(wait), route.name
    assert run.one(ISTIO_GATEWAY).depends_on(wait)
    assert by_name(run, "kubernetes:networking.istio.io/v1:VirtualService", "legacy").depends_on(run.one(ISTIO_GATEWAY))


# --- acme: issuer, certificate, identities -----------------------------------------------------------------


def test_gcp_acme_issuer_and_certificate(gcp):
    run = gcp
    _check_every_chart(run)
    [issuer] = run.of_type(CLUSTER_ISSUER)
    assert issuer.inputs["metadata"] == {"name": "letsencrypt-production"}
    assert issuer.inputs["spec"] == {
        "acme": {
            "server": LE_PRODUCTION,
            "email": "ops@example.com",
            "privateKeySecretRef": {"name": "letsencrypt-production-account"},
            "solvers": [
                {
                    "selector": {"dnsZones": ["mesh.example.com"]},
                    "dns01": {"cloudDNS": {"project": "dns-project", "hostedZoneName": "example-com"}},
                }
            ],
        }
    }
    certificate = by_name(run, CERTIFICATE, "mesh-wildcard")
    assert certificate.inputs["metadata"]["namespace"] == "istio-ingress"
    assert certificate.inputs["spec"] == {
        "secretName": "mesh-wildcard-tls",
        "dnsNames": ["*.mesh.example.com"],
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt-production"},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
    }


def test_staging_server(shared_run):
    run = shared_run(merged(GCP, tls={"email": "ops@example.com", "server": "staging"}))
    [issuer] = run.of_type(CLUSTER_ISSUER)
    assert issuer.inputs["metadata"] == {"name": "letsencrypt-staging"}
    assert issuer.inputs["spec"]["acme"]["server"] == LE_STAGING
    assert issuer.inputs["spec"]["acme"]["privateKeySecretRef"] == {"name": "letsencrypt-staging-account"}


def test_gcp_cert_manager_has_its_own_account_with_the_zone_only(gcp):
    run = gcp
    accounts = {r.name: r.inputs for r in run.of_type("gcp:serviceaccount/account:Account")}
    assert accounts["cert-manager-gcp"]["accountId"] == "cert-manager-test"
    assert accounts["external-dns-gcp"]["accountId"] == "external-dns-test"
    member = "serviceAccount:cert-manager-test@gke-project.iam.gserviceaccount.com"
    grants = sorted(
        (r.type, r.inputs["role"])
        for r in run.resources
        if r.type in (ZONE_MEMBER, PROJECT_MEMBER, WI_MEMBER) and r.inputs["member"] == member
    )
    assert grants == [(ZONE_MEMBER, "roles/dns.admin")]  # no project-wide grant at all
    zone_admin = next(r.inputs for r in run.of_type(ZONE_MEMBER) if r.inputs["member"] == member)
    assert (zone_admin["project"], zone_admin["managedZone"]) == ("dns-project", "example-com")
    binding = run.one(WI_MEMBER, "cert-manager-gcp-workload-identity").inputs
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"] == "serviceAccount:gke-project.svc.id.goog[cert-manager/cert-manager]"
    assert (
        binding["serviceAccountId"]
        == "projects/gke-project/serviceAccounts/cert-manager-test@gke-project.iam.gserviceaccount.com"
    )
    assert cert_manager_values(run)["serviceAccount"] == {
        "name": "cert-manager",
        "annotations": {"iam.gke.io/gcp-service-account": "cert-manager-test@gke-project.iam.gserviceaccount.com"},
    }
    chart = run.chart("cert-manager")
    for grant in (run.named("cert-manager-gcp-zone-admin"), run.named("cert-manager-gcp-workload-identity")):
        assert chart.depends_on(grant)
        assert by_name(run, CLUSTER_ISSUER, "letsencrypt-production").depends_on(grant)


def test_gcp_key_mode_solver_reads_the_key_secret(shared_run):
    run = shared_run(merged(GCP, gcp={"identity": "key"}))
    _check_every_chart(run)
    secret = run.one("kubernetes:core/v1:Secret", "cert-manager-gcp-key")
    assert secret.inputs["metadata"] == {"name": "cloud-dns-key", "namespace": "cert-manager"}
    [issuer] = run.of_type(CLUSTER_ISSUER)
    assert issuer.inputs["spec"]["acme"]["solvers"][0]["dns01"] == {
        "cloudDNS": {
            "project": "dns-project",
            "hostedZoneName": "example-com",
            "serviceAccountSecretRef": {"name": "cloud-dns-key", "key": "credentials.json"},
        }
    }
    assert issuer.depends_on(secret)
    assert cert_manager_values(run)["serviceAccount"]["annotations"] == {}
    for registration in run.resources:
        assert plain_occurrences(registration.raw_inputs, fakes.GCP_PRIVATE_KEY) == [], registration.name
    assert plain_occurrences(run.raw_outputs, fakes.GCP_PRIVATE_KEY) == []


def acme_policy(run) -> dict:
    policies = [
        json.loads(r.inputs["policy"])
        for r in run.resources
        if r.type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy")
        and r.name.startswith("cert-manager")
    ]
    assert len(policies) == 1
    return policies[0]


EXPECTED_ACME_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
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
            "Resource": [ZONE_ARN],
            "Condition": {
                "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.mesh.example.com"],
                }
            },
        },
    ],
}


def test_aws_irsa_role_for_cert_manager(shared_run):
    run = shared_run(AWS)
    _check_every_chart(run)
    assert acme_policy(run) == EXPECTED_ACME_POLICY
    role = run.one("aws:iam/role:Role", "cert-manager-aws")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    issuer = fakes.OIDC_ISSUER.removeprefix("https://")
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {
            f"{issuer}:sub": "system:serviceaccount:cert-manager:cert-manager",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
    }
    role_arn = f"arn:aws:iam::{fakes.ACCOUNT}:role/cert-manager-aws-1234567"
    assert cert_manager_values(run)["serviceAccount"] == {
        "name": "cert-manager",
        "annotations": {"eks.amazonaws.com/role-arn": role_arn},
    }
    [issuer_cr] = run.of_type(CLUSTER_ISSUER)
    assert issuer_cr.inputs["spec"]["acme"]["solvers"][0]["dns01"] == {
        "route53": {"region": "eu-west-1", "hostedZoneID": "Z0EXAMPLE1234"}
    }
    # never external-dns' identity
    assert run.one("aws:iam/role:Role", "external-dns-aws").urn != role.urn
    assert (
        json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "external-dns-aws-route53").inputs["policy"])
        != EXPECTED_ACME_POLICY
    )


def test_aws_pod_identity_for_cert_manager(shared_run):
    run = shared_run(merged(AWS, aws={"identity": "pod-identity"}))
    assert acme_policy(run) == EXPECTED_ACME_POLICY
    association = run.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "cert-manager-aws").inputs
    assert (association["namespace"], association["serviceAccount"], association["clusterName"]) == (
        "cert-manager",
        "cert-manager",
        "mesh",
    )
    assert association["roleArn"].endswith(":role/cert-manager-aws-1234567")
    assert cert_manager_values(run)["serviceAccount"]["annotations"] == {}


def test_aws_access_key_for_cert_manager(shared_run):
    config = merged(AWS, aws={"region": "eu-west-1", "identity": "access-key"})
    config["aws"].pop("clusterName")
    run = shared_run(config)
    _check_every_chart(run)
    assert acme_policy(run) == EXPECTED_ACME_POLICY
    secret = run.one("kubernetes:core/v1:Secret", "cert-manager-aws-access-key")
    assert secret.inputs["metadata"] == {"name": "cert-manager-aws-credentials", "namespace": "cert-manager"}
    [issuer] = run.of_type(CLUSTER_ISSUER)
    assert issuer.inputs["spec"]["acme"]["solvers"][0]["dns01"] == {
        "route53": {
            "region": "eu-west-1",
            "hostedZoneID": "Z0EXAMPLE1234",
            "accessKeyIDSecretRef": {"name": "cert-manager-aws-credentials", "key": "AWS_ACCESS_KEY_ID"},
            "secretAccessKeySecretRef": {"name": "cert-manager-aws-credentials", "key": "AWS_SECRET_ACCESS_KEY"},
        }
    }
    for registration in run.resources:
        assert plain_occurrences(registration.raw_inputs, fakes.AWS_SECRET_ACCESS_KEY) == [], registration.name
    assert plain_occurrences(run.raw_outputs, fakes.AWS_SECRET_ACCESS_KEY) == []


# --- ca ------------------------------------------------------------------------------------------------------


def test_local_ca_chain(dev):
    run = dev
    assert by_name(run, CLUSTER_ISSUER, "mesh-selfsigned").inputs["spec"] == {"selfSigned": {}}
    root = by_name(run, CERTIFICATE, "mesh-root-ca")
    assert root.inputs["metadata"]["namespace"] == "cert-manager"
    assert root.inputs["spec"] == {
        "isCA": True,
        "commonName": "service-mesh-test root CA",
        "secretName": "mesh-root-ca",
        "duration": "87600h",
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "mesh-selfsigned"},
        "privateKey": {"algorithm": "ECDSA", "size": 256},
    }
    assert root.inputs["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"
    ca = by_name(run, CLUSTER_ISSUER, "mesh-ca")
    assert ca.inputs["spec"] == {"ca": {"secretName": "mesh-root-ca"}}
    assert ca.depends_on(root) and root.depends_on(by_name(run, CLUSTER_ISSUER, "mesh-selfsigned"))
    certificate = by_name(run, CERTIFICATE, "mesh-wildcard")
    assert certificate.inputs["spec"]["issuerRef"]["name"] == "mesh-ca"
    assert certificate.inputs["spec"]["dnsNames"] == ["*.mesh.localhost"]


def test_root_certificate_output_is_read_after_the_root_is_ready_and_never_the_key(dev):
    run = dev
    [read] = run.reads
    assert (read.type, read.id) == ("kubernetes:core/v1:Secret", "cert-manager/mesh-root-ca")
    assert by_name(run, CERTIFICATE, "mesh-root-ca").urn in read.dependencies
    assert read.provider.split("::")[-1].startswith("cluster")
    assert run.outputs["tls"] == {
        "mode": "ca",
        "issuer": "mesh-ca",
        "certificate": "istio-ingress/mesh-wildcard",
        "secret": "mesh-wildcard-tls",
        "rootCertificate": fakes.ROOT_CA_PEM,
    }
    assert plain_occurrences(run.raw_outputs, "fake-root-key") == []


# --- the Gateways and the redirect ----------------------------------------------------------------------


def test_redirect_route_and_https_only_app_routes(shared_run):
    run = shared_run(LOCAL)
    redirect = by_name(run, HTTP_ROUTE, "https-redirect")
    assert redirect.inputs["metadata"] == {"name": "https-redirect", "namespace": "istio-ingress"}
    assert redirect.inputs["spec"] == {
        "parentRefs": [{"name": "mesh-gateway", "namespace": "istio-ingress", "sectionName": "http"}],
        # listed: without hostnames external-dns would publish the listener's *.mesh.localhost
        "hostnames": ["shop.mesh.localhost"],
        "rules": [
            {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
        ],
    }
    assert redirect.depends_on(run.one(GATEWAY)) and redirect.depends_on(run.one(*WAIT_JOB))
    shop = by_name(run, HTTP_ROUTE, "shop").inputs["spec"]
    assert shop["parentRefs"] == [{"name": "mesh-gateway", "namespace": "istio-ingress", "sectionName": "https"}]
    listeners = run.one(GATEWAY).inputs["spec"]["listeners"]
    assert listeners[1]["tls"] == {
        "mode": "Terminate",
        "certificateRefs": [{"kind": "Secret", "name": "mesh-wildcard-tls"}],
    }
    assert run.outputs["routes"] == {"shop": "https://shop.mesh.localhost/"}


def test_redirect_lists_every_http_and_dashboard_hostname_and_only_those(shared_run):
    run = shared_run(
        merged(
            LOCAL,
            dns={"domain": "mesh.example.com"},
            demo={"enabled": True},
            routes=[{"name": "shop", "namespace": "shop"}, {"name": "legacy", "namespace": "shop", "kind": "istio"}],
            dashboards={"expose": {"enabled": True}, "kiali": {"auth": "token"}},
        )
    )
    assert by_name(run, HTTP_ROUTE, "https-redirect").inputs["spec"]["hostnames"] == [
        "demo.mesh.example.com",
        "grafana.mesh.example.com",
        "kiali.mesh.example.com",
        "shop.mesh.example.com",
    ]


def test_no_redirect_route_without_gateway_api_hostnames(shared_run):
    run = shared_run(merged(LOCAL, routes=[{"name": "legacy", "namespace": "shop", "kind": "istio"}]))
    assert run.of_type(HTTP_ROUTE) == []


def test_istio_gateway_redirects_http_and_serves_the_certificate(gcp):
    servers = gcp.one(ISTIO_GATEWAY).inputs["spec"]["servers"]
    assert servers[0]["tls"] == {"httpsRedirect": True}
    assert servers[1]["tls"] == {"mode": "SIMPLE", "credentialName": "mesh-wildcard-tls"}


def test_secret_mode_installs_no_cert_manager(shared_run):
    run = shared_run(merged(LOCAL, tls={"mode": "secret", "secret": "my-cert"}))
    assert "cert-manager" not in run.charts()
    assert run.of_type(CERTIFICATE) == [] and run.of_type(CLUSTER_ISSUER) == []
    assert run.one(GATEWAY).inputs["spec"]["listeners"][1]["tls"]["certificateRefs"] == [
        {"kind": "Secret", "name": "my-cert"}
    ]
    assert by_name(run, HTTP_ROUTE, "https-redirect").inputs["spec"]["parentRefs"][0]["sectionName"] == "http"
    assert run.outputs["tls"] == {
        "mode": "secret",
        "issuer": None,
        "certificate": None,
        "secret": "my-cert",
        "rootCertificate": None,
    }


def test_off_is_plain_http(shared_run):
    run = shared_run(merged(LOCAL, tls={"mode": "off"}))
    assert "cert-manager" not in run.charts()
    assert [listener["name"] for listener in run.one(GATEWAY).inputs["spec"]["listeners"]] == ["http"]
    assert [r.inputs["metadata"]["name"] for r in run.of_type(HTTP_ROUTE)] == ["shop"]
    assert "sectionName" not in by_name(run, HTTP_ROUTE, "shop").inputs["spec"]["parentRefs"][0]
    assert run.outputs["tls"]["mode"] == "off"


def test_dashboard_exposure_works_with_the_issued_certificate(shared_run):
    run = shared_run(
        merged(
            LOCAL,
            dns={"domain": "mesh.example.com"},
            dashboards={"expose": {"enabled": True}, "kiali": {"auth": "token"}},
        )
    )
    assert run.outputs["exposedDashboards"]["grafana"] == "https://grafana.mesh.example.com/"
    certificate = by_name(run, CERTIFICATE, "mesh-wildcard")
    assert certificate.inputs["spec"]["dnsNames"] == ["*.mesh.example.com"]
    for dashboard in ("kiali", "grafana"):
        assert by_name(run, HTTP_ROUTE, dashboard).depends_on(run.one(*WAIT_JOB))


# --- defaults and every mode on every shipped stack ---------------------------------------------------------


MODE_SETTINGS = {
    "acme": {"mode": "acme", "email": "ops@example.com"},
    "ca": {"mode": "ca"},
    "secret": {"mode": "secret", "secret": "my-cert"},
    "off": {"mode": "off"},
}


@pytest.mark.parametrize("mode", sorted(MODE_SETTINGS))
@pytest.mark.parametrize("stack", single_cluster_stacks())
def test_every_mode_on_every_shipped_stack(shared_run, stack, mode):
    # no DNS on local: refused, before anything is registered
    if stack in ("dev", "ambient", "airgapped") and mode == "acme":
        with pytest.raises(ProgramFailed) as failure:
            shared_run(stack, tls=MODE_SETTINGS[mode])
        assert failure.value.registered == []
        assert isinstance(failure.value.error, SettingsError)
        assert any(p.startswith("tls.mode: acme proves the domain by DNS-01") for p in failure.value.error.problems)
        return
    run = shared_run(stack, tls=MODE_SETTINGS[mode])
    assert run.outputs["tls"]["mode"] == mode
    assert ("cert-manager" in run.charts()) == (mode in ("acme", "ca"))
    _check_every_chart(run)


# --- bad inputs ------------------------------------------------------------------------------------------


BAD_INPUTS = [
    ("acme without e-mail", merged(GCP, tls={"email": None}), "tls.email", "required with tls.mode acme"),
    ("invalid e-mail", merged(GCP, tls={"email": "ops-at-example.com"}), "tls.email", "not an e-mail address"),
    ("e-mail without a domain part", merged(GCP, tls={"email": "ops@"}), "tls.email", "not an e-mail address"),
    ("acme without DNS", merged(LOCAL, tls={"mode": "acme", "email": "ops@example.com"}), "tls.mode", "DNS is off"),
    (
        "acme on gcp without DNS",
        merged(GCP, dns={"enabled": False}, tls={"mode": "acme", "email": "ops@example.com"}),
        "tls.mode",
        "DNS is off",
    ),
    (
        "acme on a private gcp zone",
        merged(GCP, gcp={"zoneVisibility": "private"}),
        "tls.mode",
        "Let's Encrypt resolves the challenge in public DNS",
    ),
    (
        "acme on a private aws zone",
        merged(AWS, aws={"zoneType": "private"}),
        "tls.mode",
        "cannot use a private zone (aws.zoneType private)",
    ),
    (
        "unknown server",
        merged(GCP, tls={"email": "ops@example.com", "server": "prod"}),
        "tls.server",
        "'production' or 'staging'",
    ),
    ("unknown mode", merged(LOCAL, tls={"mode": "letsencrypt"}), "tls.mode", "'acme', 'ca', 'secret' or 'off'"),
    (
        "secret without a Secret name",
        merged(LOCAL, tls={"mode": "secret"}),
        "tls.secret",
        "required with tls.mode secret",
    ),
    (
        "secret name not a DNS label",
        merged(LOCAL, tls={"mode": "secret", "secret": "My_Cert"}),
        "tls.secret",
        "DNS-1123 label",
    ),
    (
        "secret name with another mode",
        merged(LOCAL, tls={"mode": "ca", "secret": "my-cert"}),
        "tls.secret",
        "only for tls.mode secret",
    ),
    (
        "e-mail with the local CA",
        merged(LOCAL, tls={"mode": "ca", "email": "ops@example.com"}),
        "tls.email",
        "only for tls.mode acme",
    ),
    ("a mode without a domain", {"cloud": "local", "tls": {"mode": "ca"}}, "tls.mode", "set dns.domain"),
    (
        "dashboard host outside the certificate",
        merged(LOCAL, dashboards={"expose": {"enabled": True, "kialiHost": "kiali.ops.mesh.localhost"}}),
        "dashboards.expose.kialiHost",
        "outside the certificate *.mesh.localhost",
    ),
    (
        "route host outside the certificate",
        merged(LOCAL, routes=[{"name": "shop", "namespace": "shop", "hostname": "a.b.mesh.localhost"}]),
        "routes[0].hostname",
        "a wildcard covers one label",
    ),
    (
        "cert-manager's namespace injected",
        merged(LOCAL, mesh={"injectedNamespaces": ["shop", "cert-manager"]}),
        "mesh.injectedNamespaces",
        "cert-manager's namespace (never injected)",
    ),
    (
        "old gateway.tlsSecret",
        merged(LOCAL, gateway={"tlsSecret": "my-cert"}),
        "gateway.tlsSecret",
        "replaced by tls.mode secret and tls.secret my-cert",
    ),
    ("unknown key", merged(LOCAL, tls={"mode": "ca", "issuer": "x"}), "tls.issuer", "unknown key"),
    ("typo", merged(GCP, tls={"email": "ops@example.com", "servr": "staging"}), "tls.servr", "did you mean 'server'"),
]


@pytest.mark.parametrize(("case", "config", "key", "words"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_tls_input_is_refused_before_any_resource(run_stack, case, config, key, words):
    config = {
        k: ({kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v) for k, v in config.items()
    }
    with pytest.raises(ProgramFailed) as failure:
        run_stack(config)
    assert failure.value.registered == []
    assert isinstance(failure.value.error, SettingsError)
    matching = [p for p in failure.value.error.problems if p.startswith(f"{key}: ")]
    assert matching, failure.value.error.problems
    assert words in matching[0], matching[0]
