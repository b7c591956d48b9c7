"""The in-cluster check script, run here against a fake mesh on 127.0.0.1: one HTTP server that plays the
ingress gateway (by Host header), the demo behind it, Jaeger's query API and Prometheus' query API (with the
istio_tcp_* series the destination's ztunnel reports in ambient), and a socket that drops plain-text
connections as a STRICT sidecar (or ztunnel) does. Each check passes and fails by name, with
its evidence in the log. Waits are a fraction of a second, so these tests stay fast."""

from __future__ import annotations

import ast
import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from incluster import verify_mesh
from stacks.verification import SCRIPT

DEMO_HOST = "demo.mesh.test"
GATEWAY_ID = "spiffe://cluster.local/ns/istio-ingress/sa/istio-ingressgateway"
# The XFCC Envoy's sidecar adds on the hop from the gateway (Istio's format: By, Hash, Subject, URI).
XFCC = f'By=spiffe://cluster.local/ns/demo/sa/httpbin;Hash=abc123;Subject="";URI={GATEWAY_ID}'
SERIES = {
    "metric": {"__name__": "istio_requests_total", "destination_workload": "httpbin", "response_code": "200"},
    "value": [1, "3"],
}


@dataclass
class Behaviour:
    demo_status: int = 200
    xfcc: str | None = XFCC
    echo_trace: bool = True
    jaeger_keeps_traces: bool = True
    jaeger_polls_before_trace: int = 0  # 404s before the trace shows (spans are flushed every 5 s)
    prometheus_series: list = field(default_factory=lambda: [SERIES])
    # hostname -> (status, from the backend?, body)
    routes: dict[str, tuple[int, bool, str]] = field(default_factory=dict)
    # hostname -> (status, Location): what the HTTP listener answers, as the https-redirect HTTPRoute makes it
    redirects: dict[str, tuple[int, str]] = field(default_factory=dict)
    traces: set[str] = field(default_factory=set)
    jaeger_polls: int = 0
    # Ambient: whether ztunnel carries the gateway's connections to the demo (False: bypassed, the pod not
    # enrolled), with which security policy, and the peer identity it saw.
    ztunnel_enrolled: bool = True
    ztunnel_policy: str = "mutual_tls"
    ztunnel_source: str = GATEWAY_ID
    ztunnel_connections: int = 0
    # A mesh across clusters: the identities (By=) of the demos that answer successive requests, in turn, each
    # with an XFCC element (None: that answer came without one, i.e. not over mTLS).
    answering: list[str | None] | None = None
    demo_requests: int = 0


