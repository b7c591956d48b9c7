"""Mesh-wide policy: mutual TLS, tracing through the Telemetry API, namespaces labelled for injection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts

INJECTION_LABEL = {"istio-injection": "enabled"}
# Pinned namespaces carry only this label: istio-injection takes precedence over it in every injector webhook
# (istio/istio 1.30.3 istio-discovery templates/mutatingwebhook.yaml: `istio-injection DoesNotExist`).
REVISION_LABEL = "istio.io/rev"


@dataclass(frozen=True)
class InjectedNamespace:
    name: str
    # None: follows the default revision (the default tag injects istio-injection=enabled).
    revision: str | None
    # The istiod chart that injects its pods: the namespace is labelled once it serves.
    injector: pulumi.Resource
    # Labels besides injection's (Pod Security Admission).
    extra_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> dict[str, str]:
        injection = dict(INJECTION_LABEL) if self.revision is None else {REVISION_LABEL: self.revision}
        return {**self.extra_labels, **injection}


@dataclass(frozen=True)
class MeshTracing:
    provider_name: str
    sampling: float


@dataclass(frozen=True)
class MeshPolicyArgs:
    # The Namespace resource's name output, so the policy is deleted before its namespace on destroy.
    root_namespace: pulumi.Input[str]
    mtls_mode: str
    tracing: MeshTracing | None
    injected_namespaces: tuple[InjectedNamespace, ...]
    # Istio's validating webhook fails closed (validationFailurePolicy Fail): every Istio resource waits for the
    # default revision's istiod to be ready; each namespace waits for its injector.
    wait_for: list[pulumi.Resource] = field(default_factory=list)


class MeshPolicy(pulumi.ComponentResource):
    peer_authentication: k8s.apiextensions.CustomResource
    telemetry: k8s.apiextensions.CustomResource | None
    namespaces: dict[str, k8s.core.v1.Namespace]

    def __init__(self, name: str, args: MeshPolicyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:istio:MeshPolicy", name, None, opts)
        after_istiod = child_opts(self, args.wait_for)
        # In the root namespace, `default` is the mesh-wide policy.
        self.peer_authentication = k8s.apiextensions.CustomResource(
            f"{name}-mtls",
            api_version="security.istio.io/v1",
            kind="PeerAuthentication",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default", namespace=args.root_namespace),
            spec={"mtls": {"mode": args.mtls_mode}},
            opts=after_istiod,
        )
        self.telemetry = None
        if args.tracing is not None:
            self.telemetry = k8s.apiextensions.CustomResource(
                f"{name}-tracing",
                api_version="telemetry.istio.io/v1",
                kind="Telemetry",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="mesh-default", namespace=args.root_namespace),
                spec={
                    "tracing": [
                        {
                            "providers": [{"name": args.tracing.provider_name}],
                            "randomSamplingPercentage": args.tracing.sampling,
                        }
                    ]
                },
                opts=after_istiod,
            )
        self.namespaces = {
            namespace.name: k8s.core.v1.Namespace(
                namespace.name,
                metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace.name, labels=namespace.labels),
                opts=child_opts(self, [namespace.injector]),
            )
            for namespace in args.injected_namespaces
        }
        self.register_outputs({"injected_namespaces": [n.name for n in args.injected_namespaces]})
