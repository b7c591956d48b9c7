"""What a user would do instead of the stack, timed on the same loopback cluster and the same mirror: the Gateway API
bundle by `kubectl apply`, then `helm install --wait` of base, istiod, gateway, cert-manager, prometheus, grafana,
jaeger and kiali one after the other (chart defaults, no volumes, a NodePort gateway), then `helm uninstall` of them.

Runs with `--mirror` only (the real charts' defaults), first, on the empty cluster, and leaves it empty again (the
namespaces and CRDs the sequence made are deleted and awaited outside the timing), so the stack's first `up` after
it starts from the same state. The run prints the
stack's first `up` and destroy against these times (`ratio`, e2e/run.py). helm and kubectl are built from their Go
modules with the rest of the toolchain (e2e/toolchain/helm).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from definitions import versions
from e2e.context import Context
from e2e.mirror import held_versions, release_order
from e2e.scenarios import wait_until
from e2e.skip_checkpoints import FAST_DESTROY, FAST_UP

STEP_INSTALL = "helm sequence: install (kubectl apply + helm install --wait)"
STEP_UNINSTALL = "helm sequence: uninstall"
STACK_UP = "up (dev, first)"
STACK_DESTROY = "destroy (destroy)"
# No PersistentVolumeClaims: prometheus-server's and alertmanager's are on by default (prometheus 29.27.0
# values.yaml `server.persistentVolume.enabled`, charts/alertmanager values.yaml `persistence.enabled`).
NO_VOLUMES = ("server.persistentVolume.enabled=false", "alertmanager.persistence.enabled=false")


@dataclass(frozen=True)
class Release:
    name: str
    chart: str
    pinned: str
    namespace: str
    values: tuple[str, ...] = ()


RELEASES = (
    Release("istio-base", "base", versions.ISTIO_DEFAULT_VERSION, "istio-system"),
    Release("istiod", "istiod", versions.ISTIO_DEFAULT_VERSION, "istio-system"),
    Release("istio-ingress", "gateway", versions.ISTIO_DEFAULT_VERSION, "istio-ingress", ("service.type=NodePort",)),
    # The chart installs its CRDs only when asked (cert-manager v1.21.1 values.yaml `crds.enabled`, default false).
    Release("cert-manager", "cert-manager", versions.CERT_MANAGER.version, "cert-manager", ("crds.enabled=true",)),
    Release("prometheus", "prometheus", versions.PROMETHEUS.version, "observability", NO_VOLUMES),
    Release("grafana", "grafana", versions.GRAFANA.version, "observability"),
    Release("jaeger", "jaeger", versions.JAEGER.version, "observability"),
    Release("kiali", "kiali-server", versions.KIALI.version, "istio-system"),
)


def version_in(directory: Path, chart: str, pinned: str) -> str:
    """The pin when the mirror holds it, else the newest the mirror holds (the pins may move past a mirror)."""
    held = held_versions(directory, chart)
    if not held:
        raise AssertionError(f"helm sequence: the mirror holds no chart {chart}")
    return pinned if pinned in held else held[-1]


def gateway_api_version(directory: Path) -> str:
    held = sorted((p.name for p in (directory / "gateway-api").iterdir()), key=release_order)
    return versions.GATEWAY_API_DEFAULT_VERSION if versions.GATEWAY_API_DEFAULT_VERSION in held else held[-1]


def helm_sequence(context: Context) -> None:
    report, cluster, mirror = context.report, context.cluster, context.mirror
    if context.fixture:
        # The fixture charts render what the stack's values need, not each chart's defaults (grafana's fixture
        # requires admin.existingSecret, say): a user's sequence means the real charts.
        print("e2e: helm-comparison: against the real charts only (--mirror); not run on the fixture charts")
        return
    home = context.stack.directory.parent / "helm"
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "NO_COLOR": "1",
    }
    helm, kubectl = (cluster.binary("helm", name) for name in ("helm", "kubectl"))
    log = home / "helm.log"
    home.mkdir(parents=True, exist_ok=True)

    def run(*command: str) -> None:
        started = time.monotonic()
        done = subprocess.run(list(command), env=env, capture_output=True, text=True)
        with log.open("a") as out:
            out.write(f"$ {' '.join(command)}  # exit {done.returncode}, {time.monotonic() - started:.1f} s\n")
            out.write(done.stdout + done.stderr)
        if done.returncode != 0:
            raise AssertionError(f"`{' '.join(command[:4])} ...` exited {done.returncode}:\n{done.stderr[-3000:]}")

    before_namespaces = set(namespace_names(context))
    before_crds = cluster.crd_names()
    bundle = f"{mirror.url}/gateway-api/{gateway_api_version(mirror.directory)}/standard-install.yaml"
    releases = [(r, version_in(mirror.directory, r.chart, r.pinned)) for r in RELEASES]
    with report.step(STEP_INSTALL):
        run(kubectl, "apply", "--server-side", "-f", bundle)
        for release, version in releases:
            values = [item for value in release.values for item in ("--set", value)]
            run(
                helm, "install", release.name, release.chart, "--repo", f"{mirror.url}/charts", "--version", version,
                "--namespace", release.namespace, "--create-namespace", "--wait", "--timeout", "5m", *values,
            )  # fmt: skip
    deployments = [
        d for n in set(namespace_names(context)) - before_namespaces
        for d in cluster.get(f"/apis/apps/v1/namespaces/{n}/deployments")["items"]
    ]  # fmt: skip
    report.check(
        "helm sequence: every Deployment Ready",
        len(deployments) >= len(RELEASES) - 1
        and all(d.get("status", {}).get("readyReplicas") == d["spec"].get("replicas", 1) for d in deployments),
        [(d["metadata"]["name"], d.get("status", {}).get("readyReplicas")) for d in deployments],
    )
    with report.step(STEP_UNINSTALL):
        for release, _ in reversed(releases):
            run(helm, "uninstall", release.name, "--namespace", release.namespace, "--wait", "--timeout", "5m")
    with report.step("helm sequence: clean up (namespaces, CRDs; not timed against the stack)"):
        run(kubectl, "delete", "--wait=false", "--ignore-not-found", "-f", bundle)  # its admission policy too
        made = sorted(set(namespace_names(context)) - before_namespaces)
        if made:
            run(kubectl, "delete", "namespace", "--wait=false", "--ignore-not-found", *made)
        left = cluster.crd_names() - before_crds
        if left:
            run(kubectl, "delete", "customresourcedefinition", "--wait=false", "--ignore-not-found", *sorted(left))
        cluster.await_crds_deleted(left, 300)
        wait_until(lambda: not set(namespace_names(context)) - before_namespaces, 300)
        made = sorted(set(namespace_names(context)) - before_namespaces)
    report.check("helm sequence: the cluster is as before", set(namespace_names(context)) == before_namespaces, made)


def namespace_names(context: Context) -> list[str]:
    return [n["metadata"]["name"] for n in context.cluster.get("/api/v1/namespaces")["items"]]


def ratio_lines(timings: list[tuple[str, float]]) -> list[str]:
    """The stack against the helm sequence, from the run's timings: one line each, or why it cannot be said. The
    goals (issue 26): a first `up` within 1.5x of the helm install, a destroy under 30 s; each with the engine's
    per-step checkpoints (the default) and without them (e2e/skip_checkpoints.py)."""
    seconds = dict(timings)
    lines = []
    for stack_step, helm_step, ratio_goal, seconds_goal in (
        (STACK_UP, STEP_INSTALL, 1.5, None),
        (STACK_DESTROY, STEP_UNINSTALL, None, 30.0),
        (FAST_UP, STEP_INSTALL, 1.5, None),
        (FAST_DESTROY, STEP_UNINSTALL, None, 30.0),
    ):
        if stack_step not in seconds or helm_step not in seconds:
            lines.append(f"e2e: ratio {stack_step} / helm: not measured in this run (fixture charts, or --only)")
            continue
        ratio = seconds[stack_step] / seconds[helm_step]
        if ratio_goal is not None:
            target = f" (goal <= {ratio_goal}x: {'met' if ratio <= ratio_goal else 'not met'})"
        else:
            assert seconds_goal is not None
            met = "met" if seconds[stack_step] < seconds_goal else "not met"
            target = f" (goal under {seconds_goal:.0f} s: {met})"
        lines.append(
            f"e2e: ratio {stack_step} {seconds[stack_step]:.1f} s / {helm_step} {seconds[helm_step]:.1f} s"
            f" = {ratio:.2f}x{target}"
        )
    return lines
