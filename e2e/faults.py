"""The failures docs/when-up-fails.md describes, each injected into a real `up` on the loopback cluster: what the
user sees (the error names the failed resource and the cause, within a stated bound), the documented remedy, the
next `up`, and the last checks of e2e/convergence.py: converged, and nothing left behind after the destroy.

Each scenario starts from an empty stack and ends destroyed, so any one runs alone (`--only fault-...`). Each
prints one line of the fault table (`e2e: fault | ...`): fault, what the user saw, time to fail, remedy, whether
it converged. Bounds: a workload's await is cut to AWAIT_SECONDS by the e2e's language host
(E2E_AWAIT_TIMEOUT_SECONDS, a `customTimeouts` option; pulumi-kubernetes' own default is 10 minutes) so that
a never-Ready workload fails in under a minute here.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from e2e.cluster import condition, fake_node
from e2e.context import Context
from e2e.convergence import check_converged, check_nothing_left, kept_by_destroy, kinds, pending_operations
from e2e.pulumi_cli import Result, Running, tail_lines
from e2e.scenarios import kubernetes_resources, set_settings, wait_until
from e2e.script_pod_double import ScriptPodDouble

STAGES = Path(__file__).resolve().parent / "fixtures" / "kwok"
# The await bound of every workload in the `up`s that are meant to fail (see the module docstring).
AWAIT_SECONDS = 45
# An `up` of the whole stack on this cluster takes 30-80 s (docs/end-to-end.md); a failing one ends within
# that plus the failing resource's own bound.
UP_SECONDS = 150
# A cancelled `up` finishes the operations in flight and stops: a Service's await is the longest (about 10 s).
CANCEL_SECONDS = 60
OUTAGE_SECONDS = 30
# The awaits' bound in the outage scenario (api_server_outage).
OUTAGE_AWAIT_SECONDS = 120
ISTIOD = "/apis/apps/v1/namespaces/istio-system/deployments/istiod"
VERIFY_JOBS = "/apis/batch/v1/namespaces/istio-system/jobs?labelSelector=app%3Dmesh-verify"
WILDCARD = "mesh-wildcard"
REFUSAL = "e2e refusal: the DNS-01 solver may not write the zone mesh.localhost (403 Forbidden)"
EXTRA_NODE = "kwok-node-extra"
# pulumi-kubernetes 4.25's words for a Deployment whose pods never become Ready (newer releases: "Minimum
# number of Pods to consider the application live was not attained").
UNREADY = "Minimum number of live Pods was not attained"
FULL_TAINT = {"key": "e2e.fault/full", "effect": "NoSchedule"}


def fault_row(fault: str, saw: str, seconds: float, remedy: str, converged: bool) -> None:
    print(f"e2e: fault | {fault} | {saw} | {seconds:.0f} s | {remedy} | {'yes' if converged else 'NO'}", flush=True)


def require_empty(context: Context, label: str) -> None:
    left = kubernetes_resources(context.stack.resources())
    if left:
        raise AssertionError(f"{label} starts from an empty stack; the stack holds {len(left)} resources: {left[:3]}")
    set_settings(context)


def error_lines(result: Result) -> str:
    return "; ".join(line.strip() for line in result.output.splitlines() if "error" in line.lower())[:600]


def remedy_up(context: Context, label: str) -> bool:
    """The documented remedy's `up`, then the convergence checks; whether every one passed."""
    failed = len(context.report.failed)
    with context.report.step(f"{label}: up (remedy)"):
        up = context.stack.up(check=False)
    context.report.check(f"{label}: the next up succeeds", up.code == 0, tail_lines(up.output, 40))
    check_converged(context, label)
    return len(context.report.failed) == failed


def destroy_clean(context: Context, label: str) -> None:
    bundle = kept_by_destroy(context)
    with context.report.step(f"{label}: destroy"):
        context.stack.destroy()
    check_nothing_left(context, label, bundle)


def start_up(context: Context) -> Running:
    return context.stack.start("up", "--yes", "--skip-preview")


def wait_midway(context: Context, running: Running, label: str) -> None:
    """Until the first `up` is midway: istiod's chart applied (some charts exist), the verification (its last
    step) not yet."""
    ok = wait_until(lambda: running.process.poll() is not None or context.cluster.get_or_none(ISTIOD) is not None, 180)
    if running.process.poll() is not None or not ok:
        result = running.wait(check=False)
        raise AssertionError(f"{label}: the up ended before istiod existed: {tail_lines(result.output, 30)}")


