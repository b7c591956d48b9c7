"""A mesh across clusters (`multicluster` settings): multi-primary, each cluster on its network, one root of trust.

Before anything is registered: each `local` cluster passes the local guard (stacks/kube_context.py), each cluster's
API server address is known, and no two entries reach the same API server.

Then, in install order: with DNS the zone (looked up once), the root CA and with tls.mode ca the ingress root (in
the state only); per cluster, its providers, its identity on the zone, the single-cluster mesh graph (stacks/mesh.py:
the Gateway API CRDs, its intermediate CA in `cacerts`, Istio base and istiod with the cluster's mesh ID, name and
network, the ingress gateway, the mesh policy, the shared Gateway), external-dns, the east-west gateway and its
AUTO_PASSTHROUGH Gateway where the mesh has more than one network, the reader's role and token, HTTPS
(stacks/tls.py), the dashboards, the routes and the demo (stacks/routes.py), the NetworkPolicies; then, for every
ordered pair (A, B), the remote secret in A through which A's istiod reads B; last, per cluster, the verification
(stacks/verification.py), and for every ordered pair (A, B) a Job in A that requests B's demo, after B's demo, both
east-west gateways and A's remote secret for B.

Shared: the mesh ID, trust domain, root CA, Istio chart pins, sizing, and the settings every cluster installs the
same way (mesh, ingress, gatewayApi, dns, gateway, routes, demo, verify, tls), the one DNS zone every cluster's
external-dns writes its own names into (`<route>.<cluster>.<domain>`, each with its own identity), and with
tls.mode ca the ingress root every cluster's cert-manager signs with an intermediate of its own. Each cluster has
its own dashboards (Prometheus, Grafana, Jaeger and Kiali of that cluster) and NetworkPolicies (the single-cluster
flows, and the east-west gateway's: 15443 from anywhere, and from it to the demo).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.east_west_gateway import RELEASE as EAST_WEST_RELEASE
from components.east_west_gateway import EastWestGateway, EastWestGatewayArgs
from components.istio import MeshMember
from components.mesh_ca import MeshRootCa
from components.remote_secret import MeshReader, MeshReaderArgs, RemoteSecret, RemoteSecretArgs
from components.verification import MeshVerification
from definitions import addresses
from settings import profiles
from settings.cloud import KubernetesSettings
from settings.loader import SettingsError
from settings.model import Settings
from settings.multicluster import ClusterSettings
from stacks.aws import NLB_ANNOTATIONS
from stacks.aws_dns import aws_access, aws_provider, hosted_zone
from stacks.dns import Dns, DnsAccess, DnsZone, install_external_dns
from stacks.gcp_dns import gcp_access, google_provider, managed_zone
from stacks.kube_context import looks_local, read_context
from stacks.mesh import Mesh, build_mesh, kubernetes_provider
from stacks.mirror import chart_mirror
from stacks.network_policies import namespace_resources, restrict_ingress
from stacks.observability import Observability, install_dashboards, port_forward_commands
from stacks.routes import Published, publish_routes
from stacks.tls import Tls, install_tls
from stacks.verification import ACROSS_CHECK, verification_output, verify_across, verify_mesh

ISTIOD_HOST = f"istiod.{addresses.ISTIO_NAMESPACE}.svc"


@dataclass(frozen=True)
class MeshCluster:
    settings: ClusterSettings
    # The settings its install reads (cluster_settings).
    local: Settings
    mesh: Mesh
    reader: MeshReader
    api_server: str
    east_west: EastWestGateway | None
    published: Published | None
    dns: Dns | None
    tls: Tls
    observability: Observability | None


# As the single-cluster stacks give their ingress gateway (stacks/aws.py).
CLOUD_INGRESS_ANNOTATIONS: dict[str, Mapping[str, str]] = {"aws": NLB_ANNOTATIONS}


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


def cluster_settings(settings: Settings, *clusters: ClusterSettings) -> Settings:
    """What one cluster's install reads: the shared settings, with this cluster's cloud, connection, Istio release,
    DNS target and identity on the zone, and the mesh reduced to this cluster (and, for a Job across a pair, the
    other): what a cluster's verification hashes into its Job's name (stacks/verification.py job_name), so another
    cluster added renames no Job here."""
    cluster = clusters[0]
    version = cluster.istio_version or settings.istio.version
    assert settings.multicluster is not None
    update: dict[str, Any] = {
        "cloud": cluster.cloud,
        "kubernetes": KubernetesSettings(kubeconfig=cluster.kubeconfig, context=cluster.context),
        "istio": settings.istio.model_copy(update={"shorthand_version": version}),
        "multicluster": settings.multicluster.model_copy(update={"clusters": clusters}),
    }
    if settings.dns_enabled:
        update["dns"] = settings.dns.model_copy(update={"target": cluster.dns_target})
        update |= zone_identity(settings, cluster)
    return settings.model_copy(update=update)


def zone_identity(settings: Settings, cluster: ClusterSettings) -> dict[str, Any]:
    """How one cluster's external-dns writes the mesh's zone: in the zone's own cloud, the identity its section
    names (workload identity on GKE; irsa or pod identity with this EKS cluster's name); anywhere else, the only one
    that works outside that cloud, a static key (a service-account key, an IAM user's access key) in a Secret."""
    if settings.gcp is not None:
        identity = settings.gcp.identity if cluster.cloud == "gcp" else "key"
        return {"gcp": settings.gcp.model_copy(update={"identity": identity})}
    assert settings.aws is not None  # settings refuse dns.enabled without one zone cloud
    return {
        "aws": settings.aws.model_copy(
            update={
                "identity": settings.aws.identity if cluster.cloud == "aws" else "access-key",
                "cluster_name": cluster.aws_cluster_name,
                "oidc_issuer_url": cluster.aws_oidc_issuer_url,
            }
        )
    }


@dataclass(frozen=True)
class MeshZone:
    """The one zone every cluster's external-dns writes: its cloud's provider, looked up (or created) once."""

    cloud: str
    provider: pulumi.ProviderResource
    zone: DnsZone


def mesh_zone(settings: Settings) -> MeshZone | None:
    if not settings.dns_enabled:
        return None
    if settings.gcp is not None:
        google = google_provider(settings.gcp)
        return MeshZone("gcp", google, managed_zone(settings, settings.gcp, google))
    assert settings.aws is not None
    amazon = aws_provider(settings.aws)
    return MeshZone("aws", amazon, hosted_zone(settings, settings.aws, amazon))


def ingress_root_ca(settings: Settings) -> MeshRootCa | None:
    """tls.mode ca: one root for every cluster's ingress certificate, so a client trusts one root for the whole mesh;
    each cluster's cert-manager signs with its own intermediate of it (the root's key stays in the state). Apart
    from the mesh's root: the workloads' trust anchor never signs a certificate the internet is shown."""
    if settings.tls_mode != "ca" or settings.dns.domain is None:
        return None
    return MeshRootCa(
        "ingress-root-ca",
        organization=pulumi.get_project(),
        common_name=f"{pulumi.get_project()}-{pulumi.get_stack()} ingress root CA",
    )


def one_challenge_at_a_time(zone: MeshZone | None, before: list[MeshCluster]) -> list[pulumi.Resource]:
    """acme on a Route53 zone: a cluster's certificate is ordered once the cluster before it has its own. Every
    cluster's certificate covers *.<domain>, so each proves it with a TXT record at _acme-challenge.<domain>, and
    cert-manager's Route53 solver UPSERTs that record with its one value (pkg/issuer/acme/dns/route53, v1.21.1):
    two orders at once overwrite each other's value and one fails. Its Cloud DNS solver merges the values into the
    record set instead (pkg/issuer/acme/dns/clouddns), so Cloud DNS needs no order."""
    if zone is None or zone.cloud != "aws" or not before or before[-1].local.tls_mode != "acme":
        return []
    return list(before[-1].tls.ready)


def cluster_access(local: Settings, zone: MeshZone | None, name: str, provider: k8s.Provider) -> DnsAccess | None:
    """This cluster's external-dns namespace and identity on the mesh's zone (its own, prefixed with its name)."""
    if zone is None:
        return None
    if zone.cloud == "gcp":
        assert local.gcp is not None and isinstance(zone.provider, gcp.Provider)
        return gcp_access(local, local.gcp, zone.provider, provider, zone.zone, name)
    assert local.aws is not None and isinstance(zone.provider, aws.Provider)
    return aws_access(local, local.aws, zone.provider, provider, zone.zone, name)


def build(settings: Settings) -> None:
    mesh = settings.multicluster
    assert mesh is not None
    servers = api_servers(mesh.clusters)
    sizing = profiles.sizing(settings)
    mirror = chart_mirror(settings.mirror)
    networks = {c.network for c in mesh.clusters}
    zone = mesh_zone(settings)
    root = MeshRootCa("mesh-root-ca")
    ingress_root = ingress_root_ca(settings)

    clusters: list[MeshCluster] = []
    for cluster in mesh.clusters:
        name = cluster.name
        local = cluster_settings(settings, cluster)
        provider = kubernetes_provider(local.kubernetes, name)
        access = cluster_access(local, zone, name, provider)
        member = MeshMember(
            mesh.mesh_id,
            name,
            cluster.network,
            mesh.trust_domain,
            root.intermediate(f"{name}-intermediate-ca", name, [ISTIOD_HOST]),
        )
        # The single-cluster mesh graph (stacks/mesh.py), every resource name prefixed with the cluster's.
        cluster_mesh = build_mesh(local, provider, CLOUD_INGRESS_ANNOTATIONS.get(cluster.cloud, {}), member)
        dns = install_external_dns(local, cluster_mesh, access) if access is not None else None
        on_cluster = pulumi.ResourceOptions(providers=[provider])
        east_west = None
        if len(networks) > 1:
            east_west = EastWestGateway(
                f"{name}-eastwest",
                EastWestGatewayArgs(
                    version=local.istio.version,
                    namespace=cluster_mesh.control_plane.namespace.metadata.name,
                    network=cluster.network,
                    resources=sizing.gateway,
                    replicas=sizing.gateway_replicas,
                    highly_available=sizing.highly_available,
                    annotations=cluster.east_west_annotations,
                    wait_for=[cluster_mesh.control_plane.istiod],
                    mirror=mirror,
                ),
                opts=on_cluster,
            )
        reader = MeshReader(
            f"{name}-reader",
            MeshReaderArgs(
                namespace=cluster_mesh.control_plane.namespace.metadata.name,
                wait_for=[cluster_mesh.control_plane.base],
            ),
            opts=on_cluster,
        )
        issuing_ca = ingress_root.intermediate(f"{name}-ingress-ca", name, []) if ingress_root else None
        tls = install_tls(
            local, cluster_mesh, access.acme if access else None, issuing_ca, one_challenge_at_a_time(zone, clusters)
        )
        observability = install_dashboards(local, cluster_mesh, tls.ready)
        published = publish_routes(local, cluster_mesh, tls)
        # As stacks/platform.py closes one cluster's namespaces, with the east-west gateway's flows.
        namespaces = namespace_resources(cluster_mesh, access.namespace if access else None, tls.namespace)
        restrict_ingress(local, provider, namespaces, name, east_west=east_west is not None)
        clusters.append(
            MeshCluster(
                cluster, local, cluster_mesh, reader, servers[name], east_west, published, dns, tls, observability
            )
        )

    remote_secrets: dict[tuple[str, str], RemoteSecret] = {}
    for reading in clusters:
        for read in clusters:
            if read is reading:
                continue
            remote_secrets[reading.settings.name, read.settings.name] = RemoteSecret(
                f"{reading.settings.name}-reads-{read.settings.name}",
                RemoteSecretArgs(
                    namespace=reading.mesh.control_plane.namespace.metadata.name,
                    cluster=read.settings.name,
                    server=read.api_server,
                    reader=read.reader,
                    wait_for=[reading.mesh.control_plane.istiod],
                ),
                opts=pulumi.ResourceOptions(providers=[reading.mesh.provider]),
            )

    verifications = {
        c.settings.name: verify_mesh(c.local, c.mesh, c.observability, c.published, c.tls) for c in clusters
    }
    # Per ordered pair (A, B), a Job in A that reaches B's demo through B's east-west gateway, found through A's
    # remote secret for B: a cluster added adds its pairs' Jobs and changes no other Job.
    across: dict[str, dict[str, MeshVerification]] = {c.settings.name: {} for c in clusters}
    for checking in clusters:
        if verifications[checking.settings.name] is None or not checking.local.demo.enabled:
            continue
        assert checking.published is not None
        for other in clusters:
            if other is checking or other.published is None:
                continue
            crossed: list[pulumi.Resource] = [remote_secrets[checking.settings.name, other.settings.name]]
            crossed += [c.east_west for c in (checking, other) if c.east_west is not None]
            crossed += other.published.resources
            across[checking.settings.name][other.settings.name] = verify_across(
                checking.local,
                checking.mesh,
                checking.published,
                other.settings.name,
                cluster_settings(settings, checking.settings, other.settings),
                crossed,
                checking.tls,
            )

    pulumi.export("cloud", "multicluster")
    pulumi.export("versions", {"istio": settings.istio.version})
    pulumi.export("meshId", mesh.mesh_id)
    pulumi.export("rootCertificate", root.certificate.cert_pem)
    # The ingress certificates' root (ca; public part only): a client of any cluster's gateway trusts this one.
    pulumi.export(
        "tls",
        {
            "mode": settings.tls_mode,
            "rootCertificate": ingress_root.certificate.cert_pem if ingress_root else None,
        },
    )
    pulumi.export(
        "dns",
        {"zone": {"name": zone.zone.name, "id": zone.zone.id}, "nameServers": zone.zone.name_servers} if zone else None,
    )
    pulumi.export(
        "clusters",
        {
            c.settings.name: {
                "network": c.settings.network,
                "apiServer": c.api_server,
                "eastWestGateway": f"{EAST_WEST_RELEASE}.{addresses.ISTIO_NAMESPACE}" if len(networks) > 1 else None,
                "ingressGateway": f"{addresses.INGRESS_RELEASE}.{c.local.ingress.namespace}",
                "urls": c.published.urls if c.published else {},
                "dns": cluster_dns_output(c.dns),
                "tls": {"issuer": c.tls.issuer, "certificate": c.tls.certificate_name, "secret": c.tls.secret},
                "dashboards": port_forward_commands(c.local),
                "exposedDashboards": c.observability.exposed if c.observability else {},
                "demo": c.published.demo_curl if c.published else None,
                "verification": verification_output(c.local, verifications[c.settings.name]),
                "acrossClusters": {
                    other: verification_output(c.local, job, [ACROSS_CHECK])
                    for other, job in across[c.settings.name].items()
                },
            }
            for c in clusters
        },
    )


def cluster_dns_output(dns: Dns | None) -> dict[str, Any] | None:
    """What a cluster's external-dns writes, and as whom: its names (`<route>.<cluster>.<domain>`), its owner."""
    if dns is None:
        return None
    return {
        "identity": dns.credentials.identity,
        "txtOwnerId": dns.txt_owner_id,
        "domainFilter": dns.domain_filter,
    }
