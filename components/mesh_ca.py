"""One root of trust for a mesh across clusters: a root CA, and per cluster an intermediate CA signed by it, in the
four files istiod reads from the `cacerts` Secret at start (Istio's "plug in CA certificates" task).

Made with pulumi-tls, as Istio's tools/certs/ make them with openssl (istio/istio 1.30.3 tools/certs/common.mk,
Makefile.selfsigned.mk): root O=Istio, CN=Root CA, RSA 4096, CA:true, keyCertSign; intermediate O=Istio,
CN=Intermediate CA, L=<cluster>, RSA 4096, CA:true, keyCertSign, SAN DNS istiod.istio-system.svc;
cert-chain.pem is the intermediate followed by the root.

The keys exist in the stack's state only, encrypted (pulumi-tls registers privateKeyPem as a secret output), and in
each cluster's `cacerts` Secret: the root's key never leaves the state, each cluster holds only its own
intermediate's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.chart import child_opts

KEY_ALGORITHM = "RSA"
KEY_BITS = 4096
ORGANIZATION = "Istio"
ROOT_VALIDITY_HOURS = 10 * 365 * 24
# An intermediate lives a year; an `up` within its last 30 days issues the next one (early renewal), which the
# istiod restart annotation (components/istio.py) then rolls out.
INTERMEDIATE_VALIDITY_HOURS = 365 * 24
INTERMEDIATE_EARLY_RENEWAL_HOURS = 30 * 24
CA_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"]


@dataclass(frozen=True)
class PluggedCa:
    """The `cacerts` Secret's four files (istio.io "plug in CA certificates"): the intermediate, its key, the root,
    and the chain from the intermediate to the root."""

    ca_cert: pulumi.Output[str]
    ca_key: pulumi.Output[str]
    root_cert: pulumi.Output[str]
    cert_chain: pulumi.Output[str]


class MeshRootCa(pulumi.ComponentResource):
    """A root CA in the state, and intermediates signed by it (one per cluster). The mesh's: O=Istio, CN=Root CA,
    signing each istiod's; with `organization` and `common_name`, another root kept apart from the workloads' (the
    ingress certificates' of tls.mode ca, stacks/multicluster.py)."""

    key: tls.PrivateKey
    certificate: tls.SelfSignedCert

    def __init__(
        self,
        name: str,
        opts: pulumi.ResourceOptions | None = None,
        organization: str = ORGANIZATION,
        common_name: str = "Root CA",
    ):
        super().__init__("servicemesh:mesh:RootCa", name, None, opts)
        self.organization = organization
        self.key = tls.PrivateKey(f"{name}-key", algorithm=KEY_ALGORITHM, rsa_bits=KEY_BITS, opts=child_opts(self))
        self.certificate = tls.SelfSignedCert(
            name,
            private_key_pem=self.key.private_key_pem,
            is_ca_certificate=True,
            validity_period_hours=ROOT_VALIDITY_HOURS,
            allowed_uses=CA_USES,
            set_subject_key_id=True,
            subject=tls.SelfSignedCertSubjectArgs(organization=organization, common_name=common_name),
            opts=child_opts(self),
        )
        self.register_outputs({"certificate": self.certificate.cert_pem})

    def intermediate(self, name: str, cluster: str, dns_names: Sequence[str]) -> PluggedCa:
        """A cluster's intermediate CA, signed by this root (registered under the root, named `<name>`); istiod's
        carries istiod's Service name (`dns_names`)."""
        key = tls.PrivateKey(f"{name}-key", algorithm=KEY_ALGORITHM, rsa_bits=KEY_BITS, opts=child_opts(self))
        request = tls.CertRequest(
            name,
            private_key_pem=key.private_key_pem,
            dns_names=list(dns_names),
            subject=tls.CertRequestSubjectArgs(
                organization=self.organization, common_name="Intermediate CA", locality=cluster
            ),
            opts=child_opts(self),
        )
        certificate = tls.LocallySignedCert(
            name,
            cert_request_pem=request.cert_request_pem,
            ca_cert_pem=self.certificate.cert_pem,
            ca_private_key_pem=self.key.private_key_pem,
            is_ca_certificate=True,
            set_subject_key_id=True,
            validity_period_hours=INTERMEDIATE_VALIDITY_HOURS,
            early_renewal_hours=INTERMEDIATE_EARLY_RENEWAL_HOURS,
            allowed_uses=CA_USES,
            opts=child_opts(self),
        )
        root = self.certificate.cert_pem
        return PluggedCa(
            ca_cert=certificate.cert_pem,
            ca_key=pulumi.Output.secret(key.private_key_pem),
            root_cert=root,
            cert_chain=pulumi.Output.concat(certificate.cert_pem, root),
        )
