"""The types every sized component takes: a container's requests and memory limit, an autoscaler's range, one
profile's sizing of everything the stack runs, and topology spread. The profiles' numbers are in
settings/profiles.py; components receive these types and never read the profile themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resources:
    """Requests and a memory limit for one container."""

    cpu: str
    memory: str
    memory_limit: str

    def values(self) -> dict[str, Any]:
        """As Kubernetes (and every chart here) spells a container's `resources`."""
        return {"requests": {"cpu": self.cpu, "memory": self.memory}, "limits": {"memory": self.memory_limit}}


@dataclass(frozen=True)
class Replicas:
    """An autoscaler's range: the chart gets these instead of a replica count (server-side apply would fight
    the HPA over .spec.replicas)."""

    min: int
    max: int


@dataclass(frozen=True)
class Sizing:
    istiod: Resources
    istiod_replicas: Replicas
    gateway: Resources
    gateway_replicas: Replicas
    # Every injected pod's istio-proxy, and its istio-init (the injection template gives both the same
    # resources at Istio 1.30.3: files/injection-template.yaml, template "resources").
    sidecar: Resources
    external_dns: Resources
    prometheus: Resources
    prometheus_reloader: Resources  # the chart's configmap-reload container
    grafana: Resources
    jaeger: Resources
    kiali: Resources
    demo: Resources
    # cert-manager's three long-running containers (dev: 30m and 128Mi requested in all), and the stack's own
    # one-shot API check (components/cert_manager.py); highly_available runs two of each behind a PDB.
    cert_manager: Resources
    cert_manager_webhook: Resources
    cert_manager_cainjector: Resources
    cert_manager_api_check: Resources
    verification: Resources  # the verification Job's one container, while it runs
    certificate_wait: Resources  # the wildcard certificate's wait Job (acme, ca), until the certificate is Ready
    # Istio's node agents, one pod per node: the CNI agent (`install-cni`, the `cni` chart) and ztunnel
    # (`istio-proxy`, the `ztunnel` chart, ambient only); and each waypoint proxy istiod deploys (ambient).
    cni: Resources
    ztunnel: Resources
    waypoint: Resources
    # Topology spread for istiod and the gateway, PodDisruptionBudgets (replicas > 1), persistent dashboards.
    highly_available: bool


def spread(labels: dict[str, str], across_nodes: str | None) -> list[dict[str, Any]]:
    """Topology spread constraints for the pods with `labels`: best effort across zones, so a single-zone
    cluster still schedules; across nodes with `across_nodes` (DoNotSchedule or ScheduleAnyway)."""
    constraints = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(labels)},
        }
    ]
    if across_nodes is not None:
        constraints.append(
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": across_nodes,
                # Cordoned and tainted nodes are not domains: without this a drain leaves an empty cordoned
                # node in the count and the replacement pod cannot be placed (skew 2 > 1).
                "nodeTaintsPolicy": "Honor",
                "labelSelector": {"matchLabels": dict(labels)},
            }
        )
    return constraints
