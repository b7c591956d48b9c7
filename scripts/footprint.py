"""What a stack asks of its cluster: every container's requests, added up per pod, from what the program
registers (the values it hands each chart, the objects it makes itself) plus the chart defaults it relies on.

The charts are not rendered here (nothing can be, under mocks), so CHART_PODS lists, per chart, the pods
each runs and where in its values each container's resources are read; every entry was read in the chart's
templates at the pinned version (cited). A chart with no entry fails loudly: adding a chart means adding
its pods here.

Workloads the program makes itself (Deployment, StatefulSet, Job) are read from their pod template, and a
pod in a namespace labelled for sidecar injection gets Istio's istio-proxy and istio-init (istio-validation
with the CNI agent) with istiod's `global.proxy.resources`; an ambient namespace's pods get nothing. Each
waypoint (a Gateway of class istio-waypoint) is one pod istiod deploys with its `global.waypoint.resources`.

A pod's request is what the scheduler reserves: the sum of its containers, or its largest init container if
that is larger. Replicas are the autoscalers' minimum; a DaemonSet counts once, as on a one-node cluster.

scripts/benchmark.py reports it for every shipped stack and for `dev` under the production profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from definitions import quantities
from tests import harness

Values = dict[str, Any]


def at(values: Values, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(values, dict) or key not in values:
            return None
        values = values[key]
    return values


@dataclass(frozen=True)
class ChartContainer:
    name: str
    resources_at: tuple[str, ...]  # where the chart reads this container's `resources` in its values
    init: bool = False
    rendered: Callable[[Values], bool] = lambda values: True


@dataclass(frozen=True)
class ChartPod:
    workload: str
    containers: tuple[ChartContainer, ...]
    replicas: Callable[[Values], int]


CHART_PODS: dict[str, tuple[ChartPod, ...]] = {
    "base": (),  # CRDs and a webhook configuration, no pods
    # istio-discovery templates/deployment.yaml: one container, `discovery`, resources from `resources`;
    # replicas: the HPA's autoscaleMin (values.yaml: autoscaleEnabled true, autoscaleMin 1).
    "istiod": (
        ChartPod("istiod", (ChartContainer("discovery", ("resources",)),), lambda v: int(v.get("autoscaleMin", 1))),
    ),
    # gateway templates/deployment.yaml: one container, istio-proxy (the `gateway` injection template adds no
    # init container); replicas: autoscaling.minReplicas (values.yaml: 1).
    "gateway": (
        ChartPod(
            "ingress gateway",
            (ChartContainer("istio-proxy", ("resources",)),),
            lambda v: int(at(v, ("autoscaling", "minReplicas")) or 1),
        ),
    ),
    # istio 1.30.3 istio-cni templates/daemonset.yaml: one container, install-cni, resources from `resources`;
    # ztunnel templates/daemonset.yaml: one container, istio-proxy, resources from `resources`. DaemonSets: one
    # pod per node.
    "cni": (ChartPod("istio-cni-node", (ChartContainer("install-cni", ("resources",)),), lambda v: 1),),
    "ztunnel": (ChartPod("ztunnel", (ChartContainer("istio-proxy", ("resources",)),), lambda v: 1),),
    # external-dns templates/deployment.yaml: `replicas: 1`, one container.
    "external-dns": (ChartPod("external-dns", (ChartContainer("external-dns", ("resources",)),), lambda v: 1),),
    # prometheus templates/deploy.yaml: the server and its configmap-reload container; server.replicaCount 1.
    "prometheus": (
        ChartPod(
            "prometheus",
            (
                ChartContainer("prometheus-server", ("server", "resources")),
                ChartContainer("prometheus-server-configmap-reload", ("configmapReload", "prometheus", "resources")),
            ),
            lambda v: 1,
        ),
    ),
    # grafana templates/_pod.tpl: the grafana container; init-chown-data with persistence unless
    # initChownData.enabled is false (true by default; the program turns it off); no download-dashboards (no
    # `dashboards` value), no sidecars (disabled by default).
    # values.yaml `replicas: 1`.
    "grafana": (
        ChartPod(
            "grafana",
            (
                ChartContainer("grafana", ("resources",)),
                ChartContainer(
                    "init-chown-data",
                    ("initChownData", "resources"),
                    init=True,
                    rendered=lambda v: (
                        bool(at(v, ("persistence", "enabled"))) and at(v, ("initChownData", "enabled")) is not False
                    ),
                ),
            ),
            lambda v: 1,
        ),
    ),
    # jaeger templates/jaeger/jaeger-deploy.yaml: one container; replicas only when jaeger.replicas is set.
    "jaeger": (ChartPod("jaeger", (ChartContainer("jaeger", ("jaeger", "resources")),), lambda v: 1),),
    # kiali-server templates/deployment.yaml: one container; deployment.replicas 1 (values.yaml).
    "kiali-server": (ChartPod("kiali", (ChartContainer("kiali", ("deployment", "resources")),), lambda v: 1),),
    # cert-manager v1.21.1 deploy/charts/cert-manager templates/deployment.yaml, webhook-deployment.yaml,
    # cainjector-deployment.yaml: one container each, resources from `resources`, `webhook.resources`,
    # `cainjector.resources`; replicas from replicaCount, webhook.replicaCount, cainjector.replicaCount
    # (values.yaml: 1 each; cainjector.enabled true).
    "cert-manager": (
        ChartPod(
            "cert-manager",
            (ChartContainer("cert-manager-controller", ("resources",)),),
            lambda v: int(v.get("replicaCount", 1)),
        ),
        ChartPod(
            "cert-manager-webhook",
            (ChartContainer("cert-manager-webhook", ("webhook", "resources")),),
            lambda v: int(at(v, ("webhook", "replicaCount")) or 1),
        ),
        ChartPod(
            "cert-manager-cainjector",
            (ChartContainer("cert-manager-cainjector", ("cainjector", "resources")),),
            lambda v: int(at(v, ("cainjector", "replicaCount")) or 1),
        ),
    ),
}

WORKLOAD_TYPES = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:batch/v1:Job",
)


@dataclass(frozen=True)
class Row:
    """One container of one pod."""

    workload: str
    container: str
    init: bool
    replicas: int
    cpu: str | None  # request
    memory: str | None  # request
    memory_limit: str | None

    @property
    def complete(self) -> bool:
        return None not in (self.cpu, self.memory, self.memory_limit)


@dataclass(frozen=True)
class Footprint:
    rows: tuple[Row, ...]
    pods: dict[str, tuple[int, int, float]] = field(default_factory=dict)  # workload -> replicas, mCPU, MiB

    @property
    def cpu_millicores(self) -> int:
        return sum(replicas * cpu for replicas, cpu, _ in self.pods.values())

    @property
    def memory_mib(self) -> float:
        return sum(replicas * memory for replicas, _, memory in self.pods.values())


def _row(workload: str, container: str, init: bool, replicas: int, resources: Any) -> Row:
    resources = resources if isinstance(resources, dict) else {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    return Row(workload, container, init, replicas, requests.get("cpu"), requests.get("memory"), limits.get("memory"))


def rows(run: harness.Run) -> list[Row]:
    found: list[Row] = []
    charts = run.charts()
    for chart, registration in charts.items():
        if chart not in CHART_PODS:
            raise KeyError(f"chart {chart}: its pods are not listed in scripts/footprint.py CHART_PODS")
        values = registration.inputs.get("values") or {}
        for pod in CHART_PODS[chart]:
            replicas = pod.replicas(values)
            for container in pod.containers:
                if container.rendered(values):
                    found.append(
                        _row(pod.workload, container.name, container.init, replicas, at(values, container.resources_at))
                    )
    istiod = charts["istiod"].inputs.get("values") or {} if "istiod" in charts else {}
    sidecar = at(istiod, ("global", "proxy", "resources"))
    init_container = "istio-validation" if at(istiod, ("cni", "enabled")) else "istio-init"
    injected = {
        r.inputs["metadata"]["name"]
        for r in run.of_type("kubernetes:core/v1:Namespace")
        if (r.inputs["metadata"].get("labels") or {}).get("istio-injection") == "enabled"
        or "istio.io/rev" in (r.inputs["metadata"].get("labels") or {})
    }
    for gateway in run.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway"):
        if gateway.inputs["spec"].get("gatewayClassName") == "istio-waypoint":
            workload = f"waypoint {gateway.inputs['metadata']['namespace']}"
            found.append(_row(workload, "istio-proxy", False, 1, at(istiod, ("global", "waypoint", "resources"))))
    for registration in (r for r in run.resources if r.type in WORKLOAD_TYPES):
        spec = registration.inputs["spec"]
        workload = registration.inputs["metadata"]["name"]
        replicas = int(spec.get("replicas", 1)) if registration.type != "kubernetes:batch/v1:Job" else 1
        pod = spec["template"]["spec"]
        for container in pod.get("containers", []):
            found.append(_row(workload, container["name"], False, replicas, container.get("resources")))
        for container in pod.get("initContainers", []):
            found.append(_row(workload, container["name"], True, replicas, container.get("resources")))
        if registration.inputs["metadata"].get("namespace") in injected:
            # istio-proxy and its init container, both with global.proxy.resources (injection template "resources").
            found.append(_row(workload, "istio-proxy", False, replicas, sidecar))
            found.append(_row(workload, init_container, True, replicas, sidecar))
    return found


def _cpu(row: Row) -> int:
    return quantities.millicores(row.cpu) if row.cpu else 0


def _memory(row: Row) -> float:
    return quantities.mebibytes(row.memory) if row.memory else 0.0


def footprint(run: harness.Run) -> Footprint:
    all_rows = tuple(rows(run))
    pods: dict[str, tuple[int, int, float]] = {}
    for workload in dict.fromkeys(row.workload for row in all_rows):
        mine = [row for row in all_rows if row.workload == workload]
        regular, init = [r for r in mine if not r.init], [r for r in mine if r.init]
        pods[workload] = (
            mine[0].replicas,
            max(sum(map(_cpu, regular)), max(map(_cpu, init), default=0)),
            max(sum(map(_memory, regular)), max(map(_memory, init), default=0.0)),
        )
    return Footprint(all_rows, pods)


def table(result: Footprint) -> str:
    lines = [f"  {'workload (per pod)':<18} {'replicas':>8} {'CPU (m)':>8} {'memory (Mi)':>12}"]
    for workload, (replicas, cpu, memory) in result.pods.items():
        lines.append(f"  {workload:<18} {replicas:>8} {cpu:>8} {memory:>12.0f}")
    lines.append(f"  {'total':<18} {'':>8} {result.cpu_millicores:>8} {result.memory_mib:>12.0f}")
    return "\n".join(lines)
