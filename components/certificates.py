"""The wildcard certificate for *.<domain> and the cert-manager ClusterIssuers behind it: Let's Encrypt by DNS-01
(acme), or a CA issuer (ca) on a self-signed root cert-manager makes, or, in a mesh across clusters, on the cluster's
intermediate of one root kept in the state (components/mesh_ca.py). Every spec field was read in the CRDs of
cert-manager/cert-manager v1.21.1 (deploy/crds: cert-manager.io_clusterissuers.yaml, cert-manager.io_certificates.yaml).

An explicit Certificate rather than cert-manager's Gateway API integration (an annotation on the Gateway): the
classic Istio Gateway needs the same Secret (credentialName), which the integration only makes for Gateway API
Gateways; the integration also needs `config.gatewayAPI.enabled` and its Certificate is made by cert-manager, not
by Pulumi, so `up` could not wait for it to be Ready.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts
from components.mesh_ca import PluggedCa

CERT_MANAGER_API = "cert-manager.io/v1"
SELF_SIGNED_ISSUER = "mesh-selfsigned"
CA_ISSUER = "mesh-ca"
ROOT_CA = "mesh-root-ca"  # the root's Certificate and Secret, in cert-manager's namespace (a ClusterIssuer's)
# In a mesh across clusters: the cluster's intermediate (tls.crt, tls.key) and the root (ca.crt), which cert-manager's
# CA issuer signs with and appends to each certificate's chain (pkg/util/kube/pki.go SecretTLSKeyPairAndCA, v1.21.1).
ISSUING_CA = "mesh-issuing-ca"
ROOT_CA_DURATION = "87600h"  # ten years: a laptop trusts it once
# pulumi-kubernetes (>= 4.18) awaits any resource's condition with these annotations (the form of its own
# generic-await test program: `pulumi.com/waitFor: condition=Foo`, `pulumi.com/timeoutSeconds: "60"`): the local
# root CA, which a self-signed issuer signs at once. The wildcard certificate is awaited by a Job instead
# (components/certificate_wait.py): the generic await never fails on Ready=False, it only times out.
CA_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class AcmeIssuerArgs:
    server: str  # "production" or "staging": names the issuer and its account key
    server_url: str
    email: str
    # The dns01 solver: cloudDNS or route53, scoped to the one zone (hostedZoneName / hostedZoneID).
    dns01: dict[str, Any]


@dataclass(frozen=True)
class WildcardCertificateArgs:
    domain: str
    name: str
    secret_name: str
    namespace: pulumi.Input[str]  # the ingress gateway's: the Gateway and credentialName read it there
    ca_namespace: pulumi.Input[str]  # cert-manager's: a ClusterIssuer's secrets live there
    acme: AcmeIssuerArgs | None = None  # None: the local CA
    root_common_name: str = "service-mesh root CA"
    # ca in a mesh across clusters: the cluster's intermediate of the mesh's ingress root, instead of a root of its own.
    issuing_ca: PluggedCa | None = None
    # More wildcards: in a mesh across clusters with DNS, the cluster's own names (<cluster>.<domain>).
    extra_domains: tuple[str, ...] = ()
    # cert-manager's API check (the webhook serves), and the cloud grants the solver uses.
    wait_for: list[pulumi.Resource] = field(default_factory=list)


def wait_until_ready(timeout_seconds: int) -> dict[str, str]:
    return {"pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": str(timeout_seconds)}


def acme_issuer_name(acme: AcmeIssuerArgs) -> str:
    return f"letsencrypt-{acme.server}"


def acme_issuer_spec(acme: AcmeIssuerArgs, domain: str) -> dict[str, Any]:
    return {
        "acme": {
            "server": acme.server_url,
            "email": acme.email,
            "privateKeySecretRef": {"name": f"{acme_issuer_name(acme)}-account"},
            "solvers": [{"selector": {"dnsZones": [domain]}, "dns01": acme.dns01}],
        }
    }


def certificate_spec(args: WildcardCertificateArgs, issuer: str) -> dict[str, Any]:
    return {
        "secretName": args.secret_name,
        "dnsNames": [f"*.{domain}" for domain in (args.domain, *args.extra_domains)],
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer},
        # Every renewal gets a new key.
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
    }


def root_ca_spec(common_name: str) -> dict[str, Any]:
    return {
        "isCA": True,
        "commonName": common_name,
        "secretName": ROOT_CA,
        "duration": ROOT_CA_DURATION,
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": SELF_SIGNED_ISSUER},
        "privateKey": {"algorithm": "ECDSA", "size": 256},
    }


def public_certificate(data: Mapping[str, str] | None) -> str | None:
    """The PEM of a kubernetes.io/tls Secret's certificate; its key is never read out."""
    if not data or "tls.crt" not in data:
        return None
    return base64.b64decode(data["tls.crt"]).decode()


