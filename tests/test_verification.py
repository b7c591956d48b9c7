"""The verification Job: its spec, what it waits for, when it re-runs, which checks it runs, its output, and
the bad `verify` settings it refuses. The check script itself runs in tests/test_verify_script.py."""

from __future__ import annotations

import json

import pytest

from settings.loader import load_settings
from stacks.verification import SCRIPT, job_name, script_config
from tests import harness
from tests.test_settings import test_bad_input_is_refused_before_any_resource as assert_refused

JOB = ("kubernetes:batch/v1:Job", "verification")
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
CHECKS = (CONFIG_MAP, "verification-checks")  # the script and its config
# python:3.13.7-alpine3.22 by digest, as pinned upstream (see definitions/versions.py for where it was read).
PINNED_IMAGE = (
    "docker.io/library/python:3.13.7-alpine3.22@sha256:9ba6d8cbebf0fb6546ae71f2a1c14f6ffd2fdab83af7fa5669734ef30ad48844"
)
DEV_CHECKS = [
    "demo-through-gateway",
    "mtls-gateway-to-demo",
    "trace-in-jaeger",
    "prometheus-sees-demo",
    "plaintext-refused",
    "https-redirect",  # dev serves HTTPS (tls.mode ca)
]
APPS = {"mesh": {"injectedNamespaces": ["apps"]}, "dns": {"domain": "mesh.localhost"}}
SHOP = {"name": "shop", "namespace": "apps", "port": 8080}


@pytest.fixture
def dev(shared_run):
    return shared_run("dev")


def config_of(run) -> dict:
    return json.loads(run.one(*CHECKS).inputs["data"]["config.json"])


def test_the_job_runs_a_pinned_image_as_nobody_on_a_read_only_filesystem(dev):
    pod = dev.one(*JOB).inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == PINNED_IMAGE
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"] == {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False  # reads nothing from the API: no token, no RBAC
    assert "serviceAccountName" not in pod
    assert not [role for role in dev.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role") if "verif" in role.name]


def test_the_job_fails_in_minutes_and_pulumi_waits_past_its_deadline(dev):
    job = dev.one(*JOB).inputs
    assert job["spec"]["activeDeadlineSeconds"] == 420
    assert job["spec"]["backoffLimit"] == 1
    assert job["metadata"]["annotations"] == {"pulumi.com/replaceUnready": "true", "pulumi.com/timeoutSeconds": "480"}


def test_the_deadline_is_a_setting(shared_run):
    job = shared_run("dev", verify={"deadlineSeconds": 900}).one(*JOB).inputs
    assert job["spec"]["activeDeadlineSeconds"] == 900
    assert job["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] == "960"


def test_the_job_runs_outside_the_mesh_in_the_control_planes_namespace(dev):
    job = dev.one(*JOB).inputs
    assert job["metadata"]["namespace"] == "istio-system"
    assert job["spec"]["template"]["metadata"]["labels"]["sidecar.istio.io/inject"] == "false"


def test_the_job_runs_the_script_from_its_config_map(dev):
    config_map, job = dev.one(*CHECKS).inputs, dev.one(*JOB).inputs
    assert config_map["data"]["verify_mesh.py"] == SCRIPT.read_text()
    assert config_map["metadata"] == {"name": job["metadata"]["name"], "namespace": "istio-system"}
    pod = job["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "checks", "configMap": {"name": job["metadata"]["name"]}}]
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "checks", "mountPath": "/etc/mesh-verify", "readOnly": True}
    ]
    assert pod["containers"][0]["command"] == [
        "python",
        "/etc/mesh-verify/verify_mesh.py",
        "/etc/mesh-verify/config.json",
    ]


def test_the_script_is_pointed_at_the_in_cluster_services(dev):
    config = config_of(dev)
    assert config["checks"] == DEV_CHECKS
    # dev serves HTTPS from its local CA (tls.mode ca by default): the HTTPS listener, the stack's root CA.
    assert config["gateway"] == {
        "url": "https://istio-ingressgateway.istio-ingress.svc.cluster.local:443",
        "trust": "ca",
        "caFile": "/etc/mesh-verify/ca.crt",
    }
    assert config["demo"] == {
        "host": "demo.mesh.localhost",
        "path": "/headers",
        "gatewayIdentity": "spiffe://cluster.local/ns/istio-ingress/sa/istio-ingressgateway",
    }
    assert config["plaintext"] == {"url": "http://httpbin.demo.svc.cluster.local:8000/headers"}
    # The HTTP listener in plain text, for the demo's hostname: answered with a 301 to https.
    assert config["redirect"] == {
        "url": "http://istio-ingressgateway.istio-ingress.svc.cluster.local:80",
        "host": "demo.mesh.localhost",
        "path": "/headers",
    }
    assert config["jaeger"] == {"url": "http://jaeger.istio-system.svc.cluster.local:16686"}
    assert config["prometheus"] == {
        "url": "http://prometheus-server.istio-system.svc.cluster.local:9090",
        "workload": "httpbin",
        "namespace": "demo",
    }
    assert config["waits"] == {
        "readySeconds": 60,
        "traceSeconds": 60,
        "metricsSeconds": 120,
        "intervalSeconds": 5,
        "requestSeconds": 5,
    }


@pytest.mark.parametrize(
    "waits_for",
    [
        ("kubernetes:helm.sh/v4:Chart", "istio-istiod"),
        ("kubernetes:helm.sh/v4:Chart", "ingress-gateway"),
        ("kubernetes:security.istio.io/v1:PeerAuthentication", "mesh-policy-mtls"),
        ("kubernetes:telemetry.istio.io/v1:Telemetry", "mesh-policy-tracing"),
        ("kubernetes:gateway.networking.k8s.io/v1:Gateway", "shared-gateway"),
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "route-demo-demo"),
        ("kubernetes:apps/v1:Deployment", "demo"),
        ("kubernetes:core/v1:Service", "demo-service"),
        ("kubernetes:helm.sh/v4:Chart", "jaeger"),
        ("kubernetes:helm.sh/v4:Chart", "prometheus"),
        CHECKS,
    ],
)
def test_the_job_waits_for_everything_it_checks(dev, waits_for):
    assert dev.one(*JOB).depends_on(dev.one(*waits_for))


