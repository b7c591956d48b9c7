"""The single-cluster stacks keep every resource's URN: a changed URN is a delete and a create on the next `up` of
every existing stack (a new namespace, a reinstalled chart), unless it comes with an alias.

tests/single_cluster_urns.json holds, for every shipped single-cluster stack and every chart-values variant and
config, the URNs it registers (under this project and the `test` stack, whose prefix is left out), as recorded
before a multicluster stack began to reuse the single-cluster code (stacks/mesh.py, routes.py, verification.py
with a cluster's name as resource-name prefix). A new resource is added to the file deliberately; a renamed one
needs an alias first."""

from __future__ import annotations

import json

import pytest

from tests.harness import PROJECT_DIR, single_cluster_stacks
from tests.test_chart_values import CONFIGS, VARIANTS

RECORDED = json.loads((PROJECT_DIR / "tests" / "single_cluster_urns.json").read_text())
PREFIX = "urn:pulumi:test::service-mesh::"

CASES = [
    *[(stack, stack, {}) for stack in single_cluster_stacks()],
    *[(f"dev+{name}", "dev", overrides) for name, overrides in sorted(VARIANTS.items())],
    *[(name, config, {}) for name, config in sorted(CONFIGS.items())],
]


def test_every_case_is_recorded():
    assert sorted(case for case, _, _ in CASES) == sorted(RECORDED)


@pytest.mark.parametrize(("case", "config", "overrides"), CASES, ids=[case[0] for case in CASES])
def test_single_cluster_urns_are_unchanged(shared_run, case, config, overrides):
    if isinstance(config, str):
        run = shared_run(config, **overrides)
    else:
        run = shared_run(config, secret_keys=("dashboards",))
    urns = sorted(r.urn.removeprefix(PREFIX) for r in run.resources)
    assert all(r.urn.startswith(PREFIX) for r in run.resources)
    recorded = RECORDED[case]
    assert [u for u in recorded if u not in urns] == [], "URNs gone (a replacement for existing stacks)"
    assert [u for u in urns if u not in recorded] == [], "URNs new (record them in tests/single_cluster_urns.json)"
