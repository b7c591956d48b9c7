"""Every shipped Pulumi.<stack>.yaml runs clean, and its cloud decides what the mesh gets."""

from __future__ import annotations

import pytest

from tests.harness import shipped_stacks


@pytest.mark.parametrize("stack", shipped_stacks())
def test_shipped_stack_runs_clean(run_stack, stack):
    run = run_stack(stack, stack=stack)
    assert run.outputs["cloud"] in ("local", "gcp", "aws")
    assert run.outputs["versions"]["istio"]
    assert {"base", "istiod", "gateway"} <= set(run.charts())


def test_dev_is_the_local_cloud(run_stack):
    assert run_stack("dev").outputs["cloud"] == "local"