class FakeMesh(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: Behaviour


class Handler(BaseHTTPRequestHandler):
    server: FakeMesh

    def log_message(self, *args: Any) -> None:
        pass

    def answer(self, status: int, body: Any, *, upstream: bool) -> None:
        data = (json.dumps(body) if not isinstance(body, str) else body).encode()
        self.send_response(status)
        self.send_header("server", "istio-envoy")
        if upstream:
            self.send_header("x-envoy-upstream-service-time", "3")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        behaviour, host, url = self.server.behaviour, self.headers["Host"], urlsplit(self.path)
        if url.path.startswith("/api/traces/"):
            behaviour.jaeger_polls += 1
            trace_id = url.path.rsplit("/", 1)[1]
            if trace_id in behaviour.traces and behaviour.jaeger_polls > behaviour.jaeger_polls_before_trace:
                self.answer(
                    200, {"data": [{"traceID": trace_id, "spans": [{"spanID": "1"}, {"spanID": "2"}]}]}, upstream=False
                )
            else:
                self.answer(404, {"errors": [{"code": 404, "msg": "trace not found"}]}, upstream=False)
        elif url.path == "/api/v1/query":
            query = parse_qs(url.query)["query"][0]
            assert 'destination_workload="httpbin"' in query
            result = behaviour.prometheus_series
            if query.startswith("istio_tcp_connections_opened_total"):
                result = ztunnel_series(behaviour, query)
            self.answer(200, {"status": "success", "data": {"resultType": "vector", "result": result}}, upstream=False)
        elif host == DEMO_HOST and url.path == "/headers":
            if behaviour.demo_status != 200:
                self.answer(behaviour.demo_status, "no healthy upstream", upstream=False)
                return
            echoed = {"Host": [host]}
            if behaviour.ztunnel_enrolled:
                behaviour.ztunnel_connections += 1
            xfcc = behaviour.xfcc
            if behaviour.answering is not None:
                by = behaviour.answering[behaviour.demo_requests % len(behaviour.answering)]
                xfcc = f'By={by};Hash=abc123;Subject="";URI={GATEWAY_ID}' if by else None
            behaviour.demo_requests += 1
            if xfcc:
                echoed["X-Forwarded-Client-Cert"] = [xfcc]
            if behaviour.echo_trace:
                echoed["X-B3-Traceid"] = [self.headers["X-B3-TraceId"]]
                # Envoy keeps the caller's sampling decision: only a sampled trace is reported.
                if behaviour.jaeger_keeps_traces and self.headers["X-B3-Sampled"] == "1":
                    behaviour.traces.add(self.headers["X-B3-TraceId"])
            self.answer(200, {"headers": echoed}, upstream=True)
        elif host in behaviour.redirects:
            status, location = behaviour.redirects[host]
            self.send_response(status)
            self.send_header("server", "istio-envoy")
            self.send_header("location", location)
            self.send_header("content-length", "0")
            self.end_headers()
        elif host in behaviour.routes:
            status, upstream, body = behaviour.routes[host]
            self.answer(status, body, upstream=upstream)
        else:
            self.answer(404, "", upstream=False)  # Envoy's own answer: no route for this Host


def ztunnel_series(behaviour: Behaviour, query: str) -> list[dict[str, Any]]:
    """What Prometheus holds from the destination's ztunnel pod, for the query's selectors."""
    wanted = (
        'pod=~"ztunnel-.*"',
        'reporter="destination"',
        'destination_workload_namespace="demo"',
        f'source_principal="{behaviour.ztunnel_source}"',
    )
    if not behaviour.ztunnel_connections or not all(selector in query for selector in wanted):
        return []
    metric = {
        "__name__": "istio_tcp_connections_opened_total",
        "pod": "ztunnel-7x2kq",
        "reporter": "destination",
        "destination_workload": "httpbin",
        "source_principal": behaviour.ztunnel_source,
        "connection_security_policy": behaviour.ztunnel_policy,
    }
    return [{"metric": metric, "value": [1, str(behaviour.ztunnel_connections)]}]


@pytest.fixture
def mesh() -> Iterator[FakeMesh]:
    server = FakeMesh(("127.0.0.1", 0), Handler)
    server.behaviour = Behaviour()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def strict_sidecar() -> Iterator[str]:
    """Accepts a connection and resets it, as a sidecar under STRICT mTLS does with plain text."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.02)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/headers"
    stop.set()
    thread.join(timeout=5)
    listener.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def config_for(mesh: FakeMesh, plaintext_url: str | None = None, **extra: Any) -> dict[str, Any]:
    base = f"http://127.0.0.1:{mesh.server_address[1]}"
    config: dict[str, Any] = {
        "checks": ["all of them"],
        "gateway": {"url": base},
        "waits": {
            "readySeconds": 0.1,
            "traceSeconds": 0.1,
            "metricsSeconds": 0.1,
            "intervalSeconds": 0.02,
            "requestSeconds": 2,
        },
        "demo": {"host": DEMO_HOST, "path": "/headers", "gatewayIdentity": GATEWAY_ID},
        "jaeger": {"url": base},
        "prometheus": {"url": base, "workload": "httpbin", "namespace": "demo"},
    }
    if plaintext_url:
        config["plaintext"] = {"url": plaintext_url}
    config.update(extra)
    return config


def run(config: dict[str, Any]) -> tuple[int, dict[str, tuple[str, str]], list[str]]:
    """Exit status, check -> (status, evidence), and the log lines."""
    lines: list[str] = []
    status = verify_mesh.Verifier(config, out=lines.append).run()
    results = {}
    for line in lines:
        word, _, rest = line.partition(" ")
        if word in ("PASS", "FAIL", "WARN"):
            name, _, evidence = rest.partition(": ")
            results[name] = (word, evidence)
    return status, results, lines


def test_every_check_passes_on_a_working_mesh(mesh, strict_sidecar):
    status, results, lines = run(config_for(mesh, strict_sidecar))
    assert status == 0
    assert {name: word for name, (word, _) in results.items()} == {
        "demo-through-gateway": "PASS",
        "mtls-gateway-to-demo": "PASS",
        "trace-in-jaeger": "PASS",
        "prometheus-sees-demo": "PASS",
        "plaintext-refused": "PASS",
    }
    assert f"URI={GATEWAY_ID}" in results["mtls-gateway-to-demo"][1]
    assert "2 spans" in results["trace-in-jaeger"][1]
    assert "1 series" in results["prometheus-sees-demo"][1] and "= 3" in results["prometheus-sees-demo"][1]
    assert "refused" in results["plaintext-refused"][1]
    assert json.loads(lines[-1].removeprefix("SUMMARY ")) == {name: "pass" for name in results}


def test_the_gateway_not_answering_200_fails_the_demo_check_and_what_depends_on_it(mesh):
    mesh.behaviour.demo_status = 503
    status, results, _ = run(config_for(mesh))
    assert status == 1
    assert results["demo-through-gateway"] == (
        "FAIL",
        f"HTTP 503 from {config_for(mesh)['gateway']['url']} Host {DEMO_HOST}: no healthy upstream",
    )
    assert results["mtls-gateway-to-demo"][0] == "FAIL"
    assert results["trace-in-jaeger"] == ("FAIL", "the demo echoed no X-B3-Traceid, so there is no trace id to look up")


def test_no_gateway_at_all_fails_with_the_connection_error(mesh):
    config = config_for(mesh, gateway={"url": f"http://127.0.0.1:{closed_port()}"})
    status, results, _ = run(config)
    assert status == 1
    word, evidence = results["demo-through-gateway"]
    assert word == "FAIL" and "no answer from" in evidence and "ConnectionRefusedError" in evidence


def test_a_hop_without_mutual_tls_fails_the_client_certificate_check(mesh):
    mesh.behaviour.xfcc = None
    status, results, _ = run(config_for(mesh))
    assert status == 1
    word, evidence = results["mtls-gateway-to-demo"]
    assert word == "FAIL" and "no X-Forwarded-Client-Cert" in evidence and GATEWAY_ID in evidence


def test_a_client_certificate_of_another_identity_fails(mesh):
    other = "spiffe://cluster.local/ns/apps/sa/intruder"
    mesh.behaviour.xfcc = f"By=spiffe://cluster.local/ns/demo/sa/httpbin;Hash=1;URI={other}"
    status, results, _ = run(config_for(mesh))
    assert status == 1
    word, evidence = results["mtls-gateway-to-demo"]
    assert word == "FAIL" and f"expected URI={GATEWAY_ID}" in evidence and other in evidence


def test_a_trace_missing_from_jaeger_fails_after_the_bounded_wait(mesh):
    mesh.behaviour.jaeger_keeps_traces = False
    status, results, _ = run(config_for(mesh))
    assert status == 1
    word, evidence = results["trace-in-jaeger"]
    assert word == "FAIL" and "not in Jaeger after 0.1s" in evidence and "HTTP 404" in evidence
    assert mesh.behaviour.jaeger_polls > 1  # it polled within the wait, not once


def test_a_trace_that_arrives_late_within_the_wait_passes(mesh):
    mesh.behaviour.jaeger_polls_before_trace = 2
    status, results, _ = run(config_for(mesh))
    assert status == 0
    assert results["trace-in-jaeger"][0] == "PASS"


def test_the_trace_id_looked_up_is_the_one_the_demo_echoed(mesh):
    _, results, _ = run(config_for(mesh))
    (trace_id,) = mesh.behaviour.traces
    assert len(trace_id) == 32 and f"trace {trace_id} in Jaeger" in results["trace-in-jaeger"][1]


def test_prometheus_without_the_demos_requests_fails(mesh):
    mesh.behaviour.prometheus_series = []
    status, results, _ = run(config_for(mesh))
    assert status == 1
    word, evidence = results["prometheus-sees-demo"]
    assert word == "FAIL" and "after 0.1s: no series" in evidence and "istio_requests_total" in evidence


def test_a_plain_text_answer_from_the_demo_pod_fails(mesh):
    address = f"127.0.0.1:{mesh.server_address[1]}"
    mesh.behaviour.routes[address] = (200, False, "{}")  # the pod answers plain text, as under PERMISSIVE
    plain = f"http://{address}/headers"
    status, results, _ = run(config_for(mesh, plain))
    assert status == 1
    assert results["plaintext-refused"] == (
        "FAIL",
        f"plain-text GET {plain} from outside the mesh got HTTP 200: mTLS is not STRICT for it",
    )


def test_an_unreachable_demo_pod_does_not_count_as_refused(mesh):
    unreachable = f"http://127.0.0.1:{closed_port()}/headers"
    status, results, _ = run(config_for(mesh, unreachable))
    assert status == 1
    word, evidence = results["plaintext-refused"]
    assert word == "FAIL" and "could not reach" in evidence


ROUTES = [
    {"name": "shop", "host": "shop.mesh.test", "path": "/", "service": "shop.apps:8080"},
    {"name": "legacy", "host": "legacy.mesh.test", "path": "/api", "service": "legacy.apps:80"},
    {"name": "ghost", "host": "ghost.mesh.test", "path": "/", "service": "ghost.apps:80"},
]


def test_routes_pass_when_a_backend_answers_and_warn_on_envoys_503(mesh):
    mesh.behaviour.routes = {
        "shop.mesh.test": (200, True, "ok"),
        "legacy.mesh.test": (404, True, "not here"),  # the backend's own 404: the route resolves
        "ghost.mesh.test": (503, False, "no healthy upstream"),
    }
    config = {k: v for k, v in config_for(mesh).items() if k not in ("demo", "jaeger", "prometheus")}
    status, results, _ = run({**config, "routes": ROUTES})
    assert status == 0  # a warning is not a failure
    assert results["route-shop"] == ("PASS", "HTTP 200 from the backend for Host shop.mesh.test/")
    assert results["route-legacy"] == ("PASS", "HTTP 404 from the backend for Host legacy.mesh.test/api")
    word, evidence = results["route-ghost"]
    assert word == "WARN" and "HTTP 503 from Envoy" in evidence and "no healthy upstream" in evidence
    assert "ghost.apps:80 is missing or has no ready endpoint" in evidence


def test_a_hostname_the_gateway_has_no_route_for_fails(mesh):
    config = {k: v for k, v in config_for(mesh).items() if k not in ("demo", "jaeger", "prometheus")}
    status, results, _ = run({**config, "routes": ROUTES[:1]})
    assert status == 1
    assert results["route-shop"] == (
        "FAIL",
        "HTTP 404 from the gateway itself for Host shop.mesh.test/: no route for this hostname",
    )


def test_the_script_runs_standalone_and_its_exit_status_is_the_verdict(mesh, strict_sidecar, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(config_for(mesh, strict_sidecar)))
    passed = subprocess.run([sys.executable, str(SCRIPT), str(config)], capture_output=True, text=True, timeout=30)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "PASS plaintext-refused:" in passed.stdout
    mesh.behaviour.xfcc = None
    failed = subprocess.run([sys.executable, str(SCRIPT), str(config)], capture_output=True, text=True, timeout=30)
    assert failed.returncode == 1
    assert "FAIL mtls-gateway-to-demo:" in failed.stdout


def test_the_script_imports_the_standard_library_only():
    tree = ast.parse(SCRIPT.read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported - {"__future__"} <= sys.stdlib_module_names


def test_the_client_certificate_uris_are_read_from_every_element():
    xfcc = ['By=spiffe://a;URI=spiffe://first,By=spiffe://b;Subject="x";URI="spiffe://second"']
    assert verify_mesh.client_certificate_uris(xfcc) == ["spiffe://first", "spiffe://second"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a test certificate")
def test_https_through_the_gateway_sends_the_hostname_as_sni_and_verifies_against_the_ca(mesh, tmp_path):
    """The HTTPS variant: the in-cluster address, the published hostname as SNI, the stack's CA as trust."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={DEMO_HOST}",
            "-addext",
            f"subjectAltName=DNS:{DEMO_HOST}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    seen_sni: list[str] = []
    context.sni_callback = lambda connection, name, _: seen_sni.append(name)
    mesh.socket = context.wrap_socket(mesh.socket, server_side=True)
    url = f"https://127.0.0.1:{mesh.server_address[1]}/headers"

    answer = verify_mesh.request(url, timeout=2, host=DEMO_HOST, ca_file=str(cert))
    assert answer.status == 200 and seen_sni == [DEMO_HOST]
    with pytest.raises(ssl.SSLCertVerificationError):
        verify_mesh.request(url, timeout=2, host="other.mesh.test", ca_file=str(cert))
    with pytest.raises(ssl.SSLCertVerificationError):
        verify_mesh.request(url, timeout=2, host=DEMO_HOST)  # not the stack's CA: refused
    # acme staging / a user's Secret: encrypted, the chain not verified
    assert verify_mesh.request(url, timeout=2, host=DEMO_HOST, verify=False).status == 200

    # The demo check as the Job runs it under HTTPS (Jaeger and Prometheus stay plain HTTP in-cluster: left out)
    base = f"https://127.0.0.1:{mesh.server_address[1]}"
    for gateway, evidence in [
        ({"url": base, "trust": "ca", "caFile": str(cert)}, "verified against the stack's CA"),
        ({"url": base, "trust": "unverified"}, "certificate NOT verified"),
    ]:
        config = config_for(mesh, gateway=gateway)
        del config["jaeger"], config["prometheus"]
        _, results, _ = run(config)
        assert results["demo-through-gateway"][0] == "PASS" and evidence in results["demo-through-gateway"][1]
        assert results["mtls-gateway-to-demo"][0] == "PASS"
    _, results, _ = run({**config, "gateway": {"url": base, "trust": "system"}})  # a private CA is not trusted
    assert (
        results["demo-through-gateway"][0] == "FAIL"
        and "CERTIFICATE_VERIFY_FAILED" in results["demo-through-gateway"][1]
    )


# --- the HTTP to HTTPS redirect -------------------------------------------------------------------------------

SHOP_HOST = "shop.mesh.test"


def redirect_config(mesh: FakeMesh) -> dict[str, Any]:
    config = config_for(mesh)
    for key in ("demo", "jaeger", "prometheus"):
        del config[key]
    config["redirect"] = {"url": f"http://127.0.0.1:{mesh.server_address[1]}", "host": SHOP_HOST, "path": "/shop"}
    return config


@pytest.mark.parametrize("location", ["https://shop.mesh.test/shop", "https://shop.mesh.test:443/shop"])
def test_a_301_to_the_same_url_on_https_passes(mesh, location):
    mesh.behaviour.redirects[SHOP_HOST] = (301, location)
    status, results, _ = run(redirect_config(mesh))
    assert status == 0
    assert results["https-redirect"] == (
        "PASS",
        f"plain-text GET http://127.0.0.1:{mesh.server_address[1]}/shop Host {SHOP_HOST}: HTTP 301 to {location}",
    )


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ((301, "http://shop.mesh.test/shop"), "to plain http"),
        ((301, "https://other.mesh.test/shop"), "another host"),
        ((301, "https://shop.mesh.test/"), "another path"),
        ((301, "https://shop.mesh.test:8443/shop"), "another port"),
        ((302, "https://shop.mesh.test/shop"), "a temporary redirect"),
    ],
    ids=["http", "host", "path", "port", "302"],
)
def test_a_redirect_elsewhere_fails_naming_what_came(mesh, answer, why):
    mesh.behaviour.redirects[SHOP_HOST] = answer
    status, results, _ = run(redirect_config(mesh))
    assert status == 1, why
    word, evidence = results["https-redirect"]
    assert word == "FAIL" and "expected" in evidence and "https://shop.mesh.test/shop" in evidence, evidence


