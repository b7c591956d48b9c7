"""What the mocked engine answers: computed fields of resources and results of invokes.

Shared by the test fixture and scripts/benchmark.py. A real provider computes these; without them the
mocks return None and every input built on them silently vanishes (see ../shared/TESTING.md).
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime.mocks import MockResourceArgs


def computed_fields(args: MockResourceArgs) -> dict[str, Any]:
    return {}


def invoke(token: str, args: dict) -> dict:
    raise AssertionError(f"unexpected invoke {token}")
