"""Dashboards: pinned charts, one source of truth for every address, private by default, never anonymous
when exposed, sized by profile, installed in parallel with the mesh."""

from __future__ import annotations

import pytest

from definitions import addresses
from settings.loader import SettingsError
from tests.harness import ProgramFailed, plain_occurrences

CHART = "kubernetes:helm.sh/v4:Chart"
NOT_INJECTED = {"sidecar.istio.io/inject": "false"}
EXPOSED = {
    "cloud": "local",
    "dns": {"domain": "mesh.example.com"},
    "tls": {"mode": "secret", "secret": "wildcard-cert"},
    "dashboards": {"expose": {"enabled": True}},
}


def chart_values(run, chart: str) -> dict:
    return run.chart(chart).inputs["values"]


@pytest.fixture
def dev(shared_run):
    return shared_run("dev")


def test_the_four_charts_are_pinned(dev):
    expected = {
        "prometheus": ("29.27.0", "https://prometheus-community.github.io/helm-charts", "prometheus"),
        "grafana": ("12.11.1", "https://grafana-community.github.io/helm-charts", "grafana"),
        "jaeger": ("4.11.1", "https://jaegertracing.github.io/helm-charts", "jaeger"),
        "kiali-server": ("2.29.0", "https://kiali.org/helm-charts", "kiali"),
    }
    for chart, (version, repo, release) in expected.items():
        inputs = dev.chart(chart).inputs
        assert (inputs["version"], inputs["repositoryOpts"]["repo"], inputs["name"]) == (version, repo, release)
        assert inputs["namespace"] == "istio-system"


# --- addresses: one source of truth, agreeing with each chart's naming rule ------------------------------


# Each chart's Service name, read in its naming rule at the pinned tag, for the releases this project uses:
# jaeger-4.11.1 templates/_helpers.tpl `jaeger.fullname` (the release when it contains "jaeger"), Service
# templates/jaeger/jaeger-service.yaml; prometheus-29.27.0 `prometheus.server.fullname` (`<release>-server`
# when the release contains "prometheus"; values.yaml server.name: server); grafana-12.11.1
# `grafana.fullname` (the release when it contains "grafana"); kiali-server v2.29.0 `kiali-server.fullname`
# (deployment.instance_name). Expected addresses below are those literals, never the project's helpers.
PROMETHEUS_URL = "http://prometheus-server.istio-system.svc.cluster.local:9090"
GRAFANA_URL = "http://grafana.istio-system.svc.cluster.local:3000"
JAEGER_HOST = "jaeger.istio-system.svc.cluster.local"


@pytest.mark.parametrize(
    ("release", "chart", "expected"),
    [("grafana", "grafana", "grafana"), ("mesh", "grafana", "mesh-grafana"), ("jaeger", "jaeger", "jaeger")],
)
def test_helm_fullname_rule(release, chart, expected):
    assert addresses.helm_fullname(release, chart) == expected


@pytest.mark.parametrize(
    ("release", "expected"),
    [("prometheus", "prometheus-server"), ("metrics", "metrics-prometheus-server")],
)
def test_prometheus_server_naming_rule(release, expected):
    assert addresses.prometheus_server_service(release) == expected


def test_releases_are_the_names_the_addresses_assume(dev):
    releases = {chart: (r.inputs["name"], r.inputs["namespace"]) for chart, r in dev.charts().items()}
    assert releases["jaeger"] == ("jaeger", "istio-system")
    assert releases["prometheus"] == ("prometheus", "istio-system")
    assert releases["grafana"] == ("grafana", "istio-system")
    assert chart_values(dev, "kiali-server")["deployment"]["instance_name"] == "kiali"
    assert chart_values(dev, "prometheus")["server"]["service"] == {"servicePort": 9090}
    assert chart_values(dev, "grafana")["service"] == {"port": 3000}


def test_mesh_traces_to_the_jaeger_service_the_chart_creates(dev):
    provider = chart_values(dev, "istiod")["meshConfig"]["extensionProviders"][0]
    # 9411: http-zipkin in jaeger-4.11.1 templates/jaeger/jaeger-service.yaml
    assert provider == {"name": "jaeger", "zipkin": {"service": JAEGER_HOST, "port": 9411}}


