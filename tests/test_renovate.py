"""Pins that stay current: renovate.json's custom managers cover every pin in definitions/versions.py, each by exactly
one manager with the right datasource and package name, so a new pin without a manager fails here.

Renovate evaluates matchStrings as JavaScript regular expressions (through RE2); the managers keep to the subset both
that and Python's `re` read alike (named groups, classes, quantifiers, `\\s`, `\\n`), and this test runs them with `re`,
the `(?<name>` groups spelled `(?P<name>`. A pin is a string literal of versions.py that holds a version (digits, a
dot, digits), found through the module's syntax tree; NOT_PINS lists the literals that are not, and why.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from tests.harness import PROJECT_DIR

VERSIONS = PROJECT_DIR / "definitions" / "versions.py"
CONFIG = json.loads((PROJECT_DIR / "renovate.json").read_text())
VERSION = re.compile(r"\d+\.\d+")

# Not pins: CHART_IMAGES records what each pinned chart runs (read in the chart at `read_at`; the chart, not Renovate,
# moves them, and a chart bump fails tests/test_mirror.py until they are read again); GKE_MANAGES_GATEWAY_API_FROM
# is the GKE release from which GKE manages the CRDs, a fact, not something installed; PIN_STATUS records the releases
# newer than the pins, for the documentation.
NOT_PINS = {"CHART_IMAGES", "GKE_MANAGES_GATEWAY_API_FROM", "PIN_STATUS"}

# Pin -> (datasource, package name, registry URL): where each is published (docs/supported-versions.md).
EXPECTED = {
    "ISTIO_DEFAULT_VERSION": ("helm", "istiod", "https://blob.istio.io/istio-release/charts"),
    "GATEWAY_API_DEFAULT_VERSION": ("github-releases", "kubernetes-sigs/gateway-api", None),
    "EXTERNAL_DNS": ("helm", "external-dns", "https://kubernetes-sigs.github.io/external-dns/"),
    "PROMETHEUS": ("helm", "prometheus", "https://prometheus-community.github.io/helm-charts"),
    "GRAFANA": ("helm", "grafana", "https://grafana-community.github.io/helm-charts"),
    "JAEGER": ("helm", "jaeger", "https://jaegertracing.github.io/helm-charts"),
    "KIALI": ("helm", "kiali-server", "https://kiali.org/helm-charts"),
    "CERT_MANAGER": ("helm", "cert-manager", "https://charts.jetstack.io"),
    "CERT_MANAGER_API_CHECK_IMAGE": ("docker", "quay.io/jetstack/cert-manager-startupapicheck", None),
    "DEMO_IMAGE": ("docker", "ghcr.io/mccutchen/go-httpbin", None),
    "VERIFY_IMAGE": ("docker", "docker.io/library/python", None),
    "KIND_RELEASE": ("github-releases", "kubernetes-sigs/kind", None),
    "KIND_NODE_IMAGE": ("docker", "kindest/node", None),
    "K3S_IMAGE": ("docker", "rancher/k3s", None),
}


@dataclass(frozen=True)
class Pin:
    name: str
    value: str
    start: int  # offsets of the literal in the file (adjacent literals joined, as Python joins them)
    end: int


@dataclass(frozen=True)
class Dependency:
    manager: int
    datasource: str
    package: str
    registry: str | None
    current: str
    digest: str | None
    start: int  # the offsets of currentValue
    end: int


def offsets(source: str) -> list[int]:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def pins(source: str) -> list[Pin]:
    lines = offsets(source)
    found = []
    for node in ast.parse(source).body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if not names or names[0] in NOT_PINS or node.value is None:
            continue
        for literal in ast.walk(node.value):
            if isinstance(literal, ast.Constant) and isinstance(literal.value, str) and VERSION.search(literal.value):
                assert literal.end_lineno is not None and literal.end_col_offset is not None
                start = lines[literal.lineno - 1] + literal.col_offset
                end = lines[literal.end_lineno - 1] + literal.end_col_offset
                found.append(Pin(names[0], literal.value, start, end))
    return found


def python_pattern(pattern: str) -> re.Pattern[str]:
    """A Renovate matchString in Python's spelling (named groups only differ)."""
    return re.compile(pattern.replace("(?<", "(?P<"))


def template(manager: dict, field: str, groups: dict[str, str | None]) -> str | None:
    """The named group, else the manager's `<field>Template` (Handlebars `{{name}}` filled from the groups)."""
    if groups.get(field) is not None:
        return groups[field]
    text = manager.get(f"{field}Template")
    if text is None:
        return None
    return re.sub(r"\{\{\{?(\w+)\}?\}\}", lambda m: groups.get(m.group(1)) or "", text)


