"""`dashboards`: Prometheus, Grafana, Jaeger and Kiali, and their exposure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from settings.dns import within
from settings.fields import DnsName, Section

if TYPE_CHECKING:
    from settings.model import Settings


class Switch(Section):
    enabled: bool = True


class KialiOpenId(Section):
    issuer_uri: str = Field(description="https:// URL of the OpenID provider")
    client_id: str
    client_secret: str = Field(description="set with `pulumi config set --secret`")


class KialiSettings(Section):
    enabled: bool = True
    auth: Literal["token", "openid", "anonymous"] = Field(
        "token", description="anonymous only while Kiali stays private (port-forward)"
    )
    openid: KialiOpenId | None = None


class ExposeSettings(Section):
    """Publish Kiali and Grafana through the shared Gateway, over HTTPS, never anonymously."""

    enabled: bool = False
    kiali_host: DnsName | None = Field(None, description="default: kiali.<dns.domain>")
    grafana_host: DnsName | None = Field(None, description="default: grafana.<dns.domain>")


class DashboardsSettings(Section):
    prometheus: Switch = Switch()
    grafana: Switch = Switch()
    jaeger: Switch = Switch()
    kiali: KialiSettings = KialiSettings()
    expose: ExposeSettings = ExposeSettings()


def dashboard_problems(settings: Settings) -> list[str]:
    problems = []
    dashboards = settings.dashboards
    kiali = dashboards.kiali
    if kiali.enabled and not dashboards.prometheus.enabled:
        problems.append("dashboards.kiali.enabled: Kiali draws its graph from Prometheus; enable dashboards.prometheus")
    if kiali.enabled and kiali.auth == "openid" and kiali.openid is None:
        problems.append("dashboards.kiali.openid: required with auth openid (issuerUri, clientId, clientSecret)")
    if kiali.openid is not None and not kiali.openid.issuer_uri.startswith("https://"):
        problems.append("dashboards.kiali.openid.issuerUri: must be an https:// URL")
    tracing = settings.mesh.tracing
    if not dashboards.jaeger.enabled and tracing.zipkin_address is None and tracing.enabled:
        explicit = {"sampling", "enabled"} & tracing.model_fields_set
        if explicit:
            problems.append(
                f"mesh.tracing.{sorted(explicit)[0]}: tracing is off without Jaeger (no collector to send spans to); "
                "enable dashboards.jaeger or give mesh.tracing.zipkinAddress"
            )
    expose = dashboards.expose
    if expose.enabled:
        if settings.dns.domain is None and not (expose.kiali_host and expose.grafana_host):
            problems.append("dashboards.expose: needs dns.domain for the hostnames (or kialiHost and grafanaHost)")
        if settings.tls_mode == "off":
            problems.append(
                "dashboards.expose: needs HTTPS (tls.mode acme, ca or secret); dashboards are exposed over HTTPS only"
            )
        if kiali.enabled and kiali.auth == "anonymous":
            problems.append("dashboards.kiali.auth: anonymous Kiali cannot be exposed; use token or openid")
        for key, host in (("kialiHost", expose.kiali_host), ("grafanaHost", expose.grafana_host)):
            if host and settings.dns.domain and not within(host, settings.dns.domain):
                problems.append(f"dashboards.expose.{key}: {host} is outside dns.domain {settings.dns.domain}")
    return problems
