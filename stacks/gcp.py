"""The `gcp` stack (GKE), in install order: Google provider, the DNS zone and the identity external-dns writes
it with, the mesh core, external-dns."""

from __future__ import annotations

from settings.model import Settings
from stacks.gcp_dns import gcp_dns, google_provider
from stacks.mesh import kubernetes_provider
from stacks.platform import build_platform


def build(settings: Settings) -> None:
    assert settings.gcp is not None  # settings refuse cloud gcp without it
    google = google_provider(settings.gcp)
    cluster = kubernetes_provider(settings.kubernetes)
    access = gcp_dns(settings, settings.gcp, google, cluster) if settings.dns_enabled else None
    # the mesh core, external-dns, the dashboards, the routes: stacks/platform.py
    build_platform(settings, cluster, access, cloud_ingress_annotations={})
