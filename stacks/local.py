"""The `local` stack: the cluster the kube context points at (kind, k3d, minikube, Docker Desktop...), refused
when that context does not look like a cluster on this machine and the stack did not name it (stacks/kube_context.py).

Install order: the mesh core (stacks/mesh.py); external-dns only when asked for, with the static
credentials of the cloud that holds the zone (no workload identity outside GKE/EKS). The ingress Service is a
NodePort by default, because such clusters rarely have a load balancer and Pulumi would wait for its address.
"""

from __future__ import annotations

from settings.model import Settings
from stacks.aws_dns import aws_dns, aws_provider
from stacks.gcp_dns import gcp_dns, google_provider
from stacks.kube_context import check_local_context, detected_platform, read_context
from stacks.mesh import kubernetes_provider
from stacks.platform import build_platform


def build(settings: Settings) -> None:
    check_local_context(settings.kubernetes)  # before anything is registered: never someone else's cluster
    settings = with_detected_platform(settings)
    cluster = kubernetes_provider(settings.kubernetes)
    access = None
    if settings.dns_cloud == "gcp" and settings.gcp is not None:
        access = gcp_dns(settings, settings.gcp, google_provider(settings.gcp), cluster)
    elif settings.dns_cloud == "aws" and settings.aws is not None:
        access = aws_dns(settings, settings.aws, aws_provider(settings.aws), cluster)
    # the mesh core, external-dns, the dashboards, the routes: stacks/platform.py
    build_platform(settings, cluster, access, cloud_ingress_annotations={})


def with_detected_platform(settings: Settings) -> Settings:
    """`mesh.cni.platform` unset: the platform the kube context's name says (a k3d cluster needs k3d's CNI paths,
    or the CNI agent writes where k3s never reads); set: as set."""
    cni = settings.mesh.cni
    if cni.platform is not None:
        return settings
    detected = detected_platform(settings.kubernetes, read_context(settings.kubernetes))
    if detected is None:
        return settings
    mesh = settings.mesh.model_copy(update={"cni": cni.model_copy(update={"platform": detected})})
    return settings.model_copy(update={"mesh": mesh})