def midway(context: Context, label: str) -> None:
    jobs = context.cluster.get(VERIFY_JOBS)["items"]
    context.report.check(f"{label}: interrupted before the last step (no verification Job)", not jobs, len(jobs))


@contextmanager
def await_bound(context: Context, seconds: int = AWAIT_SECONDS) -> Iterator[None]:
    context.stack.env["E2E_AWAIT_TIMEOUT_SECONDS"] = str(seconds)
    try:
        yield
    finally:
        context.stack.env.pop("E2E_AWAIT_TIMEOUT_SECONDS", None)


@contextmanager
def kwok_with(context: Context, *stages: str) -> Iterator[list[Path]]:
    """kwok restarted with extra stages of e2e/fixtures/kwok, and restarted as it was afterwards."""
    original = context.cluster.kwok_stages()
    context.cluster.restart_kwok([*original, *(STAGES / stage for stage in stages)])
    try:
        yield original
    finally:
        context.cluster.restart_kwok(original)


# -- interrupted `up`s, and two at once ---------------------------------------------------------------------------


def interrupted_up(context: Context) -> None:
    """SIGINT, then SIGKILL, of the CLI midway through the first `up`; then two `up`s of the stack at once."""
    report, stack = context.report, context.stack
    require_empty(context, "fault-interrupt")

    running = start_up(context)
    wait_midway(context, running, "SIGINT")
    signalled = time.monotonic()
    running.process.send_signal(signal.SIGINT)
    result = running.wait(check=False)
    stopped = time.monotonic() - signalled
    midway(context, "SIGINT")
    report.check("SIGINT: the up fails", result.code != 0, result.code)
    # The engine's `update canceled`, or, when the signal lands while an await runs, the provider's `Resource
    # operation was cancelled` for it (then the engine reports `update failed`): either says why it stopped.
    cancelled = "canceled" in result.output or "operation was cancelled" in result.output
    report.check("SIGINT: it says the update was canceled", cancelled, tail_lines(result.output, 20))
    report.check(f"SIGINT: it stops within {CANCEL_SECONDS} s", stopped <= CANCEL_SECONDS, f"{stopped:.0f} s")
    pending = pending_operations(context)
    report.check("SIGINT: no pending operation left", not pending, pending[:3])
    converged = remedy_up(context, "SIGINT")
    fault_row("SIGINT of `up` midway", "`update canceled`, no pending operation", stopped, "`pulumi up`", converged)
    destroy_clean(context, "SIGINT")

    set_settings(context)
    running = start_up(context)
    wait_midway(context, running, "SIGKILL")
    # Killed while a create is in flight (a pending create in the checkpoint), which is what the remedy below
    # recovers from: midway alone can land between steps, while a chart renders, with no create pending.
    creating = wait_until(lambda: running.process.poll() is not None or bool(checkpoint_creates(context)), 60)
    running.process.kill()
    running.wait(check=False)
    midway(context, "SIGKILL")
    report.check("SIGKILL: killed with a create in flight", creating)
    with report.step("SIGKILL: up after the kill"):
        refused = stack.up(check=False)
    if "failed to load checkpoint" in refused.output:
        # A kill while the file backend rewrote the checkpoint's metadata sidecar (gocloud.dev's fileblob
        # `<stack>.json.attrs`) leaves it empty, and every command fails reading it, though the checkpoint itself
        # is whole. The documented remedy: delete the empty sidecar (docs/when-up-fails.md).
        empty = [
            f for f in (stack.directory / "state" / ".pulumi" / "stacks").rglob("*.json.attrs") if not f.stat().st_size
        ]
        print(f"e2e:   SIGKILL: `failed to load checkpoint: EOF`; empty sidecars removed: {empty}", flush=True)
        report.check(
            "SIGKILL: the unreadable checkpoint is an empty .attrs sidecar", bool(empty), refused.output[-500:]
        )
        for file in empty:
            file.unlink()
        refused = stack.up(check=False)
    report.check(
        "SIGKILL: the next up is refused: the stack is locked",
        refused.code != 0 and "locked" in refused.output,
        tail_lines(refused.output, 20),
    )
    creates = [op for op in pending_operations(context) if op.get("type") == "creating"]
    report.check("SIGKILL: pending creates left in the state", bool(creates), creates[:1])
    with report.step("SIGKILL: pulumi cancel"):
        stack.cli("cancel", "--yes", program=False)
    imports = import_arguments(context, creates)
    with report.step("SIGKILL: pulumi refresh --import-pending-creates"):
        refresh = stack.cli("refresh", "--yes", "--skip-preview", *imports, program=False, check=False)
    report.check("SIGKILL: the refresh imports the pending creates", refresh.code == 0, tail_lines(refresh.output, 30))
    pending = pending_operations(context)
    report.check("SIGKILL: no pending operation after the refresh", not pending, pending[:3])
    converged = remedy_up(context, "SIGKILL")
    fault_row(
        "SIGKILL of `up` midway",
        f"next `up` refused: stack locked; {len(creates)} pending creates",
        refused.seconds,
        "`pulumi cancel`, `pulumi refresh --import-pending-creates URN ID ...`, `pulumi up`",
        converged,
    )

    concurrent_ups(context)
    destroy_clean(context, "SIGKILL")


