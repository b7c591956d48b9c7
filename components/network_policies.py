"""NetworkPolicies for the namespaces a stack owns: every inbound connection refused, then one policy per flow
the stack needs, each naming its destination pods, its ports and where the connection may come from.

Ingress only: egress (to the API server, to DNS, to the cloud's APIs) stays open. Traffic from a pod's own
node (the kubelet's probes) is always allowed, whatever the policies (kubernetes.io, Network Policies); a
`kubectl port-forward` enters the pod's network namespace through the kubelet and is not a network flow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts, prefixed

# Every namespace carries its name as this label (set by the API server since Kubernetes 1.22).
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DENY_ALL = "deny-all-ingress"
# Each allowing policy says in the cluster why the flow exists.
WHY_ANNOTATION = "servicemesh/why"


@dataclass(frozen=True)
class Peer:
    """Where a connection may come from: pods with `pods` labels (None: any pod) in `namespace` (None: any), or
    the addresses of `cidr` (an address that is not a pod's)."""

    namespace: str | None
    pods: Mapping[str, str] | None = None
    cidr: str | None = None


@dataclass(frozen=True)
class Flow:
    """Connections allowed into `pods` of `namespace` on `ports`, from `sources` (none: from anywhere, for
    callers outside the pod network such as the API server or a load balancer)."""

    name: str
    namespace: str
    pods: Mapping[str, str]  # {}: every pod of the namespace
    ports: tuple[int, ...]
    sources: tuple[Peer, ...]
    why: str


@dataclass(frozen=True)
class NetworkPoliciesArgs:
    # Each namespace is closed to every inbound connection but its flows.
    namespaces: Sequence[str]
    flows: Sequence[Flow]
    # The namespaces themselves: the policies are created in them and deleted before them.
    wait_for: list[pulumi.Resource] = field(default_factory=list)
    # In a mesh across clusters, the cluster's name: it prefixes every policy's resource name.
    resource_prefix: str | None = None


def peer_spec(peer: Peer) -> dict[str, Any]:
    if peer.cidr is not None:
        return {"ipBlock": {"cidr": peer.cidr}}
    spec: dict[str, Any] = {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: peer.namespace}} if peer.namespace else {}
    }
    if peer.pods is not None:
        spec["podSelector"] = {"matchLabels": dict(peer.pods)}
    return spec


def flow_spec(flow: Flow) -> dict[str, Any]:
    rule: dict[str, Any] = {"ports": [{"protocol": "TCP", "port": port} for port in flow.ports]}
    if flow.sources:
        rule["from"] = [peer_spec(peer) for peer in flow.sources]
    return {"podSelector": {"matchLabels": dict(flow.pods)}, "policyTypes": ["Ingress"], "ingress": [rule]}


def deny_all_spec() -> dict[str, Any]:
    return {"podSelector": {}, "policyTypes": ["Ingress"]}


class NetworkPolicies(pulumi.ComponentResource):
    policies: dict[str, k8s.networking.v1.NetworkPolicy]  # "<namespace>/<name>" -> policy

    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:security:NetworkPolicies", name, None, opts)
        self.policies = {}
        self.prefix = args.resource_prefix
        for namespace in args.namespaces:
            self._policy(namespace, DENY_ALL, deny_all_spec(), None, args.wait_for)
        for flow in args.flows:
            self._policy(flow.namespace, f"allow-{flow.name}", flow_spec(flow), flow.why, args.wait_for)
        self.register_outputs({"policies": sorted(self.policies)})

    def _policy(
        self, namespace: str, name: str, spec: dict[str, Any], why: str | None, wait_for: list[pulumi.Resource]
    ) -> None:
        self.policies[f"{namespace}/{name}"] = k8s.networking.v1.NetworkPolicy(
            prefixed(self.prefix, f"{namespace}-{name}"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name, namespace=namespace, annotations={WHY_ANNOTATION: why} if why else None
            ),
            # Plain data (tests read it field by field), cast rather than converted to the SDK's TypedDict.
            spec=cast(k8s.networking.v1.NetworkPolicySpecArgsDict, spec),
            opts=child_opts(self, wait_for),
        )
