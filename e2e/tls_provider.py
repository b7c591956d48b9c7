"""Test double for the `tls` resource plugin (pulumi-tls), which no registry here serves.

The stack's mesh across clusters (components/mesh_ca.py) uses four of its resources: PrivateKey (RSA),
SelfSignedCert, CertRequest and LocallySignedCert. This plugin speaks the engine's ResourceProvider protocol for
those four only and makes real keys and certificates with the `openssl` command, with the inputs the stack sets
(subject, DNS names, CA flag, key usages, validity), so the e2e can verify the chains it installs. Any change of
inputs replaces the resource (every input of the real provider's four is ForceNew); the engine keeps the keys
secret (the SDK registers privateKeyPem in additionalSecretOutputs). Untested here: the real provider's defaults,
its early renewal (readyForRenewal), and key types other than RSA.
"""

from __future__ import annotations

import secrets
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict, ParseDict
from pulumi.runtime.proto import provider_pb2

from e2e.plugin_double import PluginDouble, serve

# The version the locked SDK asks for (pulumi_tls's pulumi-plugin.json), so the engine's plugin lookup matches.
VERSION = "5.6.2"
PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"
REQUEST = "tls:index/certRequest:CertRequest"
SIGNED = "tls:index/locallySignedCert:LocallySignedCert"
# pulumi-tls allowed_uses -> openssl keyUsage / extendedKeyUsage names.
KEY_USAGES = {
    "cert_signing": "keyCertSign",
    "crl_signing": "cRLSign",
    "digital_signature": "digitalSignature",
    "key_encipherment": "keyEncipherment",
}
EXTENDED_USAGES = {"server_auth": "serverAuth", "client_auth": "clientAuth"}
SUBJECT_FIELDS = (("organization", "O"), ("commonName", "CN"), ("locality", "L"))


def openssl(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["openssl", *args], input=stdin, capture_output=True, text=True, check=True)
    return done.stdout


def subject(inputs: dict[str, Any]) -> str:
    fields = inputs.get("subject") or {}
    return "".join(f"/{short}={fields[name]}" for name, short in SUBJECT_FIELDS if fields.get(name)) or "/"


def extensions(inputs: dict[str, Any]) -> list[str]:
    lines = ["basicConstraints=critical,CA:TRUE" if inputs.get("isCaCertificate") else "basicConstraints=CA:FALSE"]
    uses = inputs.get("allowedUses") or []
    key_usages = [KEY_USAGES[use] for use in uses if use in KEY_USAGES]
    extended = [EXTENDED_USAGES[use] for use in uses if use in EXTENDED_USAGES]
    if key_usages:
        lines.append("keyUsage=critical," + ",".join(key_usages))
    if extended:
        lines.append("extendedKeyUsage=" + ",".join(extended))
    if inputs.get("setSubjectKeyId"):
        lines.append("subjectKeyIdentifier=hash")
    return lines


def days(inputs: dict[str, Any]) -> str:
    return str(max(1, int(inputs["validityPeriodHours"]) // 24))


def make(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if type_ == PRIVATE_KEY:
            key = openssl("genrsa", "-traditional", str(int(inputs.get("rsaBits", 2048))))
            public = openssl("rsa", "-pubout", stdin=key)
            return {"privateKeyPem": key, "publicKeyPem": public, "algorithm": "RSA"}
        (work / "key.pem").write_text(inputs.get("privateKeyPem") or inputs.get("caPrivateKeyPem") or "")
        (work / "ext.cnf").write_text("\n".join(extensions(inputs)) + "\n")
        if type_ == SELF_SIGNED:
            certificate = openssl(
                "req", "-x509", "-new", "-key", str(work / "key.pem"), "-subj", subject(inputs), "-days", days(inputs),
                "-sha256", "-extensions", "v3", "-config", str(_config(work, extensions(inputs))),
            )  # fmt: skip
            return {"certPem": certificate}
        if type_ == REQUEST:
            san = ",".join(f"DNS:{name}" for name in inputs.get("dnsNames") or [])
            extra = ["-addext", f"subjectAltName={san}"] if san else []
            request = openssl("req", "-new", "-key", str(work / "key.pem"), "-subj", subject(inputs), *extra)
            return {"certRequestPem": request}
        (work / "request.pem").write_text(inputs["certRequestPem"])
        (work / "ca.pem").write_text(inputs["caCertPem"])
        certificate = openssl(
            "x509", "-req", "-in", str(work / "request.pem"), "-CA", str(work / "ca.pem"), "-CAkey",
            str(work / "key.pem"), "-set_serial", str(secrets.randbits(63)), "-days", days(inputs), "-sha256",
            "-copy_extensions", "copy", "-extfile", str(work / "ext.cnf"),
        )  # fmt: skip
        return {"certPem": certificate}


def _config(work: Path, lines: list[str]) -> Path:
    path = work / "req.cnf"
    path.write_text("[req]\ndistinguished_name=dn\n[dn]\n[v3]\n" + "\n".join(lines) + "\n")
    return path


class TlsProvider(PluginDouble):
    name = "tls"
    version = VERSION

    def Configure(self, request: Any, context: Any) -> provider_pb2.ConfigureResponse:
        # Plain values in every request: the keys arrive as PEM text, not as secret envelopes.
        return provider_pb2.ConfigureResponse(acceptSecrets=False, supportsPreview=True)

    def Check(self, request: Any, context: Any) -> provider_pb2.CheckResponse:
        self._only_known(request.urn, context)
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> provider_pb2.DiffResponse:
        olds, news = MessageToDict(request.old_inputs), MessageToDict(request.news)
        replaces = sorted(key for key in {*olds, *news} if olds.get(key) != news.get(key))
        changes = provider_pb2.DiffResponse.DIFF_SOME if replaces else provider_pb2.DiffResponse.DIFF_NONE
        return provider_pb2.DiffResponse(changes=changes, replaces=replaces, diffs=replaces)

    def Create(self, request: Any, context: Any) -> provider_pb2.CreateResponse:
        type_ = self._only_known(request.urn, context)
        inputs = MessageToDict(request.properties)
        outputs = {**inputs, **({} if request.preview else make(type_, inputs))}
        return provider_pb2.CreateResponse(id=secrets.token_hex(8), properties=ParseDict(outputs, struct_pb2.Struct()))

    @staticmethod
    def _only_known(urn: str, context: Any) -> str:
        type_ = urn.split("::")[-2].split("$")[-1]
        if type_ not in (PRIVATE_KEY, SELF_SIGNED, REQUEST, SIGNED):
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"the e2e's tls stand-in does not make {type_}: {urn}")
        return type_


def main() -> None:
    serve(TlsProvider())


if __name__ == "__main__":
    main()