@pytest.mark.parametrize("chart", ["grafana", "kiali-server"])
def test_the_job_does_not_wait_for_what_it_does_not_check(dev, chart):
    assert not dev.one(*JOB).depends_on(dev.chart(chart))


def test_the_job_waits_for_each_route_and_the_classic_istio_gateway(shared_run):
    run = shared_run("dev", routes=[SHOP, {"name": "legacy", "namespace": "apps", "kind": "istio"}])
    job = run.one(*JOB)
    assert job.depends_on(run.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "route-apps-shop"))
    assert job.depends_on(run.one("kubernetes:networking.istio.io/v1:VirtualService", "route-apps-legacy"))
    assert job.depends_on(run.one("kubernetes:networking.istio.io/v1:Gateway", "istio-gateway"))


def name_of(run) -> str:
    return run.one(*JOB).inputs["metadata"]["name"]


def test_an_unchanged_stack_keeps_the_jobs_name(run_stack, dev):
    first, second = name_of(dev), name_of(run_stack("dev"))
    assert first == second
    assert first.startswith("mesh-verify-") and len(first) == len("mesh-verify-") + 10


PERMISSIVE = {"mesh": {"mtls": "PERMISSIVE", "injectedNamespaces": ["apps"]}}


@pytest.mark.parametrize("change", [{"verify": {"runId": "2026-11-26"}}, PERMISSIVE], ids=["runId", "mtls"])
def test_a_change_renames_the_job_so_it_re_runs(shared_run, dev, change):
    assert name_of(shared_run("dev", **change)) != name_of(dev)


def name_for(**overrides) -> str:
    """The Job's name for the dev stack with some top-level keys replaced (settings only, no run)."""
    settings = load_settings({**harness.stack_config("dev"), **overrides}, secret_keys=frozenset({"dashboards"}))
    return job_name(settings, SCRIPT.read_text(), json.dumps(script_config(settings)))


