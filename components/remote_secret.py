"""How one cluster's istiod reads another's API server: the reader's role and token in the cluster read, and a
remote secret in the reading cluster.

As `istioctl create-remote-secret` makes them (istio/istio 1.30.3 istioctl/pkg/multicluster/remote_secret.go): a
Secret of type kubernetes.io/service-account-token named `<service account>-istio-remote-secret-token` for the
reader service account `istio-reader-service-account` (rendered by the base chart); then, in the reading cluster, a
Secret `istio-remote-secret-<cluster>` labelled `istio/multiCluster: "true"` (pkg/kube/multicluster
secretcontroller.go, MultiClusterSecretLabel), annotated `networking.istio.io/cluster: <cluster>`, whose key
`<cluster>` holds a kubeconfig: one cluster, context and user all named `<cluster>`, the token secret's `ca.crt`
as certificate-authority-data and its token as the bearer token.

The role is the chart's istio-reader ClusterRole (istio-discovery templates/reader-clusterrole.yaml) without
`secrets`: that role reads every Secret of the cluster, so each token in another cluster would be a key to all of
them. Without it, istiod cannot look up gateway credentials (credentialName) in a remote cluster, which only a
proxy served by a remote istiod needs (primary-remote); in multi-primary every proxy is served by its own
cluster's istiod. The cost: istiod's Secrets informer on the remote cluster never syncs, so istiod marks that
cluster synced after PILOT_REMOTE_CLUSTER_TIMEOUT (30 s) and logs the timeout (pkg/kube/multicluster/cluster.go).
This rests on reading istiod (pilot/pkg/credentials/kube/), not on running it: no istiod runs here.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts

READER_SERVICE_ACCOUNT = "istio-reader-service-account"
TOKEN_SECRET_SUFFIX = "-istio-remote-secret-token"
REMOTE_SECRET_PREFIX = "istio-remote-secret-"
MULTICLUSTER_LABEL = "istio/multiCluster"
CLUSTER_ANNOTATION = "networking.istio.io/cluster"
# pulumi-kubernetes' generic await (pulumi.com/waitFor): the create returns once the token controller has filled in
# the token, so the remote secret is built from a complete one.
WAIT_FOR_TOKEN = {"pulumi.com/waitFor": "jsonpath={.data.token}"}
READ = ["get", "list", "watch"]
ISTIO_CONFIG_GROUPS = [
    "config.istio.io",
    "security.istio.io",
    "networking.istio.io",
    "authentication.istio.io",
    "rbac.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
]
MCS_GROUP = "multicluster.x-k8s.io"


def rule(groups: list[str], resources: list[str], verbs: list[str]) -> k8s.rbac.v1.PolicyRuleArgs:
    return k8s.rbac.v1.PolicyRuleArgs(api_groups=groups, resources=resources, verbs=verbs)


def reader_rules() -> list[k8s.rbac.v1.PolicyRuleArgs]:
    """The chart's reader rules at 1.30.3 (istiodRemote off), `secrets` left out of the core group's resources."""
    core = ["endpoints", "pods", "services", "nodes", "replicationcontrollers", "namespaces", "configmaps"]
    return [
        rule(ISTIO_CONFIG_GROUPS, ["*"], READ),
        rule([""], core, READ),
        rule(["networking.x-k8s.io", "gateway.networking.k8s.io"], ["gateways"], READ),
        rule(["apiextensions.k8s.io"], ["customresourcedefinitions"], READ),
        rule(["discovery.k8s.io"], ["endpointslices"], READ),
        rule([MCS_GROUP], ["serviceexports"], [*READ, "create", "delete"]),
        rule([MCS_GROUP], ["serviceimports"], READ),
        rule(["apps"], ["replicasets"], READ),
        rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
        rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
    ]


@dataclass(frozen=True)
class MeshReaderArgs:
    # The system namespace, where the base chart renders the reader service account.
    namespace: pulumi.Input[str]
    # The chart that renders the service account: the token controller deletes a token whose account is missing.
    wait_for: list[pulumi.Resource] = field(default_factory=list)


class MeshReader(pulumi.ComponentResource):
    """In the cluster read: the reader's role and its long-lived token."""

    token: pulumi.Output[str]
    ca_data: pulumi.Output[str]

    def __init__(self, name: str, args: MeshReaderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:mesh:MeshReader", name, None, opts)
        role_name = pulumi.Output.concat("istio-reader-clusterrole-", args.namespace)
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=role_name, labels={"app": "istio-reader"}),
            rules=reader_rules(),
            opts=child_opts(self),
        )
        binding = k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=role_name, labels={"app": "istio-reader"}),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name
            ),
            subjects=[
                k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=READER_SERVICE_ACCOUNT, namespace=args.namespace)
            ],
            opts=child_opts(self),
        )
        token = k8s.core.v1.Secret(
            f"{name}-token",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=READER_SERVICE_ACCOUNT + TOKEN_SECRET_SUFFIX,
                namespace=args.namespace,
                annotations={"kubernetes.io/service-account.name": READER_SERVICE_ACCOUNT, **WAIT_FOR_TOKEN},
            ),
            type="kubernetes.io/service-account-token",
            opts=child_opts(self, [*args.wait_for, binding]),
        )
        # The token controller writes both keys; the provider returns Secret data as secret outputs.
        self.token = pulumi.Output.secret(token.data.apply(lambda data: base64.b64decode(data["token"]).decode()))
        self.ca_data = token.data.apply(lambda data: data["ca.crt"])
        self.register_outputs({})


def remote_kubeconfig(cluster: str, server: str, ca_data: str, token: str) -> str:
    """istioctl's bearer-token kubeconfig (createBaseKubeconfig, createBearerTokenKubeconfig)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": {"certificate-authority-data": ca_data, "server": server}}],
            "users": [{"name": cluster, "user": {"token": token}}],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
            "current-context": cluster,
        },
        indent=2,
    )


@dataclass(frozen=True)
class RemoteSecretArgs:
    # The reading cluster's system namespace (istiod watches its own namespace for remote secrets).
    namespace: pulumi.Input[str]
    # The cluster read: its name in the mesh, its API server as the reading cluster reaches it, its reader.
    cluster: str
    server: str
    reader: MeshReader
    # istiod, so that the secret is removed before the reading istiod on destroy (it would only log errors).
    wait_for: list[pulumi.Resource] = field(default_factory=list)


class RemoteSecret(pulumi.ComponentResource):
    secret: k8s.core.v1.Secret

    def __init__(self, name: str, args: RemoteSecretArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:mesh:RemoteSecret", name, None, opts)
        kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(args.reader.ca_data, args.reader.token).apply(
                lambda pair: remote_kubeconfig(args.cluster, args.server, pair[0], pair[1])
            )
        )
        self.secret = k8s.core.v1.Secret(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=REMOTE_SECRET_PREFIX + args.cluster,
                namespace=args.namespace,
                labels={MULTICLUSTER_LABEL: "true"},
                annotations={CLUSTER_ANNOTATION: args.cluster},
            ),
            string_data={args.cluster: kubeconfig},
            opts=child_opts(self, args.wait_for),
        )
        self.register_outputs({})
