"""The `aws` stack (EKS), in install order: the mesh core behind an NLB."""

from __future__ import annotations

from stacks.mesh import build_mesh, export_mesh
from stacks.settings import Settings

# AWS Load Balancer Controller: an internet-facing NLB targeting pod IPs.
NLB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
}


def build(settings: Settings) -> None:
    mesh = build_mesh(settings, cloud_ingress_annotations=NLB_ANNOTATIONS)
    export_mesh(settings, mesh)
