"""The program's own work grows with the work it is given, no faster (issue 26, docs/scale.md).

The program used to derive every namespace's data plane and Pod Security level once per namespace it labelled, each
by scanning the list of namespaces: cubic in the namespaces, 2.7 s of `dev`'s program at 100 app namespaces and
30 s at 200 (the engine's no-op preview waits for the program). Counting the Python calls the program makes (a
profile hook, not a clock: the count does not depend on the machine's load) catches any such growth.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from settings.loader import load_settings
from stacks import pod_security
from tests import harness


def scaled(size: int) -> dict[str, Any]:
    """`dev` with `size` app namespaces and one route in each (the e2e's scale scenario's shape)."""
    config = harness.stack_config("dev")
    namespaces = [f"scale-{index}" for index in range(size)]
    config["mesh"] = {**config["mesh"], "injectedNamespaces": ["apps", *namespaces]}
    config["routes"] = [{"name": f"route-{index}", "namespace": name} for index, name in enumerate(namespaces)]
    return config


def python_calls(run_stack, config: dict[str, Any]) -> tuple[int, int]:
    """(Python function calls, resources registered) of one run of the program."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        run = run_stack(config)
    finally:
        sys.setprofile(None)
    return calls, len(run.resources)


def test_doubling_the_namespaces_and_routes_at_most_doubles_the_programs_work(run_stack):
    run_stack(scaled(1))  # imports and first-use caches out of the count
    calls_100, resources_100 = python_calls(run_stack, scaled(100))
    calls_200, resources_200 = python_calls(run_stack, scaled(200))
    # Three resources a route: its namespace, its HTTPRoute and the component that holds the route.
    assert resources_200 - resources_100 == 300
    # Measured 1.84 (1.03 M calls at 100, 1.89 M at 200); the cubic derivation gave 20 M and 60 M.
    assert calls_200 < 2.1 * calls_100, (calls_100, calls_200)


def test_one_namespaces_level_is_its_level_among_all():
    settings = load_settings(
        {
            "cloud": "local",
            "mesh": {"injectedNamespaces": ["shop", {"name": "edge", "dataplane": "ambient"}]},
        }
    )
    levels = pod_security.namespace_levels(settings)
    assert {n: pod_security.namespace_level(settings, n) for n in levels} == levels
    # ambient anywhere installs the CNI node agent, so every app namespace is restricted, and its own is privileged.
    assert levels["istio-node-agents"].level == "privileged"
    assert levels["shop"].level == "restricted"
    with pytest.raises(KeyError):
        pod_security.namespace_level(settings, "not-created-by-the-stack")
