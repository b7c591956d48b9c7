"""Proves, from inside the cluster, that the mesh works: run by the verification Job after every `pulumi up`.

Standard library only: it runs in a plain pinned Python image, from a ConfigMap. Every check prints one line,
`PASS|FAIL|WARN <name>: <evidence>`, then a `SUMMARY {...}` line; the exit status is 1 when any check failed,
which fails the Job and, through pulumi-kubernetes' Job await, the `pulumi up`.

    python verify_mesh.py config.json

The config (written by stacks/verification.py) names the ingress gateway's in-cluster address, and for each
check that applies its inputs; a check whose key is absent does not run. Every wait is bounded by the config.
"""

from __future__ import annotations

import http.client
import json
import secrets
import ssl
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PASS, FAIL, WARN = "PASS", "FAIL", "WARN"
BODY_LIMIT = 65536
# Added by Envoy's router to every response an upstream gave; a response without it was made by the gateway
# itself (no route: 404; no backend or no endpoint: 500/503).
UPSTREAM_TIME = "x-envoy-upstream-service-time"
# Between two answered requests of the cross-cluster check (each lands on any cluster's demo): short, so the
# ready wait holds many tries, and not zero, so the check is not a flood.
ACROSS_PAUSE_SECONDS = 0.2


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: str


@dataclass(frozen=True)
class Result:
    name: str
    status: str
    evidence: str


class _SniConnection(http.client.HTTPSConnection):
    """HTTPS to an in-cluster address with the published hostname as SNI (and certificate name)."""

    def __init__(self, host: str, port: int, *, server_hostname: str, context: ssl.SSLContext, timeout: float):
        super().__init__(host, port, context=context, timeout=timeout)
        self._server_hostname = server_hostname
        self._sni_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._sni_context.wrap_socket(self.sock, server_hostname=self._server_hostname)


