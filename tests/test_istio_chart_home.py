"""Istio retired its Google Cloud Storage bucket (its charts are removed there in December 2026): nothing in the tree,
and nothing a shipped stack registers or the mirror command fetches, may name it again.

The retired locations are assembled from their parts below, so that this file is not itself a reference and the
tree scan needs no exception: the bucket's own host, and the same bucket addressed by path on the storage host.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from definitions import versions
from scripts import mirror as command
from tests.harness import PROJECT_DIR, reveal, shipped_stacks
from tests.test_mirror import MIRROR, mirrored_config

BUCKET = "istio-release"
STORAGE_HOST = ".".join(("storage", "googleapis", "com"))
RETIRED = (f"{BUCKET}.{STORAGE_HOST}", f"{STORAGE_HOST}/{BUCKET}")
# Not the project's text: tools' caches and the virtualenv (third-party packages).
NOT_THE_TREE = {".git", "venv", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def references(root: Path) -> list[str]:
    """Every file under `root` (outside NOT_THE_TREE) that names a retired location, with the one it names."""
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or NOT_THE_TREE & set(path.relative_to(root).parts):
            continue
        text = path.read_bytes().decode("utf-8", errors="replace").lower()
        found += [f"{path.relative_to(root)}: {retired}" for retired in RETIRED if retired in text]
    return found


def named_in(value: object) -> list[str]:
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in named_in(key) + named_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in named_in(item)]
    return [retired for retired in RETIRED if isinstance(value, str) and retired in value.lower()]


def test_the_tree_names_no_retired_location():
    assert references(PROJECT_DIR) == []


def test_the_tree_scan_finds_a_planted_reference(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(f"helm repo add istio https://{RETIRED[0].upper()}/charts\n")
    (tmp_path / "values.yaml").write_text(f"repo: https://{RETIRED[1]}/charts\n")
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "third_party.py").write_text(RETIRED[0])
    assert references(tmp_path) == [f"docs/page.md: {RETIRED[0]}", f"values.yaml: {RETIRED[1]}"]


@pytest.mark.parametrize("stack", shipped_stacks())
def test_no_shipped_stack_registers_a_retired_location(shared_run, stack):
    """What `pulumi preview` shows: every input of every registration, secrets unwrapped."""
    run = shared_run(stack, stack=stack)
    assert run.resources
    assert {r.name: named_in(reveal(r.inputs)) for r in run.resources if named_in(reveal(r.inputs))} == {}


def test_the_registration_scan_sees_a_retired_location():
    assert named_in({"repositoryOpts": {"repo": f"https://{RETIRED[0]}/charts"}, "n": 1}) == [RETIRED[0]]
    assert named_in([{"url": f"https://{RETIRED[1].upper()}/charts/base-1.30.3.tgz"}]) == [RETIRED[1]]


def test_the_mirror_command_fetches_no_retired_location():
    stacks = [command.stack_settings(command.stack_config(stack)) for stack in command.shipped_stacks()]
    plan = command.plan(stacks)
    fetched = [ref.repository for ref in plan.charts] + [f.url for f in plan.files] + list(plan.images)
    assert named_in(fetched) == []
    assert {ref.repository for ref in plan.charts if ref.chart in versions.ISTIO_CHARTS} == {
        "https://blob.istio.io/istio-release/charts"
    }


def test_istios_oci_home_through_the_mirror_overrides(run_stack):
    """docs/air-gapped.md: Istio's five charts from oci://ghcr.io/istio/release/charts, the others from the mirror."""
    oci = "oci://ghcr.io/istio/release/charts"
    charts = {
        "repository": "https://mirror.internal.example/charts",
        "overrides": dict.fromkeys(("base", "istiod", "gateway", "cni", "ztunnel"), oci),
    }
    config = {**mirrored_config("ambient"), "mirror": {**MIRROR, "charts": charts}}
    run = run_stack(config, stack="ambient")
    for chart in ("base", "istiod", "gateway", "cni", "ztunnel"):
        inputs = run.chart(f"{oci}/{chart}").inputs
        assert inputs["version"] == "1.31.4"
        assert "repo" not in inputs.get("repositoryOpts", {}), chart
    assert run.chart("prometheus").inputs["repositoryOpts"] == {"repo": "https://mirror.internal.example/charts"}
    assert oci == versions.ISTIO_OCI_REPOSITORY