def checkpoint_creates(context: Context) -> list[dict[str, Any]]:
    """The pending creates of the file backend's checkpoint, read from the file (no CLI: the `up` holds the lock
    and a CLI command takes seconds); [] while it is being rewritten."""
    files = list((context.stack.directory / "state" / ".pulumi" / "stacks").rglob(f"{context.stack.stack}.json"))
    try:
        checkpoint = json.loads(files[0].read_text()) if files else {}
    except (OSError, ValueError):
        return []
    pending = (checkpoint.get("checkpoint", {}).get("latest") or {}).get("pending_operations") or []
    return [op for op in pending if op.get("type") == "creating"]


def import_arguments(context: Context, creates: list[dict[str, Any]]) -> list[str]:
    """`--import-pending-creates URN ID` for every pending create whose object the API server holds, and
    `--clear-pending-creates` for the rest (creates the kill stopped before they reached the server)."""
    arguments: list[str] = []
    cleared = False
    for create in creates:
        resource = create["resource"]
        metadata = (resource.get("inputs") or {}).get("metadata") or {}
        namespace, name = metadata.get("namespace"), metadata.get("name")
        object_id = f"{namespace}/{name}" if namespace else str(name)
        if name and live(context, resource, namespace, name):
            arguments += ["--import-pending-creates", resource["urn"], "--import-pending-creates", object_id]
        else:
            cleared = True
    context.report.check("SIGKILL: some pending creates exist in the cluster", bool(arguments), creates[:1])
    return [*arguments, *(["--clear-pending-creates"] if cleared else [])]


def live(context: Context, resource: dict[str, Any], namespace: str | None, name: str) -> bool:
    inputs = resource.get("inputs") or {}
    api, kind = inputs.get("apiVersion", ""), inputs.get("kind", "")
    plural = kinds(context.cluster).get((api.split("/")[0] if "/" in api else "", kind))
    if plural is None:
        return False
    prefix = "/api/v1" if api == "v1" else f"/apis/{api}"
    scope = f"/namespaces/{namespace}" if namespace else ""
    return context.cluster.get_or_none(f"{prefix}{scope}/{plural}/{name}") is not None


def concurrent_ups(context: Context) -> None:
    """A second `up` while one runs: refused by the backend's lock, and the state intact."""
    report, stack = context.report, context.stack
    before = sorted(r["urn"] for r in stack.resources())
    locks = stack.directory / "state" / ".pulumi" / "locks"
    first = stack.start("up", "--yes", "--skip-preview", "--refresh")
    locked = wait_until(lambda: any(locks.rglob("*.json")) or first.process.poll() is not None, 60)
    with report.step("concurrent: the second up"):
        second = stack.up(check=False)
    result = first.wait(check=False)
    report.check("concurrent: the first up held the lock", locked and result.code == 0, tail_lines(result.output, 20))
    report.check(
        "concurrent: the second up is refused: the stack is locked",
        second.code != 0 and "locked" in second.output,
        tail_lines(second.output, 20),
    )
    after = sorted(r["urn"] for r in stack.resources())
    report.check("concurrent: the state holds the same resources", after == before, set(before) ^ set(after))
    check_converged(context, "concurrent")
    fault_row("two `up`s at once", "second refused: stack locked", second.seconds, "none (wait for the first)", True)