def test_grafana_datasource_is_the_prometheus_service_the_chart_creates(dev):
    [datasource] = chart_values(dev, "grafana")["datasources"]["datasources.yaml"]["datasources"]
    assert datasource["url"] == PROMETHEUS_URL
    assert (datasource["name"], datasource["type"], datasource["isDefault"]) == ("Prometheus", "prometheus", True)


def test_kiali_points_at_the_services_the_charts_create(dev):
    services = chart_values(dev, "kiali-server")["external_services"]
    assert services["prometheus"]["url"] == PROMETHEUS_URL
    assert services["grafana"]["internal_url"] == GRAFANA_URL
    # 16685: grpc-query in jaeger-service.yaml; Kiali queries Jaeger over gRPC
    assert services["tracing"]["internal_url"] == f"http://{JAEGER_HOST}:16685"
    assert services["tracing"]["use_grpc"] is True and services["tracing"]["provider"] == "jaeger"


def test_kiali_links_grafana_dashboards_with_the_admin_secret(dev):
    grafana = chart_values(dev, "kiali-server")["external_services"]["grafana"]
    assert grafana["auth"] == {"type": "basic", "username": "admin", "password": "secret:grafana-admin:admin-password"}
    assert grafana["external_url"] == "http://localhost:3000"
    assert {d["name"] for d in grafana["dashboards"]} >= {"Istio Mesh Dashboard", "Istio Service Dashboard"}


# --- values per chart -----------------------------------------------------------------------------------


def test_prometheus_dev_values(dev):
    values = chart_values(dev, "prometheus")
    for subchart in ("alertmanager", "prometheus-pushgateway", "kube-state-metrics", "prometheus-node-exporter"):
        assert values[subchart] == {"enabled": False}
    server = values["server"]
    assert server["podLabels"] == NOT_INJECTED
    assert server["persistentVolume"] == {"enabled": False}
    assert server["service"] == {"servicePort": 9090}
    assert server["resources"]["requests"] == {"cpu": "50m", "memory": "256Mi"}
    # the chart's default kubernetes-pods job scrapes Istio's merged metrics: never overridden
    assert "scrapeConfigs" not in values and "serverFiles" not in values


