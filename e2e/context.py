"""What every e2e scenario is handed: the run's report (timed steps, checks) and the live pieces it drives.

Its own module so that the runner (e2e/run.py) and the scenario modules import it, never each other.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from e2e.cert_manager_double import CertManagerDouble
from e2e.cluster import LoopbackCluster
from e2e.mirror import MirrorServer
from e2e.pulumi_cli import PulumiStack


@dataclass
class Report:
    timings: list[tuple[str, float]] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        print(f"e2e: {name} ...", flush=True)
        started = time.monotonic()
        try:
            yield
        finally:
            seconds = time.monotonic() - started
            self.timings.append((name, seconds))
            print(f"e2e: {name}: {seconds:.1f} s", flush=True)

    def check(self, name: str, ok: bool, detail: Any = "") -> None:
        (self.passed if ok else self.failed).append(name)
        print(f"e2e:   {'ok  ' if ok else 'FAIL'} {name}{'' if ok else f': {detail}'}", flush=True)


@dataclass
class Context:
    report: Report
    cluster: LoopbackCluster
    stack: PulumiStack
    mirror: MirrorServer
    certificates: CertManagerDouble
    fixture: bool
    # Every object of the cluster before the run's first `up`, by (group, resource, namespace, name): what a
    # destroy must leave (e2e/convergence.py).
    baseline: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