# -- the control plane ---------------------------------------------------------------------------------------------


def api_server_outage(context: Context) -> None:
    """The API server stopped for OUTAGE_SECONDS midway through the first `up`, then started again."""
    report, cluster = context.report, context.cluster
    require_empty(context, "fault-api-server")
    # Bounded awaits: an object created during the outage can wait on one whose create the outage refused (a chart's
    # Deployment on its ServiceAccount: no pod is admitted without it), until its await times out (10 min by
    # default; seen in CI, docs/when-up-fails.md): cut to OUTAGE_AWAIT_SECONDS, longer than the outage, so the
    # objects in flight still fail on the refused connection first.
    with await_bound(context, OUTAGE_AWAIT_SECONDS):
        running = start_up(context)
        wait_midway(context, running, "API server outage")
        command = cluster.stop_process("kube-apiserver")
        stopped = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        cluster.start_process("kube-apiserver", command)
        result = running.wait(check=False)
    ended = time.monotonic() - stopped
    saw = error_lines(result)
    print(f"e2e:   API server outage: the up exited {result.code} {ended:.0f} s after the stop: {saw}", flush=True)
    if result.code != 0:
        report.check(
            "API server outage: the error names the connection refused",
            "connection refused" in result.output or "connect:" in result.output,
            saw,
        )
    report.check(
        f"API server outage: the up ends within {OUTAGE_SECONDS + OUTAGE_AWAIT_SECONDS + UP_SECONDS} s of the stop",
        ended <= OUTAGE_SECONDS + OUTAGE_AWAIT_SECONDS + UP_SECONDS,
        f"{ended:.0f} s",
    )
    pending = pending_operations(context)
    report.check("API server outage: no pending operation left", not pending, pending[:3])
    # The documented remedy's first step: a ReplicaSet whose pod creation failed (the ServiceAccount the outage kept
    # from being made) retries with a back-off of up to about 16 minutes; deleted, its Deployment makes it again at
    # once and it creates the pod once the next `up` has made the ServiceAccount.
    failed = replica_sets_failing_to_create(context)
    for namespace, name in failed:
        cluster.request("DELETE", f"/apis/apps/v1/namespaces/{namespace}/replicasets/{name}")
    if failed:
        print(f"e2e:   API server outage: ReplicaSets failing to create pods, deleted: {failed}", flush=True)
    converged = remedy_up(context, "API server outage")
    outcome = "up failed: `connection refused` on the objects in flight" if result.code else "up rode it out"
    remedy = ("delete the ReplicaSets in `ReplicaFailure`, " if failed else "") + "`pulumi up`"
    fault_row(f"API server down {OUTAGE_SECONDS} s mid-`up`", outcome, ended, remedy, converged)
    destroy_clean(context, "API server outage")


def replica_sets_failing_to_create(context: Context) -> list[tuple[str, str]]:
    failing = []
    for rs in context.cluster.get("/apis/apps/v1/replicasets")["items"]:
        conditions = (rs.get("status") or {}).get("conditions") or []
        if any(c["type"] == "ReplicaFailure" and c["status"] == "True" for c in conditions):
            failing.append((rs["metadata"]["namespace"], rs["metadata"]["name"]))
    return failing


# -- workloads -----------------------------------------------------------------------------------------------------


def unready_workload(context: Context) -> None:
    """istiod's pods never become Ready (a kwok stage): the `up` fails on istiod's Deployment at its await bound;
    once pods can be Ready again and the stuck one is replaced, the next `up` converges."""
    report, cluster = context.report, context.cluster
    require_empty(context, "fault-unready")
    with kwok_with(context, "pod-held-unready.yaml"), await_bound(context):
        with report.step("unready: up"):
            result = context.stack.up(check=False)
        pods = cluster.get("/api/v1/namespaces/istio-system/pods?labelSelector=app%3Distiod")["items"]
    report.check("unready: istiod's pods exist and are not Ready", pods and all(not_ready(p) for p in pods), len(pods))
    report.check("unready: the up fails", result.code != 0, result.code)
    saw = error_lines(result)
    report.check(
        "unready: the error names istiod's Deployment and its unready pods",
        "Deployment istio-istiod:istio-system/istiod **creating failed**" in saw and UNREADY in result.output,
        saw,
    )
    report.check(
        f"unready: it fails within {AWAIT_SECONDS + UP_SECONDS} s",
        result.seconds <= AWAIT_SECONDS + UP_SECONDS,
        f"{result.seconds:.0f} s",
    )
    for pod in pods:  # what fixing the cause does: the stuck pod is replaced, the new one becomes Ready
        cluster.request("DELETE", f"/api/v1/namespaces/istio-system/pods/{pod['metadata']['name']}")
    converged = remedy_up(context, "unready")
    fault_row(
        "istiod never Ready",
        "`Minimum number of live Pods was not attained` on istiod's Deployment, `Service does not target any Pods`",
        result.seconds,
        "fix the pods, `pulumi up`",
        converged,
    )
    destroy_clean(context, "unready")