@pytest.mark.parametrize(
    "change",
    [
        {"mesh": {"tracing": {"sampling": 50}, "injectedNamespaces": ["apps"]}},
        {"istio": {"version": "1.31.3"}},
        {"routes": [SHOP]},
        {"demo": {"enabled": True, "namespace": "httpbin"}},
        {"profile": "production"},
    ],
)
def test_any_setting_the_checks_exercise_renames_the_job(change):
    assert name_for(**change) != name_for()


def test_a_changed_script_renames_the_job():
    settings = load_settings({"demo": {"enabled": True}, "dns": {"domain": "mesh.localhost"}})
    script = SCRIPT.read_text()
    assert job_name(settings, script, "{}") != job_name(settings, script + "\n# changed", "{}")
    assert job_name(settings, script, "{}") != job_name(settings, script, '{"waits": {}}')


def test_the_kubeconfig_does_not_rename_the_job():
    assert name_for(kubernetes={"kubeconfig": "/other/kubeconfig"}) == name_for()


def test_the_openid_client_secret_does_not_reach_the_jobs_name():
    def with_secret(secret: str) -> str:
        return name_for(
            dashboards={
                "kiali": {
                    "auth": "openid",
                    "openid": {"issuerUri": "https://idp.example", "clientId": "k", "clientSecret": secret},
                }
            }
        )

    assert with_secret("hunter2") == with_secret("correct horse battery staple")


ONLY_SHOP = {**APPS, "routes": [SHOP]}


def planned(**overrides) -> dict:
    """The script's config for the dev stack with some top-level keys replaced (settings only, no run)."""
    return script_config(load_settings({**harness.stack_config("dev"), **overrides}))


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"mesh": {"mtls": "PERMISSIVE"}},
            [
                "demo-through-gateway",
                "mtls-gateway-to-demo",
                "trace-in-jaeger",
                "prometheus-sees-demo",
                "https-redirect",
            ],
        ),
        (
            {"dashboards": {"jaeger": {"enabled": False}}, "mesh": {"mtls": "STRICT"}},
            [
                "demo-through-gateway",
                "mtls-gateway-to-demo",
                "prometheus-sees-demo",
                "plaintext-refused",
                "https-redirect",
            ],
        ),
        (
            {"mesh": {"tracing": {"enabled": False}}},
            [
                "demo-through-gateway",
                "mtls-gateway-to-demo",
                "prometheus-sees-demo",
                "plaintext-refused",
                "https-redirect",
            ],
        ),
        (
            {"mesh": {"tracing": {"zipkinAddress": "otel.observability:9411"}}},
            [
                "demo-through-gateway",
                "mtls-gateway-to-demo",
                "prometheus-sees-demo",
                "plaintext-refused",
                "https-redirect",
            ],
        ),
        (
            {"dashboards": {"prometheus": {"enabled": False}, "kiali": {"enabled": False}}},
            ["demo-through-gateway", "mtls-gateway-to-demo", "trace-in-jaeger", "plaintext-refused", "https-redirect"],
        ),
        (
            {
                "routes": [SHOP, {"name": "db", "namespace": "apps", "kind": "tcp", "listenerPort": 5432}],
                "gatewayApi": {"channel": "experimental", "tcpRoutes": True},
            },
            [*DEV_CHECKS, "route-apps/shop"],
        ),
        ({**ONLY_SHOP, "demo": {"enabled": False}}, ["https-redirect", "route-apps/shop"]),
        ({"tls": {"mode": "off"}}, DEV_CHECKS[:-1]),
    ],
    ids=[
        "permissive",
        "no-jaeger",
        "no-tracing",
        "external-collector",
        "no-prometheus",
        "routes",
        "routes-only",
        "tls-off",
    ],
)
def test_each_check_is_planned_exactly_when_what_it_checks_exists(config, expected):
    config = planned(**config)
    assert config["checks"] == expected
    assert ("plaintext" in config, "jaeger" in config, "prometheus" in config, "routes" in config) == (
        "plaintext-refused" in expected,
        "trace-in-jaeger" in expected,
        "prometheus-sees-demo" in expected,
        "route-apps/shop" in expected,
    )


