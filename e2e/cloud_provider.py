"""Test doubles for the `gcp` and `aws` resource plugins (pulumi-gcp, pulumi-aws), which the Go module proxy does not
serve: `pulumi-resource-gcp` and `pulumi-resource-aws` on the e2e's PATH run `main("gcp")` / `main("aws")`.

Each speaks the engine's ResourceProvider protocol for the resources and invokes the shipped `gcp` and `aws` stacks
use (RESOURCES, INVOKES) and refuses any other: a stack that starts using a new one fails here until the double
learns it. A resource's outputs are its inputs plus the fields the real provider computes (service-account email,
key, role ARN, zone name servers...), and invokes answer with a zone, a cluster, an OIDC provider: both taken from
the unit suite's fakes (tests/fakes.py), so the program sees the same shapes under mocks and on the engine. A
change of inputs is an update in place. Nothing reaches a cloud: IAM, DNS and the identities' effect are untested
here; what is tested is the Kubernetes side of the stacks, for real, with the cloud resources wired in.
"""

from __future__ import annotations

import sys
from typing import Any

import grpc
from pulumi.runtime.mocks import MockResourceArgs
from pulumi.runtime.proto import provider_pb2

from e2e.plugin_double import PluginDouble, serve
from e2e.random_provider import plain, struct
from tests import fakes

# The versions the locked SDKs ask for (requirements.lock pulumi-gcp, pulumi-aws).
VERSIONS = {"gcp": "10.2.0", "aws": "7.51.1"}
RESOURCES = {
    "gcp": {
        "gcp:dns/managedZone:ManagedZone",
        "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
        "gcp:projects/iAMMember:IAMMember",
        "gcp:serviceaccount/account:Account",
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:serviceaccount/key:Key",
    },
    "aws": {
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "aws:iam/accessKey:AccessKey",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/user:User",
        "aws:iam/userPolicy:UserPolicy",
        "aws:route53/zone:Zone",
    },
}
INVOKES = {
    "gcp": {"gcp:dns/getManagedZone:getManagedZone", "gcp:dns/getManagedZones:getManagedZones"},
    "aws": {
        "aws:route53/getZone:getZone",
        "aws:eks/getCluster:getCluster",
        "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider",
    },
}


def urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def urn_name(urn: str) -> str:
    return urn.split("::")[3]


class CloudProvider(PluginDouble):
    """The protocol's plumbing is the other doubles' (e2e/plugin_double.py); this one takes provider configuration
    (the project, the region) and answers invokes."""

    def __init__(self, cloud: str):
        self.cloud = self.name = cloud
        self.version = VERSIONS[cloud]

    def Configure(self, request: Any, context: Any) -> provider_pb2.ConfigureResponse:
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True)

    def Invoke(self, request: Any, context: Any) -> provider_pb2.InvokeResponse:
        if request.tok not in INVOKES[self.cloud]:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"the e2e's {self.cloud} double answers no {request.tok}")
        answer = fakes.invoke(request.tok, plain(request.args))
        result, failures = answer if isinstance(answer, tuple) else (answer, [])
        return provider_pb2.InvokeResponse(
            **{"return": struct(result)},
            failures=[provider_pb2.CheckFailure(property=key, reason=reason) for key, reason in failures],
        )

    def Check(self, request: Any, context: Any) -> provider_pb2.CheckResponse:
        self._known(request.urn, context)
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> provider_pb2.DiffResponse:
        olds, news = plain(request.old_inputs), plain(request.news)
        changed = sorted(key for key in {*olds, *news} if olds.get(key) != news.get(key))
        changes = provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE
        return provider_pb2.DiffResponse(changes=changes, diffs=changed)

    def Create(self, request: Any, context: Any) -> provider_pb2.CreateResponse:
        self._known(request.urn, context)
        args = self._args(request.urn, plain(request.properties))
        outputs = {**args.inputs, **fakes.computed_fields(args)}
        return provider_pb2.CreateResponse(id=fakes.resource_id(args), properties=struct(outputs))

    def Update(self, request: Any, context: Any) -> provider_pb2.UpdateResponse:
        args = self._args(request.urn, plain(request.news))
        return provider_pb2.UpdateResponse(properties=struct({**args.inputs, **fakes.computed_fields(args)}))

    @staticmethod
    def _args(urn: str, inputs: dict[str, Any]) -> MockResourceArgs:
        """What the unit suite's fakes read: type, name, inputs."""
        return MockResourceArgs(urn_type(urn), urn_name(urn), inputs, "", "", True)

    def _known(self, urn: str, context: Any) -> None:
        if urn_type(urn) not in RESOURCES[self.cloud]:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"the e2e's {self.cloud} double makes no {urn_type(urn)}")


def main(cloud: str) -> None:
    serve(CloudProvider(cloud))


if __name__ == "__main__":
    main(sys.argv[1])
