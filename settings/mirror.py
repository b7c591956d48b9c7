"""`mirror`: air-gapped installs, every chart, bundle, dashboard and image from a mirror."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from definitions import versions
from settings import dataplane
from settings.fields import Section

if TYPE_CHECKING:
    from settings.model import Settings


# A registry prefix images are copied under: a host (with an optional port) and optional path, no scheme.
_REGISTRY_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$")


def _chart_repository(value: str) -> str:
    scheme, _, rest = value.partition("://")
    if scheme not in ("http", "https", "oci") or not rest.strip("/"):
        raise ValueError(
            f"{value!r} is not a chart repository: accepted a Helm repository URL (http:// or https://) or an "
            "OCI prefix (oci://registry/path)"
        )
    return value.rstrip("/")


def _mirror_location(value: str) -> str:
    """A base URL (http:// or https://), or a directory that exists where `pulumi up` runs."""
    if value.startswith(("http://", "https://")):
        return value.rstrip("/")
    if "://" in value:
        raise ValueError(f"{value!r}: accepted a base URL (http:// or https://) or a local directory")
    if not Path(value).is_dir():
        raise ValueError(f"{value!r} is not an existing directory; accepted a base URL (http(s)://) or a directory")
    return value.rstrip("/") or "/"


def _registry_prefix(value: str) -> str:
    if not _REGISTRY_PREFIX.match(value):
        raise ValueError(
            f"{value!r} is not a registry prefix: a registry host, optional :port and path, without a scheme, "
            "e.g. registry.internal.example/mesh"
        )
    return value


ChartRepository = Annotated[str, AfterValidator(_chart_repository)]


MirrorLocation = Annotated[str, AfterValidator(_mirror_location)]


RegistryPrefix = Annotated[str, AfterValidator(_registry_prefix)]


class ChartMirrorSettings(Section):
    repository: ChartRepository = Field(
        description="every chart from this Helm repository (http(s)://) or OCI prefix (oci://registry/path)"
    )
    overrides: dict[str, ChartRepository] = Field(
        default_factory=dict, description="chart name -> its own repository or OCI prefix"
    )
    username: str | None = Field(None, description="for the repository and every override")
    password: str | None = Field(None, description="`pulumi config set --secret --path mirror.charts.password`")


class MirrorSettings(Section):
    """Air-gapped installs: every chart, bundle, dashboard and image from the mirror (docs/air-gapped.md); nothing
    public is reached by the program or the cluster."""

    charts: ChartMirrorSettings
    gateway_api: MirrorLocation | None = Field(
        None, description="base URL or directory holding <version>/<channel>-install.yaml (with gatewayApi.install)"
    )
    istio_dashboards: MirrorLocation | None = Field(
        None, description="base URL or directory holding <istio version>/<file> (needed with Grafana)"
    )
    images: RegistryPrefix = Field(
        description="registry prefix every image is copied under: <prefix>/<path without its registry host>"
    )


def mirror_problems(settings: Settings) -> list[str]:
    """With a mirror, everything the stack installs comes from it: each source it needs is given, and every
    per-chart override names a chart the stack installs (a typo would otherwise fetch that chart publicly)."""
    if settings.mirror is None:
        return []
    problems = []
    installed = installed_charts(settings)
    for chart in settings.mirror.charts.overrides:
        if chart not in installed:
            problems.append(
                f"mirror.charts.overrides: {chart!r} is not a chart this stack installs "
                f"(installed: {', '.join(installed)})"
            )
    # A multicluster stack installs Istio's charts only (stacks/multicluster.py).
    around_the_mesh = settings.multicluster is None
    if around_the_mesh and settings.gateway_api.install and settings.mirror.gateway_api is None:
        problems.append(
            "mirror.gatewayApi: required while gatewayApi.install is true (the bundle would come from GitHub); give "
            "the base URL or directory holding <version>/<channel>-install.yaml"
        )
    if around_the_mesh and settings.dashboards.grafana.enabled and settings.mirror.istio_dashboards is None:
        problems.append(
            "mirror.istioDashboards: required while Grafana is on (the dashboards would come from GitHub); give the "
            "base URL or directory holding <istio version>/<file>"
        )
    if settings.tls_mode == "acme":
        problems.append(
            "tls.mode: acme needs Let's Encrypt (acme-v02.api.letsencrypt.org) from the cluster, which a mirror "
            "cannot serve; with mirror set, use tls.mode ca or secret"
        )
    if settings.mirror.charts.password is not None and settings.mirror.charts.username is None:
        problems.append("mirror.charts.password: given without mirror.charts.username")
    return problems


def installed_charts(settings: Settings) -> tuple[str, ...]:
    """The charts the stack installs with these settings (a shipped stack's run registers exactly these); in a mesh
    across clusters, what every cluster installs (its east-west gateway is the `gateway` chart again)."""
    charts = ["base", "istiod", "gateway"]
    if dataplane.cni_installed(settings):
        charts.append("cni")
    if dataplane.ambient_enabled(settings):
        charts.append("ztunnel")
    if settings.dns_cloud is not None:
        charts.append(versions.EXTERNAL_DNS.chart)
    if settings.dns.domain is not None and settings.tls_mode in ("acme", "ca"):
        charts.append(versions.CERT_MANAGER.chart)
    dashboards = settings.dashboards
    for enabled, ref in (
        (dashboards.prometheus.enabled, versions.PROMETHEUS),
        (dashboards.grafana.enabled, versions.GRAFANA),
        (dashboards.jaeger.enabled, versions.JAEGER),
        (dashboards.kiali.enabled, versions.KIALI),
    ):
        if enabled:
            charts.append(ref.chart)
    return tuple(charts)