def test_plain_http_served_instead_of_redirected_fails(mesh):
    mesh.behaviour.routes[SHOP_HOST] = (200, True, "the shop, in clear text")
    status, results, _ = run(redirect_config(mesh))
    assert status == 1
    assert results["https-redirect"][1].endswith("HTTP 200, expected a 301 to https://shop.mesh.test/shop")


# --- ambient: no sidecar at the backend, the mTLS evidence is the destination ztunnel's report ------------


def ambient_config(mesh: FakeMesh, plaintext_url: str | None = None) -> dict[str, Any]:
    base = f"http://127.0.0.1:{mesh.server_address[1]}"
    mesh.behaviour.xfcc = None  # no proxy at the backend adds X-Forwarded-Client-Cert (istio/istio#54995)
    return config_for(
        mesh, plaintext_url, ztunnel={"url": base, "workload": "httpbin", "namespace": "demo", "pods": "ztunnel-.*"}
    )


def test_ambient_mtls_is_read_from_ztunnels_metrics(mesh, strict_sidecar):
    status, results, _ = run(ambient_config(mesh, strict_sidecar))
    assert status == 0
    assert {name: word for name, (word, _) in results.items()} == {
        "demo-through-gateway": "PASS",
        "mtls-ztunnel-to-demo": "PASS",
        "trace-in-jaeger": "PASS",
        "prometheus-sees-demo": "PASS",
        "plaintext-refused": "PASS",
    }
    evidence = results["mtls-ztunnel-to-demo"][1]
    assert '"connection_security_policy": "mutual_tls"' in evidence and f'source_principal="{GATEWAY_ID}"' in evidence


