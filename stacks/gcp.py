"""The `gcp` stack (GKE), in install order: the mesh core."""

from __future__ import annotations

from stacks.mesh import build_mesh, export_mesh
from stacks.settings import Settings


def build(settings: Settings) -> None:
    mesh = build_mesh(settings, cloud_ingress_annotations={})
    export_mesh(settings, mesh)
