"""The `multicluster` settings section: one mesh (multi-primary, one or more networks) across two or more clusters.

Its own module so the settings of one concern stay together: stacks/settings.py names the section; the rules that
span clusters are in stacks/multicluster_rules.py.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from stacks.settings_base import DNS_LABEL, DnsName, IstioVersion, Section

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


class MultiClusterSettings(Section):
    """Two or more clusters, each with its own istiod (multi-primary), under one mesh ID, trust domain and root CA."""

    mesh_id: Label = Field(description="the mesh's ID, the same in every cluster (global.meshID)")
    trust_domain: DnsName = Field("cluster.local", description="the SPIFFE trust domain of every cluster")
    flat_networks: tuple[Label, ...] = Field(
        (), description="networks whose clusters reach each other's pod IPs directly (one VPC, routable pod CIDRs)"
    )
    clusters: tuple[ClusterSettings, ...] = Field(description="two or more clusters")
