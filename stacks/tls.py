"""HTTPS for the shared Gateway and the classic Istio Gateway: cert-manager, its issuers and the wildcard
certificate (tls.mode acme or ca), or a Secret the user provides (secret); and the HTTP -> HTTPS redirect.

cert-manager is off the mesh's critical path: it waits for the Gateway API CRDs and its cloud grants only, and
nothing of the mesh core waits for it; the routes wait for the certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cert_manager import CertManager, CertManagerArgs
from components.certificates import AcmeIssuerArgs, WildcardCertificate, WildcardCertificateArgs
from components.external_dns import DnsCredentials
from components.shared_gateway import GATEWAY_API, https_redirect_spec
from definitions import addresses, versions
from stacks import profiles
from stacks.mesh import Mesh
from stacks.mirror import chart_mirror
from stacks.observability import exposed_hosts
from stacks.settings import WILDCARD_CERTIFICATE, Settings

# Never injected: an injected cert-manager cannot reach the DNS servers it checks propagation with (mTLS).
NOT_INJECTED_NAMESPACE = {"istio-injection": "disabled"}


@dataclass(frozen=True)
class AcmeDns:
    """What a cloud module prepares for DNS-01: cert-manager's namespace, its own identity, the solver."""

    namespace: k8s.core.v1.Namespace
    credentials: DnsCredentials
    dns01: dict[str, Any]


@dataclass(frozen=True)
class Tls:
    mode: str
    secret: str | None
    issuer: str | None = None
    certificate_name: str | None = None  # <namespace>/<name>
    certificate: WildcardCertificate | None = None
    # What a route attached to the HTTPS listener waits for: the certificate, Ready.
    ready: tuple[pulumi.Resource, ...] = ()


def cert_manager_namespace(cluster: k8s.Provider) -> k8s.core.v1.Namespace:
    return k8s.core.v1.Namespace(
        addresses.CERT_MANAGER_NAMESPACE,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=addresses.CERT_MANAGER_NAMESPACE, labels=NOT_INJECTED_NAMESPACE),
        opts=pulumi.ResourceOptions(provider=cluster),
    )


def install_tls(settings: Settings, mesh: Mesh, acme: AcmeDns | None) -> Tls:
    mode = settings.tls_mode
    if mode == "off" or mesh.gateway is None:
        return Tls(mode, None)
    tls = Tls(mode, settings.tls_secret) if mode == "secret" else _issue_certificate(settings, mesh, acme)
    _redirect_http(settings, mesh, tls)
    return tls


def _issue_certificate(settings: Settings, mesh: Mesh, acme: AcmeDns | None) -> Tls:
    namespace = acme.namespace if acme is not None else cert_manager_namespace(mesh.provider)
    grants = list(acme.credentials.ready) if acme is not None else []
    on_cluster = pulumi.ResourceOptions(providers=[mesh.provider])
    sizing = profiles.sizing(settings)
    # With the Gateway API CRDs first, turning on cert-manager's Gateway API support later cannot crash-loop it.
    crds: list[pulumi.Resource] = [mesh.gateway_api] if mesh.gateway_api is not None else []
    cert_manager = CertManager(
        "cert-manager",
        CertManagerArgs(
            namespace=namespace.metadata.name,
            namespace_name=addresses.CERT_MANAGER_NAMESPACE,
            release=addresses.CERT_MANAGER_RELEASE,
            service_account=addresses.CERT_MANAGER_SERVICE_ACCOUNT,
            controller=sizing.cert_manager,
            webhook=sizing.cert_manager_webhook,
            cainjector=sizing.cert_manager_cainjector,
            api_check=sizing.cert_manager_api_check,
            highly_available=sizing.highly_available,
            service_account_annotations=acme.credentials.service_account_annotations if acme is not None else {},
            wait_for=[*crds, *grants],
            crd_provider=mesh.adopting_provider,
            mirror=chart_mirror(settings.mirror),
        ),
        opts=on_cluster,
    )
    domain = settings.dns.domain or ""
    issuer = None
    if acme is not None:
        assert settings.tls.email is not None  # settings refuse acme without an e-mail
        issuer = AcmeIssuerArgs(
            server=settings.tls.server,
            server_url=versions.LETSENCRYPT_SERVERS[settings.tls.server],
            email=settings.tls.email,
            dns01=acme.dns01,
        )
    certificate = WildcardCertificate(
        "wildcard-certificate",
        WildcardCertificateArgs(
            domain=domain,
            name=WILDCARD_CERTIFICATE,
            secret_name=settings.tls_secret or "",
            namespace=mesh.ingress.namespace.metadata.name,
            ca_namespace=namespace.metadata.name,
            acme=issuer,
            root_common_name=f"{pulumi.get_project()}-{pulumi.get_stack()} root CA",
            wait_for=[cert_manager.api_ready, *grants],
        ),
        opts=on_cluster,
    )
    return Tls(
        settings.tls_mode,
        settings.tls_secret,
        certificate.issuer,
        f"{settings.ingress.namespace}/{WILDCARD_CERTIFICATE}",
        certificate,
        (certificate.certificate,),
    )


def redirected_hosts(settings: Settings) -> list[str]:
    """The hostnames the shared Gateway publishes over HTTP(S): its http routes' and the exposed dashboards'.

    Listed rather than left empty: external-dns gives a route without hostnames its listener's (*.<domain>),
    which would publish a wildcard record. Istio routes redirect on their own Gateway (tls.httpsRedirect).
    """
    routes = [settings.hostname(r) for r in settings.published_routes if r.kind == "http"]
    return sorted({*routes, *exposed_hosts(settings).values()})


def _redirect_http(settings: Settings, mesh: Mesh, tls: Tls) -> None:
    """Every plain-HTTP request for a published name gets a 301 to HTTPS, once the certificate is there."""
    assert mesh.gateway is not None
    hostnames = redirected_hosts(settings)
    if not hostnames:
        return
    k8s.apiextensions.CustomResource(
        "https-redirect",
        api_version=GATEWAY_API,
        kind="HTTPRoute",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="https-redirect", namespace=mesh.gateway.namespace),
        spec=https_redirect_spec(mesh.gateway.parent_ref("http"), hostnames),
        opts=pulumi.ResourceOptions(provider=mesh.provider, depends_on=[mesh.gateway.gateway, *tls.ready]),
    )
