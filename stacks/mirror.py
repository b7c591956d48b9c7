"""The mirror settings as components take them (definitions/mirror.py), and the charts a stack installs."""

from __future__ import annotations

import pulumi

from definitions import versions
from definitions.mirror import ChartMirror
from stacks import dataplane
from stacks.settings import MirrorSettings, Settings


def chart_mirror(settings: MirrorSettings | None) -> ChartMirror | None:
    if settings is None:
        return None
    charts = settings.charts
    password = pulumi.Output.secret(charts.password) if charts.password is not None else None
    return ChartMirror(charts.repository, settings.images, dict(charts.overrides), charts.username, password)


def installed_charts(settings: Settings) -> tuple[str, ...]:
    """The charts the stack installs with these settings (a shipped stack's run registers exactly these)."""
    charts = ["base", "istiod", "gateway"]
    if settings.multicluster is not None:
        return tuple(charts)  # per cluster: Istio and the east-west gateway (stacks/multicluster.py)
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
