"""Istio's Grafana dashboards for the installed Istio version, read by the program (not by the cluster).

At `pulumi up` (and preview) the program downloads each dashboard from the Istio release the stack installs
(URL pinned in definitions/versions.py), or reads it from the mirror (a base URL or a local directory), checks it is
JSON, compacts it, and the dashboards component delivers it as a ConfigMap that Grafana provisions. Grafana never
downloads them itself (the cluster still pulls every image from its registry, or the mirror's); an Istio upgrade
updates the dashboards.

The source is injectable (`use_source`), so the tests run with a small fixture and no network.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from components.dashboards import IstioDashboard
from definitions import versions
from definitions.mirror import istio_dashboard_location

# (Istio version, mirror base URL or directory or None) -> {file name: JSON text}
DashboardSource = Callable[[str, str | None], Mapping[str, str]]

# A ConfigMap holds at most 1 MiB (data plus metadata, etcd's object limit); keep room for the metadata.
CONFIGMAP_DATA_LIMIT = 1024 * 1024 - 16 * 1024
DOWNLOAD_TIMEOUT_SECONDS = 30


class DashboardSourceError(Exception):
    """A dashboard could not be read or would not fit a ConfigMap."""


def download(version: str, mirror: str | None = None) -> dict[str, str]:
    """Each pinned dashboard file of Istio `version`, from the Istio repository at that tag, or from the mirror
    (`<mirror>/<version>/<file>`, a URL or a local directory)."""
    found = {}
    for file in versions.ISTIO_DASHBOARD_FILES:
        url = istio_dashboard_location(version, file, mirror)
        try:
            if url.startswith(("http://", "https://")):
                with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
                    found[file] = response.read().decode("utf-8")
            else:
                found[file] = Path(url).read_text(encoding="utf-8")
        except OSError as error:
            raise DashboardSourceError(
                f"Istio {version}'s Grafana dashboard {file}: cannot read {url}: {error}"
            ) from error
    return found


_source: list[DashboardSource] = [download]


@contextlib.contextmanager
def use_source(source: DashboardSource) -> Iterator[None]:
    """Read the dashboards from `source` while the block runs (the tests' fixture, a mirror)."""
    _source.append(source)
    try:
        yield
    finally:
        _source.pop()


def dashboard_name(file: str) -> str:
    """istio-mesh-dashboard.gen.json -> istio-mesh-dashboard (Istio generates some files from jsonnet)."""
    return file.removesuffix(".json").removesuffix(".gen")


def load(version: str, mirror: str | None = None) -> tuple[IstioDashboard, ...]:
    files = _source[-1](version, mirror)
    missing = [file for file in versions.ISTIO_DASHBOARD_FILES if file not in files]
    if missing:
        raise DashboardSourceError(f"Istio {version}'s Grafana dashboards: {', '.join(missing)} not found")
    dashboards = []
    for file in versions.ISTIO_DASHBOARD_FILES:
        try:
            document = json.loads(files[file])
        except json.JSONDecodeError as error:
            raise DashboardSourceError(f"Istio {version}'s Grafana dashboard {file} is not JSON: {error}") from error
        compact = json.dumps(document, separators=(",", ":"), sort_keys=True)
        if len(compact.encode("utf-8")) > CONFIGMAP_DATA_LIMIT:
            raise DashboardSourceError(
                f"Istio {version}'s Grafana dashboard {file} is {len(compact.encode('utf-8'))} bytes compacted, "
                f"more than a ConfigMap holds ({CONFIGMAP_DATA_LIMIT})"
            )
        dashboards.append(IstioDashboard(dashboard_name(file), document.get("title", file), compact))
    return tuple(dashboards)
