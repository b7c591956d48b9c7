"""The e2e's loopback mirror: a directory in the layout of issue 17's mirror command, served over HTTP on 127.0.0.1.

    DIR/charts/index.yaml, DIR/charts/<chart>-<version>.tgz     a Helm repository
    DIR/gateway-api/<version>/<channel>-install.yaml
    DIR/istio-dashboards/<istio version>/<file>

`fixture_mirror` writes one from this project's test doubles (e2e/fixtures): fixture charts packaged at the pinned
names and versions (Helm is not needed: a chart archive is a gzipped tar of `<chart>/...` and the index a YAML
list of them with their sha256), the fixture Gateway API bundle, and fixture Istio dashboards. `--mirror DIR`
points the same run at a directory the mirror command made from the real upstream artifacts instead.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from definitions import versions
from e2e.fixtures import gateway_api

FIXTURE_CHARTS = Path(__file__).resolve().parent / "fixtures" / "charts"
# The Istio versions the scenarios install: the pin; the release the revision runbook (docs/upgrades.md) starts from,
# past its end of support (installed with istio.allowUnsupported, then left through a canary to the pin); and the
# one after the pin (the next upgrade, between two named revisions). Fixture charts only: `--mirror` holds what the
# mirror command copied (held_settings).
RUNBOOK_OLD_ISTIO_VERSION = "1.30.3"
NEXT_ISTIO_VERSION = "1.32.0"
ISTIO_VERSIONS = (versions.ISTIO_DEFAULT_VERSION, RUNBOOK_OLD_ISTIO_VERSION, NEXT_ISTIO_VERSION)


def held_settings(directory: Path, today: date | None = None) -> dict[str, Any]:
    """Top-level settings naming what a `--mirror` directory holds where a pin has moved past it: the newest Istio
    release whose five charts its Helm repository lists (acknowledged when out of support: the mirror's copy is
    what can be run here), the newest Gateway API bundle under gateway-api/. Empty when it holds the pins."""
    index = yaml.safe_load((directory / "charts" / "index.yaml").read_text())
    listed = [{entry["version"] for entry in index["entries"].get(chart, [])} for chart in versions.ISTIO_CHARTS]
    istio_held = set.intersection(*listed)
    bundles = [path.name for path in (directory / "gateway-api").iterdir() if path.is_dir()]
    settings: dict[str, Any] = {}
    if versions.ISTIO_DEFAULT_VERSION not in istio_held and istio_held:
        istio = max(istio_held, key=versions.parse_istio_version)
        unsupported = versions.istio_support_problem(istio, today or date.today()) is not None
        settings["istio"] = {"version": istio, **({"allowUnsupported": True} if unsupported else {})}
    if versions.GATEWAY_API_DEFAULT_VERSION not in bundles and bundles:
        settings["gatewayApi"] = {"version": max(bundles, key=versions.parse_gateway_api_version)}
    return settings


def release_order(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


def held_versions(directory: Path, chart: str) -> list[str]:
    """The versions of `chart` a mirror directory's Helm repository (DIR/charts/index.yaml) holds, oldest first."""
    index = yaml.safe_load((directory / "charts" / "index.yaml").read_text())
    return sorted({entry["version"] for entry in index["entries"].get(chart, [])}, key=release_order)


def pinned_charts() -> list[tuple[str, str]]:
    """(chart, version) for every chart the stack can install, as definitions/versions.py pins them."""
    refs = [
        versions.EXTERNAL_DNS,
        versions.PROMETHEUS,
        versions.GRAFANA,
        versions.JAEGER,
        versions.KIALI,
        versions.CERT_MANAGER,
    ]
    charts = [(ref.chart, ref.version) for ref in refs]
    charts += [(chart, version) for chart in versions.ISTIO_CHARTS for version in ISTIO_VERSIONS]
    return charts


def package_chart(source: Path, version: str) -> bytes:
    """A chart archive of `source` with Chart.yaml's version stamped."""
    chart = yaml.safe_load((source / "Chart.yaml").read_text())
    chart["version"] = version
    chart["appVersion"] = version
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(f"{chart['name']}/{name}")
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))

        add("Chart.yaml", yaml.safe_dump(chart, sort_keys=False).encode())
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source).as_posix()
            if path.is_file() and relative != "Chart.yaml":
                add(relative, path.read_bytes())
    return buffer.getvalue()


def write_chart_repository(directory: Path, charts: list[tuple[str, str]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC).isoformat()
    entries: dict[str, list[dict[str, object]]] = {}
    for name, version in charts:
        archive = package_chart(FIXTURE_CHARTS / name, version)
        file = f"{name}-{version}.tgz"
        (directory / file).write_bytes(archive)
        entries.setdefault(name, []).append(
            {
                "apiVersion": "v2",
                "name": name,
                "version": version,
                "appVersion": version,
                "created": created,
                "digest": hashlib.sha256(archive).hexdigest(),
                "urls": [file],
            }
        )
    index = {"apiVersion": "v1", "entries": entries, "generated": created}
    (directory / "index.yaml").write_text(yaml.safe_dump(index, sort_keys=False))


def fixture_dashboard(version: str, file: str) -> str:
    return json.dumps({"title": f"e2e fixture {file} (Istio {version})", "panels": [], "schemaVersion": 39})


def fixture_mirror(directory: Path) -> Path:
    write_chart_repository(directory / "charts", pinned_charts())
    for channel in versions.GATEWAY_API_CHANNELS:
        path = directory / "gateway-api" / versions.GATEWAY_API_DEFAULT_VERSION / f"{channel}-install.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(gateway_api.bundle(versions.GATEWAY_API_DEFAULT_VERSION, channel))
    for version in ISTIO_VERSIONS:
        for file in versions.ISTIO_DASHBOARD_FILES:
            path = directory / "istio-dashboards" / version / file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(fixture_dashboard(version, file))
    return directory


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@dataclass
class MirrorServer:
    """DIR over HTTP on a free loopback port, in a thread, until `stop`."""

    directory: Path
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> MirrorServer:
        handler = partial(_QuietHandler, directory=str(self.directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def settings(self) -> dict[str, object]:
        """The stack's `mirror` settings (issue 17's shape) pointing at this server."""
        return {
            "charts": {"repository": f"{self.url}/charts"},
            "gatewayApi": f"{self.url}/gateway-api",
            "istioDashboards": f"{self.url}/istio-dashboards",
            # No image is pulled on the loopback cluster (kwok runs no container); the prefix is still applied.
            "images": "registry.e2e.invalid/mesh",
        }
