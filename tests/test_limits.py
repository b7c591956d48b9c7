"""Every documented numeric limit of the settings and rules (docs/settings.md, "What is refused"), at its
edge: the value exactly at the limit is accepted, the one just past it is refused naming its key, on each side
of a range and in each direction a rule covers (an upgrade and a downgrade, either revision listed first).

The limits are literals here, read from docs/settings.md and the upstream rules behind them,
never the project's constants: a changed limit must change a test."""

from __future__ import annotations

from typing import Any

import pytest

from settings.installed import InstalledIstio
from settings.loader import SettingsError, load_settings
from tests import harness

DEV = harness.stack_config("dev")
APPS = {"mesh": {"injectedNamespaces": ["apps"]}, "dns": {"domain": "mesh.localhost"}}


def problems(raw: dict[str, Any], installed: InstalledIstio | None = None) -> list[str]:
    try:
        load_settings(raw, installed=installed)
    except SettingsError as error:
        return error.problems
    return []


def check(raw: dict[str, Any], refused_key: str | None, installed: InstalledIstio | None = None) -> None:
    found = problems(raw, installed)
    if refused_key is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(f"{refused_key}: "), found


def dev(**overrides: Any) -> dict[str, Any]:
    return {**DEV, **overrides}


def route(**fields: Any) -> dict[str, Any]:
    return {**APPS, "routes": [{"name": "shop", "namespace": "apps", **fields}]}


def tcp_route(port: int) -> dict[str, Any]:
    return {
        **APPS,
        "gatewayApi": {"channel": "experimental", "tcpRoutes": True},
        "routes": [{"name": "db", "namespace": "apps", "kind": "tcp", "listenerPort": port}],
    }


# The limits below hold whatever Istio's support window says (tests/test_istio_support.py tests that window): their
# out-of-support releases are acknowledged, so only the limit under test can refuse them.
ACKNOWLEDGED = {"allowUnsupported": True}


def revisions(*pairs: tuple[str, str]) -> dict[str, Any]:
    listed = [{"name": name, "version": version} for name, version in pairs]
    return {"istio": {"revisions": listed, "defaultRevision": pairs[0][0], **ACKNOWLEDGED}}


def labels(total: int) -> str:
    """A DNS name of exactly `total` characters: labels of at most 63, joined by dots."""
    parts, left = [], total
    while left > 0:
        size = min(63, left if left <= 63 else 62)
        parts.append("a" * size)
        left -= size + 1
    return ".".join(parts)


