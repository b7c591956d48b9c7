"""`multicluster`: one mesh across clusters, each on its network, under one mesh ID and root of trust."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic.alias_generators import to_camel

from definitions import versions
from settings import dataplane
from settings.dns import is_private_ip, within
from settings.fields import DNS_LABEL, DnsName, DnsTarget, Section
from settings.istio import IstioVersion

if TYPE_CHECKING:
    from settings.model import Settings


# A cluster's name prefixes its Pulumi resources and names its remote secret (`istio-remote-secret-<name>`) in
# every other cluster: a DNS-1123 label short enough for that Secret name (253) and for Helm release names.
CLUSTER_NAME_MAX = 40


def _label(value: str) -> str:
    if len(value) > CLUSTER_NAME_MAX or not DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not accepted: a DNS-1123 label (lower-case letters, digits and '-', starting and ending "
            f"with a letter or digit) of at most {CLUSTER_NAME_MAX} characters"
        )
    return value


def _api_server(value: str) -> str:
    if not re.match(r"^https://[^/\s]+(/.*)?$", value):
        raise ValueError(f"{value!r} is not an API server address; accepted an https:// URL, e.g. https://10.0.0.1:443")
    return value.rstrip("/")


Label = Annotated[str, AfterValidator(_label)]


class ClusterSettings(Section):
    """One cluster of the mesh: where to reach it, what it is called in the mesh, which network it is on."""

    name: Label = Field(description="the cluster's name in the mesh (global.multiCluster.clusterName)")
    cloud: Literal["local", "gcp", "aws"] = Field(description="where it runs (local: guarded like cloud local)")
    context: str | None = Field(None, description="kubeconfig context (required unless kubeconfig names one)")
    kubeconfig: str | None = Field(None, description="path to a kubeconfig file, or its contents")
    network: Label = Field(description="the network it is on (global.network; topology.istio.io/network)")
    istio_version: IstioVersion | None = Field(
        None, description="this cluster's Istio release; default: istio.version (within one minor of the others)"
    )
    api_server: Annotated[str, AfterValidator(_api_server)] | None = Field(
        None, description="the address the other clusters' istiod reach this API server at; default: the kubeconfig's"
    )
    east_west_annotations: dict[str, str] = Field(
        default_factory=dict, description="added to the east-west gateway's Service (e.g. an internal load balancer)"
    )
    dns_target: DnsTarget | None = Field(
        None,
        description="with dns.enabled: the public IP or DNS name this cluster's records point at; required when its "
        "ingress Service is not a LoadBalancer (as dns.target in one cluster)",
    )
    aws_cluster_name: str | None = Field(
        None, description="a Route53 zone (aws) and cloud aws: this EKS cluster's name (irsa, pod-identity)"
    )
    aws_oidc_issuer_url: str | None = Field(
        None, description="a Route53 zone, cloud aws and irsa without a cluster lookup: this cluster's issuer URL"
    )


class MultiClusterSettings(Section):
    """Two or more clusters, each with its own istiod (multi-primary), under one mesh ID, trust domain and root CA."""

    mesh_id: Label = Field(description="the mesh's ID, the same in every cluster (global.meshID)")
    trust_domain: DnsName = Field("cluster.local", description="the SPIFFE trust domain of every cluster")
    flat_networks: tuple[Label, ...] = Field(
        (), description="networks whose clusters reach each other's pod IPs directly (one VPC, routable pod CIDRs)"
    )
    clusters: tuple[ClusterSettings, ...] = Field(description="two or more clusters")


# Istio supports one minor version of skew between a control plane and the proxies it serves
# (istio.io content/en/docs/releases/supported-releases, "Control plane/data plane skew"); across a multi-primary
# mesh, a proxy of one cluster reaches the other clusters' workloads with what its own istiod learnt from theirs,
# so the control planes are held to the same distance.
MESH_MAX_MINORS = 1


# The top-level keys a multi-cluster stack reads: the mesh's own, and what every cluster installs the same way
# (stacks/multicluster.py): the mesh policy, the ingress gateway, the Gateway API CRDs, the shared Gateway, routes,
# the demo and its verification, HTTPS (a Secret of the user's, or cert-manager's certificate: acme, or ca on an
# intermediate per cluster of one root), external-dns writing into the one zone of the mesh (`dns`, and `gcp` or
# `aws`: the zone's cloud). The others configure what is not per cluster yet: refused
# rather than silently ignored (docs/multicluster.md, "What is per cluster, what is shared").
MULTICLUSTER_KEYS = frozenset(
    {
        "multicluster",
        "gcp",
        "aws",
        "dashboards",
        "security",
        "profile",
        "sizing",
        "istio",
        "mirror",
        "mesh",
        "ingress",
        "gateway_api",
        "gateway",
        "routes",
        "demo",
        "verify",
        "dns",
        "tls",
    }
)
# Of `dns`, what is one for the mesh: every key but the target, which is each cluster's own (clusters[].dnsTarget).
DNS_PER_CLUSTER = {"target": "multicluster.clusters[].dnsTarget"}
# Of `aws`, what names one EKS cluster: each cluster's own.
AWS_PER_CLUSTER = {"cluster_name": "awsClusterName", "oidc_issuer_url": "awsOidcIssuerUrl"}
# Why a key is not per cluster yet, and what to set instead.
NOT_PER_CLUSTER = {
    "cloud": "each cluster's cloud is multicluster.clusters[].cloud",
    "kubernetes": "each cluster's connection is multicluster.clusters[].context (or kubeconfig)",
}


def multicluster_problems(settings: Settings) -> list[str]:
    mesh = settings.multicluster
    if mesh is None:
        return []
    accepted = ", ".join(sorted(to_camel(k) for k in MULTICLUSTER_KEYS - {"multicluster"}))
    problems = [
        f"{to_camel(key)}: not read by a multicluster stack: "
        f"{NOT_PER_CLUSTER.get(key, 'not per cluster yet')}; remove {to_camel(key)} (accepted beside multicluster, "
        f"applied to every cluster: {accepted})"
        for key in sorted(settings.model_fields_set - MULTICLUSTER_KEYS)
    ]
    problems += [
        f"dns.{to_camel(key)}: each cluster's own in a multicluster stack; set {where} instead"
        for key, where in DNS_PER_CLUSTER.items()
        if key in settings.dns.model_fields_set
    ]
    problems += dns_problems(settings)
    if dataplane.ambient_enabled(settings):
        problems.append(_ambient_problem())
    if settings.istio.revisions is not None:
        problems.append(
            "istio.revisions: one revision per cluster in a multicluster stack; set istio.version, or a cluster's "
            "istioVersion to upgrade one cluster at a time"
        )
    clusters = mesh.clusters
    if len(clusters) < 2:
        problems.append(f"multicluster.clusters: {len(clusters)} given; a mesh across clusters needs two or more")
    names = Counter(c.name for c in clusters)
    for name in sorted(n for n, count in names.items() if count > 1):
        problems.append(f"multicluster.clusters: the name {name!r} is used {names[name]} times; each needs its own")
    seen: dict[tuple[str | None, str | None], int] = {}
    for index, cluster in enumerate(clusters):
        key = f"multicluster.clusters[{index}]"
        if cluster.context is None and cluster.kubeconfig is None:
            problems.append(
                f"{key}.context: name the cluster's kubeconfig context (or its kubeconfig): the ambient current "
                "context cannot stand for one cluster among several"
            )
            continue
        where = (cluster.kubeconfig, cluster.context)
        if where in seen:
            problems.append(
                f"{key}: the same cluster as multicluster.clusters[{seen[where]}] (same context and kubeconfig); "
                "list each cluster once"
            )
        seen.setdefault(where, index)
    if settings.mirror is not None:
        problems += [
            f"multicluster.clusters[{index}].istioVersion: with mirror set, every cluster runs istio.version (the "
            "mirror command copies the charts of istio.version only); remove istioVersion or set istio.version"
            for index, cluster in enumerate(clusters)
            if cluster.istio_version not in (None, settings.istio.version)
        ]
    problems += network_problems(settings)
    if settings.security.network_policies and mesh.flat_networks:
        problems.append(
            "security.networkPolicies: the clusters of a flat network reach each other's pods straight from their "
            f"pod IPs ({', '.join(mesh.flat_networks)}), which the stack does not know to admit; set it false (the "
            "default with flatNetworks), or give each cluster its own network (traffic then enters through the "
            "east-west gateway, which the policies admit)"
        )
    problems += version_problems(settings)
    return problems


def dns_problems(settings: Settings) -> list[str]:
    """external-dns in every cluster, into the one zone of the mesh: the zone's cloud named once (`gcp` or `aws`),
    what names one cluster given per cluster, and no route's hostname inside a cluster's own names."""
    assert settings.multicluster is not None
    clusters = settings.multicluster.clusters
    per_cluster = [
        (f"multicluster.clusters[{index}].{to_camel(key)}", cluster, key)
        for index, cluster in enumerate(clusters)
        for key in ("dns_target", "aws_cluster_name", "aws_oidc_issuer_url")
        if getattr(cluster, key) is not None
    ]
    if not settings.dns_enabled:
        problems = [f"{key}: only read with dns.enabled true; remove it" for key, _, _ in per_cluster]
        problems += [
            f"{cloud}: a multicluster stack reads {cloud} only for the DNS zone external-dns writes to, and "
            f"dns.enabled is not true; set dns.enabled: true, or remove {cloud}"
            for cloud in ("gcp", "aws")
            if getattr(settings, cloud) is not None
        ]
        return problems
    if settings.gcp is None and settings.aws is None:
        return [
            "dns.enabled: every cluster's external-dns writes into one zone: give the gcp section (a Cloud DNS zone) "
            "or the aws section (a Route53 zone) of the cloud that holds it"
        ]
    if settings.gcp is not None and settings.aws is not None:
        return ["gcp, aws: every cluster writes into one zone: give the one section of the cloud that holds it"]
    problems = []
    aws = settings.aws
    if aws is not None:
        problems += [
            f"aws.{to_camel(key)}: names one EKS cluster, each cluster's own in a multicluster stack; set "
            f"multicluster.clusters[].{where} instead"
            for key, where in AWS_PER_CLUSTER.items()
            if key in aws.model_fields_set
        ]
    zone_cloud = "gcp" if settings.gcp is not None else "aws"
    for key, cluster, field in per_cluster:
        if field != "dns_target" and not (zone_cloud == "aws" and cluster.cloud == "aws"):
            problems.append(
                f"{key}: only read for a cluster of cloud aws writing into a Route53 zone (aws section); "
                f"{cluster.name} is cloud {cluster.cloud} writing into a {zone_cloud} zone: remove it"
            )
    for index, cluster in enumerate(clusters):
        key = f"multicluster.clusters[{index}]"
        if aws is not None and cluster.cloud == "aws":
            if aws.identity == "irsa" and not (cluster.aws_cluster_name or cluster.aws_oidc_issuer_url):
                problems.append(f"{key}.awsClusterName: irsa needs this EKS cluster's name (or awsOidcIssuerUrl)")
            if aws.identity == "pod-identity" and not cluster.aws_cluster_name:
                problems.append(f"{key}.awsClusterName: pod-identity needs this EKS cluster's name")
        if cluster.aws_oidc_issuer_url is not None and not cluster.aws_oidc_issuer_url.startswith("https://"):
            problems.append(f"{key}.awsOidcIssuerUrl: {cluster.aws_oidc_issuer_url!r} must be an https:// URL")
        service_type = settings.ingress.service_type or ("NodePort" if cluster.cloud == "local" else "LoadBalancer")
        if cluster.dns_target is None and service_type != "LoadBalancer":
            problems.append(
                f"{key}.dnsTarget: required with dns.enabled and this cluster's ingress a {service_type}: without a "
                "load balancer Istio reports the in-cluster name as the Gateway's address, which external-dns would "
                "publish; give the public IP or DNS name that reaches this cluster's ingress"
            )
        visibility = settings.gcp.zone_visibility if settings.gcp else aws.zone_type if aws else "public"
        if cluster.dns_target is not None and visibility == "public" and is_private_ip(cluster.dns_target):
            problems.append(
                f"{key}.dnsTarget: {cluster.dns_target} is a private address, unreachable from the internet the "
                "public zone serves; give a public IP or DNS name"
            )
    domain = settings.dns.domain
    if domain is not None:
        own = {f"{cluster.name}.{domain}": cluster.name for cluster in clusters}
        named = [(f"routes[{index}].hostname", settings.hostname(route)) for index, route in enumerate(settings.routes)]
        expose = settings.dashboards.expose
        named += [
            (f"dashboards.expose.{key}", host)
            for key, host in (("kialiHost", expose.kiali_host), ("grafanaHost", expose.grafana_host))
            if expose.enabled and host is not None
        ]
        for key, hostname in named:
            if hostname == domain:
                problems.append(
                    f"{key}: {hostname} is the apex; in a mesh whose clusters write DNS every name is <name>.{domain} "
                    f"(and <name>.<cluster>.{domain} in each cluster)"
                )
                continue
            inside = next((name for zone, name in own.items() if within(hostname, zone)), None)
            if inside is not None:
                problems.append(
                    f"{key}: {hostname} is inside {inside}.{domain}, the names cluster {inside}'s "
                    f"external-dns writes (<route>.{inside}.{domain}); choose a name outside every <cluster>.{domain}"
                )
    return problems


def cluster_hostname(hostname: str, domain: str, cluster: str) -> str:
    """A route's name in one cluster of the mesh: `<route>.<cluster>.<domain>` for `<route>.<domain>`."""
    assert hostname.endswith("." + domain), f"{hostname} is outside {domain}"
    return f"{hostname[: -len(domain)]}{cluster}.{domain}"


