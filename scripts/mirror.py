"""Fill a mirror for air-gapped installs, on a machine with internet: `python -m scripts.mirror DIR`.

Lays out what a stack with `mirror` set reads (docs/air-gapped.md):

    DIR/charts/<chart>-<version>.tgz and DIR/charts/index.yaml   every pinned chart (definitions/versions.py), a Helm
                                                                 repository: serve DIR over HTTP
    DIR/gateway-api/<version>/<channel>-install.yaml             the bundle each stack's gatewayApi names
    DIR/istio-dashboards/<istio version>/<file>                  the dashboards of every Istio version named
    DIR/images.txt                                               every image, pinned, with a copy command each

Istio versions and Gateway API bundles are those the stacks' settings name (`--stack`, default every shipped
Pulumi.<stack>.yaml). Run it again to update: a chart already there whose sha256 matches its digest in the
upstream repository's index.yaml is not downloaded again; a bundle or dashboard whose sha256 matches the one
recorded in DIR/SHA256SUMS at its first download (their upstreams publish no checksum) neither. A failed
download stops the run with an error naming the artifact and its URL.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import tarfile
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from definitions import versions
from definitions.mirror import chart_images, split_image
from settings import dataplane
from settings.loader import load_settings
from settings.model import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["name"]
TIMEOUT_SECONDS = 60
CHECKSUMS = "SHA256SUMS"
# What the copy commands in images.txt name the destination with when no prefix is known: set it, then run them.
IMAGES_PLACEHOLDER = "${MIRROR_IMAGES}"
# The shipped stacks' registry is a placeholder under the reserved `.example` domain (RFC 2606): no registry.
PLACEHOLDER_DOMAIN = ".example"


class MirrorError(Exception):
    """An artifact could not be fetched or did not match its checksum."""


@dataclass(frozen=True)
class FileDownload:
    """A file without an upstream checksum: the URL and where it goes under DIR."""

    what: str
    url: str
    path: str


@dataclass(frozen=True)
class Plan:
    charts: tuple[versions.ChartRef, ...]
    files: tuple[FileDownload, ...]
    images: tuple[str, ...]


@dataclass
class Report:
    downloaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def pinned_charts(istio_versions: Iterable[str]) -> list[versions.ChartRef]:
    """Every chart the stacks can install: Istio's at each version named, and every other pinned chart."""
    charts = [versions.istio_chart(chart, version) for version in istio_versions for chart in versions.ISTIO_CHARTS]
    others = [versions.EXTERNAL_DNS, versions.PROMETHEUS, versions.GRAFANA, versions.JAEGER, versions.KIALI]
    return [*charts, *others, versions.CERT_MANAGER]


def plan(stacks: Sequence[Settings]) -> Plan:
    istio_versions = sorted({revision.version for s in stacks for revision in s.istio.installed})
    charts = pinned_charts(istio_versions)
    files = [
        FileDownload(
            f"Gateway API {version} {channel} bundle",
            versions.gateway_api_bundle_url(version, channel),
            f"gateway-api/{version}/{channel}-install.yaml",
        )
        for version, channel in sorted({(s.gateway_api.version, s.gateway_api.channel) for s in stacks})
    ]
    files += [
        FileDownload(
            f"Istio {version} dashboard {file}",
            versions.istio_dashboard_url(version, file),
            f"istio-dashboards/{version}/{file}",
        )
        for version in istio_versions
        for file in versions.ISTIO_DASHBOARD_FILES
    ]
    images = {image.image for ref in charts for image in chart_images(ref)}
    images |= {
        f"{image.image}-{versions.ISTIO_AMBIENT_VARIANT}"
        for s in stacks
        if dataplane.ambient_enabled(s)
        for revision in s.istio.installed
        for chart in versions.ISTIO_CHARTS_WITH_AMBIENT_PROFILE
        for image in chart_images(versions.istio_chart(chart, revision.version))
    }
    images |= {versions.CERT_MANAGER_API_CHECK_IMAGE, versions.DEMO_IMAGE, versions.VERIFY_IMAGE}
    return Plan(tuple(charts), tuple(files), tuple(sorted(images)))