def test_ambient_mtls_fails_when_ztunnel_is_bypassed(mesh):
    mesh.behaviour.ztunnel_enrolled = False  # the demo answers, but no ztunnel carried the connection
    status, results, _ = run(ambient_config(mesh))
    assert status == 1
    assert results["demo-through-gateway"][0] == "PASS"
    word, evidence = results["mtls-ztunnel-to-demo"]
    assert word == "FAIL" and "ztunnel reported no connection from the gateway to the demo" in evidence


def test_ambient_mtls_fails_on_a_connection_without_mutual_tls(mesh):
    mesh.behaviour.ztunnel_policy = "unknown"
    status, results, _ = run(ambient_config(mesh))
    assert status == 1
    word, evidence = results["mtls-ztunnel-to-demo"]
    assert word == "FAIL" and "connection_security_policy unknown: not mutual TLS only" in evidence


def test_ambient_mtls_fails_on_a_connection_from_another_identity(mesh):
    mesh.behaviour.ztunnel_source = "spiffe://cluster.local/ns/apps/sa/intruder"
    status, results, _ = run(ambient_config(mesh))
    assert status == 1
    assert results["mtls-ztunnel-to-demo"][0] == "FAIL"


# A mesh across clusters: this cluster is east; its gateway balances the demo's requests over every cluster's.
EAST_DEMO = "spiffe://cluster.local/ns/demo/sa/httpbin-east"
WEST_DEMO = "spiffe://cluster.local/ns/demo/sa/httpbin-west"
SOUTH_DEMO = "spiffe://cluster.local/ns/demo/sa/httpbin-south"


