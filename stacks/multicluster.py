"""A mesh across clusters (`multicluster` settings): multi-primary, each cluster on its network, one root of trust.

Before anything is registered: each `local` cluster passes the local guard (stacks/kube_context.py), each cluster's
API server address is known, and no two entries reach the same API server.

Then, in install order: the root CA (in the state only); per cluster, its providers, its intermediate CA in
`cacerts`, Istio base and istiod with the cluster's mesh ID, name and network (components/istio.py), the
east-west gateway and its AUTO_PASSTHROUGH Gateway where the mesh has more than one network, and the reader's role
and token; last, for every ordered pair (A, B), the remote secret in A through which A's istiod reads B.

Per cluster: everything above. Shared: the mesh ID, trust domain, root CA, Istio chart pins and sizing. What the
single-cluster stacks add around the mesh (DNS, HTTPS, dashboards, routes, the demo) is not per cluster yet, and
refused beside `multicluster` (settings/multicluster.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.east_west_gateway import RELEASE as EAST_WEST_RELEASE
from components.east_west_gateway import EastWestGateway, EastWestGatewayArgs
from components.istio import IstioControlPlane, IstioControlPlaneArgs, IstioRevision, MeshMember
from components.mesh_ca import MeshRootCa
from components.remote_secret import MeshReader, MeshReaderArgs, RemoteSecret, RemoteSecretArgs
from definitions import addresses
from settings import profiles
from settings.cloud import KubernetesSettings
from settings.loader import SettingsError
from settings.model import Settings
from settings.multicluster import ClusterSettings
from stacks import pod_security
from stacks.kube_context import looks_local, read_context
from stacks.mirror import chart_mirror

ISTIOD_HOST = f"istiod.{addresses.ISTIO_NAMESPACE}.svc"


@dataclass(frozen=True)
class MeshCluster:
    settings: ClusterSettings
    provider: k8s.Provider
    control_plane: IstioControlPlane
    reader: MeshReader
    api_server: str


def api_servers(clusters: tuple[ClusterSettings, ...]) -> dict[str, str]:
    """Each cluster's API server as the others reach it; refuses what the local guard refuses, an unknown address,
    and two entries that reach one API server (SettingsError, before anything is registered)."""
    problems = []
    servers: dict[str, str] = {}
    for index, cluster in enumerate(clusters):
        key = f"multicluster.clusters[{index}]"
        kubernetes = KubernetesSettings(kubeconfig=cluster.kubeconfig, context=cluster.context)
        context = read_context(kubernetes)
        if context.problem is not None:
            problems.append(f"{key}.kubeconfig: {context.problem} ({context.source})")
            continue
        # Every cluster here is named, so naming it cannot confirm it the way it does for cloud local
        # (stacks/kube_context.py): a cluster declared local must look local; any other declares its cloud.
        if cluster.cloud == "local" and not looks_local(context):
            problems.append(
                f"{key}.context: {context.name!r} (API server {context.server or 'unknown'}, from {context.source}) "
                "does not look like a cluster on this machine (a kind-*, k3d-*, minikube, docker-desktop, "
                "rancher-desktop or orbstack context, or an API server on loopback); if it is another cluster, set "
                f"{key}.cloud to gcp or aws"
            )
            continue
        server = cluster.api_server or context.server
        if server is None:
            problems.append(
                f"{key}.apiServer: the API server of context {context.name!r} is not in {context.source}; set "
                "apiServer to the address the other clusters reach it at"
            )
            continue
        twin = next((name for name, other in servers.items() if other == server), None)
        if twin is not None:
            problems.append(
                f"{key}: reaches the same API server ({server}) as cluster {twin!r}; list each cluster once"
            )
        servers[cluster.name] = server
    if problems:
        raise SettingsError(problems)
    return servers


def build(settings: Settings) -> None:
    mesh = settings.multicluster
    assert mesh is not None
    servers = api_servers(mesh.clusters)
    sizing = profiles.sizing(settings)
    mirror = chart_mirror(settings.mirror)
    networks = {c.network for c in mesh.clusters}
    root = MeshRootCa("mesh-root-ca")

    clusters = []
    for cluster in mesh.clusters:
        name = cluster.name
        version = cluster.istio_version or settings.istio.version
        provider = k8s.Provider(f"{name}-cluster", kubeconfig=cluster.kubeconfig, context=cluster.context)
        # As in stacks/mesh.py (adopting_provider): base's CRDs are kept on destroy and adopted on the next `up`.
        adopting = k8s.Provider(
            f"{name}-cluster-adopting",
            kubeconfig=cluster.kubeconfig,
            context=cluster.context,
            upsert_existing_objects=True,
            enable_patch_force=True,
        )
        on_cluster = pulumi.ResourceOptions(providers=[provider])
        control_plane = IstioControlPlane(
            f"{name}-istio",
            IstioControlPlaneArgs(
                revisions=(IstioRevision(addresses.UNREVISIONED, version),),
                default_revision=addresses.UNREVISIONED,
                namespace=addresses.ISTIO_NAMESPACE,
                access_logs=settings.istio.access_logs,
                tracer=None,
                resources=sizing.istiod,
                replicas=sizing.istiod_replicas,
                sidecar=sizing.sidecar,
                highly_available=sizing.highly_available,
                crd_provider=adopting,
                namespace_labels=pod_security.namespace_labels(settings, addresses.ISTIO_NAMESPACE),
                mirror=mirror,
                member=MeshMember(
                    mesh.mesh_id,
                    name,
                    cluster.network,
                    mesh.trust_domain,
                    root.intermediate(f"{name}-intermediate-ca", name, ISTIOD_HOST),
                ),
                resource_prefix=name,
            ),
            opts=on_cluster,
        )
        if len(networks) > 1:
            EastWestGateway(
                f"{name}-eastwest",
                EastWestGatewayArgs(
                    version=version,
                    namespace=control_plane.namespace.metadata.name,
                    network=cluster.network,
                    resources=sizing.gateway,
                    replicas=sizing.gateway_replicas,
                    highly_available=sizing.highly_available,
                    annotations=cluster.east_west_annotations,
                    wait_for=[control_plane.istiod],
                    mirror=mirror,
                ),
                opts=on_cluster,
            )
        reader = MeshReader(
            f"{name}-reader",
            MeshReaderArgs(namespace=control_plane.namespace.metadata.name, wait_for=[control_plane.base]),
            opts=on_cluster,
        )
        clusters.append(MeshCluster(cluster, provider, control_plane, reader, servers[name]))

    for reading in clusters:
        for read in clusters:
            if read is reading:
                continue
            RemoteSecret(
                f"{reading.settings.name}-reads-{read.settings.name}",
                RemoteSecretArgs(
                    namespace=reading.control_plane.namespace.metadata.name,
                    cluster=read.settings.name,
                    server=read.api_server,
                    reader=read.reader,
                    wait_for=[reading.control_plane.istiod],
                ),
                opts=pulumi.ResourceOptions(providers=[reading.provider]),
            )

    pulumi.export("cloud", "multicluster")
    pulumi.export("versions", {"istio": settings.istio.version})
    pulumi.export("meshId", mesh.mesh_id)
    pulumi.export("rootCertificate", root.certificate.cert_pem)
    pulumi.export(
        "clusters",
        {
            c.settings.name: {
                "network": c.settings.network,
                "apiServer": c.api_server,
                "eastWestGateway": f"{EAST_WEST_RELEASE}.{addresses.ISTIO_NAMESPACE}" if len(networks) > 1 else None,
            }
            for c in clusters
        },
    )