def test_the_output_lists_the_checks_the_job_runs(shared_run):
    run = shared_run("dev", **PERMISSIVE)
    assert sorted(config_of(run)["checks"]) == sorted(run.outputs["verification"]["checks"])
    assert "plaintext-refused" not in run.outputs["verification"]["checks"]


def test_a_route_check_is_given_the_hostname_path_and_service():
    assert planned(routes=[{**SHOP, "hostname": "store.mesh.localhost", "pathPrefix": "/shop", "service": "web"}])[
        "routes"
    ] == [{"name": "apps/shop", "host": "store.mesh.localhost", "path": "/shop", "service": "web.apps:8080"}]


def test_without_the_jaeger_check_the_job_does_not_wait_for_jaeger(shared_run):
    run = shared_run("dev", mesh={"tracing": {"enabled": False}, "injectedNamespaces": ["apps"]})
    assert not run.one(*JOB).depends_on(run.chart("jaeger"))


def test_the_output_lists_each_check_passed_once_the_job_completed(dev):
    output = dev.outputs["verification"]
    name = name_of(dev)
    assert output == {
        "job": name,
        "namespace": "istio-system",
        "checks": {check: "passed" for check in DEV_CHECKS},
        "log": f"kubectl -n istio-system logs job/{name}",
        "rerun": "pulumi config set --path verify.runId <any new value> && pulumi up",
    }


def test_a_route_check_says_a_warning_is_only_in_the_log(shared_run):
    checks = shared_run("dev", routes=[SHOP]).outputs["verification"]["checks"]
    assert checks["route-apps/shop"] == "passed (or warned: see the log)"


def test_the_log_command_names_the_stacks_context(shared_run):
    run = shared_run("dev", kubernetes={"context": "kind-mesh"})
    assert run.outputs["verification"]["log"] == f"kubectl --context kind-mesh -n istio-system logs job/{name_of(run)}"


@pytest.mark.parametrize(
    "config",
    [
        {"demo": {"enabled": True}, "dns": {"domain": "mesh.localhost"}, "verify": {"enabled": False}},
        {"cloud": "local"},  # nothing published: nothing to check
    ],
    ids=["switched-off", "nothing-published"],
)
def test_no_job_when_off(shared_run, config):
    run = shared_run(config)
    assert not [r for r in run.of_type(JOB[0]) if r.name == JOB[1]] and "verification-checks" not in [
        r.name for r in run.of_type(CONFIG_MAP)
    ]
    assert run.outputs.get("verification") is None


BAD_VERIFY = [
    ({"verify": {"enabled": True}}, "verify.enabled", ["nothing to check", "demo.enabled or at least one route"]),
    (
        {**APPS, "demo": {"enabled": True}, "verify": {"deadlineSeconds": 299}},
        "verify.deadlineSeconds",
        ["299 is shorter than the checks' waits (240 s) plus 60 s", "at least 300"],
    ),
    ({"verify": {"deadlineSeconds": 30}}, "verify.deadlineSeconds", ["greater than or equal to 60"]),
    ({"verify": {"deadlineSeconds": 7200}}, "verify.deadlineSeconds", ["less than or equal to 1800"]),
    ({"verify": {"metricsWaitSeconds": -1}}, "verify.metricsWaitSeconds", ["greater than or equal to 0"]),
    ({"verify": {"runID": "x"}}, "verify.runID", ["unknown key", "did you mean 'runId'"]),
    ({"verify": {"runId": "x" * 64}}, "verify.runId", ["at most 63 characters"]),
    ({"verify": {"enabled": "sometimes"}}, "verify.enabled", ["valid boolean"]),
]


@pytest.mark.parametrize(
    ("config", "key", "words"), BAD_VERIFY, ids=[f"{case[1]}:{i}" for i, case in enumerate(BAD_VERIFY)]
)
def test_bad_verify_input_is_refused_before_any_resource(run_stack, config, key, words):
    assert_refused(run_stack, config, key, words)