def _ambient_problem() -> str:
    return (
        "mesh.dataplane: ambient is refused in a multicluster stack: ambient joins networks by another model "
        "(istiod with AMBIENT_ENABLE_MULTI_NETWORK, a Gateway API east-west gateway of class istio-east-west on HBONE "
        "port 15008: samples/multicluster/gen-eastwest-gateway.sh --ambient at 1.30.3), not the sidecars' "
        "AUTO_PASSTHROUGH gateway on 15443 this stack builds; use sidecars (mesh.dataplane sidecar, no namespace "
        "with dataplane ambient)"
    )


def network_problems(settings: Settings) -> list[str]:
    """Clusters on one network reach each other's pods directly (no east-west gateway between them): only where
    the stack says that network is flat."""
    assert settings.multicluster is not None
    mesh = settings.multicluster
    on_network = Counter(c.network for c in mesh.clusters)
    problems = []
    for network in sorted(n for n, count in on_network.items() if count > 1 and n not in mesh.flat_networks):
        together = ", ".join(c.name for c in mesh.clusters if c.network == network)
        problems.append(
            f"multicluster.clusters: {together} are all on network {network!r}, so Istio sends traffic between them "
            "straight to pod IPs; give each its own network (traffic then crosses east-west gateways), or list "
            f"{network!r} in multicluster.flatNetworks if their pod IPs are routable to each other"
        )
    for index, network in enumerate(mesh.flat_networks):
        if on_network.get(network, 0) < 2:
            problems.append(
                f"multicluster.flatNetworks[{index}]: {network!r} has {on_network.get(network, 0)} cluster(s); a flat "
                "network joins two or more clusters on it"
            )
    return problems


def version_problems(settings: Settings) -> list[str]:
    assert settings.multicluster is not None
    installed = [(c.name, c.istio_version or settings.istio.version) for c in settings.multicluster.clusters]
    minors = [versions.parse_istio_version(version)[:2] for _, version in installed]
    oldest, newest = min(minors), max(minors)
    if oldest[0] == newest[0] and newest[1] - oldest[1] <= MESH_MAX_MINORS:
        return []
    spread = ", ".join(f"{name} {version}" for name, version in installed)
    return [
        f"multicluster.clusters: Istio versions {spread} are more than {MESH_MAX_MINORS} minor version apart; the "
        f"clusters of one mesh stay within {MESH_MAX_MINORS} minor of each other: upgrade one cluster a minor at a time"
    ]