def across(mesh: FakeMesh, *clusters: tuple[str, str]) -> dict[str, Any]:
    """A Job across a pair (stacks/verification.py across_config): this check alone, the demo as the other cluster
    serves it."""
    full = config_for(mesh)
    config = {
        "checks": ["demo-across-clusters"],
        "gateway": full["gateway"],
        "waits": {**full["waits"], "readySeconds": 0.5},
        "acrossClusters": {"demo": full["demo"], "clusters": dict(clusters)},
    }
    return config


def test_the_other_clusters_demo_answering_over_mtls_passes(mesh):
    mesh.behaviour.answering = [EAST_DEMO, EAST_DEMO, WEST_DEMO]
    status, results, _ = run(across(mesh, ("west", WEST_DEMO)))
    word, evidence = results["demo-across-clusters"]
    assert word == "PASS", evidence
    assert f"west: By={WEST_DEMO};URI={GATEWAY_ID}" in evidence
    assert status == 0


def test_only_the_local_demo_answering_fails_naming_the_cluster_never_reached(mesh):
    """The east-west gateway or the remote secret missing: every request stays in its own cluster."""
    mesh.behaviour.answering = [EAST_DEMO]
    status, results, _ = run(across(mesh, ("west", WEST_DEMO)))
    word, evidence = results["demo-across-clusters"]
    assert word == "FAIL"
    assert f"west (By={WEST_DEMO})" in evidence and f"By={EAST_DEMO}" in evidence
    assert status == 1


