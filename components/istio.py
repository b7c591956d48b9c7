"""The Istio control plane: the `istio-system` namespace, chart `base` (Istio CRDs) and chart `istiod`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts, pinned_chart
from stacks import versions
from stacks.profiles import Replicas, Resources, spread

# Given to base AND istiod from the first install, so istiod never flips its webhook from Ignore to Fail
# and later `up`s show no diff (pulumi/pulumi-kubernetes#2210, istio/istio#57643).
WEBHOOK_FAILURE_POLICY = {"base": {"validationFailurePolicy": "Fail"}}


@dataclass(frozen=True)
class ZipkinTracer:
    """A meshConfig extension provider speaking the Zipkin protocol."""

    provider_name: str
    host: str
    port: int


@dataclass(frozen=True)
class IstioControlPlaneArgs:
    version: str
    namespace: str
    access_logs: bool
    tracer: Optional[ZipkinTracer]
    resources: Resources
    replicas: Replicas
    # Every injected pod's istio-proxy and istio-init (injection template "resources" at 1.30.3; the chart has
    # no separate global.proxy_init.resources).
    sidecar: Resources
    highly_available: bool
    alpha_gateway_api: bool = False
    # istiod reads the Gateway API CRDs at start: it waits for them (and for base) to be installed.
    wait_for: list[pulumi.Resource] = field(default_factory=list)


def mesh_config(args: IstioControlPlaneArgs) -> dict[str, Any]:
    config: dict[str, Any] = {"accessLogFile": "/dev/stdout" if args.access_logs else ""}
    if args.tracer is not None:
        config["extensionProviders"] = [
            {"name": args.tracer.provider_name, "zipkin": {"service": args.tracer.host, "port": args.tracer.port}}
        ]
    return config


# The istiod pods' labels (templates/deployment.yaml at 1.30.3): `istio.io/rev` is the chart's `revision`,
# "default" when unset, so the spread counts this release's pods only.
ISTIOD_POD_LABELS = {"app": "istiod", "istio.io/rev": "default"}


def istiod_values(args: IstioControlPlaneArgs) -> dict[str, Any]:
    values: dict[str, Any] = {
        **WEBHOOK_FAILURE_POLICY,
        "meshConfig": mesh_config(args),
        # The chart's default asks 500m and 2048Mi (values.yaml `resources`), most of a laptop cluster.
        "resources": args.resources.values(),
        # The autoscaler's range, never `replicaCount`: with autoscaleEnabled (the chart's default, true) the
        # Deployment leaves .spec.replicas to the HPA (templates/deployment.yaml, autoscale.yaml).
        "autoscaleMin": args.replicas.min,
        "autoscaleMax": args.replicas.max,
        "global": {"proxy": {"resources": args.sidecar.values()}},
    }
    if args.highly_available:
        # templates/poddisruptionbudget.yaml: rendered with autoscaleMin > 1 (pdb.minAvailable: 1 by default).
        values["global"]["defaultPodDisruptionBudget"] = {"enabled": True}
        # Best effort on nodes too: while istiod is away, running proxies keep their config (only new pods and
        # certificate rotation wait), and the PDB keeps a drain from taking both. Unlike the gateway, a second
        # replica left Pending for lack of room on another node would cost more than a brief co-location.
        values["topologySpreadConstraints"] = spread(ISTIOD_POD_LABELS, "ScheduleAnyway")
    if args.alpha_gateway_api:
        # TCPRoute is read only as v1alpha2, behind this flag.
        values["env"] = {"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"}
    return values


class IstioControlPlane(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    base: k8s.helm.v4.Chart
    istiod: k8s.helm.v4.Chart

    def __init__(self, name: str, args: IstioControlPlaneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:istio:IstioControlPlane", name, None, opts)
        self.namespace = k8s.core.v1.Namespace(
            args.namespace,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace),
            opts=child_opts(self),
        )
        namespace = self.namespace.metadata.name
        self.base = pinned_chart(
            f"{name}-base",
            versions.istio_chart("base", args.version),
            release="istio-base",
            namespace=namespace,
            values=WEBHOOK_FAILURE_POLICY,
            opts=child_opts(self),
        )
        self.istiod = pinned_chart(
            f"{name}-istiod",
            versions.istio_chart("istiod", args.version),
            release="istiod",
            namespace=namespace,
            values=istiod_values(args),
            opts=child_opts(self, [self.base, *args.wait_for]),
        )
        self.register_outputs({"version": args.version})
