"""What every controller test double of the e2e shares: a thread that reconciles the loopback cluster's objects
every `interval` seconds until stopped, as the real controller's watch loop would (cert_manager_double.py,
volume_double.py say what each one stands in for)."""

from __future__ import annotations

import threading
import urllib.error
from typing import TypeVar

from e2e.cluster import LoopbackCluster

Double = TypeVar("Double", bound="ControllerDouble")


class ControllerDouble:
    name = "controller-double"

    def __init__(self, cluster: LoopbackCluster, interval: float = 1.0):
        self.cluster = cluster
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=self.name)

    def start(self: Double) -> Double:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.reconcile()
            except (urllib.error.URLError, OSError):
                continue  # a kind not installed yet (404), or the API server busy or restarting: next round

    def reconcile(self) -> None:
        raise NotImplementedError
