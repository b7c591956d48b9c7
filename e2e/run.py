"""The end-to-end test: the real Pulumi engine, Kubernetes provider and API server run the stack for real.

    .venv-test/bin/python -m e2e.run [--mirror DIR] [--keep]

Builds (or takes from its cache) the toolchain (e2e/toolchain), starts a loopback cluster (e2e/cluster.py),
serves a mirror in issue 17's layout on loopback (the project's fixture charts, or `--mirror DIR` made by
`python -m scripts.mirror DIR` from the real upstream artifacts), then walks the scenarios below against one
stack, each step timed, each check a statement that could be false. Prints `N passed, N failed` last; any
failure, a toolchain that cannot be built or a cluster that does not start exits non-zero (never a skip), with
the cluster's and Pulumi's logs kept in the run's directory and their tails printed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from e2e import (
    clean_tree_scenario,
    convergence,
    drift,
    faults,
    network_policy_scenarios,
    scenarios,
    skip_checkpoints,
)
from e2e.cert_manager_double import CertManagerDouble
from e2e.cloud_stacks import aws, gcp
from e2e.cluster import LoopbackCluster
from e2e.context import Context, Report
from e2e.helm_comparison import helm_sequence, ratio_lines
from e2e.mirror import MirrorServer, fixture_mirror, held_settings
from e2e.pulumi_cli import PulumiStack
from e2e.scale import scale
from e2e.toolchain import build as toolchain
from e2e.volume_double import VolumeDouble

# The scenarios in their order: the helm sequence first, on the empty cluster it leaves empty (the stack's first
# `up` is compared with it); the core ones (e2e/scenarios.py); then those in modules of their own, each on a
# cluster the ones before have emptied: the NetworkPolicies, the clean tree, the engine without its per-step
# checkpoints (e2e/skip_checkpoints.py), the shipped cloud stacks
# (e2e/cloud_stacks.py), the scale curve's small sizes (e2e/scale.py), then the faults and the drift, each
# ending destroyed with nothing left behind.
SCENARIOS: dict[str, Callable[[Context], None]] = {
    "helm-comparison": helm_sequence,
    **scenarios.ALL,
    **network_policy_scenarios.SCENARIOS,
    **clean_tree_scenario.SCENARIOS,
    **skip_checkpoints.SCENARIOS,
    "gcp": gcp,
    "aws": aws,
    "scale": scale,
    **faults.ALL,
    **drift.ALL,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", type=Path, help="a mirror directory made by `python -m scripts.mirror DIR`")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory even when it passes")
    parser.add_argument(
        "--only", nargs="*", default=None, help=f"scenarios to run, in order (default all: {' '.join(SCENARIOS)})"
    )
    args = parser.parse_args(argv)
    report = Report()
    started = time.monotonic()
    with report.step("toolchain (build or cache)"):
        bins = toolchain.build_all()
    directory = Path(tempfile.mkdtemp(prefix="service-mesh-e2e-"))
    print(f"e2e: run directory {directory}", flush=True)
    cluster = LoopbackCluster(directory / "cluster", bins)
    failed_hard = False
    mirror = None
    certificates = None
    volumes = None
    try:
        with report.step("cluster start"):
            cluster.start()
        mirror_dir = args.mirror.resolve() if args.mirror else fixture_mirror(directory / "mirror")
        mirror = MirrorServer(mirror_dir).start()
        if args.mirror:
            print(f"e2e: the mirror's versions where the pins moved past it: {held_settings(mirror_dir) or 'none'}")
        certificates = CertManagerDouble(cluster).start()
        volumes = VolumeDouble(cluster).start()
        stack = PulumiStack(
            directory / "pulumi",
            "dev",
            [bins["pulumi"], bins["provider"]],
            cluster.kubeconfig,
            directory / "pulumi.log",
        )
        with report.step("stack init"):
            stack.init()
        context = Context(report, cluster, stack, mirror, certificates, fixture=args.mirror is None)
        context.baseline = convergence.listing(cluster)
        for name in args.only or SCENARIOS:
            run_scenario(name, SCENARIOS[name], context)
    except Exception:
        failed_hard = True
        traceback.print_exc()
    finally:
        if certificates is not None:
            certificates.stop()
        if volumes is not None:
            volumes.stop()
        if mirror is not None:
            mirror.stop()
        cluster.stop()
    report.timings.append(("total", time.monotonic() - started))
    print("\ne2e: timings")
    for name, seconds in report.timings:
        print(f"e2e:   {seconds:8.1f} s  {name}")
    print("\n".join(ratio_lines(report.timings)))
    failed = failed_hard or bool(report.failed)
    if failed:
        print(f"\ne2e: FAILED; logs kept in {directory}", flush=True)
        print(cluster.logs())
        pulumi_log = directory / "pulumi.log"
        if pulumi_log.exists():
            print("===== pulumi.log (tail) =====")
            print("\n".join(pulumi_log.read_text(errors="replace").splitlines()[-150:]))
        for name in report.failed:
            print(f"e2e: failed: {name}")
    elif not args.keep:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"{len(report.passed)} passed, {len(report.failed) + (1 if failed_hard else 0)} failed")
    return 1 if failed else 0


def run_scenario(name: str, scenario: Callable[[Context], None], context: Context) -> None:
    with context.report.step(f"scenario {name}"):
        try:
            scenario(context)
        except AssertionError as error:
            context.report.check(f"{name}: completes", False, error)
            raise
    context.cluster.check_alive()


if __name__ == "__main__":
    sys.exit(main())
