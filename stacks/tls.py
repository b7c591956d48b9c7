"""HTTPS for the shared Gateway and the classic Istio Gateway: cert-manager, its issuers and the wildcard
certificate (tls.mode acme or ca), or a Secret the user provides (secret); and the HTTP -> HTTPS redirect.

cert-manager is off the mesh's critical path: it waits for the Gateway API CRDs and its cloud grants only, and
nothing of the mesh core waits for it; the routes wait for the certificate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cert_manager import CertManager, CertManagerArgs
from components.certificate_wait import SERVICE_ACCOUNT_DIR, CertificateWait, CertificateWaitArgs
from components.certificates import AcmeIssuerArgs, WildcardCertificate, WildcardCertificateArgs
from components.chart import prefixed
from components.external_dns import DnsCredentials
from components.mesh_ca import PluggedCa
from components.shared_gateway import GATEWAY_API, https_redirect_spec
from definitions import addresses, versions
from definitions.mirror import image_or_mirrored
from settings import profiles
from settings.model import Settings
from settings.tls import WILDCARD_CERTIFICATE
from stacks import pod_security
from stacks.mesh import Mesh
from stacks.mirror import chart_mirror
from stacks.observability import exposed_hosts

WAIT_SCRIPT = Path(__file__).resolve().parent.parent / "incluster" / "certificate_wait.py"
# How long the wildcard certificate may take before the `up` fails with cert-manager's reasons. acme: the DNS-01
# record's propagation (cert-manager checks it first), then Let's Encrypt's own lookup, usually two or three
# minutes; ca: signed at once.
CERTIFICATE_WAIT_SECONDS = {"acme": 480, "ca": 120}
CERTIFICATE_POLL_SECONDS = 5

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
    # cert-manager's namespace (acme, ca).
    namespace: k8s.core.v1.Namespace | None = None


def cert_manager_namespace(settings: Settings, cluster: k8s.Provider, name: str | None = None) -> k8s.core.v1.Namespace:
    """`name`: the cluster's, in a mesh across clusters (prefixes the resource)."""
    labels = {**pod_security.namespace_labels(settings, addresses.CERT_MANAGER_NAMESPACE), **NOT_INJECTED_NAMESPACE}
    return k8s.core.v1.Namespace(
        prefixed(name, addresses.CERT_MANAGER_NAMESPACE),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=addresses.CERT_MANAGER_NAMESPACE, labels=labels),
        opts=pulumi.ResourceOptions(provider=cluster),
    )


def install_tls(
    settings: Settings,
    mesh: Mesh,
    acme: AcmeDns | None,
    issuing_ca: PluggedCa | None = None,
    after: Sequence[pulumi.Resource] = (),
) -> Tls:
    """In a mesh across clusters: `issuing_ca`, the cluster's intermediate of the mesh's ingress root (ca); `after`,
    what its certificate's issuer waits for besides cert-manager (another cluster's certificate, stacks/multicluster.py
    on Route53)."""
    mode = settings.tls_mode
    if mode == "off" or mesh.gateway is None:
        return Tls(mode, None)
    if mode == "secret":
        tls = Tls(mode, settings.tls_secret)
    else:
        tls = _issue_certificate(settings, mesh, acme, issuing_ca, after)
    _redirect_http(settings, mesh, tls)
    return tls


def _issue_certificate(
    settings: Settings,
    mesh: Mesh,
    acme: AcmeDns | None,
    issuing_ca: PluggedCa | None,
    after: Sequence[pulumi.Resource],
) -> Tls:
    namespace = acme.namespace if acme is not None else cert_manager_namespace(settings, mesh.provider, mesh.cluster)
    grants = list(acme.credentials.ready) if acme is not None else []
    on_cluster = pulumi.ResourceOptions(providers=[mesh.provider])
    sizing = profiles.sizing(settings)
    # With the Gateway API CRDs first, turning on cert-manager's Gateway API support later cannot crash-loop it.
    crds: list[pulumi.Resource] = [mesh.gateway_api] if mesh.gateway_api is not None else []
    cert_manager = CertManager(
        prefixed(mesh.cluster, "cert-manager"),
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
        prefixed(mesh.cluster, "wildcard-certificate"),
        WildcardCertificateArgs(
            domain=domain,
            name=WILDCARD_CERTIFICATE,
            secret_name=settings.tls_secret or "",
            namespace=mesh.ingress.namespace.metadata.name,
            ca_namespace=namespace.metadata.name,
            acme=issuer,
            root_common_name=f"{pulumi.get_project()}-{pulumi.get_stack()} root CA",
            issuing_ca=issuing_ca,
            extra_domains=settings.certificate_domains[1:],
            wait_for=[cert_manager.api_ready, *grants, *after],
        ),
        opts=on_cluster,
    )
    wait = _wait_for_certificate(settings, mesh, certificate)
    return Tls(
        settings.tls_mode,
        settings.tls_secret,
        certificate.issuer,
        f"{settings.ingress.namespace}/{WILDCARD_CERTIFICATE}",
        certificate,
        (wait.job,),
        namespace,
    )