def fetch(what: str, url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.read()
    except OSError as error:
        raise MirrorError(f"{what}: cannot download {url}: {error}") from error


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chart_file(ref: versions.ChartRef) -> str:
    return f"{ref.chart}-{ref.version}.tgz"


def fill_charts(target: Path, charts: Sequence[versions.ChartRef], report: Report) -> None:
    indexes: dict[str, dict[str, Any]] = {}
    directory = target / "charts"
    directory.mkdir(parents=True, exist_ok=True)
    for ref in charts:
        what = f"chart {ref.chart} {ref.version}"
        index_url = f"{ref.repository.rstrip('/')}/index.yaml"
        if index_url not in indexes:
            indexes[index_url] = yaml.safe_load(fetch(f"{what}: the repository index", index_url)) or {}
        listed = indexes[index_url].get("entries", {}).get(ref.chart, [])
        entry = next((e for e in listed if e.get("version") == ref.version), None)
        if entry is None or not entry.get("urls") or not entry.get("digest"):
            raise MirrorError(f"{what}: not in {index_url} (or listed without a URL and digest)")
        digest = entry["digest"]
        path = directory / chart_file(ref)
        if path.exists() and sha256(path.read_bytes()) == digest:
            report.skipped.append(what)
            continue
        url = urllib.parse.urljoin(index_url, entry["urls"][0])
        data = fetch(what, url)
        if sha256(data) != digest:
            raise MirrorError(f"{what}: {url} has sha256 {sha256(data)}, but {index_url} lists digest {digest}")
        write(path, data)
        report.downloaded.append(what)
    write(directory / "index.yaml", helm_index(directory, charts).encode())


def helm_index(directory: Path, charts: Sequence[versions.ChartRef]) -> str:
    """A Helm repository index for the tarballs, from each one's own Chart.yaml (what `helm repo index` writes)."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for ref in charts:
        data = (directory / chart_file(ref)).read_bytes()
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            try:
                member = archive.extractfile(f"{ref.chart}/Chart.yaml")
            except KeyError:
                member = None
            if member is None:
                raise MirrorError(f"chart {ref.chart} {ref.version}: {chart_file(ref)} holds no {ref.chart}/Chart.yaml")
            metadata = yaml.safe_load(member.read())
        entry = {**metadata, "urls": [chart_file(ref)], "digest": sha256(data)}
        entries.setdefault(ref.chart, []).append(entry)
    return yaml.safe_dump({"apiVersion": "v1", "entries": entries}, sort_keys=True)


def fill_files(target: Path, files: Sequence[FileDownload], report: Report) -> None:
    sums_path = target / CHECKSUMS
    recorded: dict[str, str] = {}
    if sums_path.exists():
        for line in sums_path.read_text().splitlines():
            digest, _, name = line.partition("  ")
            recorded[name] = digest
    for file in files:
        path = target / file.path
        if path.exists() and recorded.get(file.path) == sha256(path.read_bytes()):
            report.skipped.append(file.what)
            continue
        data = fetch(file.what, file.url)
        write(path, data)
        recorded[file.path] = sha256(data)
        report.downloaded.append(file.what)
    write(sums_path, "".join(f"{digest}  {path}\n" for path, digest in sorted(recorded.items())).encode())


def copy_references(image: str, prefix: str) -> tuple[str, str]:
    """The source and destination of one image's copy. skopeo refuses a reference with both a tag and a digest,
    so neither has both: the source by its pinned digest where there is one (exactly the pinned manifest), the
    destination by tag. The copy keeps the manifest's bytes, so the stack's `tag@digest` reference under the
    mirror finds it there."""
    registry, path, suffix = split_image(image)
    tag, _, digest = suffix.partition("@")
    source = f"{registry}/{path}@{digest}" if digest else image
    return source, f"{prefix}/{path}{tag or suffix}"


def images_list(images: Sequence[str], prefix: str) -> str:
    lines = [
        "# Every image the stack runs, pinned, and the command that copies it to the registry mirror.images names",
        "# (skopeo instead: skopeo copy --all --preserve-digests docker://SOURCE docker://DESTINATION).",
    ]
    lines += ["crane copy {} {}".format(*copy_references(image, prefix)) for image in images]
    return "\n".join(lines) + "\n"


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)


def fill(target: Path, to_fetch: Plan, images_prefix: str) -> Report:
    report = Report()
    fill_charts(target, to_fetch.charts, report)
    fill_files(target, to_fetch.files, report)
    write(target / "images.txt", images_list(to_fetch.images, images_prefix).encode())
    return report


def stack_config(stack: str) -> dict[str, Any]:
    """A shipped stack's config without the project prefix; encrypted values (`secure:`) stay unread."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()) or {}
    prefix = f"{PROJECT}:"
    return {k[len(prefix) :]: v for k, v in (document.get("config") or {}).items() if k.startswith(prefix)}


def shipped_stacks() -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in PROJECT_DIR.glob("Pulumi.*.yaml"))


def stack_settings(config: dict[str, Any]) -> Settings:
    """What the mirror needs of a stack (its Istio and Gateway API versions): the mirror section itself is left
    out, its directories may exist only where the stack runs; so are secrets, which this command never needs."""
    return load_settings({k: v for k, v in config.items() if k != "mirror" and not _has_secret(v)})


def _has_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return "secure" in value or any(_has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def images_prefix(configs: Sequence[dict[str, Any]], given: str | None) -> str:
    """Where images.txt copies to: `--images`, else the stacks' one `mirror.images`. Stacks that disagree, or a
    placeholder (the shipped `registry.internal.example/mesh`), leave the variable for the copying shell to set:
    a list written for a placeholder would copy every image to a registry that does not exist."""
    prefixes = {c["mirror"]["images"] for c in configs if isinstance(c.get("mirror"), dict) and "images" in c["mirror"]}
    prefix = given or (prefixes.pop() if len(prefixes) == 1 else IMAGES_PLACEHOLDER)
    return IMAGES_PLACEHOLDER if prefix.partition("/")[0].endswith(PLACEHOLDER_DOMAIN) else prefix


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.mirror", description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path, help="the mirror directory (created; updated when it exists)")
    parser.add_argument("--stack", action="append", help="a Pulumi.<stack>.yaml to read (default: every one)")
    parser.add_argument("--images", help="registry prefix for images.txt (default: the stacks' mirror.images)")
    args = parser.parse_args(argv)
    configs = [stack_config(stack) for stack in args.stack or shipped_stacks()]
    prefix = images_prefix(configs, args.images)
    if prefix == IMAGES_PLACEHOLDER:
        print(
            f"mirror: images.txt copies to {IMAGES_PLACEHOLDER}: no one registry is set (the shipped ones are "
            "placeholders); run it as `MIRROR_IMAGES=REGISTRY/PATH sh images.txt` with your stack's mirror.images",
            file=sys.stderr,
        )
    try:
        report = fill(args.dir, plan([stack_settings(config) for config in configs]), prefix)
    except MirrorError as error:
        print(f"mirror: {error}", file=sys.stderr)
        return 1
    print(f"{len(report.downloaded)} downloaded, {len(report.skipped)} already there; images: {args.dir}/images.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
