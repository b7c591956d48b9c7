"""The stack's outputs: what was installed, where, and how to reach it."""

from __future__ import annotations

import pulumi

from settings import dataplane
from settings.installed import InstalledIstio, read_installed
from settings.model import Settings
from stacks.dns import Dns
from stacks.mesh import Mesh
from stacks.observability import Observability, export_dashboards
from stacks.routes import Published
from stacks.teardown import kept_on_destroy
from stacks.tls import Tls


def export_stack(
    settings: Settings,
    mesh: Mesh,
    dns: Dns | None,
    observability: Observability | None,
    published: Published | None,
    tls: Tls,
) -> None:
    export_mesh(settings, mesh)
    export_dns(dns)
    export_tls(tls)
    export_dashboards(settings, observability)
    pulumi.export("keptOnDestroy", kept_on_destroy(settings, mesh, dns))
    pulumi.export("routes", published.urls if published else {})
    if published is not None and published.demo_curl is not None:
        pulumi.export("demo", {"url": published.urls["demo"], "curl": published.demo_curl})


def export_mesh(settings: Settings, mesh: Mesh) -> None:
    pulumi.export("cloud", settings.cloud)
    pulumi.export(
        "versions",
        {
            "istio": settings.istio.version,
            "gatewayApi": settings.gateway_api.version if mesh.gateway_api else "managed by the cluster",
            "gatewayApiChannel": settings.gateway_api.channel,
            "gatewayApiBundle": mesh.gateway_api.url if mesh.gateway_api else None,
        },
    )
    pulumi.export(
        "ingress",
        {
            "service": mesh.ingress.service_name,
            "namespace": settings.ingress.namespace,
            "type": settings.ingress_service_type,
            "address": mesh.ingress.address,
        },
    )
    pulumi.export("injectedNamespaces", list(settings.injected_namespaces))
    pulumi.export("istio", istio_output(settings, read_installed()))
    pulumi.export("dataplane", dataplane_output(settings))


def dataplane_output(settings: Settings) -> dict:
    """Each injected namespace's data plane, the waypoints, and the node agents (read back by settings/installed.py
    to refuse an unsafe upgrade step and to say which namespaces changed data plane)."""
    ambient = dataplane.ambient_enabled(settings)
    return {
        "default": settings.mesh.dataplane,
        "namespaces": dataplane.dataplanes(settings),
        "waypoints": list(dataplane.waypoints(settings)),
        "nodeAgents": {"version": settings.istio.version, "cni": True, "ztunnel": ambient}
        if dataplane.cni_installed(settings)
        else None,
    }


def namespace_revisions(settings: Settings) -> dict[str, str]:
    """Each injected namespace -> the revision whose istiod injects it (pinned, else the default)."""
    pinned = settings.mesh.pinned
    return {name: pinned.get(name, settings.istio.default) for name in settings.injected_namespaces}


def restart_command(settings: Settings, namespace: str) -> str:
    """Running pods keep the proxy they were injected with until restarted (Istio's canary runbook command)."""
    context = f" --context {settings.kubernetes.context}" if settings.kubernetes.context else ""
    return f"kubectl{context} -n {namespace} rollout restart deployment"


def istio_output(settings: Settings, installed: InstalledIstio | None) -> dict:
    """Revisions and versions, the default, each namespace's revision, and the restarts this `up` calls for:
    namespaces that moved between sidecar and ambient (running pods keep or lack their sidecar until restarted),
    and sidecar namespaces whose revision, or its version, differs from the previous `up` (none on a first
    install). Ambient pods need no restart: ztunnel and the waypoints are upgraded in place."""
    revisions = {r.name: r.version for r in settings.istio.installed}
    namespaces = namespace_revisions(settings)
    restart = {}
    if installed is not None:
        for namespace, revision in namespaces.items():
            before = installed.namespaces.get(namespace)
            if before is None:
                continue
            mode = dataplane.namespace_dataplane(settings, namespace)
            moved = installed.dataplane(namespace) != mode
            upgraded = (before, installed.revisions.get(before)) != (revision, revisions[revision])
            if moved or (mode == "sidecar" and upgraded):
                restart[namespace] = restart_command(settings, namespace)
    return {
        "revisions": revisions,
        "defaultRevision": settings.istio.default,
        "namespaces": namespaces,
        "restart": restart,
    }


def export_dns(dns: Dns | None) -> None:
    if dns is None:
        pulumi.export("dns", None)
        return
    pulumi.export(
        "dns",
        {
            "identity": dns.credentials.identity,
            "zone": {"name": dns.zone.name, "id": dns.zone.id},
            "nameServers": dns.zone.name_servers,
            "txtOwnerId": dns.txt_owner_id,
        },
    )


def export_tls(tls: Tls) -> None:
    """The mode, issuer, certificate and Secret; on ca the root certificate (public part only) to trust."""
    certificate = tls.certificate
    pulumi.export(
        "tls",
        {
            "mode": tls.mode,
            "issuer": tls.issuer,
            "certificate": tls.certificate_name,
            "secret": tls.secret,
            "rootCertificate": certificate.root_certificate if certificate else None,
        },
    )