class WildcardCertificate(pulumi.ComponentResource):
    issuer: str
    certificate: k8s.apiextensions.CustomResource
    root_certificate: pulumi.Output[str | None] | None

    def __init__(self, name: str, args: WildcardCertificateArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:tls:WildcardCertificate", name, None, opts)
        self.root_certificate = None
        if args.acme is not None:
            self.issuer = acme_issuer_name(args.acme)
            issuer = self._cluster_issuer(
                f"{name}-acme", self.issuer, acme_issuer_spec(args.acme, args.domain), args.wait_for
            )
        elif args.issuing_ca is not None:
            self.issuer = CA_ISSUER
            issuer = self._issuing_ca(name, args, args.issuing_ca)
        else:
            self.issuer = CA_ISSUER
            issuer = self._local_ca(name, args)
        self.certificate = k8s.apiextensions.CustomResource(
            name,
            api_version=CERT_MANAGER_API,
            kind="Certificate",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.name, namespace=args.namespace),
            spec=certificate_spec(args, self.issuer),
            opts=child_opts(self, [issuer]),
        )
        self.register_outputs({"issuer": self.issuer, "secret": args.secret_name})

    def _cluster_issuer(
        self, resource_name: str, issuer_name: str, spec: dict[str, Any], wait_for: list[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=CERT_MANAGER_API,
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=issuer_name),
            spec=spec,
            opts=child_opts(self, wait_for),
        )

    def _issuing_ca(self, name: str, args: WildcardCertificateArgs, ca: PluggedCa) -> k8s.apiextensions.CustomResource:
        """The cluster's intermediate in cert-manager's namespace, and a `ca` ClusterIssuer on it: the root's key
        stays in the state; a cluster holds only its own intermediate's key."""
        secret = k8s.core.v1.Secret(
            f"{name}-issuing-ca",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ISSUING_CA, namespace=args.ca_namespace),
            type="kubernetes.io/tls",
            string_data={"tls.crt": ca.ca_cert, "tls.key": ca.ca_key, "ca.crt": ca.root_cert},
            opts=child_opts(self, args.wait_for),
        )
        self.root_certificate = ca.root_cert
        return self._cluster_issuer(f"{name}-ca", CA_ISSUER, {"ca": {"secretName": ISSUING_CA}}, [secret])

    def _local_ca(self, name: str, args: WildcardCertificateArgs) -> k8s.apiextensions.CustomResource:
        """A selfSigned ClusterIssuer signs the root (isCA); a `ca` ClusterIssuer on the root's Secret signs the
        rest."""
        self_signed = self._cluster_issuer(f"{name}-selfsigned", SELF_SIGNED_ISSUER, {"selfSigned": {}}, args.wait_for)
        root = k8s.apiextensions.CustomResource(
            f"{name}-root-ca",
            api_version=CERT_MANAGER_API,
            kind="Certificate",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ROOT_CA, namespace=args.ca_namespace, annotations=wait_until_ready(CA_TIMEOUT_SECONDS)
            ),
            spec=root_ca_spec(args.root_common_name),
            opts=child_opts(self, [self_signed]),
        )
        # Read once the root is Ready; its id is unknown until the root exists, so a first preview skips the read.
        secret = k8s.core.v1.Secret.get(
            f"{name}-root-ca",
            pulumi.Output.all(args.ca_namespace, root.id).apply(lambda parts: f"{parts[0]}/{ROOT_CA}"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[root]),
        )
        # The Secret's data is secret (the key is in it); only the public certificate is unwrapped for the output.
        self.root_certificate = pulumi.Output.unsecret(secret.data.apply(public_certificate))
        return self._cluster_issuer(f"{name}-ca", CA_ISSUER, {"ca": {"secretName": ROOT_CA}}, [root])
