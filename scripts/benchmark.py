"""Benchmark the install graph of every shipped stack (a script, not a test).

For each `Pulumi.<stack>.yaml`, and each example configuration below: the number of resources, the wall time
of building the graph under mocks, and the critical path of the install: the longest chain of awaited installs
(Helm charts, CRD bundles, cloud resources) along the dependency edges, i.e. the sequential waits of a real
`pulumi up`; and the TLS chain: the longest chain of waits (the same, plus cert-manager's API-check Job and
Certificates) until the wildcard certificate is Ready. Then what each stack requests of its cluster (CPU,
memory), per workload, and `dev` under the production profile.

    venv/bin/python -m scripts.benchmark [--runs N]
    .venv-test/bin/python -m scripts.benchmark --scale [1 10 100]

`--scale` measures instead how the real engine's time grows with the work: the e2e (e2e/scale.py, the toolchain
and loopback cluster of docs/end-to-end.md) runs `dev` with each number of routes and app namespaces and prints
the curve (docs/scale.md holds the measured one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import cache

from scripts.footprint import footprint, table
from tests import fakes, harness

# The scale curve's sizes (routes, app namespaces), docs/scale.md.
SCALE_SIZES = (1, 10, 100)
AWAITED_TYPES = ("kubernetes:helm.sh/v4:Chart", "kubernetes:yaml/v2:ConfigFile")
CLOUD_PREFIXES = ("gcp:", "aws:")
# Also awaited on the way to HTTPS: cert-manager's API-check Job (to completion) and Certificates (Ready).
TLS_AWAITED_TYPES = ("kubernetes:batch/v1:Job", "kubernetes:cert-manager.io/v1:Certificate")


def is_awaited_install(registration: harness.Registration) -> bool:
    return registration.type in AWAITED_TYPES or registration.type.startswith(CLOUD_PREFIXES)


def is_awaited_for_tls(registration: harness.Registration) -> bool:
    return is_awaited_install(registration) or registration.type in TLS_AWAITED_TYPES


def tls_chain(run: harness.Run) -> list[str]:
    """The longest chain of waits before the wildcard certificate is Ready (empty without one)."""
    certificates = [
        r for r in run.of_type("kubernetes:cert-manager.io/v1:Certificate") if r.name == "wildcard-certificate"
    ]
    return critical_path(run, is_awaited_for_tls, ends=certificates) if certificates else []


def critical_path(
    run: harness.Run,
    awaited: Callable[[harness.Registration], bool] = is_awaited_install,
    ends: list[harness.Registration] | None = None,
) -> list[str]:
    """The longest chain of awaited installs (ending at one of `ends`, default any); edges through other objects
    (namespaces...) count as waits too."""
    by_urn = {r.urn: r for r in run.resources}

    def dependencies(registration: harness.Registration) -> set[str]:
        urns = set(registration.dependencies)
        for property_urns in registration.property_dependencies.values():
            urns.update(property_urns)
        return {urn for urn in urns if urn in by_urn}

    @cache
    def longest_from(urn: str) -> tuple[str, ...]:
        registration = by_urn[urn]
        best: tuple[str, ...] = ()
        for dependency in dependencies(registration):
            chain = longest_from(dependency)
            if len(chain) > len(best):
                best = chain
        return best + ((registration.name,) if awaited(registration) else ())

    targets = [r.urn for r in ends] if ends is not None else list(by_urn)
    chains: list[tuple[str, ...]] = [longest_from(urn) for urn in targets]
    longest: tuple[str, ...] = max(chains, key=len) if chains else ()
    return list(longest)


# Configurations that are not shipped stacks: dev in the middle of a canary upgrade (two istiod revisions, one
# namespace pinned to the canary).
EXAMPLES = {
    "dev-two-revisions": {
        **harness.stack_config("dev"),
        "istio": {
            "revisions": [{"name": "stable", "version": "1.30.3"}, {"name": "canary", "version": "1.31.0"}],
            "defaultRevision": "stable",
        },
        "mesh": {
            **harness.stack_config("dev")["mesh"],
            "injectedNamespaces": ["apps", {"name": "payments", "revision": "canary"}],
        },
    },
}


def run_stack(stack: str, **overrides) -> harness.Run:
    config = EXAMPLES[stack] if stack in EXAMPLES else harness.stack_config(stack)
    return harness.run_program(
        {**config, **overrides},
        computed=fakes.computed_fields,
        calls=fakes.invoke,
        resource_id=fakes.resource_id,
        stack=stack,
        dashboards=fakes.istio_dashboards,
        kubeconfig=fakes.KIND_KUBECONFIG,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per stack (median reported)")
    parser.add_argument(
        "--scale", type=int, nargs="*", help="route counts for the e2e's scale curve (default 1 10 100)"
    )
    options = parser.parse_args()
    if options.scale is not None:
        sizes = " ".join(str(size) for size in options.scale or SCALE_SIZES)
        env = {**os.environ, "E2E_SCALE_SIZES": sizes}
        sys.exit(subprocess.run([sys.executable, "-m", "e2e.run", "--only", "scale"], env=env).returncode)
    runs: dict[str, harness.Run] = {}
    print(
        f"{'stack':<18} {'resources':>9} {'build ms':>9} {'chained installs':>16} {'tls chain':>9}"
        "  critical path; tls chain"
    )
    for stack in [*harness.shipped_stacks(), *EXAMPLES]:
        run_stack(stack)  # warm-up: the first run pays the imports
        timings = []
        for _ in range(options.runs):
            start = time.perf_counter()
            run = run_stack(stack)
            timings.append((time.perf_counter() - start) * 1000)
        path, tls = critical_path(run), tls_chain(run)
        print(
            f"{stack:<18} {len(run.resources):>9} {statistics.median(timings):>9.1f} {len(path):>16} {len(tls):>9}  "
            f"{' -> '.join(path)}; {' -> '.join(tls) or '-'}"
        )
        runs[stack] = run
    runs["dev, profile production"] = run_stack("dev", profile="production")
    print("\nRequested of the cluster (scripts/footprint.py; replicas at the autoscalers' minimum):")
    for stack, run in runs.items():
        print(f"{stack}:\n{table(footprint(run))}")


if __name__ == "__main__":
    main()
