"""The one mock fixture every test shares: run the program with a config and get what it registered."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests import fakes, harness


@pytest.fixture
def run_stack():
    """run_stack(shipped stack name or config dict, **top-level overrides) -> harness.Run"""

    def run(config: Any = "dev", *, stack: str = "test", secret_keys: tuple[str, ...] = (), **overrides) -> harness.Run:
        base = harness.stack_config(config) if isinstance(config, str) else copy.deepcopy(config)
        base.update(overrides)
        return harness.run_program(
            base, computed=fakes.computed_fields, calls=fakes.invoke, resource_id=fakes.resource_id, stack=stack, dashboards=fakes.istio_dashboards, secret_keys=secret_keys
        )

    return run
