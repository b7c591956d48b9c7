"""The edges of the routing rules: look-alike domains, the ingress gateway's own ports, path prefixes the
HTTPRoute CRD refuses, retries turned off, the documented failure-handling defaults, and the Gateway's
listeners against the ports the ingress Service really has."""

from __future__ import annotations

import pytest

from settings.loader import SettingsError, load_settings
from tests.harness import ProgramFailed
from tests.test_dns import AWS, GCP, merged
from tests.test_routes import DESTINATION_RULE, GATEWAY, VIRTUAL_SERVICE, route, with_routes

SHOP = {"name": "shop", "namespace": "shop"}
TCP = {"gatewayApi": {"channel": "experimental", "tcpRoutes": True}}


def problems_of(config: dict, run_stack) -> list[str]:
    with pytest.raises(ProgramFailed) as failure:
        run_stack(config)
    assert isinstance(failure.value.error, SettingsError), failure.value.error
    return failure.value.error.problems


# --- look-alike domains: "inside mesh.example.com" means a dot before it -----------------------------------

NEAR_MISSES = [
    (
        "route hostname",
        with_routes({**SHOP, "hostname": "shop.evilmesh.example.com"}),
        "routes[0].hostname",
        "shop.evilmesh.example.com is outside dns.domain mesh.example.com",
    ),
    (
        "route hostname glued to the domain",
        with_routes({**SHOP, "hostname": "shopmesh.example.com"}),
        "routes[0].hostname",
        "outside dns.domain",
    ),
    (
        "exposed kiali host",
        {
            "cloud": "local",
            "dns": {"domain": "mesh.example.com"},
            "tls": {"mode": "secret", "secret": "c"},
            "dashboards": {"expose": {"enabled": True, "kialiHost": "kiali.evilmesh.example.com"}},
        },
        "dashboards.expose.kialiHost",
        "outside dns.domain",
    ),
    (
        "aws domain next to the zone name",
        merged(AWS, dns={"domain": "mesh.badexample.com"}),
        "dns.domain",
        "not inside the zone example.com",
    ),
]


@pytest.mark.parametrize(("case", "config", "key", "words"), NEAR_MISSES, ids=[case[0] for case in NEAR_MISSES])
def test_a_look_alike_domain_is_refused(run_stack, case, config, key, words):
    with pytest.raises(ProgramFailed) as failure:
        run_stack(config)
    assert failure.value.registered == []
    assert isinstance(failure.value.error, SettingsError)
    matching = [p for p in failure.value.error.problems if p.startswith(f"{key}: ")]
    assert matching and words in matching[0], failure.value.error.problems


def test_a_looked_up_zone_next_to_the_domain_is_refused(run_stack):
    # Cloud DNS zone example-com is example.com.: mesh.badexample.com only ends with its letters.
    with pytest.raises(ProgramFailed) as failure:
        run_stack(merged(GCP, dns={"domain": "mesh.badexample.com"}))
    assert isinstance(failure.value.error, SettingsError)
    assert failure.value.error.problems == ["dns.domain: mesh.badexample.com is not inside the zone example.com"]
    assert [r.type for r in failure.value.registered if not r.type.startswith("pulumi:providers:")] == []


@pytest.mark.parametrize("hostname", ["shop.mesh.example.com", "a.b.mesh.example.com"])
def test_names_below_the_domain_are_accepted(hostname):
    # tls off: with a certificate cert-manager issues (*.<domain>), a name two labels down is refused (test_tls.py)
    settings = load_settings(
        {
            "dns": {"domain": "mesh.example.com"},
            "tls": {"mode": "off"},
            "mesh": {"injectedNamespaces": ["shop"]},
            "routes": [{**SHOP, "hostname": hostname}],
        }
    )
    assert settings.hostname(settings.routes[0]) == hostname


# --- tcp listener ports: never one the ingress gateway uses itself ----------------------------------------

# Istio 1.30.3's own ports on a gateway pod (see RESERVED_INGRESS_PORTS in settings/ingress.py for where each is
# read) and the shared Gateway's http/https listeners.
GATEWAY_OWN_PORTS = [80, 443, 15000, 15001, 15002, 15003, 15004, 15006, 15008, 15020, 15021, 15053, 15090]


@pytest.mark.parametrize("port", GATEWAY_OWN_PORTS)
def test_a_tcp_route_cannot_take_a_port_of_the_gateway(port):
    # The settings are read before any resource (tests/test_routes.py runs port 443 through the whole program).
    with pytest.raises(SettingsError) as failure:
        load_settings(with_routes({**SHOP, "kind": "tcp", "listenerPort": port}, **TCP))
    problems = failure.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"routes[0].listenerPort: {port} is already taken on the ingress gateway ("), (
        problems[0]
    )
    assert "accepted: any other port" in problems[0]


def test_two_tcp_routes_cannot_share_a_port(run_stack):
    problems = problems_of(
        with_routes(
            {**SHOP, "kind": "tcp", "listenerPort": 5432},
            {"name": "db2", "namespace": "shop", "kind": "tcp", "listenerPort": 5432},
            **TCP,
        ),
        run_stack,
    )
    assert problems == ["routes[1].listenerPort: 5432 is already taken on the ingress gateway (another tcp route)"]