def not_ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] != "True" for c in pod.get("status", {}).get("conditions", []))


def no_capacity(context: Context) -> None:
    """Every node tainted (full): pods stay Pending, the `up` fails on the workloads; a node added, it converges."""
    report, cluster = context.report, context.cluster
    require_empty(context, "fault-capacity")
    nodes = [n["metadata"]["name"] for n in cluster.get("/api/v1/nodes")["items"]]
    set_taints(context, nodes, [FULL_TAINT])
    try:
        with await_bound(context), report.step("no capacity: up"):
            result = context.stack.up(check=False)
        saw = error_lines(result)
        report.check("no capacity: the up fails", result.code != 0, result.code)
        report.check(
            "no capacity: the error names unready workloads",
            UNREADY in result.output,
            saw,
        )
        events = cluster.get("/api/v1/events?fieldSelector=reason%3DFailedScheduling")["items"]
        report.check("no capacity: the scheduler says why (FailedScheduling)", bool(events), len(events))
        report.check(
            f"no capacity: it fails within {AWAIT_SECONDS + UP_SECONDS} s",
            result.seconds <= AWAIT_SECONDS + UP_SECONDS,
            f"{result.seconds:.0f} s",
        )
        cluster.apply(fake_node(EXTRA_NODE, zone="zone-0"))
        ready = wait_until(lambda: node_ready(context, EXTRA_NODE), 60)
        report.check("no capacity: the added node is Ready", ready, EXTRA_NODE)
        converged = remedy_up(context, "no capacity")
        fault_row(
            "no capacity (every node full)",
            "`Minimum number of live Pods was not attained` on the workloads; FailedScheduling events",
            result.seconds,
            "add a node, `pulumi up`",
            converged,
        )
        bundle = kept_by_destroy(context)
        with report.step("no capacity: destroy"):
            context.stack.destroy()
    finally:
        set_taints(context, nodes, None)
        if cluster.get_or_none(f"/api/v1/nodes/{EXTRA_NODE}") is not None:
            cluster.request("DELETE", f"/api/v1/nodes/{EXTRA_NODE}")
    check_nothing_left(context, "no capacity", bundle)


def set_taints(context: Context, nodes: list[str], taints: list[dict[str, str]] | None) -> None:
    for node in nodes:
        context.cluster.request(
            "PATCH", f"/api/v1/nodes/{node}", {"spec": {"taints": taints}}, "application/merge-patch+json"
        )


def node_ready(context: Context, name: str) -> bool:
    node = context.cluster.get_or_none(f"/api/v1/nodes/{name}")
    return node is not None and condition(node, "Ready") == "True"


# -- the stack's Jobs ------------------------------------------------------------------------------------------------


