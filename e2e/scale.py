"""How the stack's time grows with the work: `dev` with N routes over N app namespaces (one route each, every
namespace injected), timing preview on the empty cluster, first `up`, no-op preview and destroy at each size.

    .venv-test/bin/python -m e2e.run --only scale                         # the e2e's sizes (SIZES)
    E2E_SCALE_SIZES="1 10 100" .venv-test/bin/python -m e2e.run --only scale   # the curve of docs/scale.md

The curve is printed as a table at the end (`curve`), one row a size; scripts/benchmark.py --scale runs this.
"""

from __future__ import annotations

import os
from typing import Any

from e2e.context import Context
from e2e.scenarios import changes, destroy_and_check, kept_crds, set_settings, stack_namespaces

# What CI runs: small enough to stay inside its budget (docs/end-to-end.md); 100 is the benchmark's.
SIZES = (1, 10)
PHASES = ("preview", "up", "no-op preview", "destroy")
ROUTE_KIND = "gateway.networking.k8s.io/v1"


def sizes() -> tuple[int, ...]:
    written = os.environ.get("E2E_SCALE_SIZES", "").split()
    return tuple(int(size) for size in written) if written else SIZES


def scaled_settings(size: int) -> dict[str, Any]:
    """`dev`'s settings with `size` routes, each in its own injected namespace `scale-<i>`."""
    namespaces = [f"scale-{index}" for index in range(size)]
    return {
        "mesh": {"mtls": "STRICT", "tracing": {"sampling": 100}, "injectedNamespaces": ["apps", *namespaces]},
        "routes": [{"name": f"route-{index}", "namespace": namespace} for index, namespace in enumerate(namespaces)],
    }


def step_name(size: int, phase: str) -> str:
    return f"scale {size}: {phase}"


def scale(context: Context) -> None:
    report, stack = context.report, context.stack
    if not context.fixture and "E2E_SCALE_SIZES" not in os.environ:
        # The curve's shape is the engine's and the stack's; the fixture run measures it once per CI run.
        print("e2e: scale: run with the fixture charts only (E2E_SCALE_SIZES to run it here)", flush=True)
        return
    for size in sizes():
        set_settings(context, **scaled_settings(size))
        with report.step(step_name(size, "preview")):
            preview = stack.preview()
        routes = [urn for urn, op in changes(preview).items() if urn.split("::")[2].endswith("HTTPRoute")]
        # Besides the `size` routes: the demo's, and the HTTP-to-HTTPS redirect (dev's tls.mode ca).
        want = size + 2
        report.check(f"scale {size}: preview plans {want} HTTPRoutes", len(routes) == want, len(routes))
        with report.step(step_name(size, "up")):
            stack.up()
        live = [
            route["metadata"]["name"]
            for route in context.cluster.get(f"/apis/{ROUTE_KIND}/httproutes")["items"]
            if route["metadata"]["namespace"].startswith("scale-")
        ]
        report.check(f"scale {size}: {size} HTTPRoutes in the scale namespaces", len(live) == size, live[:3])
        with report.step(step_name(size, "no-op preview")):
            again = stack.preview("--expect-no-changes", check=False)
        report.check(f"scale {size}: no changes", again.code == 0 and not changes(again), changes(again))
        owned = stack_namespaces(context)
        destroy_and_check(context, step_name(size, "destroy"), owned, kept_crds(context))
    print("\n".join(curve(report.timings)), flush=True)


def curve(timings: list[tuple[str, float]]) -> list[str]:
    """The measured sizes as a table: seconds per phase, one row a size."""
    seconds = dict(timings)
    measured = sorted({int(name.split()[1].rstrip(":")) for name, _ in timings if name.startswith("scale ")})
    lines = ["e2e: scale curve (seconds)", "e2e:   routes " + "".join(f"{phase:>16}" for phase in PHASES)]
    for size in measured:
        row = [
            seconds.get(f"destroy ({step_name(size, phase)})", seconds.get(step_name(size, phase))) for phase in PHASES
        ]
        lines.append(f"e2e:   {size:6d} " + "".join(f"{value:16.1f}" if value else f"{'-':>16}" for value in row))
    return lines