@pytest.mark.parametrize("port", [5432, 14999, 15005, 15007, 15054, 15091])
def test_other_tcp_ports_are_accepted(port):
    settings = load_settings(
        {
            "dns": {"domain": "mesh.example.com"},
            "mesh": {"injectedNamespaces": ["shop"]},
            "routes": [{**SHOP, "kind": "tcp", "listenerPort": port}],
            **TCP,
        }
    )
    assert settings.routes[0].listener_port == port


# --- path prefixes: the HTTPRoute CRD's rules (gateway-api v1.5.1 httproutes.yaml) --------------------------

BAD_PATHS = [
    "api",
    "",
    "//api",
    "/api//v1",
    "/api/./v1",
    "/api/../v1",
    "/api/%2fv1",
    "/api/%2Fv1",
    "/api#top",
    "/api/..",
    "/api/.",
    "/api v1",
    "/api?x=1",
    "/" + "a" * 1024,
]
GOOD_PATHS = ["/", "/api", "/api/v1/", "/a.b", "/api/...", "/~user", "/caf%C3%A9", "/" + "a" * 1023]


@pytest.mark.parametrize("path", BAD_PATHS, ids=[p[:20] or "empty" for p in BAD_PATHS])
def test_a_bad_path_prefix_is_refused(path):
    with pytest.raises(SettingsError) as failure:
        load_settings(
            {
                "dns": {"domain": "mesh.example.com"},
                "mesh": {"injectedNamespaces": ["shop"]},
                "routes": [{**SHOP, "pathPrefix": path}],
            }
        )
    [problem] = failure.value.problems
    assert problem.startswith("routes[0].pathPrefix: ") and "is not a path prefix (starts with /" in problem, problem


@pytest.mark.parametrize("path", GOOD_PATHS, ids=[p[:20] for p in GOOD_PATHS])
def test_a_good_path_prefix_is_accepted(path):
    settings = load_settings(
        {
            "dns": {"domain": "mesh.example.com"},
            "mesh": {"injectedNamespaces": ["shop"]},
            "routes": [{**SHOP, "pathPrefix": path}],
        }
    )
    assert settings.routes[0].path == path


# --- retries off, and the documented failure-handling defaults ---------------------------------------------


def test_zero_attempts_means_no_retry_conditions(run_stack):
    # Istio reads attempts 0 as "no retries": retryOn beside it would be a contradiction.
    run = run_stack(with_routes({**SHOP, "kind": "istio", "retries": {"attempts": 0, "conditions": ["5xx", "503"]}}))
    assert route(run, VIRTUAL_SERVICE, "shop").inputs["spec"]["http"][0]["retries"] == {"attempts": 0}


def test_retry_conditions_with_attempts(run_stack):
    run = run_stack(with_routes({**SHOP, "kind": "istio", "retries": {"attempts": 1, "conditions": ["503"]}}))
    assert route(run, VIRTUAL_SERVICE, "shop").inputs["spec"]["http"][0]["retries"] == {"attempts": 1, "retryOn": "503"}


def test_outlier_detection_defaults_reach_the_destination_rule(run_stack):
    run = run_stack(with_routes({**SHOP, "destination": {"outlierDetection": {}}}))
    assert route(run, DESTINATION_RULE, "shop").inputs["spec"] == {
        "host": "shop.shop.svc.cluster.local",
        "trafficPolicy": {
            "outlierDetection": {
                "consecutive5xxErrors": 5,
                "interval": "10s",
                "baseEjectionTime": "30s",
                "maxEjectionPercent": 50,
            }
        },
    }


# --- the Gateway's listeners are ports of the ingress Service ---------------------------------------------

# The gateway chart's default Service ports (istio/istio 1.30.3 manifests/charts/gateway/values.yaml
# service.ports): used as they are when the program gives none.
CHART_DEFAULT_PORTS = {("status-port", 15021), ("http2", 80), ("https", 443)}


def test_gateway_listeners_are_ports_of_the_ingress_service(run_stack):
    run = run_stack(
        with_routes(
            {**SHOP, "kind": "tcp", "listenerPort": 5432},
            {"name": "cache", "namespace": "shop", "kind": "tcp", "listenerPort": 6379},
            tls={"mode": "secret", "secret": "cert"},
            **TCP,
        )
    )
    listeners = {listener["port"] for listener in run.one(GATEWAY).inputs["spec"]["listeners"]}
    service_ports = run.chart("gateway").inputs["values"]["service"]["ports"]
    assert listeners == {80, 443, 5432, 6379}
    assert {p["port"] for p in service_ports} == listeners | {15021}
    for port in service_ports:
        assert port["targetPort"] == port["port"], port
    # the chart's own ports are kept as the chart names them
    assert {(p["name"], p["port"]) for p in service_ports} >= CHART_DEFAULT_PORTS


def test_without_tcp_routes_the_listeners_are_the_charts_default_ports(run_stack):
    run = run_stack(with_routes(SHOP, tls={"mode": "secret", "secret": "cert"}))
    listeners = {listener["port"] for listener in run.one(GATEWAY).inputs["spec"]["listeners"]}
    assert "ports" not in run.chart("gateway").inputs["values"]["service"]
    assert listeners == {80, 443}
    assert listeners <= {port for _, port in CHART_DEFAULT_PORTS}
