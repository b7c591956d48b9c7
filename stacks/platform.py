"""Everything a cloud module installs on its cluster once its providers and DNS access exist, in install order:
the mesh core, external-dns, HTTPS (cert-manager and the certificate), the dashboards, the published routes,
the verification after all of them, then the stack's outputs."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi_kubernetes as k8s

from settings.model import Settings
from stacks.dns import DnsAccess, install_external_dns
from stacks.mesh import build_mesh
from stacks.network_policies import namespace_resources, restrict_ingress
from stacks.observability import install_dashboards
from stacks.outputs import export_stack
from stacks.routes import publish_routes
from stacks.tls import install_tls
from stacks.verification import export_verification, verify_mesh


def build_platform(
    settings: Settings,
    cluster: k8s.Provider,
    access: DnsAccess | None,
    cloud_ingress_annotations: Mapping[str, str],
) -> None:
    mesh = build_mesh(settings, cluster, cloud_ingress_annotations)
    dns = install_external_dns(settings, mesh, access) if access else None
    tls = install_tls(settings, mesh, access.acme if access else None)
    observability = install_dashboards(settings, mesh, tls.ready)
    published = publish_routes(settings, mesh, tls)
    verification = verify_mesh(settings, mesh, observability, published, tls)
    namespaces = namespace_resources(mesh, access.namespace if access else None, tls.namespace)
    restrict_ingress(settings, mesh.provider, namespaces)
    export_stack(settings, mesh, dns, observability, published, tls)
    export_verification(settings, verification)
