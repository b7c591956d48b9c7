"""The `local` stack: whatever cluster the kube context points at (kind, k3d, minikube, Docker Desktop...).

Install order: the mesh core (stacks/mesh.py). No cloud credentials; the ingress Service is a NodePort by
default, because such clusters rarely have a load balancer and Pulumi would wait for its address.
"""

from __future__ import annotations

from stacks.mesh import build_mesh, export_mesh
from stacks.settings import Settings


def build(settings: Settings) -> None:
    mesh = build_mesh(settings, cloud_ingress_annotations={})
    export_mesh(settings, mesh)
