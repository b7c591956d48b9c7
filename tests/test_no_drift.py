"""No drift after a refresh, as rules over every chart's values in every shipped stack and variant: no replica
count next to an autoscaler (the HPA owns `.spec.replicas`; server-side apply conflicts with it), no webhook
`caBundle` (a controller injects it), and generated secrets that stay the same from one render to the next."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart_keys import leaf_paths
from tests.harness import shipped_stacks
from tests.test_chart_values import CONFIGS, VARIANTS

# chart -> (replica key, autoscaler key, the autoscaler's default), each read at the pinned version:
# - gateway (istio/istio 1.30.3 manifests/charts/gateway): values.yaml `autoscaling.enabled: true`;
#   templates/deployment.yaml renders `replicas: .Values.replicaCount` only without autoscaling.
# - istiod (istio/istio 1.30.3 manifests/charts/istio-control/istio-discovery): values.yaml
#   `autoscaleEnabled: true`, `replicaCount: 1`; templates/deployment.yaml: replicas only without autoscaleEnabled.
# - grafana (grafana-community/helm-charts grafana-12.11.1): values.yaml `replicas: 1`, `autoscaling.enabled:
#   false`; templates/deployment.yaml: replicas only without autoscaling.
# - kiali-server (kiali/helm-charts v2.29.0): values.yaml `deployment.replicas: 1`, `deployment.hpa.spec: {}`;
#   templates/deployment.yaml: replicas only while hpa.spec is empty.
AUTOSCALED: dict[str, tuple[str, str, Any]] = {
    "gateway": ("replicaCount", "autoscaling.enabled", True),
    "istiod": ("replicaCount", "autoscaleEnabled", True),
    "grafana": ("replicas", "autoscaling.enabled", False),
    "kiali-server": ("deployment.replicas", "deployment.hpa.spec", {}),
}
# chart -> the value that, left empty, makes the chart generate a new secret on every render, and when it
# matters: grafana generates an admin password without admin.existingSecret (or adminPassword); Kiali a
# login-token signing key unless one is given, under every strategy, anonymous too (kiali-server v2.29.0
# templates/configmap.yaml sets login_token.signing_key unconditionally; _helpers.tpl: randAlphaNum 32 when empty).
SELF_GENERATED = {
    "grafana": ("admin.existingSecret", lambda values: True),
    "kiali-server": ("login_token.signing_key", lambda values: True),
}


def lookup(values: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        if not isinstance(values, dict) or key not in values:
            return None
        values = values[key]
    return values


def drift_problems(chart: str, values: dict[str, Any]) -> list[str]:
    problems = []
    if chart in AUTOSCALED:
        replicas, autoscaler, default = AUTOSCALED[chart]
        given = lookup(values, autoscaler)
        autoscaled = given if given is not None else default
        if autoscaled and lookup(values, replicas) is not None:
            problems.append(f"{chart}: {replicas} set while {autoscaler} autoscales")
    problems += [f"{chart}: {path} set" for path in leaf_paths(values) if "cabundle" in path.lower()]
    if chart in SELF_GENERATED:
        key, applies = SELF_GENERATED[chart]
        if applies(values) and not lookup(values, key):
            problems.append(f"{chart}: {key} empty, regenerated on every render")
    return problems


CASES = [
    *[(stack, stack, {}) for stack in shipped_stacks()],
    *[(f"dev+{name}", "dev", overrides) for name, overrides in sorted(VARIANTS.items())],
    *[(name, config, {}) for name, config in sorted(CONFIGS.items())],
]


def render(run, config, overrides):
    if isinstance(config, str):
        return run(config, **overrides)
    return run(config, secret_keys=("dashboards",))


def registrations(run) -> list[tuple[str, str, dict]]:
    return sorted(((r.type, r.name, r.raw_inputs) for r in run.resources), key=lambda r: (r[0], r[1]))


@pytest.mark.parametrize(("case", "config", "overrides"), CASES, ids=[case[0] for case in CASES])
def test_no_chart_is_given_values_that_drift_and_two_renders_agree(shared_run, run_stack, case, config, overrides):
    first = render(shared_run, config, overrides)
    charts = first.charts()
    assert {"gateway", "istiod"} <= set(charts)
    for chart, registration in charts.items():
        assert drift_problems(chart, registration.inputs.get("values", {})) == []
    # Generated secrets come from random resources kept in state, never from a value made per render. The
    # variants add no secret, so rendering the stacks and configs twice covers every one.
    if not overrides:
        assert registrations(first) == registrations(render(run_stack, config, overrides))


RULE_CASES = [
    ("gateway", {"replicaCount": 2}, ["gateway: replicaCount set while autoscaling.enabled autoscales"]),
    ("gateway", {"replicaCount": 2, "autoscaling": {"enabled": False}}, []),
    ("istiod", {"replicaCount": 3}, ["istiod: replicaCount set while autoscaleEnabled autoscales"]),
    ("istiod", {"autoscaleEnabled": False, "replicaCount": 3}, []),
    (
        "grafana",
        {"replicas": 2, "autoscaling": {"enabled": True}, "admin": {"existingSecret": "s"}},
        ["grafana: replicas set while autoscaling.enabled autoscales"],
    ),
    ("grafana", {"replicas": 2, "admin": {"existingSecret": "s"}}, []),
    ("grafana", {}, ["grafana: admin.existingSecret empty, regenerated on every render"]),
    (
        "kiali-server",
        {
            "auth": {"strategy": "token"},
            "deployment": {"replicas": 2, "hpa": {"spec": {"maxReplicas": 3}}},
            "login_token": {"signing_key": "secret:k:key"},
        },
        ["kiali-server: deployment.replicas set while deployment.hpa.spec autoscales"],
    ),
    (
        "kiali-server",
        {"auth": {"strategy": "token"}},
        ["kiali-server: login_token.signing_key empty, regenerated on every render"],
    ),
    (
        "kiali-server",
        {"auth": {"strategy": "anonymous"}},
        ["kiali-server: login_token.signing_key empty, regenerated on every render"],
    ),
    ("kiali-server", {"auth": {"strategy": "anonymous"}, "login_token": {"signing_key": "secret:k:key"}}, []),
    ("base", {"base": {"validationCABundle": "LS0t"}}, ["base: base.validationCABundle set"]),
    ("istiod", {"istiodRemote": {"injectionCABundle": "LS0t"}}, ["istiod: istiodRemote.injectionCABundle set"]),
]


@pytest.mark.parametrize(("chart", "values", "problems"), RULE_CASES)
def test_the_rules_catch_what_drifts(chart, values, problems):
    assert drift_problems(chart, values) == problems
