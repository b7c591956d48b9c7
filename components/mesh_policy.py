"""Mesh-wide policy: mutual TLS, tracing through the Telemetry API, namespaces labelled for their data plane
(sidecar injection or ambient), and the waypoints of the ambient namespaces that ask for one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts, prefixed

INJECTION_LABEL = {"istio-injection": "enabled"}
# Pinned namespaces carry only this label: istio-injection takes precedence over it in every injector webhook
# (istio/istio 1.30.3 istio-discovery templates/mutatingwebhook.yaml: `istio-injection DoesNotExist`).
REVISION_LABEL = "istio.io/rev"
# Ambient enrolment and the waypoint binding (istio/istio 1.30.3 cni/README.md: namespace label
# istio.io/dataplane-mode=ambient; istioctl/pkg/waypoint/waypoint.go labels the namespace with
# label.IoIstioUseWaypoint = the waypoint's name). A namespace never carries both a sidecar label and this one:
# the injector has no ambient check, so istio-injection or istio.io/rev would win and give its pods sidecars.
DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode"
USE_WAYPOINT_LABEL = "istio.io/use-waypoint"
# The name `istioctl waypoint apply` gives a namespace's waypoint (pkg/config/constants DefaultNamespaceWaypoint).
WAYPOINT_NAME = "waypoint"
# A waypoint is a Gateway of this class with one HBONE listener on 15008, as `istioctl waypoint generate` writes
# it (istioctl/pkg/waypoint/waypoint.go: constants.WaypointGatewayClassName, listener "mesh"); the class exists
# with PILOT_ENABLE_AMBIENT (manifests/helm-profiles/ambient.yaml).
WAYPOINT_CLASS = "istio-waypoint"
WAYPOINT_LISTENER = {"name": "mesh", "port": 15008, "protocol": "HBONE"}
# What the waypoint serves: traffic addressed to the namespace's Services. istioctl leaves the label off and lets
# istiod default to `service` (waypoint.go); it is stated here so the choice shows in the preview.
WAYPOINT_FOR = {"istio.io/waypoint-for": "service"}


@dataclass(frozen=True)
class InjectedNamespace:
    name: str
    # None: follows the default revision (the default tag injects istio-injection=enabled). Sidecar only.
    revision: str | None
    # What its pods need before they start: the istiod that injects them, the node agents (CNI, ztunnel).
    wait_for: tuple[pulumi.Resource, ...]
    dataplane: str = "sidecar"
    waypoint: bool = False
    # Labels besides the data plane's (Pod Security Admission).
    extra_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> dict[str, str]:
        if self.dataplane == "ambient":
            waypoint = {USE_WAYPOINT_LABEL: WAYPOINT_NAME} if self.waypoint else {}
            return {**self.extra_labels, DATAPLANE_MODE_LABEL: "ambient", **waypoint}
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
    # A waypoint is a Gateway API Gateway: it waits for their CRDs too (and for istiod, as above).
    gateway_api: list[pulumi.Resource] = field(default_factory=list)
    # Prefixes the namespaces' and waypoints' resource names, so that one stack can hold this policy in several
    # clusters (Pulumi URNs do not carry the parent's name); None keeps the single-cluster stacks' names.
    resource_prefix: str | None = None


class MeshPolicy(pulumi.ComponentResource):
    peer_authentication: k8s.apiextensions.CustomResource
    telemetry: k8s.apiextensions.CustomResource | None
    namespaces: dict[str, k8s.core.v1.Namespace]
    waypoints: dict[str, k8s.apiextensions.CustomResource]

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
                prefixed(args.resource_prefix, namespace.name),
                metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace.name, labels=namespace.labels),
                opts=child_opts(self, list(namespace.wait_for)),
            )
            for namespace in args.injected_namespaces
        }
        self.waypoints = {
            namespace.name: k8s.apiextensions.CustomResource(
                prefixed(args.resource_prefix, f"{namespace.name}-waypoint"),
                api_version="gateway.networking.k8s.io/v1",
                kind="Gateway",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=WAYPOINT_NAME,
                    namespace=self.namespaces[namespace.name].metadata.name,
                    labels=dict(WAYPOINT_FOR),
                ),
                spec={"gatewayClassName": WAYPOINT_CLASS, "listeners": [dict(WAYPOINT_LISTENER)]},
                opts=child_opts(self, [*args.wait_for, *args.gateway_api]),
            )
            for namespace in args.injected_namespaces
            if namespace.waypoint
        }
        self.register_outputs({"injected_namespaces": [n.name for n in args.injected_namespaces]})
