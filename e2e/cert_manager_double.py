"""Test double for cert-manager's controller: no container runs on the loopback cluster, so nothing would ever
issue the Certificates `pulumi up` awaits (`pulumi.com/waitFor: condition=Ready`).

While the e2e runs, a thread plays the controller for every Certificate: it writes the Secret named in
`spec.secretName` (kubernetes.io/tls, a throwaway self-signed certificate for the spec's names, made with
openssl) and then sets the Ready condition at the Certificate's generation. It issues nothing real: cert-manager's
issuers (selfSigned, ca, ACME DNS-01), its webhook and cainjector are untested here; what is tested is that the
stack creates well-formed Certificates in order and that `up` waits for them and reads the Secret afterwards.

`refuse[name] = reason` makes it give up on the Certificates of that name as cert-manager does when an issuer
fails for good: Ready False, and Issuing False with reason `Failed` and the reason as its message (the fault
scenario "the certificate cannot be issued", e2e/faults.py); deleting the entry lets it issue them again.
"""

from __future__ import annotations

import base64
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from e2e.cluster import LoopbackCluster, condition
from e2e.controller_double import ControllerDouble

CERTIFICATES = "/apis/cert-manager.io/v1/certificates"


def self_signed(names: list[str]) -> tuple[bytes, bytes]:
    with tempfile.TemporaryDirectory() as scratch:
        key, cert = Path(scratch) / "tls.key", Path(scratch) / "tls.crt"
        san = ",".join(f"DNS:{name}" for name in names) or "DNS:e2e.invalid"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                str(key),
                "-out",
                str(cert),
                "-days",
                "2",
                "-subj",
                f"/CN={names[0] if names else 'e2e'}",
                "-addext",
                f"subjectAltName={san}",
            ],
            check=True,
            capture_output=True,
        )
        return cert.read_bytes(), key.read_bytes()


class CertManagerDouble(ControllerDouble):
    name = "cert-manager-double"

    def __init__(self, cluster: LoopbackCluster, interval: float = 1.0):
        super().__init__(cluster, interval)
        self.issued: list[str] = []
        self.refuse: dict[str, str] = {}

    def reconcile(self) -> None:
        for certificate in self.cluster.get(CERTIFICATES)["items"]:
            reason = self.refuse.get(certificate["metadata"]["name"])
            if reason is not None:
                self._give_up(certificate, reason)
            elif not self._ready_at_generation(certificate):
                self._issue(certificate)

    @staticmethod
    def _ready_at_generation(certificate: dict[str, Any]) -> bool:
        generation = certificate["metadata"].get("generation")
        for item in certificate.get("status", {}).get("conditions") or []:
            if item.get("type") == "Ready":
                return bool(item.get("status") == "True" and item.get("observedGeneration") == generation)
        return False

    def _issue(self, certificate: dict[str, Any]) -> None:
        metadata, spec = certificate["metadata"], certificate["spec"]
        namespace, name = metadata["namespace"], metadata["name"]
        names = list(spec.get("dnsNames") or []) or [spec.get("commonName") or name]
        cert, key = self_signed(names)
        self.cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/tls",
                "metadata": {
                    "name": spec["secretName"],
                    "namespace": namespace,
                    "annotations": {"cert-manager.io/certificate-name": name},
                },
                "data": {
                    "tls.crt": base64.b64encode(cert).decode(),
                    "tls.key": base64.b64encode(key).decode(),
                    "ca.crt": base64.b64encode(cert).decode(),
                },
            },
            manager="cert-manager-double",
        )
        self._set_conditions(certificate, [("Ready", "True", "Ready", "issued by the e2e's cert-manager test double")])
        self.issued.append(f"{namespace}/{name}")

    def _give_up(self, certificate: dict[str, Any], reason: str) -> None:
        if condition(certificate, "Issuing") == "False":
            return
        self._set_conditions(
            certificate,
            [
                ("Ready", "False", "DoesNotExist", "Issuing certificate as Secret does not exist"),
                ("Issuing", "False", "Failed", reason),
            ],
        )

    def _set_conditions(self, certificate: dict[str, Any], conditions: list[tuple[str, str, str, str]]) -> None:
        metadata = certificate["metadata"]
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        status = {
            "status": {
                "conditions": [
                    {
                        "type": kind,
                        "status": value,
                        "reason": reason,
                        "message": message,
                        "lastTransitionTime": now,
                        "observedGeneration": metadata.get("generation"),
                    }
                    for kind, value, reason, message in conditions
                ]
            }
        }
        self.cluster.request(
            "PATCH",
            f"/apis/cert-manager.io/v1/namespaces/{metadata['namespace']}/certificates/{metadata['name']}/status",
            status,
            "application/merge-patch+json",
        )


__all__ = ["CertManagerDouble", "condition"]