EDGES = [
    # sizing floors (docs/settings.md: istiod 10m / 64Mi, gateway and sidecar 5m / 32Mi), a limit at least the request
    ("istiod cpu at floor", dev(sizing={"istiod": {"cpu": "10m"}}), None),
    ("istiod cpu below", dev(sizing={"istiod": {"cpu": "9m"}}), "sizing.istiod.cpu"),
    ("istiod memory at floor", dev(sizing={"istiod": {"memory": "64Mi"}}), None),
    ("istiod memory below", dev(sizing={"istiod": {"memory": "63Mi"}}), "sizing.istiod.memory"),
    ("gateway cpu at floor", dev(sizing={"gateway": {"cpu": "5m"}}), None),
    ("gateway cpu below", dev(sizing={"gateway": {"cpu": "4m"}}), "sizing.gateway.cpu"),
    ("gateway memory at floor", dev(sizing={"gateway": {"memory": "32Mi"}}), None),
    ("gateway memory below", dev(sizing={"gateway": {"memory": "31Mi"}}), "sizing.gateway.memory"),
    ("sidecar cpu at floor", dev(sizing={"sidecar": {"cpu": "5m"}}), None),
    ("sidecar cpu below", dev(sizing={"sidecar": {"cpu": "4m"}}), "sizing.sidecar.cpu"),
    ("sidecar memory at floor", dev(sizing={"sidecar": {"memory": "32Mi"}}), None),
    ("sidecar memory below", dev(sizing={"sidecar": {"memory": "31Mi"}}), "sizing.sidecar.memory"),
    ("limit equal to request", dev(sizing={"istiod": {"memory": "256Mi", "memoryLimit": "256Mi"}}), None),
    (
        "limit below request",
        dev(sizing={"istiod": {"memory": "256Mi", "memoryLimit": "255Mi"}}),
        "sizing.istiod.memoryLimit",
    ),
    ("request raised to the limit", dev(sizing={"sidecar": {"memory": "256Mi"}}), None),
    ("request raised past the limit", dev(sizing={"sidecar": {"memory": "257Mi"}}), "sizing.sidecar.memory"),
    # the gateway autoscaler's range, 1-100, min <= max; production at least 2
    ("min replicas 1", dev(sizing={"gateway": {"minReplicas": 1}}), None),
    ("min replicas 0", dev(sizing={"gateway": {"minReplicas": 0}}), "sizing.gateway.minReplicas"),
    ("max replicas 100", dev(sizing={"gateway": {"maxReplicas": 100}}), None),
    ("max replicas 101", dev(sizing={"gateway": {"maxReplicas": 101}}), "sizing.gateway.maxReplicas"),
    ("min replicas 100", dev(sizing={"gateway": {"minReplicas": 100}}), None),
    ("min replicas 101", dev(sizing={"gateway": {"minReplicas": 101}}), "sizing.gateway.minReplicas"),
    ("max equal to min", dev(sizing={"gateway": {"minReplicas": 3, "maxReplicas": 3}}), None),
    ("max below min", dev(sizing={"gateway": {"minReplicas": 3, "maxReplicas": 2}}), "sizing.gateway.maxReplicas"),
    ("production 2 gateways", dev(profile="production", sizing={"gateway": {"minReplicas": 2}}), None),
    (
        "production 1 gateway",
        dev(profile="production", sizing={"gateway": {"minReplicas": 1}}),
        "sizing.gateway.minReplicas",
    ),
    # Istio: the patch floors with base.validationFailurePolicy (1.28.10, 1.29.6, 1.30.3)
    ("istio 1.28.10", dev(istio={"version": "1.28.10", **ACKNOWLEDGED}), None),
    ("istio 1.28.9", dev(istio={"version": "1.28.9"}), "istio.version"),
    ("istio 1.29.6", dev(istio={"version": "1.29.6", **ACKNOWLEDGED}), None),
    ("istio 1.29.5", dev(istio={"version": "1.29.5"}), "istio.version"),
    ("istio 1.30.3", dev(istio={"version": "1.30.3", **ACKNOWLEDGED}), None),
    ("istio 1.30.2", dev(istio={"version": "1.30.2"}), "istio.version"),
    # revisions: one or two, at most two minors apart (either listed first), names of at most 56 characters
    ("two minors apart, older first", dev(**revisions(("old", "1.28.10"), ("new", "1.30.3"))), None),
    ("two minors apart, newer first", dev(**revisions(("new", "1.30.3"), ("old", "1.28.10"))), None),
    ("three minors apart, older first", dev(**revisions(("old", "1.28.10"), ("new", "1.31.0"))), "istio.revisions"),
    ("three minors apart, newer first", dev(**revisions(("new", "1.31.0"), ("old", "1.28.10"))), "istio.revisions"),
    ("two revisions", dev(**revisions(("a", "1.30.3"), ("b", "1.29.6"))), None),
    ("three revisions", dev(**revisions(("a", "1.30.3"), ("b", "1.29.6"), ("c", "1.28.10"))), "istio.revisions"),
    ("revision name of 56", dev(**revisions(("r" * 56, "1.30.3"))), None),
    ("revision name of 57", dev(**revisions(("r" * 57, "1.30.3"))), "istio.revisions[0].name"),
    # Gateway API >= v1.5.0
    ("gateway api v1.5.0", dev(gatewayApi={"version": "v1.5.0"}), None),
    ("gateway api v1.4.9", dev(gatewayApi={"version": "v1.4.9"}), "gatewayApi.version"),
    # tracing sampling, percent 0-100
    ("sampling 0", dev(mesh={"tracing": {"sampling": 0}}), None),
    ("sampling below 0", dev(mesh={"tracing": {"sampling": -0.01}}), "mesh.tracing.sampling"),
    ("sampling 100", dev(mesh={"tracing": {"sampling": 100}}), None),
    ("sampling above 100", dev(mesh={"tracing": {"sampling": 100.01}}), "mesh.tracing.sampling"),
    # verify: runId up to 63, deadline 60-1800 and at least the waits plus 60, each wait 0-600
    ("run id of 63", dev(verify={"runId": "r" * 63}), None),
    ("run id of 64", dev(verify={"runId": "r" * 64}), "verify.runId"),
    (
        "deadline 60 with no waits",
        dev(verify={"deadlineSeconds": 60, "readyWaitSeconds": 0, "traceWaitSeconds": 0, "metricsWaitSeconds": 0}),
        None,
    ),
    (
        "deadline 59",
        dev(verify={"deadlineSeconds": 59, "readyWaitSeconds": 0, "traceWaitSeconds": 0, "metricsWaitSeconds": 0}),
        "verify.deadlineSeconds",
    ),
    ("deadline 1800", dev(verify={"deadlineSeconds": 1800}), None),
    ("deadline 1801", dev(verify={"deadlineSeconds": 1801}), "verify.deadlineSeconds"),
    ("deadline exactly the waits plus 60", dev(verify={"deadlineSeconds": 300}), None),
    ("deadline one short of the waits plus 60", dev(verify={"deadlineSeconds": 299}), "verify.deadlineSeconds"),
    ("ready wait 0", dev(verify={"readyWaitSeconds": 0}), None),
    ("ready wait -1", dev(verify={"readyWaitSeconds": -1}), "verify.readyWaitSeconds"),
    ("ready wait 600", dev(verify={"readyWaitSeconds": 600, "deadlineSeconds": 1800}), None),
    ("ready wait 601", dev(verify={"readyWaitSeconds": 601, "deadlineSeconds": 1800}), "verify.readyWaitSeconds"),
    ("trace wait 0", dev(verify={"traceWaitSeconds": 0}), None),
    ("trace wait -1", dev(verify={"traceWaitSeconds": -1}), "verify.traceWaitSeconds"),
    ("trace wait 600", dev(verify={"traceWaitSeconds": 600, "deadlineSeconds": 1800}), None),
    ("trace wait 601", dev(verify={"traceWaitSeconds": 601, "deadlineSeconds": 1800}), "verify.traceWaitSeconds"),
    ("metrics wait 0", dev(verify={"metricsWaitSeconds": 0}), None),
    ("metrics wait -1", dev(verify={"metricsWaitSeconds": -1}), "verify.metricsWaitSeconds"),
    ("metrics wait 600", dev(verify={"metricsWaitSeconds": 600, "deadlineSeconds": 1800}), None),
    ("metrics wait 601", dev(verify={"metricsWaitSeconds": 601, "deadlineSeconds": 1800}), "verify.metricsWaitSeconds"),
    # routes: ports 1-65535, a path prefix of at most 1024, retry statuses 400-599, DestinationRule bounds
    ("port 1", route(port=1), None),
    ("port 0", route(port=0), "routes[0].port"),
    ("port 65535", route(port=65535), None),
    ("port 65536", route(port=65536), "routes[0].port"),
    ("listener port 1", tcp_route(1), None),
    ("listener port 0", tcp_route(0), "routes[0].listenerPort"),
    ("listener port 65535", tcp_route(65535), None),
    ("listener port 65536", tcp_route(65536), "routes[0].listenerPort"),
    ("path prefix of 1024", route(pathPrefix="/" + "p" * 1023), None),
    ("path prefix of 1025", route(pathPrefix="/" + "p" * 1024), "routes[0].pathPrefix"),
    ("retry on 400", route(kind="istio", retries={"attempts": 2, "conditions": ["400"]}), None),
    (
        "retry on 399",
        route(kind="istio", retries={"attempts": 2, "conditions": ["399"]}),
        "routes[0].retries.conditions[0]",
    ),
    ("retry on 599", route(kind="istio", retries={"attempts": 2, "conditions": ["599"]}), None),
    (
        "retry on 600",
        route(kind="istio", retries={"attempts": 2, "conditions": ["600"]}),
        "routes[0].retries.conditions[0]",
    ),
    ("retry attempts 0", route(kind="istio", retries={"attempts": 0}), None),
    ("retry attempts -1", route(kind="istio", retries={"attempts": -1}), "routes[0].retries.attempts"),
    ("ejection 100%", route(destination={"outlierDetection": {"maxEjectionPercent": 100}}), None),
    (
        "ejection 101%",
        route(destination={"outlierDetection": {"maxEjectionPercent": 101}}),
        "routes[0].destination.outlierDetection.maxEjectionPercent",
    ),
    ("ejection 0%", route(destination={"outlierDetection": {"maxEjectionPercent": 0}}), None),
    (
        "ejection -1%",
        route(destination={"outlierDetection": {"maxEjectionPercent": -1}}),
        "routes[0].destination.outlierDetection.maxEjectionPercent",
    ),
    ("0 consecutive 5xx", route(destination={"outlierDetection": {"consecutive5xxErrors": 0}}), None),
    (
        "-1 consecutive 5xx",
        route(destination={"outlierDetection": {"consecutive5xxErrors": -1}}),
        "routes[0].destination.outlierDetection.consecutive5xxErrors",
    ),
    ("1 connection", route(destination={"connectionPool": {"maxConnections": 1}}), None),
    (
        "0 connections",
        route(destination={"connectionPool": {"maxConnections": 0}}),
        "routes[0].destination.connectionPool.maxConnections",
    ),
    # names: a DNS-1123 label of at most 63, a DNS name of at most 253
    ("namespace of 63", {"ingress": {"namespace": "n" * 63}}, None),
    ("namespace of 64", {"ingress": {"namespace": "n" * 64}}, "ingress.namespace"),
    ("domain of 253", {"dns": {"domain": labels(253)}, "tls": {"mode": "off"}}, None),
    ("domain of 254", {"dns": {"domain": labels(254)}, "tls": {"mode": "off"}}, "dns.domain"),
]