def certificate_wait_config(settings: Settings) -> dict[str, Any]:
    mode = settings.tls_mode
    return {
        "namespace": settings.ingress.namespace,
        "certificate": WILDCARD_CERTIFICATE,
        "acme": mode == "acme",
        "waitSeconds": CERTIFICATE_WAIT_SECONDS[mode],
        "intervalSeconds": CERTIFICATE_POLL_SECONDS,
        "api": {
            "tokenFile": f"{SERVICE_ACCOUNT_DIR}/token",
            "caFile": f"{SERVICE_ACCOUNT_DIR}/ca.crt",
        },
    }


def _wait_for_certificate(settings: Settings, mesh: Mesh, certificate: WildcardCertificate) -> CertificateWait:
    """The wait for the wildcard certificate, Ready or failed with cert-manager's reasons.

    Its name carries a hash of the script, its config, the image and the certificate's domain and issuer: a new
    certificate is waited for anew, an unchanged one that was Ready shows no diff; a failed wait is run again by
    the next `up` (pulumi.com/replaceUnready)."""
    script = WAIT_SCRIPT.read_text()
    config = json.dumps(certificate_wait_config(settings), indent=2, sort_keys=True)
    image = image_or_mirrored(versions.VERIFY_IMAGE, chart_mirror(settings.mirror))
    inputs = [script, config, image, settings.dns.domain, certificate.issuer]
    digest = hashlib.sha256(json.dumps(inputs).encode()).hexdigest()
    return CertificateWait(
        prefixed(mesh.cluster, "certificate-wait"),
        CertificateWaitArgs(
            namespace=mesh.ingress.namespace.metadata.name,
            job_name=f"certificate-wait-{digest[:10]}",
            certificate=WILDCARD_CERTIFICATE,
            # The verification's interpreter (mirrored with it): the script is standard-library Python too.
            image=image,
            script=script,
            config=config,
            wait_seconds=CERTIFICATE_WAIT_SECONDS[settings.tls_mode],
            resources=profiles.sizing(settings).certificate_wait,
            wait_for=[certificate.certificate],
        ),
        opts=pulumi.ResourceOptions(providers=[mesh.provider]),
    )


def redirected_hosts(settings: Settings) -> list[str]:
    """The hostnames the shared Gateway publishes over HTTP(S): its http routes' and the exposed dashboards'.

    Listed rather than left empty: external-dns gives a route without hostnames its listener's (*.<domain>),
    which would publish a wildcard record. Istio routes redirect on their own Gateway (tls.httpsRedirect).
    """
    routes = [name for r in settings.published_routes if r.kind == "http" for name in settings.hostnames(r)]
    exposed = [name for host in exposed_hosts(settings).values() for name in settings.host_names(host)]
    return sorted({*routes, *exposed})


def _redirect_http(settings: Settings, mesh: Mesh, tls: Tls) -> None:
    """Every plain-HTTP request for a published name gets a 301 to HTTPS, once the certificate is there."""
    assert mesh.gateway is not None
    hostnames = redirected_hosts(settings)
    if not hostnames:
        return
    k8s.apiextensions.CustomResource(
        prefixed(mesh.cluster, "https-redirect"),
        api_version=GATEWAY_API,
        kind="HTTPRoute",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="https-redirect", namespace=mesh.gateway.namespace),
        spec=https_redirect_spec(mesh.gateway.parent_ref("http"), hostnames),
        opts=pulumi.ResourceOptions(provider=mesh.provider, depends_on=[mesh.gateway.gateway, *tls.ready]),
    )
