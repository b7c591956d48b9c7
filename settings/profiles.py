"""The two profiles: what every container the stack runs requests, and how many replicas the mesh runs.

`dev` fits a laptop cluster (kind, Docker Desktop): 265m CPU and 1120Mi requested for the whole `dev` stack,
cert-manager and the Jobs included (scripts/footprint.py adds it up; docs/sizing.md has every row). `production`
runs istiod and the ingress gateway autoscaled from two replicas, with PodDisruptionBudgets and topology
spread, so the mesh keeps serving through the drain of any node. Every container gets CPU and memory requests
and a memory limit (pods are Burstable, never BestEffort); no CPU limit of ours (throttling a proxy adds
latency). Where a chart ships one it stays, merged under ours: the gateway's `resources.limits.cpu` and
istiod's `global.proxy.resources.limits.cpu`, 2000m each (Istio 1.30.3 values.yaml).

Users override istiod's, the gateway's and the sidecars' numbers (`sizing.*`, checked against the floors below
in settings/sizing.py); everything else follows the profile.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from definitions.sizing import Replicas, Resources, Sizing

# Types only: the section modules import this one (their rules read the derived values).
if TYPE_CHECKING:
    from settings.model import Settings
    from settings.sizing import ContainerSizing

PROFILES: dict[str, Sizing] = {
    "dev": Sizing(
        istiod=Resources("50m", "192Mi", "1Gi"),
        # The charts' own ranges (istiod autoscaleMin/Max 1/5, gateway autoscaling.minReplicas/maxReplicas
        # 1/5): without metrics-server (kind) the autoscalers stay at one replica.
        istiod_replicas=Replicas(1, 5),
        gateway=Resources("20m", "64Mi", "256Mi"),
        gateway_replicas=Replicas(1, 5),
        sidecar=Resources("10m", "48Mi", "256Mi"),
        external_dns=Resources("10m", "32Mi", "96Mi"),
        prometheus=Resources("50m", "256Mi", "1Gi"),
        prometheus_reloader=Resources("5m", "16Mi", "64Mi"),
        grafana=Resources("25m", "96Mi", "256Mi"),
        jaeger=Resources("25m", "128Mi", "512Mi"),
        kiali=Resources("10m", "64Mi", "512Mi"),
        demo=Resources("10m", "32Mi", "64Mi"),
        cert_manager=Resources("10m", "48Mi", "256Mi"),
        cert_manager_webhook=Resources("10m", "32Mi", "128Mi"),
        cert_manager_cainjector=Resources("10m", "48Mi", "256Mi"),
        cert_manager_api_check=Resources("10m", "32Mi", "64Mi"),
        verification=Resources("10m", "32Mi", "64Mi"),
        certificate_wait=Resources("10m", "32Mi", "64Mi"),
        # A one-node laptop cluster: the idle floor of each agent (ztunnel is Rust, a few MiB with a handful of
        # pods; the CNI agent watches only its node's pods), so that ambient `dev` with one waypoint requests less
        # than the one sidecar it replaces in sidecar `dev` (10m, 48Mi; tests/test_ambient.py). The limits, not
        # the requests, bound them.
        cni=Resources("2m", "12Mi", "128Mi"),
        ztunnel=Resources("2m", "8Mi", "256Mi"),
        waypoint=Resources("5m", "24Mi", "256Mi"),
        highly_available=False,
    ),
    "production": Sizing(
        istiod=Resources("500m", "1Gi", "4Gi"),
        istiod_replicas=Replicas(2, 5),
        gateway=Resources("250m", "256Mi", "1Gi"),
        gateway_replicas=Replicas(2, 10),
        sidecar=Resources("100m", "128Mi", "1Gi"),
        external_dns=Resources("50m", "64Mi", "256Mi"),
        prometheus=Resources("500m", "2Gi", "4Gi"),
        prometheus_reloader=Resources("10m", "32Mi", "64Mi"),
        grafana=Resources("100m", "256Mi", "512Mi"),
        jaeger=Resources("250m", "512Mi", "2Gi"),
        kiali=Resources("50m", "128Mi", "1Gi"),
        demo=Resources("50m", "64Mi", "128Mi"),
        cert_manager=Resources("50m", "128Mi", "512Mi"),
        cert_manager_webhook=Resources("25m", "64Mi", "256Mi"),
        cert_manager_cainjector=Resources("25m", "128Mi", "512Mi"),
        cert_manager_api_check=Resources("10m", "32Mi", "64Mi"),
        # The same checks on any cluster: a few HTTP requests from one Python process.
        verification=Resources("10m", "32Mi", "64Mi"),
        certificate_wait=Resources("10m", "32Mi", "64Mi"),
        # The charts' own requests (istio 1.30.3 istio-cni values.yaml 100m/100Mi; ztunnel values.yaml 200m/512Mi,
        # "enough for ~200k pod cluster or 100k concurrently open connections"; istiod values.yaml
        # global.waypoint.resources 100m/128Mi, limit 1Gi), plus the memory limits the node agents lack upstream:
        # a leak is then an OOM-kill of one node's agent, not the node's memory.
        cni=Resources("100m", "100Mi", "512Mi"),
        ztunnel=Resources("200m", "512Mi", "2Gi"),
        waypoint=Resources("100m", "128Mi", "1Gi"),
        highly_available=True,
    ),
}

# The least a user may set with `sizing.*`: (CPU millicores, memory MiB). Below these istiod is OOM-killed
# at start (it holds the whole mesh config and every proxy's xDS), and an Envoy does not fit its own
# baseline (~20 MiB for its heap and stats before any config).
FLOORS = {"istiod": (10, 64), "gateway": (5, 32), "sidecar": (5, 32)}
# production promises to survive the loss of a node: never fewer than this many gateways.
PRODUCTION_MIN_REPLICAS = 2


def overridden(resources: Resources, override: ContainerSizing) -> Resources:
    """`resources` with whatever the user set in `sizing.<container>` instead."""
    return Resources(
        override.cpu or resources.cpu,
        override.memory or resources.memory,
        override.memory_limit or resources.memory_limit,
    )


def sizing(settings: Settings) -> Sizing:
    """The profile's sizing with the user's overrides applied."""
    profile = PROFILES[settings.profile]
    overrides = settings.sizing
    gateway = overrides.gateway
    min_replicas = gateway.min_replicas or profile.gateway_replicas.min
    max_replicas = gateway.max_replicas or max(profile.gateway_replicas.max, min_replicas)
    return replace(
        profile,
        istiod=overridden(profile.istiod, overrides.istiod),
        gateway=overridden(profile.gateway, gateway),
        gateway_replicas=Replicas(min_replicas, max_replicas),
        sidecar=overridden(profile.sidecar, overrides.sidecar),
    )