def test_grafana_values(dev):
    values = chart_values(dev, "grafana")
    assert values["podLabels"] == NOT_INJECTED
    assert values["grafana.ini"]["auth.anonymous"] == {"enabled": False}
    assert values["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "adminPassword" not in values
    assert values["service"] == {"port": 3000}
    assert values["persistence"] == {"enabled": False}
    providers = values["dashboardProviders"]["dashboardproviders.yaml"]["providers"]
    # Istio's seven dashboards (manifests/addons/dashboards at 1.30.3), each from a ConfigMap the stack makes,
    # mounted by the chart at /var/lib/grafana/dashboards/<provider>; nothing downloaded by the pod.
    assert values["dashboardsConfigMaps"] == {
        "istio-extension-dashboard": "grafana-istio-extension-dashboard",
        "istio-mesh-dashboard": "grafana-istio-mesh-dashboard",
        "istio-performance-dashboard": "grafana-istio-performance-dashboard",
        "istio-service-dashboard": "grafana-istio-service-dashboard",
        "istio-workload-dashboard": "grafana-istio-workload-dashboard",
        "pilot-dashboard": "grafana-pilot-dashboard",
        "ztunnel-dashboard": "grafana-ztunnel-dashboard",
    }
    assert {p["name"]: p["options"]["path"] for p in providers} == {
        name: f"/var/lib/grafana/dashboards/{name}" for name in values["dashboardsConfigMaps"]
    }
    assert {p["folder"] for p in providers} == {"Istio"}
    assert "dashboards" not in values  # no gnetId download, no download-dashboards init container


def test_grafana_admin_password_is_a_secret(dev):
    secret = dev.one("kubernetes:core/v1:Secret", "grafana-admin")
    assert secret.inputs["metadata"] == {"name": "grafana-admin", "namespace": "istio-system"}
    assert set(secret.inputs["stringData"]) == {"admin-user", "admin-password"}
    password = secret.inputs["stringData"]["admin-password"]
    assert password.startswith("generated-grafana-admin-password")
    for registration in dev.resources:
        if registration.type != "random:index/randomPassword:RandomPassword":
            assert plain_occurrences(registration.raw_inputs, password) == [], registration.name
    assert plain_occurrences(dev.raw_outputs, password) == []
    assert dev.chart("grafana").depends_on(secret)


def test_jaeger_values(dev):
    assert chart_values(dev, "jaeger") == {
        "jaeger": {
            "podLabels": NOT_INJECTED,
            "resources": {"requests": {"cpu": "25m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
            "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
            },
            "extraVolumes": [{"name": "tmp", "emptyDir": {}}],
            "extraVolumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
    }


def test_kiali_values(dev):
    values = chart_values(dev, "kiali-server")
    assert values["auth"] == {"strategy": "anonymous"}  # dev: private, port-forward only
    assert values["deployment"]["pod_labels"] == NOT_INJECTED
    assert values["deployment"]["instance_name"] == "kiali"


@pytest.mark.parametrize("auth", ["anonymous", "token"])
def test_kiali_gets_a_stable_signing_key_under_every_strategy(run_stack, auth):
    # kiali-server v2.29.0 templates/configmap.yaml renders login_token.signing_key whatever the strategy,
    # randAlphaNum 32 when empty: without a key of its own, anonymous Kiali is replaced on every `up`.
    run = run_stack("dev", dashboards={"kiali": {"auth": auth}})
    values = chart_values(run, "kiali-server")
    assert values["auth"] == {"strategy": auth}
    assert values["login_token"] == {"signing_key": "secret:kiali-signing-key:key"}
    secret = run.one("kubernetes:core/v1:Secret", "kiali-signing-key")
    assert run.chart("kiali-server").depends_on(secret)
    password = run.one("random:index/randomPassword:RandomPassword", "kiali-signing-key")
    assert password.inputs["length"] in (16, 24, 32)


OPENID = {
    "kiali": {
        "auth": "openid",
        "openid": {"issuerUri": "https://idp.example", "clientId": "kiali", "clientSecret": "s3cr3t-oidc"},
    }
}


def test_kiali_openid_client_secret_must_be_a_pulumi_secret(run_stack):
    with pytest.raises(ProgramFailed) as failure:
        run_stack("dev", dashboards=OPENID)
    assert failure.value.registered == []
    assert isinstance(failure.value.error, SettingsError)
    assert failure.value.error.problems == [
        "dashboards.kiali.openid.clientSecret: stored in plain text; set it with "
        "`pulumi config set --secret --path dashboards.kiali.openid.clientSecret ...`"
    ]


def test_kiali_openid(run_stack):
    run = run_stack("dev", dashboards=OPENID, secret_keys=("dashboards",))
    assert chart_values(run, "kiali-server")["auth"] == {
        "strategy": "openid",
        "openid": {"client_id": "kiali", "issuer_uri": "https://idp.example"},
    }
    secret = run.one("kubernetes:core/v1:Secret", "kiali")
    assert secret.inputs["stringData"] == {"oidc-secret": "s3cr3t-oidc"}
    for registration in run.resources:
        assert plain_occurrences(registration.raw_inputs, "s3cr3t-oidc") == [], registration.name


def test_production_profile(run_stack):
    run = run_stack("dev", profile="production")
    server = chart_values(run, "prometheus")["server"]
    assert server["persistentVolume"] == {"enabled": True, "size": "50Gi"}
    assert (server["retention"], server["retentionSize"]) == ("15d", "45GB")
    assert server["resources"] == {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}}
    grafana = chart_values(run, "grafana")
    # No lookup of the bound volume's name: it would appear in the second render and replace the claim.
    assert grafana["persistence"] == {"enabled": True, "size": "10Gi", "lookupVolumeName": False}
    # One pod at a time on its ReadWriteOnce claim, and the same strategy type as dev's (the chart's RollingUpdate),
    # so that moving a live stack between the profiles is an update the API server accepts.
    assert grafana["deploymentStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
    }
    assert chart_values(run, "kiali-server")["deployment"]["resources"]["limits"] == {"memory": "1Gi"}


# --- order ----------------------------------------------------------------------------------------------


def test_dashboards_wait_only_for_their_namespace_and_kiali_for_istiod_and_prometheus(dev):
    namespace = dev.one("kubernetes:core/v1:Namespace", "istio-system")
    charts = [r for r in dev.of_type(CHART)]
    for name in ("prometheus", "grafana", "jaeger"):
        chart = dev.chart(name)
        assert chart.depends_on(namespace)
        assert [c.name for c in charts if chart.depends_on(c)] == [], name
    kiali = dev.chart("kiali-server")
    assert sorted(c.name for c in charts if kiali.depends_on(c)) == ["istio-istiod", "prometheus"]


# --- switches -------------------------------------------------------------------------------------------


def test_each_dashboard_can_be_turned_off(run_stack):
    run = run_stack("dev", dashboards={"grafana": {"enabled": False}, "kiali": {"enabled": False}})
    assert {"prometheus", "jaeger"} <= set(run.charts()) and not {"grafana", "kiali-server"} & set(run.charts())
    assert set(run.outputs["dashboards"]) == {"prometheus", "jaeger"}


def test_jaeger_off_turns_the_mesh_tracing_provider_off(run_stack):
    run = run_stack({"cloud": "local", "dashboards": {"jaeger": {"enabled": False}}})
    assert "extensionProviders" not in chart_values(run, "istiod")["meshConfig"]
    assert run.of_type("kubernetes:telemetry.istio.io/v1:Telemetry") == []


def test_jaeger_off_with_another_collector_keeps_tracing(run_stack):
    run = run_stack(
        {
            "cloud": "local",
            "dashboards": {"jaeger": {"enabled": False}},
            "mesh": {"tracing": {"zipkinAddress": "otel.obs:9411"}},
        }
    )
    assert chart_values(run, "istiod")["meshConfig"]["extensionProviders"][0]["zipkin"]["service"] == "otel.obs"


# --- private by default, exposure -----------------------------------------------------------------------


def test_private_by_default(dev):
    routes = dev.of_type("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    assert [r for r in routes if r.inputs["metadata"]["namespace"] == "istio-system"] == []
    assert dev.outputs["exposedDashboards"] == {}
    for chart in ("prometheus", "grafana", "jaeger", "kiali-server"):
        values = chart_values(dev, chart)
        assert "ingress" not in values and "LoadBalancer" not in str(values), chart
    assert dev.outputs["dashboards"] == {
        "kiali": "kubectl -n istio-system port-forward svc/kiali 20001:20001  # then open http://localhost:20001/kiali",
        "grafana": "kubectl -n istio-system port-forward svc/grafana 3000:3000  # then open http://localhost:3000/",
        "jaeger": "kubectl -n istio-system port-forward svc/jaeger 16686:16686  # then open http://localhost:16686/",
        "prometheus": "kubectl -n istio-system port-forward svc/prometheus-server 9090:9090  # then open http://localhost:9090/",
    }


def test_port_forward_commands_name_the_context(run_stack):
    run = run_stack("dev", kubernetes={"context": "kind-mesh"})
    assert run.outputs["dashboards"]["kiali"].startswith("kubectl --context kind-mesh -n istio-system")


def test_exposure_publishes_kiali_and_grafana_over_https(run_stack):
    run = run_stack({**EXPOSED, "dashboards": {"expose": {"enabled": True}, "kiali": {"auth": "token"}}})
    routes = {r.inputs["metadata"]["name"]: r for r in run.of_type("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")}
    assert set(routes) == {"kiali", "grafana", "https-redirect"}
    kiali = routes["kiali"].inputs["spec"]
    assert kiali["hostnames"] == ["kiali.mesh.example.com"]
    assert kiali["parentRefs"] == [{"name": "mesh-gateway", "namespace": "istio-ingress", "sectionName": "https"}]
    assert kiali["rules"] == [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [{"name": "kiali", "port": 20001}]}
    ]
    assert routes["grafana"].inputs["spec"]["rules"][0]["backendRefs"] == [{"name": "grafana", "port": 3000}]
    gateway = run.one("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    for route in routes.values():
        assert route.depends_on(gateway)
    grafana = chart_values(run, "grafana")
    assert grafana["grafana.ini"] == {
        "auth.anonymous": {"enabled": False},
        "server": {"root_url": "https://grafana.mesh.example.com/"},
    }
    assert (
        chart_values(run, "kiali-server")["external_services"]["grafana"]["external_url"]
        == "https://grafana.mesh.example.com/"
    )
    assert run.outputs["exposedDashboards"] == {
        "kiali": "https://kiali.mesh.example.com/kiali",
        "grafana": "https://grafana.mesh.example.com/",
    }


def test_prometheus_and_jaeger_are_never_exposed(run_stack):
    run = run_stack({**EXPOSED, "dashboards": {"expose": {"enabled": True}, "kiali": {"auth": "token"}}})
    hosts = [
        h
        for r in run.of_type("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
        for h in r.inputs["spec"].get("hostnames", [])
    ]
    assert not [h for h in hosts if "jaeger" in h or "prometheus" in h]


BAD_INPUTS = [
    (
        "the old profile key",
        {"dashboards": {"profile": "production"}},
        "dashboards.profile",
        "moved to the top-level key `profile`",
    ),
    (
        "exposure without a domain",
        {"tls": {"mode": "secret", "secret": "c"}, "dashboards": {"expose": {"enabled": True}}},
        "dashboards.expose",
        "needs dns.domain",
    ),
    (
        "exposure without TLS",
        {
            "dns": {"domain": "mesh.example.com"},
            "tls": {"mode": "off"},
            "dashboards": {"expose": {"enabled": True}, "kiali": {"auth": "token"}},
        },
        "dashboards.expose",
        "HTTPS only",
    ),
    (
        "anonymous exposure",
        {**EXPOSED, "dashboards": {"expose": {"enabled": True}, "kiali": {"auth": "anonymous"}}},
        "dashboards.kiali.auth",
        "anonymous Kiali cannot be exposed",
    ),
    (
        "kiali without prometheus",
        {"dashboards": {"prometheus": {"enabled": False}}},
        "dashboards.kiali.enabled",
        "enable dashboards.prometheus",
    ),
    (
        "sampling with jaeger off",
        {"dashboards": {"jaeger": {"enabled": False}}, "mesh": {"tracing": {"sampling": 10}}},
        "mesh.tracing.sampling",
        "tracing is off without Jaeger",
    ),
    (
        "openid without settings",
        {"dashboards": {"kiali": {"auth": "openid"}}},
        "dashboards.kiali.openid",
        "required with auth openid",
    ),
    (
        "unknown kiali auth",
        {"dashboards": {"kiali": {"auth": "header"}}},
        "dashboards.kiali.auth",
        "'token', 'openid' or 'anonymous'",
    ),
    (
        "exposed host outside the domain",
        {
            **EXPOSED,
            "dashboards": {"expose": {"enabled": True, "kialiHost": "kiali.other.org"}, "kiali": {"auth": "token"}},
        },
        "dashboards.expose.kialiHost",
        "outside dns.domain",
    ),
    ("typo", {"dashboards": {"grafanna": {"enabled": False}}}, "dashboards.grafanna", "did you mean 'grafana'"),
]


@pytest.mark.parametrize(("case", "config", "key", "words"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_dashboard_input_is_refused_before_any_resource(run_stack, case, config, key, words):
    with pytest.raises(ProgramFailed) as failure:
        run_stack({"cloud": "local", **config})
    assert failure.value.registered == []
    assert isinstance(failure.value.error, SettingsError)
    matching = [p for p in failure.value.error.problems if p.startswith(f"{key}: ")]
    assert matching and words in matching[0], failure.value.error.problems
