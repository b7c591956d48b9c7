"""Istio's node agents: the CNI agent (chart `cni`, DaemonSet `istio-cni-node`) and, for ambient, ztunnel (chart
`ztunnel`, DaemonSet `ztunnel`), both after istiod, in a namespace of their own that the component creates (Pod
Security `privileged`, which they need and the control plane's namespace does not).

Read in istio/istio 1.30.3 manifests/charts/istio-cni and manifests/charts/ztunnel:
- Both resolve `profile` and `global.platform` into their files/profile-*.yaml; an unknown name fails the render
  (templates/zzz_profile.yaml). The cni chart then copies everything under `cni.` to the top
  (templates/zzy_descope_legacy.yaml): the profiles write `cni.ambient.enabled`, `cni.cniBinDir`, ...
- The cni DaemonSet is always `istio-cni-node` (one per cluster, whatever the release); its image is
  `hub | global.hub`/install-cni. ztunnel's objects are named `resourceName` (default `ztunnel`); its image is
  `hub`/ztunnel, where `global.*` is flattened onto the top level first (zzz_profile.yaml), so `global.hub` sets
  both charts' registry the way it does istiod's and the gateway's.
- ztunnel dials `istiod[-<revision>].<istioNamespace>.svc:15012` (daemonset.yaml, CA_ADDRESS and XDS_ADDRESS;
  `istioNamespace` defaults to istio-system), mounts the ConfigMap `istio-ca-root-cert` from its own namespace,
  and its pods carry `prometheus.io/scrape` and `prometheus.io/port: 15020` (values.yaml podAnnotations).
- istiod publishes `istio-ca-root-cert` into every namespace but kube-public, kube-node-lease and
  local-path-storage, injected or not (pilot/pkg/serviceregistry/kube/controller/namespacecontroller.go; only
  meshConfig.discoverySelectors, which this stack does not set, would narrow it): the agents' namespace gets it.
- Neither chart assumes a namespace: every object is in `.Release.Namespace`, the cni chart's ResourceQuota and
  ztunnel's (`resourceQuotas.enabled`, set by platform-gke.yaml) included, so GKE's quota for
  `system-node-critical` pods lands where the agents run. The cni agent finds its own DaemonSet through its
  POD_NAMESPACE (cni/pkg/nodeagent/server.go, ShouldStopCleanup).
- Neither has a canary: Istio upgrades both in place, after the control plane (istio.io ambient upgrade runbook).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts, pinned_chart, prefixed
from components.istio import AMBIENT_PROFILE
from definitions import versions
from definitions.mirror import ChartMirror
from definitions.sizing import Resources

CNI_DAEMONSET = "istio-cni-node"
ZTUNNEL_NAME = "ztunnel"
# ztunnel's pods' own annotations (values.yaml podAnnotations at 1.30.3), stated so that the Prometheus chart's
# `kubernetes-pods` job, which keeps annotated pods only, scrapes its metrics (istio_tcp_*) on 15020.
ZTUNNEL_SCRAPE = {"prometheus.io/scrape": "true", "prometheus.io/port": "15020"}


@dataclass(frozen=True)
class NodeAgentsArgs:
    # The default revision's Istio release: the agents have no canary and follow the default revision.
    version: str
    # The namespace the component creates for the agents, and its labels (Pod Security Admission).
    namespace: str
    # istiod's namespace: ztunnel's CA and xDS address (`istiod[-<revision>].<istio_namespace>.svc:15012`).
    istio_namespace: str
    # Istio's `global.platform` (gke, k3d, k3s, microk8s, minikube), or None for the charts' defaults.
    platform: str | None
    cni: Resources
    # ztunnel's resources; None: sidecars only (the CNI agent without ambient redirection).
    ztunnel: Resources | None
    # The default revision when it is a named one: ztunnel then dials istiod-<revision>.
    revision: str | None = None
    # CNI bin dir where the platform profile cannot find it itself (GKE under a client-side render).
    cni_bin_dir: str | None = None
    # Istio's order: the control plane first (the default revision's istiod, whose CA and xDS ztunnel uses).
    wait_for: list[pulumi.Resource] = field(default_factory=list)
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    # Charts and images from this mirror instead of their public homes (stacks/mirror.py).
    mirror: ChartMirror | None = None
    # Prefixes the resource names that are not the component's own (its namespace), so that one stack can hold
    # this component in several clusters (Pulumi URNs do not carry the parent's name); None keeps the
    # single-cluster stacks' names.
    resource_prefix: str | None = None


def cni_values(args: NodeAgentsArgs) -> dict[str, Any]:
    values: dict[str, Any] = {"resources": args.cni.values()}
    if args.ztunnel is not None:
        # files/profile-ambient.yaml: cni.ambient.enabled, the redirection of ambient pods to ztunnel.
        values["profile"] = AMBIENT_PROFILE
    if args.platform is not None:
        values["global"] = {"platform": args.platform}
    if args.cni_bin_dir is not None:
        # Under `cni.`, the prefix platform-gke.yaml itself writes `cniBinDir: ""` under: set there, it wins the
        # merge over the profile's empty value before zzy_descope_legacy.yaml copies it to the top.
        values["cni"] = {"cniBinDir": args.cni_bin_dir}
    return values


def ztunnel_values(args: NodeAgentsArgs, resources: Resources) -> dict[str, Any]:
    values: dict[str, Any] = {
        "resources": resources.values(),
        # istiod trusts `<namespace>/ztunnel` (IstioControlPlaneArgs.ambient), and Kiali finds ztunnel by its
        # DaemonSet's app.kubernetes.io/name and its pods' `ztunnel-` names: never renamed.
        "resourceName": ZTUNNEL_NAME,
        "podAnnotations": dict(ZTUNNEL_SCRAPE),
        # Where istiod runs (the chart's default, stated: the agents' namespace is not istiod's).
        "istioNamespace": args.istio_namespace,
    }
    if args.revision is not None:
        values["revision"] = args.revision
    if args.platform is not None:
        # platform-gke.yaml: resourceQuotas.enabled, so system-node-critical pods run outside kube-system.
        values["global"] = {"platform": args.platform}
    return values


class IstioNodeAgents(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    cni: k8s.helm.v4.Chart
    ztunnel: k8s.helm.v4.Chart | None

    def __init__(self, name: str, args: NodeAgentsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:istio:IstioNodeAgents", name, None, opts)
        # The charts install into it through its name's output: created before them, deleted after them.
        self.namespace = k8s.core.v1.Namespace(
            prefixed(args.resource_prefix, args.namespace),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels=dict(args.namespace_labels)),
            opts=child_opts(self),
        )
        namespace = self.namespace.metadata.name
        self.cni = pinned_chart(
            f"{name}-cni",
            versions.istio_chart("cni", args.version),
            release="istio-cni",
            namespace=namespace,
            values=cni_values(args),
            opts=child_opts(self, args.wait_for),
            mirror=args.mirror,
        )
        self.ztunnel = None
        if args.ztunnel is not None:
            # After the CNI agent: ztunnel's pods are set up through it, and Istio installs them in this order.
            self.ztunnel = pinned_chart(
                f"{name}-ztunnel",
                versions.istio_chart("ztunnel", args.version),
                release=ZTUNNEL_NAME,
                namespace=namespace,
                values=ztunnel_values(args, args.ztunnel),
                opts=child_opts(self, [*args.wait_for, self.cni]),
                mirror=args.mirror,
            )
        self.register_outputs({"version": args.version, "ambient": args.ztunnel is not None})

    def needed_by(self, dataplane: str) -> list[pulumi.Resource]:
        """What a namespace's pods need before they start: the CNI agent (it sets up every meshed pod's
        redirection, sidecar or ambient), and ztunnel for ambient ones."""
        ztunnel = [self.ztunnel] if dataplane == "ambient" and self.ztunnel is not None else []
        return [self.cni, *ztunnel]
