"""Settings are parsed at the edge: every bad input fails with the key, what is wrong and what is accepted,
and nothing is registered."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from settings.loader import SettingsError, load_settings
from tests.harness import assert_refused

# (config, the key named in the error, words the message must contain)
BAD_INPUTS = [
    ({"cloud": "azure"}, "cloud", ["'local', 'gcp' or 'aws'", "azure"]),
    ({"clod": "gcp"}, "clod", ["unknown key", "did you mean 'cloud'"]),
    ({"istio": {"verison": "1.30.3"}}, "istio.verison", ["unknown key", "did you mean 'version'"]),
    ({"mesh": {"tracing": {"samplng": 5}}}, "mesh.tracing.samplng", ["did you mean 'sampling'"]),
    ({"istio": {"version": "latest"}}, "istio.version", ["not an Istio version", "MAJOR.MINOR.PATCH"]),
    ({"istio": {"version": 1.3}}, "istio.version", ["valid string"]),
    ({"istio": {"version": "1.30.2"}}, "istio.version", ["validationFailurePolicy", "1.30.3+"]),
    ({"istio": {"version": "1.29.5"}}, "istio.version", ["1.29.6+"]),
    ({"istio": {"version": "1.28.9"}}, "istio.version", ["1.28.10+"]),
    ({"istio": {"version": "1.27.4"}}, "istio.version", ["accepted"]),
    ({"gatewayApi": {"version": "1.5.1"}}, "gatewayApi.version", ["vMAJOR.MINOR.PATCH"]),
    ({"gatewayApi": {"version": "v1.1.0"}}, "gatewayApi.version", ["older than v1.5.0", "admission policy"]),
    ({"gatewayApi": {"version": "v1.4.1"}}, "gatewayApi.version", ["v1.5.0 or newer"]),
    ({"gatewayApi": {"channel": "beta"}}, "gatewayApi.channel", ["'standard' or 'experimental'"]),
    ({"mesh": {"mtls": "strict"}}, "mesh.mtls", ["'STRICT' or 'PERMISSIVE'"]),
    ({"mesh": {"mtls": "DISABLE"}}, "mesh.mtls", ["'STRICT' or 'PERMISSIVE'"]),
    ({"mesh": {"tracing": {"sampling": 101}}}, "mesh.tracing.sampling", ["less than or equal to 100"]),
    ({"mesh": {"tracing": {"sampling": -1}}}, "mesh.tracing.sampling", ["greater than or equal to 0"]),
    ({"mesh": {"tracing": {"zipkinAddress": "jaeger"}}}, "mesh.tracing", ["not host:port"]),
    ({"mesh": {"injectedNamespaces": ["Apps"]}}, "mesh.injectedNamespaces[0]", ["DNS-1123 label"]),
    ({"mesh": {"injectedNamespaces": ["a" * 64]}}, "mesh.injectedNamespaces[0]", ["at most 63"]),
    ({"mesh": {"injectedNamespaces": ["apps", "apps"]}}, "mesh.injectedNamespaces", ["listed twice"]),
    ({"mesh": {"injectedNamespaces": ["istio-system"]}}, "mesh.injectedNamespaces", ["Istio control plane"]),
    ({"ingress": {"namespace": "Ingress_NS"}}, "ingress.namespace", ["DNS-1123 label"]),
    (
        {"ingress": {"serviceType": "ExternalName"}},
        "ingress.serviceType",
        ["'LoadBalancer', 'NodePort' or 'ClusterIP'"],
    ),
    (
        {"gatewayApi": {"version": "v1.5.1", "channel": "experimental", "tcpRoutes": True}},
        "gatewayApi.tcpRoutes",
        ["Istio 1.31.4 reads TCPRoute only as v1", "v1.6.0 or newer", "v1.5.1"],
    ),
    (
        {"istio": {"version": "1.30.3", "allowUnsupported": True}, "gatewayApi": {"tcpRoutes": True}},
        "gatewayApi.tcpRoutes",
        ["Istio 1.30.3 reads TCPRoute only as v1alpha2", "standard channel of v1.6.1"],
    ),
    (
        {
            "cloud": "gcp",
            "gcp": {"project": "gke-project"},
            "dns": {"domain": "mesh.example.com", "zone": {"name": "example-com"}},
            "tls": {"email": "ops@example.com"},
            "gatewayApi": {"install": False, "channel": "experimental"},
        },
        "gatewayApi.channel",
        ["GKE's", "standard channel only", "gatewayApi.install true"],
    ),
    ({"kubernetes": {"contxt": "kind"}}, "kubernetes.contxt", ["did you mean 'context'"]),
]


@pytest.mark.parametrize(
    ("config", "key", "words"), BAD_INPUTS, ids=[case[1] + ":" + str(i) for i, case in enumerate(BAD_INPUTS)]
)
def test_bad_input_is_refused_before_any_resource(run_stack, config, key, words):
    assert_refused(lambda: run_stack({"cloud": "local", **config}), key, words)


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsError) as failure:
        load_settings(
            {
                "cloud": "azure",
                "istio": {"version": "1.0.0"},
                "gatewayApi": {"chanel": "standard"},
                "mesh": {"tracing": {"sampling": 500}},
            }
        )
    keys = sorted(problem.split(":")[0] for problem in failure.value.problems)
    assert keys == ["cloud", "gatewayApi.chanel", "istio.version", "mesh.tracing.sampling"]


def test_unknown_key_lists_what_is_accepted():
    with pytest.raises(SettingsError) as failure:
        load_settings({"gatewayApi": {"retain": False}})
    assert "accepted: version, channel, install, retainOnDelete, tcpRoutes" in failure.value.problems[0]


def test_snake_case_keys_are_typos_too():
    with pytest.raises(SettingsError) as failure:
        load_settings({"istio": {"access_logs": False}})
    assert "did you mean 'accessLogs'" in failure.value.problems[0]


def test_objects_arrive_from_pulumi_as_json_strings():
    settings = load_settings({"cloud": "local", "mesh": '{"mtls": "PERMISSIVE", "injectedNamespaces": ["a"]}'})
    assert settings.mesh.mtls == "PERMISSIVE"
    assert settings.mesh.injected_namespaces == ("a",)


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("", "cloud", "gcp"),
        ("mesh", "mtls", "PERMISSIVE"),
        ("mesh.tracing", "sampling", 50.0),
        ("dashboards.kiali", "auth", "anonymous"),
    ],
)
def test_settings_are_frozen(section, field, value):
    settings = load_settings({})
    target = settings
    for name in filter(None, section.split(".")):
        target = getattr(target, name)
    with pytest.raises(ValidationError) as failure:
        setattr(target, field, value)
    assert [(e["type"], e["loc"], e["msg"]) for e in failure.value.errors()] == [
        ("frozen_instance", (field,), "Instance is frozen")
    ]
    assert getattr(target, field) != value


@pytest.mark.parametrize("version", ["1.28.10", "1.29.6", "1.30.3", "1.30.4", "1.31.0"])
def test_istio_versions_with_the_failure_policy_are_accepted(version):
    # Out-of-support minors (settings/support.py) need the acknowledgment; the failure-policy rule is the one here.
    assert load_settings({"istio": {"version": version, "allowUnsupported": True}}).istio.version == version


@pytest.mark.parametrize(
    "config",
    [
        {"gatewayApi": {"tcpRoutes": True}},  # Istio 1.31.4 and v1.6.1 standard: TCPRoute v1
        {"gatewayApi": {"channel": "experimental", "tcpRoutes": True}},
        {
            "istio": {"version": "1.30.3", "allowUnsupported": True},
            "gatewayApi": {"channel": "experimental", "tcpRoutes": True},
        },
        {
            "istio": {
                "revisions": [{"name": "a", "version": "1.30.3"}, {"name": "b", "version": "1.31.4"}],
                "defaultRevision": "a",
            },
            "gatewayApi": {"channel": "experimental", "tcpRoutes": True},
        },
    ],
)
def test_tcp_routes_where_every_istio_revision_reads_them(config):
    assert load_settings(config).gateway_api.tcp_routes


def test_tcp_routes_through_a_canary_need_a_bundle_both_revisions_read():
    two = {
        "revisions": [{"name": "a", "version": "1.30.3"}, {"name": "b", "version": "1.31.4"}],
        "defaultRevision": "a",
    }
    with pytest.raises(SettingsError) as standard:
        load_settings({"istio": two, "gatewayApi": {"tcpRoutes": True}})
    assert standard.value.problems == [
        "gatewayApi.tcpRoutes: Istio 1.30.3 reads TCPRoute only as v1alpha2, which the standard channel of v1.6.1 "
        "does not serve; accepted: Istio 1.31+ with Gateway API v1.6.0+ (either channel), Istio 1.30 and older with "
        "the experimental channel; or set tcpRoutes to false"
    ]
    with pytest.raises(SettingsError) as old_bundle:
        load_settings({"istio": two, "gatewayApi": {"version": "v1.5.1", "channel": "experimental", "tcpRoutes": True}})
    assert [p.split(";")[0] for p in old_bundle.value.problems] == [
        "gatewayApi.tcpRoutes: Istio 1.31.4 reads TCPRoute only as v1, from a Gateway API bundle of v1.6.0 or newer "
        "(it ignores the TCPRoute CRD of v1.5.1)"
    ]


def test_config_and_secret_keys_from_the_pulumi_cli_environment(monkeypatch):
    from pulumi.runtime.config import set_all_config

    from settings.loader import load_from_pulumi_config

    dashboards = json.dumps(
        {
            "kiali": {
                "auth": "openid",
                "openid": {"issuerUri": "https://idp.example", "clientId": "k", "clientSecret": "s"},
            }
        }
    )
    set_all_config({}, [])
    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps({"service-mesh:cloud": "local", "service-mesh:dashboards": dashboards, "other:key": "x"}),
    )
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["service-mesh:dashboards"]))
    openid = load_from_pulumi_config("service-mesh").dashboards.kiali.openid
    assert openid is not None
    assert openid.client_id == "k"
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", "[]")
    with pytest.raises(SettingsError, match="clientSecret: stored in plain text"):
        load_from_pulumi_config("service-mesh")


GKE = {
    "cloud": "gcp",
    "gcp": {"project": "gke-project"},
    "dns": {"domain": "mesh.example.com", "zone": {"name": "example-com"}},
    "tls": {"email": "ops@example.com"},
}


@pytest.mark.parametrize(
    "config",
    [
        {**GKE, "gatewayApi": {"install": False, "channel": "standard"}},  # GKE's own CRDs, as Pulumi.gcp.yaml
        {**GKE, "gatewayApi": {"install": True, "channel": "experimental"}},  # CRDs the stack installs
        {"gatewayApi": {"install": False, "channel": "experimental"}},  # not GKE: someone else's experimental CRDs
    ],
)
def test_near_misses_of_the_platform_rule_are_accepted(config):
    assert load_settings(config).gateway_api.channel == config["gatewayApi"]["channel"]