def file_pattern_matches(patterns: list[str], path: str) -> bool:
    assert all(p.startswith("/") and p.endswith("/") for p in patterns), "regex patterns only, between slashes"
    return any(re.search(p[1:-1], path) for p in patterns)


def dependencies(source: str, path: str) -> list[Dependency]:
    found = []
    for index, manager in enumerate(CONFIG["customManagers"]):
        if not file_pattern_matches(manager["managerFilePatterns"], path):
            continue
        for pattern in manager["matchStrings"]:
            for match in python_pattern(pattern).finditer(source):
                groups = match.groupdict()
                package = template(manager, "packageName", groups) or template(manager, "depName", groups)
                datasource, current = template(manager, "datasource", groups), groups["currentValue"]
                assert datasource and package and current, (manager, groups)
                registry = template(manager, "registryUrl", groups)
                digest = groups.get("currentDigest")
                start, end = match.span("currentValue")
                found.append(Dependency(index, datasource, package, registry, current, digest, start, end))
    return found


def coverage(source: str) -> dict[str, list[Dependency]]:
    """Each pin -> the dependencies the managers extract from it."""
    deps = dependencies(source, "definitions/versions.py")
    return {f"{p.name} {p.value}": [d for d in deps if p.start <= d.start and d.end <= p.end] for p in pins(source)}


def test_every_pin_has_exactly_one_manager_with_its_datasource_and_package():
    source = VERSIONS.read_text()
    covered = coverage(source)
    assert {key.split()[0] for key in covered} == set(EXPECTED)
    for key, deps in covered.items():
        name, value = key.split(" ", 1)
        assert len(deps) == 1, f"{key}: {len(deps)} managers"
        (dep,) = deps
        assert (dep.datasource, dep.package, dep.registry) == EXPECTED[name], key
        reference, _, digest = value.partition("@")
        tag = reference.rsplit(":", 1)[-1]
        assert dep.current == tag, key  # the whole version (a chart's, a release's) or the image's tag
        assert dep.digest == (digest or None), key


def test_every_match_is_a_pin():
    """No manager reaches outside the pins (a comment, CHART_IMAGES, a test fixture)."""
    source = VERSIONS.read_text()
    spans = [(p.start, p.end) for p in pins(source)]
    stray = [
        d
        for d in dependencies(source, "definitions/versions.py")
        if not any(s <= d.start and d.end <= e for s, e in spans)
    ]
    assert stray == []


def test_a_new_pin_without_a_manager_fails():
    source = VERSIONS.read_text() + '\nLINKERD = ChartLike("linkerd-control-plane", "2026.11.3")\n'
    assert coverage(source)["LINKERD 2026.11.3"] == []


def test_istios_charts_are_one_pin_in_one_group():
    istio = [d for d in dependencies(VERSIONS.read_text(), "definitions/versions.py") if d.package == "istiod"]
    assert len(istio) == 1
    groups = [rule for rule in CONFIG["packageRules"] if "istiod" in rule.get("matchPackageNames", [])]
    assert [rule["groupName"] for rule in groups] == ["Istio charts (base, istiod, gateway, cni, ztunnel)"]


def test_the_python_lock_and_the_go_toolchains_have_their_managers():
    assert file_pattern_matches(CONFIG["pip-compile"]["managerFilePatterns"], "requirements.lock")
    go_mods = sorted(
        p.relative_to(PROJECT_DIR).as_posix() for p in (PROJECT_DIR / "e2e" / "toolchain").glob("*/go.mod")
    )
    assert go_mods, "the e2e's Go toolchain pins"
    assert all(file_pattern_matches(CONFIG["gomod"]["managerFilePatterns"], path) for path in go_mods)
    assert not file_pattern_matches(CONFIG["gomod"]["managerFilePatterns"], "e2e/toolchain/go.mod.bak")
    assert "enabledManagers" not in CONFIG  # every built-in manager (pip-compile, gomod) and custom.regex run


def test_the_patterns_keep_to_what_both_engines_read():
    """No lookbehind, no possessive or atomic groups, no Python-only syntax: RE2 refuses them, or reads them apart."""
    for manager in CONFIG["customManagers"]:
        for pattern in manager["matchStrings"]:
            assert not re.search(r"\(\?(<=|<!|=|!|>|P)|\*\+|\+\+|\?\+", pattern), pattern
