"""`tls`: HTTPS on the shared Gateway (acme, a local CA, your Secret, or off)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from definitions.addresses import CERT_MANAGER_NAMESPACE
from settings.dns import _zone_visibility, within
from settings.fields import DnsLabel, Section

if TYPE_CHECKING:
    from settings.model import Settings


# The wildcard certificate cert-manager issues (acme, ca) and its Secret, in the ingress namespace.
WILDCARD_CERTIFICATE = "mesh-wildcard"


WILDCARD_SECRET = "mesh-wildcard-tls"


_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")


TlsMode = Literal["acme", "ca", "secret", "off"]


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address (name@example.com); Let's Encrypt needs a reachable one")
    return value


class TlsSettings(Section):
    """HTTPS on the shared Gateway and the classic Istio Gateway: one wildcard certificate for *.<dns.domain>."""

    mode: TlsMode | None = Field(
        None,
        description="acme: Let's Encrypt by DNS-01 (default on gcp/aws); ca: a local CA (default on local); "
        "secret: a kubernetes.io/tls Secret you provide; off: HTTP only",
    )
    email: Annotated[str, AfterValidator(_email)] | None = Field(
        None, description="acme: the account e-mail Let's Encrypt sends expiry notices to"
    )
    server: Literal["production", "staging"] = Field(
        "production", description="acme: staging for throwaway stacks (its certificates are not trusted)"
    )
    secret: DnsLabel | None = Field(None, description="secret: the kubernetes.io/tls Secret in the ingress namespace")


def tls_problems(settings: Settings) -> list[str]:
    """Each TLS mode only where it can work: acme needs a public zone this stack writes to, secret a Secret."""
    problems = []
    tls, mode, domain = settings.tls, settings.tls_mode, settings.dns.domain
    if settings.gateway.tls_secret is not None:
        problems.append(
            f"gateway.tlsSecret: replaced by tls.mode secret and tls.secret {settings.gateway.tls_secret}; "
            "or drop it and let cert-manager issue the certificate (tls.mode acme or ca)"
        )
    if mode != "off" and domain is None:
        problems.append(f"tls.mode: {mode} certifies *.<dns.domain>; set dns.domain, or tls.mode off")
    if mode == "acme":
        if tls.email is None:
            problems.append(
                "tls.email: required with tls.mode acme (the default on gcp and aws): Let's Encrypt's account e-mail; "
                "or set tls.mode ca, secret or off"
            )
        if settings.dns_cloud is None:
            problems.append(
                "tls.mode: acme proves the domain by DNS-01 in the zone external-dns manages, and DNS is off; "
                "enable dns (gcp or aws), or use tls.mode ca, secret or off"
            )
        elif _zone_visibility(settings) == "private":
            key = "gcp.zoneVisibility" if settings.dns_cloud == "gcp" else "aws.zoneType"
            problems.append(
                f"tls.mode: acme cannot use a private zone ({key} private): Let's Encrypt resolves the challenge "
                "in public DNS; use a public zone, or tls.mode ca or secret"
            )
    else:
        for key, given in (("email", tls.email), ("server", "server" in tls.model_fields_set or None)):
            if given is not None:
                problems.append(f"tls.{key}: only for tls.mode acme (tls.mode is {mode})")
    if mode == "secret" and tls.secret is None:
        problems.append(
            "tls.secret: required with tls.mode secret: a kubernetes.io/tls Secret in the ingress namespace"
        )
    if mode != "secret" and tls.secret is not None:
        problems.append(f"tls.secret: only for tls.mode secret (tls.mode is {mode})")
    if mode in ("acme", "ca") and CERT_MANAGER_NAMESPACE in settings.injected_namespaces:
        key = (
            "demo.namespace"
            if settings.demo.enabled and settings.demo.namespace == CERT_MANAGER_NAMESPACE
            else "mesh.injectedNamespaces"
        )
        problems.append(f"{key}: {CERT_MANAGER_NAMESPACE!r} is cert-manager's namespace (never injected)")
    if mode in ("acme", "ca") and domain:
        expose = settings.dashboards.expose
        hosts = [
            ("dashboards.expose.kialiHost", expose.kiali_host),
            ("dashboards.expose.grafanaHost", expose.grafana_host),
        ]
        hosts += [(f"routes[{i}].hostname", r.hostname) for i, r in enumerate(settings.routes) if r.kind != "tcp"]
        for key, host in hosts:
            if host and host != domain and within(host, domain) and not covered_by_wildcard(host, domain):
                problems.append(
                    f"{key}: {host} is outside the certificate *.{domain} (a wildcard covers one label); "
                    f"use <name>.{domain}"
                )
    return problems


def covered_by_wildcard(host: str, domain: str) -> bool:
    """Whether the certificate for *.<domain> covers `host`: exactly one label in front of the domain."""
    prefix = host.rstrip(".").removesuffix("." + domain.rstrip("."))
    return prefix != host.rstrip(".") and "." not in prefix
