"""Which data plane each injected namespace runs, and what the node agents need: derived from the settings once.

A namespace runs `sidecar` (Envoy injected into every pod) or `ambient` (ztunnel on every node, a waypoint where
L7 is needed): its own `dataplane` if listed with one, else `mesh.dataplane`. The CNI node agent (Istio's `cni`
chart) is installed when any namespace is ambient (ztunnel cannot work without it), else when `mesh.cni.enabled`
says so (default: on in `production`), so that sidecar pods need no privileged `istio-init`.

Other stack modules (and the Pod Security levels of issue 20) ask here, never re-derive it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Types only: the section modules import this one (their rules read the derived values).
if TYPE_CHECKING:
    from settings.mesh import Dataplane
    from settings.model import Settings


# Istio 1.30.3 `global.platform` for each cloud: GKE needs its own CNI bin dir and a ResourceQuota that lets
# system-node-critical pods run outside kube-system (manifests/helm-profiles/platform-gke.yaml); EKS runs the
# charts' defaults (/opt/cni/bin, /etc/cni/net.d) and has no platform profile (`eks` fails the render).
CLOUD_PLATFORMS: dict[str, str | None] = {"gcp": "gke", "aws": None}
# GKE's CNI bin dir: the cni chart finds it only from a live cluster's version string (`-gke`), which a
# client-side render does not have (manifests/charts/istio-cni/templates/daemonset.yaml, $detectedBinDir).
GKE_CNI_BIN_DIR = "/home/kubernetes/bin"


def namespace_dataplane(settings: Settings, namespace: str) -> Dataplane:
    """`sidecar` or `ambient` for one of `settings.injected_namespaces` (the demo's included)."""
    listed = settings.mesh.listed(namespace)
    if listed is not None and listed.dataplane is not None:
        return listed.dataplane
    return settings.mesh.dataplane


def dataplanes(settings: Settings) -> dict[str, Dataplane]:
    """Every injected namespace -> its data plane."""
    return {name: namespace_dataplane(settings, name) for name in settings.injected_namespaces}


def ambient_enabled(settings: Settings) -> bool:
    """Whether the mesh runs ambient: any namespace is, or the mesh's default is (so a namespace can join later)."""
    # A namespace not listed with a data plane of its own runs mesh.dataplane: only the listed ones can differ.
    return settings.mesh.dataplane == "ambient" or any(n.dataplane == "ambient" for n in settings.mesh.namespaces)


def cni_installed(settings: Settings) -> bool:
    """Whether the `cni` chart is installed, for any reason (ambient, or sidecars without istio-init)."""
    if ambient_enabled(settings):
        return True
    if settings.mesh.cni.enabled is not None:
        return settings.mesh.cni.enabled
    return settings.profile == "production"


def waypoints(settings: Settings) -> tuple[str, ...]:
    """The namespaces that get a waypoint."""
    return tuple(n.name for n in settings.mesh.namespaces if n.waypoint)


def platform(settings: Settings) -> str | None:
    """Istio's `global.platform` for the node agents: derived from the cloud, chosen on local (kind: none)."""
    if settings.cloud != "local":
        return CLOUD_PLATFORMS[settings.cloud]
    chosen = settings.mesh.cni.platform
    return None if chosen in (None, "kind") else chosen