def test_the_other_cluster_answering_without_mtls_fails(mesh):
    mesh.behaviour.answering = [EAST_DEMO, None]
    _, results, _ = run(across(mesh, ("west", WEST_DEMO)))
    word, evidence = results["demo-across-clusters"]
    assert word == "FAIL" and "an answer without X-Forwarded-Client-Cert" in evidence


def test_every_other_cluster_must_be_reached(mesh):
    mesh.behaviour.answering = [EAST_DEMO, WEST_DEMO]
    _, results, _ = run(across(mesh, ("west", WEST_DEMO), ("south", SOUTH_DEMO)))
    word, evidence = results["demo-across-clusters"]
    assert word == "FAIL" and f"south (By={SOUTH_DEMO})" in evidence and "west (By=" not in evidence
    mesh.behaviour.answering = [EAST_DEMO, WEST_DEMO, SOUTH_DEMO]
    _, results, _ = run(across(mesh, ("west", WEST_DEMO), ("south", SOUTH_DEMO)))
    assert results["demo-across-clusters"][0] == "PASS"


def test_by_and_uri_are_read_within_one_element():
    xfcc = [f"By={WEST_DEMO};Hash=h;URI={GATEWAY_ID},By=spiffe://x/ns/a/sa/b;URI=spiffe://x/ns/c/sa/d"]
    assert verify_mesh.client_certificate_pairs(xfcc) == [
        (WEST_DEMO, GATEWAY_ID),
        ("spiffe://x/ns/a/sa/b", "spiffe://x/ns/c/sa/d"),
    ]