def request(
    url: str,
    *,
    timeout: float,
    host: str | None = None,
    headers: dict[str, str] | None = None,
    ca_file: str | None = None,
    verify: bool = True,
) -> Response:
    """GET `url`; `host` is sent as the Host header (and as SNI over https). Connection errors propagate.

    Over https the certificate is verified against `ca_file`, else the system trust store; `verify=False`
    skips that (encrypted, but the server is not authenticated)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=ca_file)
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        connection: http.client.HTTPConnection = _SniConnection(
            parts.hostname or "",
            parts.port or 443,
            server_hostname=host or parts.hostname or "",
            context=context,
            timeout=timeout,
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("GET", path, headers={**(headers or {}), "Host": host or parts.netloc})
        answer = connection.getresponse()
        body = answer.read(BODY_LIMIT).decode("utf-8", "replace")
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, body)
    finally:
        connection.close()


def poll(attempt: Callable[[], tuple[bool, Any]], wait_seconds: float, interval: float) -> tuple[bool, Any]:
    """Run `attempt` until it succeeds or `wait_seconds` have passed (at least once); its last answer."""
    deadline = time.monotonic() + wait_seconds
    while True:
        ok, answer = attempt()
        if ok or time.monotonic() + interval > deadline:
            return ok, answer
        time.sleep(interval)


def short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def describe_series(found: list[dict[str, Any]]) -> str:
    """How many series Prometheus returned, and the first with its value, as evidence."""
    example = short(json.dumps(found[0]["metric"], sort_keys=True), 200)
    return f"{len(found)} series, e.g. {example} = {found[0]['value'][1]}"


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class Verifier:
    def __init__(self, config: dict[str, Any], out: Callable[[str], None] = print):
        self.config = config
        self.gateway = config["gateway"]
        waits = config["waits"]
        self.ready_wait = waits["readySeconds"]
        self.trace_wait = waits["traceSeconds"]
        self.metrics_wait = waits["metricsSeconds"]
        self.interval = waits["intervalSeconds"]
        self.timeout = waits["requestSeconds"]
        self.out = out
        self.results: list[Result] = []

    def report(self, name: str, status: str, evidence: str) -> None:
        self.results.append(Result(name, status, evidence))
        self.out(f"{status} {name}: {evidence}")

    def through_gateway(self, host: str, path: str, headers: dict[str, str] | None = None) -> Response:
        return request(
            self.gateway["url"].rstrip("/") + path,
            timeout=self.timeout,
            host=host,
            headers=headers,
            ca_file=self.gateway.get("caFile"),
            verify=self.gateway.get("trust") != "unverified",
        )

    def gateway_where(self, host: str) -> str:
        """The gateway's address and Host for the evidence, with how its certificate was trusted over https."""
        trust = self.gateway.get("trust")
        trusted = (
            {
                "ca": " (certificate verified against the stack's CA)",
                "system": " (certificate verified against the system trust store)",
                "unverified": " (HTTPS, certificate NOT verified)",
            }.get(trust, "")
            if trust
            else ""
        )
        return f"{self.gateway['url']} Host {host}{trusted}"

    def poll_json(self, url: str, wait: float, read: Callable[[Any], tuple[bool, str]]) -> tuple[bool, str]:
        """Poll a JSON API until `read` accepts its HTTP 200 document; (accepted, evidence)."""

        def attempt() -> tuple[bool, str]:
            try:
                answer = request(url, timeout=self.timeout)
            except (OSError, http.client.HTTPException) as error:
                return False, describe(error)
            if answer.status != 200:
                return False, f"HTTP {answer.status}: {short(answer.body, 120)}"
            return read(json.loads(answer.body))

        return poll(attempt, wait, self.interval)

    def run(self) -> int:
        self.out(f"checks: {', '.join(self.config['checks'])}")
        if "demo" in self.config:
            self.check_demo(self.config["demo"])
        if "acrossClusters" in self.config:
            # A Job of its own per pair of clusters (stacks/verification.py verify_across): the demo as the other
            # cluster serves it, through this cluster's gateway.
            across = self.config["acrossClusters"]
            self.check_across_clusters(across["demo"], across)
        if "plaintext" in self.config:
            self.check_plaintext_refused(self.config["plaintext"])
        if "redirect" in self.config:
            self.check_redirect(self.config["redirect"])
        for route in self.config.get("routes", []):
            self.check_route(route)
        summary = {result.name: result.status.lower() for result in self.results}
        self.out("SUMMARY " + json.dumps(summary, sort_keys=True))
        return 1 if any(result.status == FAIL for result in self.results) else 0

    # The demo: through the gateway, mTLS on the last hop, its trace in Jaeger, its metrics in Prometheus.

    def check_demo(self, demo: dict[str, Any]) -> None:
        # A B3 context of our own, sampled: Envoy's Zipkin tracer keeps an incoming sampling decision, so the
        # trace exists whatever mesh.tracing.sampling is (envoyproxy/envoy, zipkin_tracer_impl.cc, startSpan).
        b3 = {"X-B3-TraceId": secrets.token_hex(16), "X-B3-SpanId": secrets.token_hex(8), "X-B3-Sampled": "1"}
        where = self.gateway_where(demo["host"])

        def attempt() -> tuple[bool, Any]:
            try:
                answer = self.through_gateway(demo["host"], demo["path"], b3)
            except (OSError, http.client.HTTPException) as error:
                return False, describe(error)
            return answer.status == 200, answer

        ok, answer = poll(attempt, self.ready_wait, self.interval)
        name = "demo-through-gateway"
        if not isinstance(answer, Response):
            self.report(name, FAIL, f"no answer from {where}: {answer}")
            echoed: dict[str, list[str]] = {}
        elif not ok:
            self.report(name, FAIL, f"HTTP {answer.status} from {where}: {short(answer.body)}")
            echoed = {}
        else:
            echoed = echoed_headers(answer.body)
            self.report(name, PASS, f"HTTP 200 from {where}{demo['path']}")
        if "ztunnel" in self.config:
            self.check_ztunnel_mtls(self.config["ztunnel"], demo["gatewayIdentity"])
        else:
            self.check_client_certificate(demo, echoed)
        if "jaeger" in self.config:
            self.check_trace(self.config["jaeger"], echoed)
        if "prometheus" in self.config:
            self.check_metrics(self.config["prometheus"])

    def check_client_certificate(self, demo: dict[str, Any], echoed: dict[str, list[str]]) -> None:
        name, expected = "mtls-gateway-to-demo", demo["gatewayIdentity"]
        xfcc = echoed.get("x-forwarded-client-cert")
        if not xfcc:
            self.report(
                name,
                FAIL,
                f"the demo saw no X-Forwarded-Client-Cert (no mTLS hop from the gateway); expected URI={expected}",
            )
            return
        uris = client_certificate_uris(xfcc)
        if expected in uris:
            self.report(name, PASS, f"X-Forwarded-Client-Cert carries URI={expected}: {short(', '.join(xfcc))}")
        else:
            self.report(
                name, FAIL, f"expected URI={expected}, the sidecar saw {uris or 'none'}: {short(', '.join(xfcc))}"
            )

    def check_across_clusters(self, demo: dict[str, Any], across: dict[str, Any]) -> None:
        """A mesh across clusters: the demo's Service, one name in every cluster, has endpoints in all of them
        (Istio merges them; another network's sit behind its east-west gateway), so requests through this cluster's
        gateway land on every cluster's demo. Each cluster's demo has an identity of its own, which its sidecar
        writes into X-Forwarded-Client-Cert as `By=`, beside the client's `URI=` (this cluster's gateway): an answer
        `By=` another cluster's identity crossed to that cluster, over mTLS (a sidecar writes the header only for a
        client certificate it verified, and the two identities chain to one root)."""
        name, wanted, gateway = "demo-across-clusters", dict(across["clusters"]), demo["gatewayIdentity"]
        reached: dict[str, str] = {}
        answered: set[str] = set()
        attempts, last = 0, "no answer"
        deadline = time.monotonic() + self.ready_wait
        while True:
            attempts += 1
            pause = self.interval
            try:
                answer = self.through_gateway(demo["host"], demo["path"])
            except (OSError, http.client.HTTPException) as error:
                last = describe(error)
            else:
                if answer.status != 200:
                    last = f"HTTP {answer.status}"
                else:
                    pause = min(self.interval, ACROSS_PAUSE_SECONDS)
                    xfcc = echoed_headers(answer.body).get("x-forwarded-client-cert") or []
                    answered.add(", ".join(xfcc) or "an answer without X-Forwarded-Client-Cert")
                    for by, uri in client_certificate_pairs(xfcc):
                        for cluster, identity in wanted.items():
                            if by == identity and uri == gateway:
                                reached.setdefault(cluster, f"By={by};URI={uri}")
            if len(reached) == len(wanted) or time.monotonic() + pause > deadline:
                break
            time.sleep(pause)
        where = self.gateway_where(demo["host"])
        if len(reached) == len(wanted):
            found = "; ".join(f"{cluster}: {evidence}" for cluster, evidence in sorted(reached.items()))
            self.report(name, PASS, f"{attempts} requests through {where} reached the other clusters' demos: {found}")
            return
        missing = ", ".join(f"{cluster} (By={wanted[cluster]})" for cluster in sorted(set(wanted) - set(reached)))
        seen = short(" | ".join(sorted(answered)), 400) if answered else last
        self.report(
            name,
            FAIL,
            f"{attempts} requests through {where} in {self.ready_wait}s, none answered over mTLS from the gateway "
            f"({gateway}) by {missing}; answers carried: {seen}",
        )

    def check_ztunnel_mtls(self, ztunnel: dict[str, Any], gateway_identity: str) -> None:
        """Ambient: the destination's ztunnel reports each connection it terminated for the demo, with the peer's
        identity and whether it was mutual TLS (ztunnel's istio_tcp_* metrics, scraped by Prometheus). No series
        from a ztunnel pod means ztunnel never saw the gateway's traffic to the demo (bypassed, or not enrolled)."""
        name = "mtls-ztunnel-to-demo"
        query = (
            f'istio_tcp_connections_opened_total{{pod=~"{ztunnel["pods"]}",reporter="destination",'
            f'destination_workload="{ztunnel["workload"]}",'
            f'destination_workload_namespace="{ztunnel["namespace"]}",source_principal="{gateway_identity}"}}'
        )

        def connections(found: list[dict[str, Any]]) -> tuple[bool, str]:
            policies = sorted({series["metric"].get("connection_security_policy", "none") for series in found})
            if not found:
                return False, "no series: ztunnel reported no connection from the gateway to the demo"
            if policies != ["mutual_tls"]:
                return False, f"connection_security_policy {', '.join(policies)}: not mutual TLS only"
            return True, describe_series(found)

        self.check_prometheus(name, ztunnel["url"], query, connections)

    def check_trace(self, jaeger: dict[str, Any], echoed: dict[str, list[str]]) -> None:
        name = "trace-in-jaeger"
        trace_ids = echoed.get("x-b3-traceid")
        if not trace_ids:
            self.report(name, FAIL, "the demo echoed no X-B3-Traceid, so there is no trace id to look up")
            return
        trace_id = trace_ids[0]
        url = f"{jaeger['url'].rstrip('/')}/api/traces/{trace_id}"

        def spans(document: Any) -> tuple[bool, str]:
            return True, f"{sum(len(trace.get('spans', [])) for trace in document.get('data') or [])} spans"

        # Jaeger answers 404 for a trace it does not hold (jaegertracing/jaeger v2.19.0,
        # cmd/jaeger/internal/extension/jaegerquery/internal/http_handler.go, getTrace).
        ok, evidence = self.poll_json(url, self.trace_wait, spans)
        if ok:
            self.report(name, PASS, f"trace {trace_id} in Jaeger ({url}): {evidence}")
        else:
            self.report(name, FAIL, f"trace {trace_id} not in Jaeger after {self.trace_wait}s ({url}): {evidence}")

    def check_metrics(self, prometheus: dict[str, Any]) -> None:
        name = "prometheus-sees-demo"
        query = (
            f'istio_requests_total{{destination_workload="{prometheus["workload"]}",'
            f'destination_workload_namespace="{prometheus["namespace"]}"}}'
        )

        def series(found: list[dict[str, Any]]) -> tuple[bool, str]:
            return (True, describe_series(found)) if found else (False, "no series")

        self.check_prometheus(name, prometheus["url"], query, series)

    def check_prometheus(
        self, name: str, base_url: str, query: str, judge: Callable[[list[dict[str, Any]]], tuple[bool, str]]
    ) -> None:
        """Query Prometheus until `judge` accepts the series it returns, or the metrics wait is over."""
        url = f"{base_url.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode({"query": query})
        ok, evidence = self.poll_json(
            url, self.metrics_wait, lambda document: judge(document.get("data", {}).get("result", []))
        )
        if ok:
            self.report(name, PASS, f"{query}: {evidence}")
        else:
            self.report(name, FAIL, f"{query} after {self.metrics_wait}s: {evidence}")

    # From outside the mesh, straight to the demo's pod through its Service: STRICT mTLS refuses plain text.

    def check_plaintext_refused(self, plaintext: dict[str, Any]) -> None:
        name, url = "plaintext-refused", plaintext["url"]
        try:
            answer = request(url, timeout=self.timeout)
        except (
            ConnectionResetError,
            ConnectionAbortedError,
            BrokenPipeError,
            http.client.RemoteDisconnected,
            http.client.BadStatusLine,
        ) as error:
            self.report(name, PASS, f"plain-text GET {url} from outside the mesh was refused ({describe(error)})")
            return
        except (OSError, http.client.HTTPException) as error:
            self.report(name, FAIL, f"could not reach {url} at all, so the refusal is not shown: {describe(error)}")
            return
        self.report(
            name,
            FAIL,
            f"plain-text GET {url} from outside the mesh got HTTP {answer.status}: mTLS is not STRICT for it",
        )

    # With HTTPS on, plain HTTP to a published hostname is only ever a redirect to the same URL on https.

    def check_redirect(self, redirect: dict[str, Any]) -> None:
        name, host, path = "https-redirect", redirect["host"], redirect["path"]
        url = redirect["url"].rstrip("/") + path
        expected = "https://" + host + path

        def attempt() -> tuple[bool, Any]:
            try:
                answer = request(url, timeout=self.timeout, host=host)
            except (OSError, http.client.HTTPException) as error:
                return False, describe(error)
            return answer.status == 301 and same_https_url(answer.headers.get("location", ""), host, path), answer

        ok, answer = poll(attempt, self.ready_wait, self.interval)
        where = f"plain-text GET {url} Host {host}"
        if not isinstance(answer, Response):
            self.report(name, FAIL, f"no answer to {where}: {answer}")
        elif ok:
            self.report(name, PASS, f"{where}: HTTP 301 to {answer.headers['location']}")
        elif answer.status == 301:
            self.report(name, FAIL, f"{where}: HTTP 301 to {answer.headers.get('location')!r}, expected {expected}")
        else:
            self.report(name, FAIL, f"{where}: HTTP {answer.status}, expected a 301 to {expected}")

    # Each published route: the Gateway has a route for its hostname.

    def check_route(self, route: dict[str, Any]) -> None:
        name = f"route-{route['name']}"
        where = f"Host {route['host']}{route['path']}"

        def attempt() -> tuple[bool, Any]:
            try:
                answer = self.through_gateway(route["host"], route["path"])
            except (OSError, http.client.HTTPException) as error:
                return False, describe(error)
            no_route = answer.status == 404 and UPSTREAM_TIME not in answer.headers
            return not no_route, answer

        ok, answer = poll(attempt, self.ready_wait, self.interval)
        if not isinstance(answer, Response):
            self.report(name, FAIL, f"no answer from the gateway for {where}: {answer}")
        elif not ok:
            self.report(name, FAIL, f"HTTP 404 from the gateway itself for {where}: no route for this hostname")
        elif UPSTREAM_TIME in answer.headers:
            self.report(name, PASS, f"HTTP {answer.status} from the backend for {where}")
        elif answer.status >= 500:
            self.report(
                name,
                WARN,
                f"HTTP {answer.status} from Envoy for {where} ({short(answer.body, 120) or 'no body'}): the route "
                f"resolves, but its service {route['service']} is missing or has no ready endpoint",
            )
        else:
            self.report(name, PASS, f"HTTP {answer.status} from the gateway for {where}")