@pytest.mark.parametrize(
    "config",
    [
        {
            "demo": {"enabled": True},
            "dns": {"domain": "mesh.localhost"},
            "verify": {"enabled": False, "deadlineSeconds": 60},
        },
        {"verify": {"deadlineSeconds": 60}},  # nothing published: off by default
        {"demo": {"enabled": True}, "dns": {"domain": "mesh.localhost"}, "verify": {"deadlineSeconds": 300}},
    ],
    ids=["switched-off", "off-by-default", "just-long-enough"],
)
def test_deadlines_accepted(config):
    assert load_settings(config).verify.deadline_seconds == config["verify"]["deadlineSeconds"]


def test_routes_of_one_name_in_two_namespaces_are_two_checks():
    config = planned(
        mesh={"injectedNamespaces": ["apps", "shop"]},
        routes=[SHOP, {**SHOP, "namespace": "shop", "hostname": "shop2.mesh.localhost"}],
    )
    assert config["checks"][-2:] == ["route-apps/shop", "route-shop/shop"]


# --- HTTPS (tls.mode): the checks use the HTTPS listener, trusting the stack's CA or issuer ---------------

CERTIFICATE = ("kubernetes:cert-manager.io/v1:Certificate", "wildcard-certificate")
# The wildcard certificate is Ready once its wait Job completed.
CERTIFICATE_WAIT = ("kubernetes:batch/v1:Job", "certificate-wait")
GCP = {
    "cloud": "gcp",
    "gcp": {"project": "gke-project", "dnsProject": "dns-project"},
    "dns": {"domain": "mesh.example.com", "zone": {"name": "example-com"}},
    "tls": {"email": "ops@example.com"},
    "mesh": {"injectedNamespaces": ["shop"]},
    "routes": [{"name": "shop", "namespace": "shop"}],
}


def test_on_ca_the_job_mounts_the_root_ca_and_waits_for_the_certificate(dev):
    from tests import fakes

    data = dev.one(*CHECKS).inputs["data"]
    assert data["ca.crt"] == fakes.ROOT_CA_PEM  # the public root only, never a key
    assert "PRIVATE KEY" not in json.dumps(data)
    assert dev.one(*JOB).depends_on(dev.one(*CERTIFICATE_WAIT))


def test_with_tls_off_the_checks_use_plain_http_and_no_ca(shared_run):
    run = shared_run("dev", tls={"mode": "off"})
    config_map = run.one(*CHECKS).inputs
    assert "ca.crt" not in config_map["data"]
    assert json.loads(config_map["data"]["config.json"])["gateway"] == {
        "url": "http://istio-ingressgateway.istio-ingress.svc.cluster.local:80"
    }
    assert not run.of_type(CERTIFICATE[0])


@pytest.mark.parametrize(
    ("tls", "trust"),
    [({"email": "ops@example.com"}, "system"), ({"email": "ops@example.com", "server": "staging"}, "unverified")],
    ids=["production", "staging"],
)
def test_on_acme_the_checks_trust_the_system_store_or_report_staging_unverified(shared_run, tls, trust):
    run = shared_run({**GCP, "tls": tls})
    config_map = run.one(*CHECKS).inputs
    assert json.loads(config_map["data"]["config.json"])["gateway"] == {
        "url": "https://istio-ingressgateway.istio-ingress.svc.cluster.local:443",
        "trust": trust,
    }
    assert "ca.crt" not in config_map["data"]
    assert run.one(*JOB).depends_on(run.one(*CERTIFICATE_WAIT))


def test_on_secret_the_checks_use_https_without_verifying_the_users_issuer():
    settings = load_settings({**harness.stack_config("dev"), "tls": {"mode": "secret", "secret": "my-cert"}})
    assert script_config(settings)["gateway"] == {
        "url": "https://istio-ingressgateway.istio-ingress.svc.cluster.local:443",
        "trust": "unverified",
    }


def test_without_the_demo_the_redirect_is_checked_on_the_first_route():
    assert planned(**APPS, demo={"enabled": False}, routes=[{**SHOP, "pathPrefix": "/shop"}])["redirect"] == {
        "url": "http://istio-ingressgateway.istio-ingress.svc.cluster.local:80",
        "host": "shop.mesh.localhost",
        "path": "/shop",
    }
