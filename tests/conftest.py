"""The one mock fixture every test shares: run the program with a config and get what it registered."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests import fakes, harness


@pytest.fixture
def run_stack():
    """run_stack(shipped stack name or config dict, **top-level overrides) -> harness.Run"""

    def run(
        config: Any = "dev",
        *,
        stack: str = "test",
        secret_keys: tuple[str, ...] = (),
        kubeconfig: str | None = fakes.KIND_KUBECONFIG,
        **overrides,
    ) -> harness.Run:
        base = harness.stack_config(config) if isinstance(config, str) else copy.deepcopy(config)
        base.update(overrides)
        return harness.run_program(
            base,
            computed=fakes.computed_fields,
            calls=fakes.invoke,
            resource_id=fakes.resource_id,
            stack=stack,
            dashboards=fakes.istio_dashboards,
            secret_keys=secret_keys,
            kubeconfig=kubeconfig,
        )

    return run


_SHARED: dict[str, harness.Run] = {}


@pytest.fixture
def shared_run(run_stack):
    """run_stack for tests that only read the run: each distinct config runs once per session (the suite stays
    fast). A test that changes what it gets back must use run_stack."""

    def run(config: Any = "dev", *, stack: str = "test", secret_keys: tuple[str, ...] = (), **overrides) -> harness.Run:
        key = json.dumps([config, stack, sorted(secret_keys), overrides], sort_keys=True)
        if key not in _SHARED:
            _SHARED[key] = run_stack(config, stack=stack, secret_keys=secret_keys, **overrides)
        return _SHARED[key]

    return run
