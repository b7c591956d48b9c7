"""Publishing applications: the shared Gateway, each kind of route field by field, failure handling, the
demo, DNS names inside external-dns' domain filter, the edges, and the bad inputs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from definitions.durations import milliseconds, protobuf
from settings.loader import SettingsError
from tests.harness import ProgramFailed

HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService"
ISTIO_GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
DESTINATION_RULE = "kubernetes:networking.istio.io/v1:DestinationRule"
TCP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:TCPRoute"
TCP_ROUTE_V1ALPHA2 = "kubernetes:gateway.networking.k8s.io/v1alpha2:TCPRoute"

BASE: dict[str, Any] = {
    "cloud": "local",
    "dns": {"domain": "mesh.example.com"},
    "mesh": {"injectedNamespaces": ["shop"]},
}


def with_routes(*routes, **sections) -> dict:
    config = copy.deepcopy(BASE)
    config["routes"] = list(routes)
    for key, value in sections.items():
        config[key] = {**config.get(key, {}), **value}
    return config


def route(run, type_: str, name: str):
    found = [r for r in run.of_type(type_) if r.inputs["metadata"]["name"] == name]
    assert len(found) == 1, [r.name for r in run.of_type(type_)]
    return found[0]


# --- the shared Gateway ---------------------------------------------------------------------------------


def test_shared_gateway_binds_to_the_mesh_ingress_gateway(run_stack):
    run = run_stack(with_routes(tls={"mode": "off"}))
    gateway = run.one(GATEWAY).inputs
    assert gateway["metadata"] == {"name": "mesh-gateway", "namespace": "istio-ingress"}
    assert gateway["spec"] == {
        "gatewayClassName": "istio",
        "addresses": [{"type": "Hostname", "value": "istio-ingressgateway.istio-ingress.svc.cluster.local"}],
        "listeners": [
            {
                "name": "http",
                "port": 80,
                "protocol": "HTTP",
                "hostname": "*.mesh.example.com",
                "allowedRoutes": {"namespaces": {"from": "All"}},
            }
        ],
    }
    # exactly one ingress data path: no second gateway deployment, one Service of type LoadBalancer/NodePort
    assert [c for c in run.charts() if c == "gateway"] == ["gateway"]


def test_shared_gateway_https_listener_with_a_certificate(run_stack):
    run = run_stack(with_routes(tls={"mode": "secret", "secret": "wildcard-cert"}))
    listeners = run.one(GATEWAY).inputs["spec"]["listeners"]
    assert listeners[1] == {
        "name": "https",
        "port": 443,
        "protocol": "HTTPS",
        "hostname": "*.mesh.example.com",
        "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "wildcard-cert"}]},
        "allowedRoutes": {"namespaces": {"from": "All"}},
    }


def test_shared_gateway_waits_for_crds_istiod_and_the_ingress_gateway(run_stack):
    run = run_stack(with_routes())
    gateway = run.one(GATEWAY)
    for dependency in (run.one("kubernetes:yaml/v2:ConfigFile"), run.chart("istiod"), run.chart("gateway")):
        assert gateway.depends_on(dependency), dependency.name


def test_no_gateway_without_a_domain(run_stack):
    run = run_stack({"cloud": "local"})
    assert run.of_type(GATEWAY) == []


# --- kind http: HTTPRoute -------------------------------------------------------------------------------


def test_three_lines_publish_a_service(run_stack):
    run = run_stack(with_routes({"name": "shop", "namespace": "shop", "port": 8080}, tls={"mode": "off"}))
    spec = route(run, HTTP_ROUTE, "shop").inputs
    assert spec["metadata"] == {"name": "shop", "namespace": "shop"}
    assert spec["spec"] == {
        "parentRefs": [{"name": "mesh-gateway", "namespace": "istio-ingress"}],
        "hostnames": ["shop.mesh.example.com"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [{"name": "shop", "port": 8080}],
            }
        ],
    }
    assert run.outputs["routes"] == {"shop": "http://shop.mesh.example.com/"}


def test_http_route_with_timeout_path_and_service(run_stack):
    run = run_stack(
        with_routes(
            {
                "name": "api",
                "namespace": "shop",
                "service": "api-v2",
                "port": 9000,
                "pathPrefix": "/api",
                "timeout": "15s",
                "hostname": "shop.mesh.example.com",
            }
        )
    )
    rule = route(run, HTTP_ROUTE, "api").inputs["spec"]["rules"][0]
    assert rule == {
        "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
        "backendRefs": [{"name": "api-v2", "port": 9000}],
        "timeouts": {"request": "15s"},
    }


def test_http_route_retries_on_the_experimental_channel(run_stack):
    run = run_stack(
        with_routes(
            {
                "name": "shop",
                "namespace": "shop",
                "timeout": "10s",
                "retries": {"attempts": 3, "perTryTimeout": "2s", "conditions": ["503", "504"]},
            },
            gatewayApi={"channel": "experimental"},
        )
    )
    rule = route(run, HTTP_ROUTE, "shop").inputs["spec"]["rules"][0]
    assert rule["retry"] == {"attempts": 3, "codes": [503, 504]}
    assert rule["timeouts"] == {"request": "10s", "backendRequest": "2s"}


def test_https_urls_with_a_certificate(run_stack):
    run = run_stack(with_routes({"name": "shop", "namespace": "shop"}, tls={"mode": "secret", "secret": "cert"}))
    assert run.outputs["routes"] == {"shop": "https://shop.mesh.example.com/"}
    # the https listener only: the http listener answers with the redirect (tests/test_tls.py)
    assert route(run, HTTP_ROUTE, "shop").inputs["spec"]["parentRefs"] == [
        {"name": "mesh-gateway", "namespace": "istio-ingress", "sectionName": "https"}
    ]


# --- kind istio: Gateway + VirtualService ---------------------------------------------------------------


def test_istio_route(run_stack):
    run = run_stack(
        with_routes(
            {
                "name": "shop",
                "namespace": "shop",
                "kind": "istio",
                "port": 8080,
                "timeout": "10s",
                "retries": {"attempts": 3, "perTryTimeout": "1500ms", "conditions": ["5xx", "connect-failure"]},
            },
            tls={"mode": "secret", "secret": "cert"},
        )
    )
    gateway = run.one(ISTIO_GATEWAY).inputs
    assert gateway["metadata"] == {"name": "mesh-istio-gateway", "namespace": "istio-ingress"}
    assert gateway["spec"] == {
        "selector": {"istio": "ingressgateway"},
        "servers": [
            {
                "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                "hosts": ["shop.mesh.example.com"],
                "tls": {"httpsRedirect": True},
            },
            {
                "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                "hosts": ["shop.mesh.example.com"],
                "tls": {"mode": "SIMPLE", "credentialName": "cert"},
            },
        ],
    }
    service = route(run, VIRTUAL_SERVICE, "shop").inputs
    assert service["metadata"] == {"name": "shop", "namespace": "shop"}
    assert service["spec"] == {
        "hosts": ["shop.mesh.example.com"],
        "gateways": ["istio-ingress/mesh-istio-gateway"],
        "http": [
            {
                "match": [{"uri": {"prefix": "/"}}],
                "route": [{"destination": {"host": "shop.shop.svc.cluster.local", "port": {"number": 8080}}}],
                "timeout": "10s",
                "retries": {"attempts": 3, "perTryTimeout": "1.5s", "retryOn": "5xx,connect-failure"},
            }
        ],
    }
    assert route(run, VIRTUAL_SERVICE, "shop").depends_on(run.one(ISTIO_GATEWAY))
    assert run.of_type(HTTP_ROUTE) == []


def test_istio_retries_work_on_the_standard_channel(run_stack):
    run = run_stack(with_routes({"name": "shop", "namespace": "shop", "kind": "istio", "retries": {"attempts": 2}}))
    assert route(run, VIRTUAL_SERVICE, "shop").inputs["spec"]["http"][0]["retries"] == {"attempts": 2}


def test_no_istio_gateway_without_istio_routes(run_stack):
    assert run_stack(with_routes({"name": "shop", "namespace": "shop"})).of_type(ISTIO_GATEWAY) == []


# --- kind tcp -------------------------------------------------------------------------------------------


TCP_DB = {"name": "db", "namespace": "shop", "kind": "tcp", "service": "postgres", "port": 5432, "listenerPort": 5432}


def test_a_tcp_route_is_v1alpha2_where_the_bundle_serves_no_v1(run_stack):
    """Gateway API v1.5 serves TCPRoute only at v1alpha2 (experimental); Istio 1.30 reads it there."""
    run = run_stack(
        with_routes(
            TCP_DB,
            istio={"version": "1.30.3", "allowUnsupported": True},
            gatewayApi={"version": "v1.5.1", "channel": "experimental", "tcpRoutes": True},
        )
    )
    assert route(run, TCP_ROUTE_V1ALPHA2, "db").inputs["apiVersion"] == "gateway.networking.k8s.io/v1alpha2"


def test_tcp_route(run_stack):
    run = run_stack(with_routes(TCP_DB, gatewayApi={"channel": "experimental", "tcpRoutes": True}))
    tcp = route(run, TCP_ROUTE, "db").inputs
    # v1 from Gateway API v1.6 (both channels serve it), which Istio 1.31 reads.
    assert tcp["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert tcp["metadata"]["annotations"] == {"external-dns.alpha.kubernetes.io/hostname": "db.mesh.example.com"}
    assert tcp["spec"] == {
        "parentRefs": [{"name": "mesh-gateway", "namespace": "istio-ingress", "sectionName": "tcp-5432"}],
        "rules": [{"backendRefs": [{"name": "postgres", "port": 5432}]}],
    }
    listeners = run.one(GATEWAY).inputs["spec"]["listeners"]
    assert listeners[-1] == {
        "name": "tcp-5432",
        "port": 5432,
        "protocol": "TCP",
        "allowedRoutes": {"namespaces": {"from": "All"}, "kinds": [{"kind": "TCPRoute"}]},
    }
    ports = run.chart("gateway").inputs["values"]["service"]["ports"]
    assert [(p["name"], p["port"], p["targetPort"]) for p in ports] == [
        ("status-port", 15021, 15021),
        ("http2", 80, 80),
        ("https", 443, 443),
        ("tcp-5432", 5432, 5432),
    ]
    assert run.outputs["routes"] == {"db": "tcp://db.mesh.example.com:5432"}


# --- failure handling -----------------------------------------------------------------------------------


def test_destination_rule_for_outlier_detection_and_connection_limits(run_stack):
    run = run_stack(
        with_routes(
            {
                "name": "shop",
                "namespace": "shop",
                "destination": {
                    "outlierDetection": {
                        "consecutive5xxErrors": 3,
                        "interval": "5s",
                        "baseEjectionTime": "1m",
                        "maxEjectionPercent": 30,
                    },
                    "connectionPool": {
                        "maxConnections": 100,
                        "http1MaxPendingRequests": 10,
                        "maxRequestsPerConnection": 5,
                    },
                },
            }
        )
    )
    rule = route(run, DESTINATION_RULE, "shop").inputs
    assert rule["metadata"] == {"name": "shop", "namespace": "shop"}
    assert rule["spec"] == {
        "host": "shop.shop.svc.cluster.local",
        "trafficPolicy": {
            "connectionPool": {
                "tcp": {"maxConnections": 100},
                "http": {"http1MaxPendingRequests": 10, "maxRequestsPerConnection": 5},
            },
            "outlierDetection": {
                "consecutive5xxErrors": 3,
                "interval": "5s",
                "baseEjectionTime": "60s",
                "maxEjectionPercent": 30,
            },
        },
    }
    assert "tls" not in rule["spec"]["trafficPolicy"]  # auto mTLS stays on


def test_no_destination_rule_by_default(run_stack):
    assert run_stack(with_routes({"name": "shop", "namespace": "shop"})).of_type(DESTINATION_RULE) == []


# --- edges ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "type_"), [("http", HTTP_ROUTE), ("istio", VIRTUAL_SERVICE)])
def test_routes_wait_for_crds_istiod_the_gateway_and_their_namespace(run_stack, kind, type_):
    run = run_stack(
        with_routes({"name": "shop", "namespace": "shop", "kind": kind, "destination": {"outlierDetection": {}}})
    )
    for obj in (route(run, type_, "shop"), route(run, DESTINATION_RULE, "shop")):
        assert obj.depends_on(run.one("kubernetes:yaml/v2:ConfigFile"))
        assert obj.depends_on(run.chart("istiod"))
        assert obj.depends_on(run.one(GATEWAY))
        assert obj.depends_on(run.one("kubernetes:core/v1:Namespace", "shop"))


# --- DNS ------------------------------------------------------------------------------------------------


def test_every_published_hostname_is_inside_external_dns_domain_filter(run_stack):
    config = {
        "cloud": "gcp",
        "gcp": {"project": "gke-project"},
        "dns": {"domain": "mesh.example.com", "zone": {"name": "example-com"}},
        "tls": {"mode": "off"},
        "mesh": {"injectedNamespaces": ["shop"]},
        "demo": {"enabled": True},
        "routes": [
            {"name": "shop", "namespace": "shop"},
            {"name": "legacy", "namespace": "shop", "kind": "istio"},
        ],
    }
    run = run_stack(config)
    [domain] = run.chart("external-dns").inputs["values"]["domainFilters"]
    hostnames = [h for r in run.of_type(HTTP_ROUTE) for h in r.inputs["spec"]["hostnames"]]
    hostnames += [h for r in run.of_type(VIRTUAL_SERVICE) for h in r.inputs["spec"]["hosts"]]
    assert sorted(hostnames) == ["demo.mesh.example.com", "legacy.mesh.example.com", "shop.mesh.example.com"]
    assert all(h.endswith("." + domain) for h in hostnames)
    sources = run.chart("external-dns").inputs["values"]["sources"]
    assert {"gateway-httproute", "istio-gateway", "istio-virtualservice"} <= set(sources)


# --- demo -----------------------------------------------------------------------------------------------


def test_dev_publishes_the_demo(run_stack):
    run = run_stack("dev")
    deployment = run.one("kubernetes:apps/v1:Deployment", "demo").inputs
    assert deployment["metadata"]["namespace"] == "demo"
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == (
        "ghcr.io/mccutchen/go-httpbin:2.25.0@sha256:20739736d4eb8dc1b998dff701f437b8bd62dcc46492bd0d861e89890ca36500"
    )
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    service = run.one("kubernetes:core/v1:Service", "demo-service").inputs
    assert service["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": 8080}]
    namespace = run.one("kubernetes:core/v1:Namespace", "demo").inputs
    assert namespace["metadata"]["labels"]["istio-injection"] == "enabled"
    demo_route = route(run, HTTP_ROUTE, "demo").inputs["spec"]
    assert demo_route["hostnames"] == ["demo.mesh.localhost"]
    assert demo_route["rules"][0]["backendRefs"] == [{"name": "httpbin", "port": 8000}]
    assert demo_route["rules"][0]["timeouts"] == {"request": "10s"}
    # dev's local CA (tls.mode ca): over HTTPS, verified against the root the stack outputs
    assert run.outputs["demo"] == {
        "url": "https://demo.mesh.localhost/",
        "curl": "pulumi stack output tls --json | jq -r .rootCertificate > mesh-root-ca.pem && "
        "(kubectl -n istio-ingress port-forward svc/istio-ingressgateway 8443:443 >/dev/null & "
        'trap "kill $!" EXIT; '
        "curl --fail --no-progress-meter --retry 30 --retry-delay 1 --retry-connrefused "
        "--cacert mesh-root-ca.pem --resolve demo.mesh.localhost:8443:127.0.0.1 "
        "https://demo.mesh.localhost:8443/headers | grep -iE 'x-b3-traceid|x-forwarded-client-cert')",
    }


def test_dev_demo_over_plain_http_with_tls_off(run_stack):
    assert run_stack("dev", tls={"mode": "off"}).outputs["demo"] == {
        "url": "http://demo.mesh.localhost/",
        "curl": "(kubectl -n istio-ingress port-forward svc/istio-ingressgateway 8080:80 >/dev/null & "
        'trap "kill $!" EXIT; '
        "curl --fail --no-progress-meter --retry 30 --retry-delay 1 --retry-connrefused "
        "-H 'Host: demo.mesh.localhost' http://localhost:8080/headers "
        "| grep -iE 'x-b3-traceid|x-forwarded-client-cert')",
    }


def test_demo_workload_waits_for_istiod(run_stack):
    run = run_stack("dev")
    assert run.one("kubernetes:apps/v1:Deployment", "demo").depends_on(run.chart("istiod"))


def test_demo_curl_goes_straight_to_the_load_balancer_on_a_cloud(run_stack):
    config = {
        "cloud": "aws",
        "aws": {"region": "eu-west-1", "clusterName": "mesh"},
        "dns": {"domain": "mesh.example.com", "zone": {"name": "example.com"}},
        "demo": {"enabled": True},
        "tls": {"mode": "secret", "secret": "cert"},
    }
    assert run_stack(config).outputs["demo"]["curl"] == (
        "curl --fail --no-progress-meter --retry 30 --retry-delay 1 --retry-connrefused "
        "https://demo.mesh.example.com/headers | grep -iE 'x-b3-traceid|x-forwarded-client-cert'"
    )


def test_no_demo_unless_asked(run_stack):
    run = run_stack(with_routes())
    assert run.of_type("kubernetes:apps/v1:Deployment") == []
    assert "demo" not in run.outputs


# --- durations ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ms", "proto"),
    [("10s", 10000, "10s"), ("500ms", 500, "0.5s"), ("1m30s", 90000, "90s"), ("1h", 3600000, "3600s")],
)
def test_durations(text, ms, proto):
    assert milliseconds(text) == ms
    assert protobuf(text) == proto


# --- bad inputs -----------------------------------------------------------------------------------------

SHOP = {"name": "shop", "namespace": "shop"}
BAD_INPUTS = [
    (
        "hostname outside the domain",
        with_routes({**SHOP, "hostname": "shop.other.org"}),
        "routes[0].hostname",
        "outside dns.domain",
    ),
    (
        "hostname is the apex",
        with_routes({**SHOP, "hostname": "mesh.example.com"}),
        "routes[0].hostname",
        "not the apex",
    ),
    ("same name twice", with_routes(SHOP, {**SHOP, "hostname": "b.mesh.example.com"}), "routes[1].name", "used twice"),
    (
        "same hostname and path",
        with_routes(SHOP, {"name": "other", "namespace": "shop", "hostname": "shop.mesh.example.com"}),
        "routes[1]",
        "already routed",
    ),
    ("port 0", with_routes({**SHOP, "port": 0}), "routes[0].port", "greater than or equal to 1"),
    ("port 70000", with_routes({**SHOP, "port": 70000}), "routes[0].port", "less than or equal to 65535"),
    ("timeout not a duration", with_routes({**SHOP, "timeout": "10 seconds"}), "routes[0].timeout", "not a duration"),
    ("fractional timeout", with_routes({**SHOP, "timeout": "1.5s"}), "routes[0].timeout", "not a duration"),
    (
        "negative retries",
        with_routes({**SHOP, "kind": "istio", "retries": {"attempts": -1}}),
        "routes[0].retries.attempts",
        "greater than or equal to 0",
    ),
    (
        "per-try longer than timeout",
        with_routes({**SHOP, "kind": "istio", "timeout": "2s", "retries": {"attempts": 2, "perTryTimeout": "5s"}}),
        "routes[0].retries.perTryTimeout",
        "longer than the route timeout",
    ),
    ("service not DNS-1123", with_routes({**SHOP, "service": "Shop_Svc"}), "routes[0].service", "DNS-1123"),
    ("namespace not DNS-1123", with_routes({"name": "shop", "namespace": "Shop"}), "routes[0].namespace", "DNS-1123"),
    (
        "namespace not injected",
        with_routes({"name": "shop", "namespace": "default"}),
        "routes[0].namespace",
        "not in mesh.injectedNamespaces",
    ),
    ("tcp on standard", with_routes({**SHOP, "kind": "tcp", "listenerPort": 5432}), "routes[0].kind", "experimental"),
    (
        "tcp without listener port",
        with_routes({**SHOP, "kind": "tcp"}, gatewayApi={"channel": "experimental", "tcpRoutes": True}),
        "routes[0].listenerPort",
        "required",
    ),
    (
        "tcp on a taken port",
        with_routes(
            {**SHOP, "kind": "tcp", "listenerPort": 443}, gatewayApi={"channel": "experimental", "tcpRoutes": True}
        ),
        "routes[0].listenerPort",
        "already taken",
    ),
    (
        "tcp with a timeout",
        with_routes(
            {**SHOP, "kind": "tcp", "listenerPort": 5432, "timeout": "5s"},
            gatewayApi={"channel": "experimental", "tcpRoutes": True},
        ),
        "routes[0].timeout",
        "not for a tcp route",
    ),
    ("http retries on standard", with_routes({**SHOP, "retries": {"attempts": 2}}), "routes[0].retries", "kind istio"),
    (
        "http retry conditions",
        with_routes(
            {**SHOP, "retries": {"attempts": 2, "conditions": ["connect-failure"]}},
            gatewayApi={"channel": "experimental"},
        ),
        "routes[0].retries.conditions",
        "status codes only",
    ),
    (
        "unknown retry condition",
        with_routes({**SHOP, "kind": "istio", "retries": {"attempts": 2, "conditions": ["sometimes"]}}),
        "routes[0].retries.conditions[0]",
        "not a retry condition",
    ),
    ("unknown kind", with_routes({**SHOP, "kind": "grpc"}), "routes[0].kind", "'http', 'istio' or 'tcp'"),
    (
        "routes without a domain",
        {"cloud": "local", "mesh": {"injectedNamespaces": ["shop"]}, "routes": [SHOP]},
        "dns.domain",
        "routes and the demo",
    ),
    ("path prefix", with_routes({**SHOP, "pathPrefix": "api"}), "routes[0].pathPrefix", "not a path prefix"),
    ("typo in a route", with_routes({**SHOP, "timout": "5s"}), "routes[0].timout", "did you mean 'timeout'"),
]


@pytest.mark.parametrize(("case", "config", "key", "words"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_route_input_is_refused_before_any_resource(run_stack, case, config, key, words):
    with pytest.raises(ProgramFailed) as failure:
        run_stack(config)
    assert failure.value.registered == []
    assert isinstance(failure.value.error, SettingsError)
    matching = [p for p in failure.value.error.problems if p.startswith(f"{key}: ")]
    assert matching and words in matching[0], failure.value.error.problems
