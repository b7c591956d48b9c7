"""Air-gapped installs: where every chart, bundle, dashboard and image comes from when a mirror is given.

The mirror's layout (docs/air-gapped.md; filled by `python -m scripts.mirror DIR`):
charts from one Helm repository or OCI prefix (a chart may have its own), the Gateway API bundle at
`<gatewayApi>/<version>/<channel>-install.yaml`, Istio's dashboards at `<istioDashboards>/<istio version>/<file>`,
and every image at `<images>/<its path without the registry host>`, tag and digest kept. Components receive a
`ChartMirror` (typed; stacks/mirror.py builds it from the settings) and never read config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from definitions import versions

OCI = "oci://"
# What Docker and the kubelet assume for a reference without a registry host (`jaegertracing/jaeger`).
DEFAULT_REGISTRY = "docker.io"


@dataclass(frozen=True)
class ChartMirror:
    """Every chart from `repository` (a Helm repository URL or an oci:// prefix), or from its override, and
    every image under the registry prefix `images`."""

    repository: str
    images: str
    overrides: Mapping[str, str] = field(default_factory=dict)
    username: str | None = None
    password: pulumi.Input[str] | None = None

    def repository_of(self, chart: str) -> str:
        return self.overrides.get(chart, self.repository)


@dataclass(frozen=True)
class ChartSource:
    """What `helm.v4.Chart` is given: `chart` (a name, or the full oci:// reference) and the repository URL
    (none for OCI, where the reference names the registry)."""

    chart: str
    repository: str | None


def chart_source(ref: versions.ChartRef, mirror: ChartMirror | None) -> ChartSource:
    if mirror is None:
        return ChartSource(ref.chart, ref.repository)
    repository = mirror.repository_of(ref.chart)
    if repository.startswith(OCI):
        return ChartSource(f"{repository}/{ref.chart}", None)
    return ChartSource(ref.chart, repository)


def split_image(image: str) -> tuple[str, str, str]:
    """`registry/path:tag@digest` -> (registry host, path, `:tag@digest` suffix), Docker's defaults applied."""
    name, at, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = name[colon:] if colon > slash else ""
    name = name[: len(name) - len(tag)]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = DEFAULT_REGISTRY, name
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"library/{path}"
    return registry, path, tag + at + digest


def mirrored_image(image: str, prefix: str) -> str:
    """docker.io/istio/proxyv2:1.30.3 -> <prefix>/istio/proxyv2:1.30.3 (tag and digest kept)."""
    _, path, suffix = split_image(image)
    return f"{prefix}/{path}{suffix}"


def image_or_mirrored(image: str, mirror: ChartMirror | None) -> str:
    return mirrored_image(image, mirror.images) if mirror is not None else image


def chart_images(ref: versions.ChartRef) -> tuple[versions.ChartImage, ...]:
    """The images `ref` runs, from versions.CHART_IMAGES; a chart not listed there, or listed at another
    version, is an error: its images must be read at the pinned version before it can be mirrored."""
    entry = versions.CHART_IMAGES.get(ref.chart)
    if entry is None:
        raise ValueError(
            f"chart {ref.chart} {ref.version} has no entry in definitions/versions.py CHART_IMAGES: read the images it "
            "runs in its values.yaml and templates, and list them there"
        )
    if entry.read_at is not None and entry.read_at != ref.version:
        raise ValueError(
            f"chart {ref.chart}: CHART_IMAGES lists its images at {entry.read_at}, the stack pins {ref.version}: "
            "read them again at the pinned version"
        )
    return tuple(
        versions.ChartImage(image.image.format(version=ref.version), image.value, image.appended)
        for image in entry.images
    )


def image_values(ref: versions.ChartRef, prefix: str) -> dict[str, Any]:
    """The chart values that move every image of `ref` under `prefix`."""
    values: dict[str, Any] = {}
    for image in chart_images(ref):
        _, path, _ = split_image(image.image)
        segments = f"{prefix}/{path}".split("/")
        value = "/".join(segments[: len(segments) - image.appended])
        *parents, leaf = image.value.split(".")
        node = values
        for key in parents:
            node = node.setdefault(key, {})
        if node.get(leaf, value) != value:
            raise ValueError(f"chart {ref.chart}: {image.value} would need two values ({node[leaf]}, {value})")
        node[leaf] = value
    return values


def merge_values(values: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """`values` with `overlay` merged in, maps merged key by key."""
    merged = dict(values)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged


def gateway_api_bundle(version: str, channel: str, base: str | None) -> str:
    """The Gateway API bundle's URL (or local path): the GitHub release asset, or the mirror's copy."""
    if base is None:
        return versions.gateway_api_bundle_url(version, channel)
    return f"{base}/{version}/{channel}-install.yaml"


def istio_dashboard_location(version: str, file: str, base: str | None) -> str:
    """One of Istio's dashboards: in the Istio repository at the tag, or in the mirror."""
    if base is None:
        return versions.istio_dashboard_url(version, file)
    return f"{base}/{version}/{file}"
