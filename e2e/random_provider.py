"""Test double for the `random` resource plugin (pulumi-random), which the Go module proxy does not serve.

The stack uses one of its resources, `random:index/randomPassword:RandomPassword` (Grafana's admin password,
Kiali's signing key). This plugin speaks the engine's ResourceProvider protocol for that type only: the
password is made with `secrets`, a change of its inputs replaces it, and the engine keeps `result` secret (the
SDK registers it in additionalSecretOutputs). What the real provider does beyond that is untested here.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import grpc
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict, ParseDict
from pulumi.runtime.proto import provider_pb2

from e2e.plugin_double import PluginDouble, serve

# The version the locked SDK asks for (pulumi_random's pulumi-plugin.json), so the engine's plugin lookup matches.
VERSION = "4.21.4"
PASSWORD = "random:index/randomPassword:RandomPassword"
# Every input of RandomPassword: changing any makes a new password (the real provider's ForceNew inputs).
REPLACE_ON = ("length", "special", "upper", "lower", "numeric", "number", "minLower", "minUpper", "keepers")


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    return ParseDict(value, struct_pb2.Struct())


def plain(value: struct_pb2.Struct) -> dict[str, Any]:
    return MessageToDict(value)


def password(inputs: dict[str, Any]) -> str:
    alphabet = string.ascii_letters + string.digits
    if inputs.get("special", True):
        alphabet += inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"
    return "".join(secrets.choice(alphabet) for _ in range(int(inputs.get("length", 16))))


class RandomProvider(PluginDouble):
    name = "random"
    version = VERSION

    def Configure(self, request: Any, context: Any) -> provider_pb2.ConfigureResponse:
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True)

    def Check(self, request: Any, context: Any) -> provider_pb2.CheckResponse:
        self._only_passwords(request.urn, context)
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> provider_pb2.DiffResponse:
        olds, news = plain(request.old_inputs), plain(request.news)
        replaces = [key for key in REPLACE_ON if olds.get(key) != news.get(key)]
        changes = provider_pb2.DiffResponse.DIFF_SOME if replaces else provider_pb2.DiffResponse.DIFF_NONE
        return provider_pb2.DiffResponse(changes=changes, replaces=replaces, diffs=replaces)

    def Create(self, request: Any, context: Any) -> provider_pb2.CreateResponse:
        self._only_passwords(request.urn, context)
        inputs = plain(request.properties)
        outputs = {**inputs, "result": "" if request.preview else password(inputs), "bcryptHash": ""}
        return provider_pb2.CreateResponse(id=secrets.token_hex(8), properties=struct(outputs))

    @staticmethod
    def _only_passwords(urn: str, context: Any) -> None:
        if not urn.split("::")[-2].endswith(PASSWORD):
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"the e2e's random stand-in makes {PASSWORD} only: {urn}")


def main() -> None:
    serve(RandomProvider())


if __name__ == "__main__":
    main()