def same_https_url(location: str, host: str, path: str) -> bool:
    """`location` is https://<host><path>, the default port written or not."""
    parts = urllib.parse.urlsplit(location)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.scheme == "https" and parts.hostname == host and parts.port in (None, 443) and target == path


def echoed_headers(body: str) -> dict[str, list[str]]:
    """httpbin's /headers answer, `{"headers": {"Name": ["value", ...]}}` (go-httpbin v2), by lower-case name."""
    try:
        headers = json.loads(body).get("headers", {})
    except (ValueError, AttributeError):
        return {}
    return {k.lower(): v if isinstance(v, list) else [v] for k, v in headers.items()}


def client_certificate_elements(xfcc: list[str]) -> list[list[tuple[str, str]]]:
    """The elements of X-Forwarded-Client-Cert, each as its (lower-case field, value) pairs: elements split by ',',
    fields by ';' (Envoy's format; a certificate with several URI SANs gives several URI= fields)."""
    elements = []
    for value in xfcc:
        for element in value.split(","):
            fields = []
            for field in element.split(";"):
                key, _, item = field.strip().partition("=")
                fields.append((key.lower(), item.strip('"')))
            elements.append(fields)
    return elements


def client_certificate_uris(xfcc: list[str]) -> list[str]:
    """The URI= fields: the clients' identities."""
    return [item for element in client_certificate_elements(xfcc) for key, item in element if key == "uri"]


def client_certificate_pairs(xfcc: list[str]) -> list[tuple[str, str]]:
    """(By=, URI=) within each element: the identity of the proxy that verified the client's certificate, and the
    client's."""
    return [
        (by, uri)
        for element in client_certificate_elements(xfcc)
        for by in (item for key, item in element if key == "by")
        for uri in (item for key, item in element if key == "uri")
    ]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: verify_mesh.py config.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as config:
        return Verifier(json.load(config)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