@pytest.mark.parametrize(("raw", "refused_key"), [(raw, key) for _, raw, key in EDGES], ids=[e[0] for e in EDGES])
def test_each_limit_at_its_edge(raw, refused_key):
    check(raw, refused_key)


def test_the_edge_names_are_what_they_say():
    assert len(labels(253)) == 253 and len(labels(254)) == 254
    assert max(len(label) for label in labels(254).split(".")) <= 63


# In place, from what the previous `up` installed: one minor at most, up or down.
IN_PLACE = [
    ("upgrade by one minor", "1.29.6", "1.30.3", None),
    ("upgrade by two minors", "1.28.10", "1.30.3", "istio.version"),
    ("downgrade by one minor", "1.30.3", "1.29.6", None),
    ("downgrade by two minors", "1.30.3", "1.28.10", "istio.version"),
    ("a patch", "1.30.3", "1.30.4", None),
]


@pytest.mark.parametrize(
    ("installed", "wanted", "refused_key"), [case[1:] for case in IN_PLACE], ids=[case[0] for case in IN_PLACE]
)
def test_in_place_steps_at_their_edge_both_ways(installed, wanted, refused_key):
    check(
        dev(istio={"version": wanted, **ACKNOWLEDGED}), refused_key, InstalledIstio({"default": installed}, "default")
    )


@pytest.mark.parametrize(
    ("installed", "wanted", "refused_key"),
    [("1.29.6", "1.30.3", None), ("1.28.10", "1.30.3", "istio.revisions[1].version")],
    ids=["one minor", "two minors"],
)
def test_in_place_on_a_named_revision(installed, wanted, refused_key):
    raw = dev(**revisions(("default", "1.31.0"), ("canary", wanted)))
    check(raw, refused_key, InstalledIstio({"default": "1.31.0", "canary": installed}, "default"))


# GCP project ids: 6-30 characters.
GCP = {"cloud": "gcp", "dns": {"domain": "mesh.example.com", "zone": {"name": "example-com"}}, "tls": {"mode": "off"}}


@pytest.mark.parametrize(
    ("project", "refused_key"),
    [("p" * 6, None), ("p" * 5, "gcp.project"), ("p" * 30, None), ("p" * 31, "gcp.project")],
    ids=["6", "5", "30", "31"],
)
def test_gcp_project_length_at_its_edges(project, refused_key):
    check({**GCP, "gcp": {"project": project}}, refused_key)