def failed_jobs(context: Context) -> None:
    """The wildcard certificate refused (its wait Job reports cert-manager's reason), then the verification's pod
    failing: each fails the `up` with its report; each next `up` runs its Job again and converges."""
    report, stack = context.report, context.stack
    require_empty(context, "fault-jobs")
    runner = ScriptPodDouble(context.cluster, "certificate-wait").start()
    try:
        with kwok_with(context, "script-pod-held.yaml", "job-pod-failed.yaml") as original:
            context.certificates.refuse[WILDCARD] = REFUSAL
            with report.step("certificate refused: up"):
                refused = stack.up(check=False)
            report.check("certificate refused: the up fails", refused.code != 0, refused.code)
            # pulumi-kubernetes 4.25 names the Job and its condition; the pod's report (its termination message)
            # joins the error only in later releases (components/verification.py): here it is read from the pod.
            report.check(
                "certificate refused: the error names the wait Job and its failure",
                "Job (certificate-wait)" in refused.output and "BackoffLimitExceeded" in refused.output,
                tail_lines(refused.output, 40),
            )
            messages = termination_messages(context, "certificate-wait")
            report.check(
                "certificate refused: the wait's report carries cert-manager's reason and the commands",
                any(REFUSAL in m and "kubectl -n istio-ingress describe certificate" in m for m in messages),
                messages,
            )
            report.check("certificate refused: the script ran", bool(runner.ran), runner.ran)
            del context.certificates.refuse[WILDCARD]
            with report.step("verification fails: up"):
                failing = stack.up(check=False)
            report.check("verification fails: the certificate's wait passed", len(runner.ran) >= 2, runner.ran)
            report.check("verification fails: the up fails", failing.code != 0, failing.code)
            report.check(
                "verification fails: the error names the verification Job and its failure",
                "Job (verification)" in failing.output and "BackoffLimitExceeded" in failing.output,
                tail_lines(failing.output, 40),
            )
            messages = termination_messages(context, "mesh-verify")
            report.check(
                "verification fails: its pods' report is kept",
                any("FAIL e2e-injected" in m for m in messages),
                messages,
            )
            context.cluster.restart_kwok([*original, STAGES / "script-pod-held.yaml"])
            converged = remedy_up(context, "failed jobs")
    finally:
        runner.stop()
        context.certificates.refuse.pop(WILDCARD, None)
    fault_row(
        "certificate cannot be issued",
        "the wait Job's report: cert-manager's reason, `kubectl describe` commands",
        refused.seconds,
        "fix the cause, `pulumi up` (the wait runs again)",
        converged,
    )
    fault_row(
        "verification Job fails",
        "the Job's failure with its pod's report",
        failing.seconds,
        "fix the cause, `pulumi up` (the Job runs again)",
        converged,
    )
    destroy_clean(context, "failed jobs")


def termination_messages(context: Context, app: str) -> list[str]:
    """The termination messages of the pods of `app` (what `kubectl logs` and `describe` show of a failed Job)."""
    pods = context.cluster.get(f"/api/v1/pods?labelSelector=app%3D{app}")["items"]
    return [
        status["state"]["terminated"].get("message", "")
        for pod in pods
        for status in pod.get("status", {}).get("containerStatuses") or []
        if "terminated" in status.get("state", {})
    ]


# -- an object made by hand ------------------------------------------------------------------------------------------


def existing_object(context: Context) -> None:
    """The namespace `apps` made by hand before the first `up` (with a label of its own).

    The e2e's provider (4.25) creates by server-side apply: it takes the object over, where the strict provider
    users get (4.29+) refuses with AlreadyExists (docs/when-up-fails.md). What is checked: what 4.25 does, and that
    the documented remedy, `pulumi import` of the object, converges.
    """
    report, cluster = context.report, context.cluster
    require_empty(context, "fault-existing-object")
    cluster.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps", "labels": {"made-by": "hand"}}},
        manager="kubectl-client-side-apply",
    )
    with report.step("existing object: up"):
        result = context.stack.up(check=False)
    refused = "already exists" in result.output
    print(f"e2e:   existing object: the up exited {result.code}; AlreadyExists: {refused}", flush=True)
    labels = cluster.get("/api/v1/namespaces/apps")["metadata"].get("labels", {})
    report.check(
        "existing object: provider 4.25 takes it over (the up succeeds), its own label kept",
        result.code == 0 and labels.get("made-by") == "hand" and labels.get("istio-injection") == "enabled",
        (result.code, labels, tail_lines(result.output, 20)),
    )
    converged = remedy_up(context, "existing object")
    fault_row(
        "an object of the same name made by hand",
        "provider 4.25: taken over silently (users' 4.29+: AlreadyExists, read not run)",
        result.seconds,
        "`pulumi up` (4.25); delete or `pulumi import` it (4.29+)",
        converged,
    )
    destroy_clean(context, "existing object")


ALL: dict[str, Callable[[Context], None]] = {
    "fault-interrupt": interrupted_up,
    "fault-api-server": api_server_outage,
    "fault-unready": unready_workload,
    "fault-capacity": no_capacity,
    "fault-jobs": failed_jobs,
    "fault-existing-object": existing_object,
}
