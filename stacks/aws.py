"""The `aws` stack (EKS), in install order: AWS provider, the hosted zone and the identity external-dns
writes it with, the mesh core behind an NLB, external-dns."""

from __future__ import annotations

from settings.model import Settings
from stacks.aws_dns import aws_dns, aws_provider
from stacks.mesh import kubernetes_provider
from stacks.platform import build_platform

# AWS Load Balancer Controller: an internet-facing NLB targeting pod IPs.
NLB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
}


def build(settings: Settings) -> None:
    assert settings.aws is not None  # settings refuse cloud aws without it
    amazon = aws_provider(settings.aws)
    cluster = kubernetes_provider(settings.kubernetes)
    access = aws_dns(settings, settings.aws, amazon, cluster) if settings.dns_enabled else None
    # the mesh core, external-dns, the dashboards, the routes: stacks/platform.py
    build_platform(settings, cluster, access, cloud_ingress_annotations=NLB_ANNOTATIONS)
