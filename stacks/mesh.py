"""The cloud-agnostic mesh graph, in install order: Gateway API CRDs and Istio base in parallel, then
istiod, then the node agents (CNI, then ztunnel for ambient) beside the ingress gateway and the mesh policy, then
the application namespaces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.chart import prefixed
from components.gateway_api import GatewayApiCrds, GatewayApiCrdsArgs
from components.ingress_gateway import IngressGateway, IngressGatewayArgs
from components.istio import (
    AmbientControlPlane,
    IstioControlPlane,
    IstioControlPlaneArgs,
    IstioRevision,
    MeshMember,
    ZipkinTracer,
)
from components.mesh_policy import InjectedNamespace, MeshPolicy, MeshPolicyArgs, MeshTracing
from components.node_agents import ZTUNNEL_NAME, IstioNodeAgents, NodeAgentsArgs
from components.shared_gateway import SharedGateway, SharedGatewayArgs
from definitions import addresses
from settings import dataplane, profiles
from settings.cloud import KubernetesSettings
from settings.model import Settings
from stacks import pod_security
from stacks.kube_context import provider_kubeconfig
from stacks.mirror import chart_mirror


@dataclass(frozen=True)
class Mesh:
    provider: k8s.Provider
    # Only for the installs whose objects `pulumi destroy` keeps (see adopting_provider).
    adopting_provider: k8s.Provider
    gateway_api: GatewayApiCrds | None
    control_plane: IstioControlPlane
    # The CNI agent and ztunnel, when installed (settings/dataplane.py says when).
    node_agents: IstioNodeAgents | None
    ingress: IngressGateway
    policy: MeshPolicy
    gateway: SharedGateway | None
    # In a mesh across clusters, this cluster's name: it prefixes every resource name (None: a single cluster).
    cluster: str | None = None


def kubernetes_provider(settings: KubernetesSettings, cluster: str | None = None) -> k8s.Provider:
    """The one provider every Kubernetes object goes through; unset fields fall back to the ambient kubeconfig."""
    return k8s.Provider(
        prefixed(cluster, "cluster"), kubeconfig=provider_kubeconfig(settings), context=settings.context
    )


def adopting_provider(settings: KubernetesSettings, cluster: str | None = None) -> k8s.Provider:
    """The same cluster, for the installs whose objects `pulumi destroy` keeps, and for nothing else.

    pulumi-kubernetes >= 4.29 creates a new object client-side and fails when one of that name exists
    (AlreadyExists); `upsertExistingObjects` adopts it instead. The kept objects (the Gateway API CRDs, retained
    on delete; Istio's CRDs, `helm.sh/resource-policy: keep`) are still in the cluster on the `up` after a
    destroy, so without adoption that `up` stops at the first CRD.

    Adoption is unsafe when an object changes owner within one `up`: the new owner's create adopts it, then the
    delete of the old owner removes it. Here the owners' resource names are fixed (`gateway-api-<channel>`,
    `istio-base` and the objects' own names; a channel change is refused by the v1.5 bundle itself, and
    retained objects are never deleted anyway), so an object never changes owner: a rename must come with an
    alias. Everything else stays on the strict provider, where an unexpected existing object is an error.

    It also forces its server-side applies: the field manager pulumi-kubernetes writes with is a random name kept
    in the stack's state (provider/pkg/provider/provider.go, fieldManagerName), so after a destroy the kept
    objects' fields belong to a manager nobody runs any more, and any value the next `up` changes there (a newer
    Istio or Gateway API version, whose CRDs and chart labels differ) would be an apply conflict with it.

    A stack made before this provider existed moves those installs onto it with an update, not a replacement:
    the engine asks the provider's DiffConfig (pulumi/pulumi#18509), and pulumi-kubernetes asks for a
    replacement only when the cluster changes (provider/pkg/provider/provider.go, DiffConfig).
    """
    return k8s.Provider(
        prefixed(cluster, "cluster-adopting"),
        kubeconfig=provider_kubeconfig(settings),
        context=settings.context,
        upsert_existing_objects=True,
        enable_patch_force=True,
    )


def zipkin_tracer(settings: Settings) -> ZipkinTracer | None:
    tracing = settings.mesh.tracing
    if not tracing.enabled:
        return None
    if tracing.zipkin_address is not None:
        host, port = tracing.zipkin_address.rsplit(":", 1)
        return ZipkinTracer(addresses.TRACING_PROVIDER, host, int(port))
    if not settings.dashboards.jaeger.enabled:
        return None  # no collector: no provider, rather than a dangling address
    jaeger = addresses.jaeger_zipkin()
    return ZipkinTracer(addresses.TRACING_PROVIDER, jaeger.host, jaeger.port)


def tcp_listeners(settings: Settings) -> dict[str, int]:
    """Listener (and ingress Service port) name -> port, one per TCP route."""
    return {
        f"tcp-{route.listener_port}": route.listener_port
        for route in settings.published_routes
        if route.kind == "tcp" and route.listener_port is not None
    }


def build_mesh(
    settings: Settings,
    provider: k8s.Provider,
    cloud_ingress_annotations: Mapping[str, str],
    member: MeshMember | None = None,
) -> Mesh:
    """The mesh of one cluster; with `member`, that cluster's part of a mesh across clusters (stacks/multicluster.py):
    its control plane joins the mesh, and its name prefixes every resource name."""
    cluster = member.cluster_name if member is not None else None
    on_cluster = pulumi.ResourceOptions(providers=[provider])
    adopting = adopting_provider(settings.kubernetes, cluster)

    gateway_api = None
    if settings.gateway_api.install:
        # Adopted only when kept: CRDs deleted on destroy leave nothing behind to take back.
        kept = settings.gateway_api.retain_on_delete
        gateway_api = GatewayApiCrds(
            prefixed(cluster, "gateway-api"),
            GatewayApiCrdsArgs(
                version=settings.gateway_api.version,
                channel=settings.gateway_api.channel,
                retain_on_delete=settings.gateway_api.retain_on_delete,
                mirror=settings.mirror.gateway_api if settings.mirror else None,
            ),
            opts=pulumi.ResourceOptions(providers=[adopting]) if kept else on_cluster,
        )

    tracer = zipkin_tracer(settings)
    mirror = chart_mirror(settings.mirror)
    sizing = profiles.sizing(settings)
    pinned = settings.mesh.pinned
    ambient = dataplane.ambient_enabled(settings)
    cni = dataplane.cni_installed(settings)
    control_plane = IstioControlPlane(
        prefixed(cluster, "istio"),
        IstioControlPlaneArgs(
            revisions=tuple(IstioRevision(r.name, r.version) for r in settings.istio.installed),
            default_revision=settings.istio.default,
            namespace=addresses.ISTIO_NAMESPACE,
            access_logs=settings.istio.access_logs,
            tracer=tracer,
            resources=sizing.istiod,
            replicas=sizing.istiod_replicas,
            sidecar=sizing.sidecar,
            highly_available=sizing.highly_available,
            tcp_routes=settings.gateway_api.tcp_routes,
            cni=cni,
            ambient=(
                AmbientControlPlane(addresses.NODE_AGENTS_NAMESPACE, ZTUNNEL_NAME, sizing.waypoint) if ambient else None
            ),
            wait_for=[gateway_api] if gateway_api is not None else [],
            crd_provider=adopting,
            namespace_labels=pod_security.namespace_labels(settings, addresses.ISTIO_NAMESPACE),
            mirror=mirror,
            member=member,
            resource_prefix=cluster,
        ),
        opts=on_cluster,
    )

    node_agents = None
    if cni:
        platform = dataplane.platform(settings)
        node_agents = IstioNodeAgents(
            prefixed(cluster, "istio-node-agents"),
            NodeAgentsArgs(
                version=settings.istio.version,
                namespace=addresses.NODE_AGENTS_NAMESPACE,
                istio_namespace=addresses.ISTIO_NAMESPACE,
                platform=platform,
                cni=sizing.cni,
                ztunnel=sizing.ztunnel if ambient else None,
                revision=None if settings.istio.default == addresses.UNREVISIONED else settings.istio.default,
                cni_bin_dir=dataplane.GKE_CNI_BIN_DIR if platform == "gke" else None,
                wait_for=[control_plane.istiod],
                namespace_labels=pod_security.namespace_labels(settings, addresses.NODE_AGENTS_NAMESPACE),
                mirror=mirror,
                resource_prefix=cluster,
            ),
            opts=on_cluster,
        )

    ingress = IngressGateway(
        prefixed(cluster, "ingress-gateway"),
        IngressGatewayArgs(
            version=settings.istio.version,
            namespace=settings.ingress.namespace,
            release=addresses.INGRESS_RELEASE,
            service_type=settings.ingress_service_type,
            annotations={**cloud_ingress_annotations, **settings.ingress.annotations},
            resources=sizing.gateway,
            replicas=sizing.gateway_replicas,
            highly_available=sizing.highly_available,
            tcp_ports=tcp_listeners(settings),
            revision=None if settings.istio.default == addresses.UNREVISIONED else settings.istio.default,
            wait_for=[control_plane.istiod],
            namespace_labels=pod_security.namespace_labels(settings, settings.ingress.namespace),
            mirror=mirror,
            resource_prefix=cluster,
        ),
        opts=on_cluster,
    )

    policy = MeshPolicy(
        prefixed(cluster, "mesh-policy"),
        MeshPolicyArgs(
            root_namespace=control_plane.namespace.metadata.name,
            mtls_mode=settings.mesh.mtls,
            tracing=MeshTracing(tracer.provider_name, settings.mesh.tracing.sampling) if tracer else None,
            injected_namespaces=tuple(
                InjectedNamespace(
                    name,
                    pinned.get(name),
                    (
                        control_plane.revisions[pinned.get(name, settings.istio.default)],
                        *(node_agents.needed_by(dataplane.namespace_dataplane(settings, name)) if node_agents else []),
                    ),
                    dataplane.namespace_dataplane(settings, name),
                    name in dataplane.waypoints(settings),
                    pod_security.namespace_labels(settings, name),
                )
                for name in settings.injected_namespaces
            ),
            wait_for=[control_plane.istiod],
            gateway_api=[gateway_api] if gateway_api is not None else [],
            resource_prefix=cluster,
        ),
        opts=on_cluster,
    )
    gateway = None
    if settings.dns.domain is not None:
        crds: list[pulumi.Resource] = [gateway_api] if gateway_api is not None else []
        gateway = SharedGateway(
            prefixed(cluster, "shared-gateway"),
            SharedGatewayArgs(
                name=settings.gateway.name,
                namespace=ingress.namespace.metadata.name,
                domain=settings.dns.domain,
                ingress_service_host=f"{addresses.INGRESS_RELEASE}.{settings.ingress.namespace}.svc.cluster.local",
                http_port=addresses.INGRESS_HTTP_PORT,
                https_port=addresses.INGRESS_HTTPS_PORT,
                tls_secret=settings.tls_secret,
                tcp_listeners=tcp_listeners(settings),
                dns_target=settings.dns.target,
                wait_for=[*crds, control_plane.istiod, ingress.chart],
            ),
            opts=on_cluster,
        )
    return Mesh(provider, adopting, gateway_api, control_plane, node_agents, ingress, policy, gateway, cluster)
