"""The e2e's scenarios, in order, against one stack `dev` on the loopback cluster (see e2e/run.py).

Each asserts something a defect in the program, the engine or the provider would make false: what a preview
plans (by URN and operation), what the cluster holds after an `up` or a `destroy`, what the stack exports.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import yaml

from definitions import versions
from e2e.cluster import CRDS, NODE_COUNT, condition
from e2e.context import Context
from e2e.mirror import NEXT_ISTIO_VERSION, RUNBOOK_OLD_ISTIO_VERSION, held_settings, held_versions, release_order
from e2e.multicluster import multicluster
from e2e.pulumi_cli import PROJECT_DIR, Result

PROJECT = "service-mesh"
CRD_GROUPS_KEPT = ("gateway.networking.k8s.io", "istio.io", "cert-manager.io")
# Steps that change nothing: unchanged resources, and reads (`Resource.get`, re-read on every run).
UNCHANGED = ("same", "read")


# -- settings --------------------------------------------------------------------------------------------------


def dev_config(context: Context, **overrides: Any) -> dict[str, Any]:
    """The shipped `dev` stack's settings, with the loopback mirror and `overrides` (top-level keys)."""
    shipped = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]
    config = copy.deepcopy(shipped)
    config[f"{PROJECT}:mirror"] = context.mirror.settings()
    if not context.fixture:  # --mirror: the versions it holds where the pins moved past them
        config.update({f"{PROJECT}:{key}": value for key, value in held_settings(context.mirror.directory).items()})
    for key, value in overrides.items():
        config[f"{PROJECT}:{key}"] = value
    return config


def set_settings(context: Context, **overrides: Any) -> None:
    context.stack.set_config(dev_config(context, **overrides))


# -- reading previews and the cluster ---------------------------------------------------------------------------


def steps(result: Result) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = result.json().get("steps") or []
    return found


def urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def urn_name(urn: str) -> str:
    return urn.split("::")[3]


def changes(result: Result) -> dict[str, str]:
    """URN -> op for every step of a preview that changes something."""
    return {step["urn"]: step["op"] for step in steps(result) if step["op"] not in UNCHANGED}


def find(ops: dict[str, str], type_: str, name: str) -> list[str]:
    return [op for urn, op in ops.items() if urn_type(urn) == type_ and urn_name(urn).endswith(name)]


def kubernetes_resources(resources: list[dict[str, Any]]) -> list[str]:
    """The URNs of a stack's resources besides the stack itself and the engine's default providers."""
    return [r["urn"] for r in resources if not r["type"].startswith("pulumi:")]


def namespaces(context: Context) -> dict[str, dict[str, Any]]:
    return {n["metadata"]["name"]: n for n in context.cluster.get("/api/v1/namespaces")["items"]}


def stack_namespaces(context: Context) -> list[str]:
    return sorted(
        r["outputs"]["metadata"]["name"]
        for r in context.stack.resources()
        if r["type"] == "kubernetes:core/v1:Namespace" and r.get("outputs")
    )


def crds(context: Context) -> dict[str, dict[str, Any]]:
    items = context.cluster.get(CRDS)["items"]
    return {c["metadata"]["name"]: c for c in items}


def timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def wait_until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1)
    return check()


# -- scenarios --------------------------------------------------------------------------------------------------


def bad_setting(context: Context) -> None:
    """A typo in a setting: preview and up fail naming the key, and nothing is created."""
    report, stack = context.report, context.stack
    set_settings(context, mesh={"mtls": "STRCT", "injectedNamespaces": ["apps"]})
    before = set(namespaces(context))
    with report.step("preview with a bad setting"):
        preview = stack.preview(check=False)
    report.check("bad setting: preview fails", preview.code != 0, preview.code)
    report.check("bad setting: the error names mesh.mtls", "mesh.mtls" in preview.output, preview.output[-2000:])
    with report.step("up with a bad setting"):
        up = stack.up(check=False)
    report.check("bad setting: up fails naming mesh.mtls", up.code != 0 and "mesh.mtls" in up.output, up.code)
    made = kubernetes_resources(stack.resources())
    report.check("bad setting: the stack holds no Kubernetes resource", made == [], made[:3])
    report.check("bad setting: no namespace created", set(namespaces(context)) == before, set(namespaces(context)))


def first_preview(context: Context) -> None:
    """`preview` on an empty cluster plans the whole stack as creates and creates nothing."""
    report, stack = context.report, context.stack
    set_settings(context)
    before = set(namespaces(context))
    with report.step("preview (empty cluster)"):
        preview = stack.preview()
    ops = changes(preview)
    report.check("preview: every step a create", set(ops.values()) == {"create"}, set(ops.values()))
    for type_, name in [
        ("kubernetes:helm.sh/v4:Chart", "istio-base"),
        ("kubernetes:helm.sh/v4:Chart", "istio-istiod"),
        ("kubernetes:helm.sh/v4:Chart", "ingress-gateway"),
        ("kubernetes:helm.sh/v4:Chart", "cert-manager"),
        ("kubernetes:helm.sh/v4:Chart", "kiali"),
        ("kubernetes:yaml/v2:ConfigFile", "gateway-api-standard"),
        ("kubernetes:core/v1:Namespace", "apps"),
        ("kubernetes:batch/v1:Job", "cert-manager-api-check"),
    ]:
        report.check(f"preview plans {name}", find(ops, type_, name) == ["create"], find(ops, type_, name))
    report.check("preview: creates nothing", set(namespaces(context)) == before, set(namespaces(context)) - before)


def check_deployed(context: Context, label: str, injected: dict[str, dict[str, str]]) -> None:
    """After an `up`: CRDs before their objects, workloads Ready, namespace labels, the outputs."""
    report, cluster = context.report, context.cluster
    resources = context.stack.resources()
    definitions = crds(context)
    established: dict[tuple[str, str], datetime] = {}
    for definition in definitions.values():
        for item in definition["status"].get("conditions") or []:
            if item["type"] == "Established" and item["status"] == "True":
                key = (definition["spec"]["group"], definition["spec"]["names"]["kind"])
                established[key] = timestamp(item["lastTransitionTime"])
    custom = 0
    for resource in resources:
        outputs = resource.get("outputs") or {}
        api, kind = outputs.get("apiVersion", ""), outputs.get("kind", "")
        group = api.split("/")[0] if "/" in api else ""
        if (group, kind) not in established or not resource["type"].startswith("kubernetes:"):
            continue
        custom += 1
        created = timestamp(outputs["metadata"]["creationTimestamp"])
        ready = established[(group, kind)]
        report.check(
            f"{label}: CRD of {kind} {outputs['metadata']['name']} established before it",
            ready <= created,
            f"established {ready}, object created {created}",
        )
    report.check(f"{label}: the stack made custom resources", custom >= 5, custom)

    owned = stack_namespaces(context)
    for namespace in owned:
        for deployment in cluster.get(f"/apis/apps/v1/namespaces/{namespace}/deployments")["items"]:
            status, want = deployment.get("status", {}), deployment["spec"].get("replicas", 1)
            name = f"{namespace}/{deployment['metadata']['name']}"
            report.check(
                f"{label}: Deployment {name} Ready",
                status.get("readyReplicas") == want and want > 0,
                f"{status.get('readyReplicas')}/{want}",
            )
        for daemonset in cluster.get(f"/apis/apps/v1/namespaces/{namespace}/daemonsets")["items"]:
            status = daemonset.get("status", {})
            name = f"{namespace}/{daemonset['metadata']['name']}"
            report.check(
                f"{label}: DaemonSet {name} Ready on every node",
                status.get("numberReady") == status.get("desiredNumberScheduled") == NODE_COUNT,
                status,
            )
        for job in cluster.get(f"/apis/batch/v1/namespaces/{namespace}/jobs")["items"]:
            name = f"{namespace}/{job['metadata']['name']}"
            report.check(f"{label}: Job {name} Complete", condition(job, "Complete") == "True", job.get("status"))
    live = namespaces(context)
    for namespace, labels in injected.items():
        have = live.get(namespace, {}).get("metadata", {}).get("labels", {})
        report.check(
            f"{label}: namespace {namespace} labelled {labels}",
            all(have.get(k) == v for k, v in labels.items()) and not any(k in have for k in _absent(labels)),
            have,
        )
    outputs = context.stack.outputs()
    report.check(f"{label}: output cloud", outputs.get("cloud") == "local", outputs.get("cloud"))
    report.check(
        f"{label}: output ingress is the NodePort Service",
        outputs.get("ingress", {}).get("type") == "NodePort"
        and outputs.get("ingress", {}).get("service") == "istio-ingressgateway",
        outputs.get("ingress"),
    )
    report.check(
        f"{label}: output injectedNamespaces",
        sorted(outputs.get("injectedNamespaces", [])) == sorted(injected),
        outputs,
    )
    root = (outputs.get("tls") or {}).get("rootCertificate") or ""
    report.check(f"{label}: output tls.rootCertificate is a PEM", "BEGIN CERTIFICATE" in root, outputs.get("tls"))
    report.check(f"{label}: output keptOnDestroy", bool(outputs.get("keptOnDestroy")), outputs.get("keptOnDestroy"))


def _absent(labels: dict[str, str]) -> list[str]:
    """A namespace following the default has no istio.io/rev; a pinned one has no istio-injection."""
    return ["istio.io/rev"] if "istio-injection" in labels else ["istio-injection"]


# `dev` injects `apps` (mesh.injectedNamespaces) and the demo's namespace; cert-manager is never injected.
INJECTED = {"istio-injection": "enabled"}
DEV_INJECTED = {"apps": INJECTED, "demo": INJECTED}


def up_dev(context: Context) -> None:
    set_settings(context)
    with context.report.step("up (dev, first)"):
        context.stack.up()
    check_deployed(context, "up", DEV_INJECTED)
    labels = namespaces(context)["cert-manager"]["metadata"].get("labels", {})
    context.report.check("up: cert-manager not injected", labels.get("istio-injection") == "disabled", labels)


def no_changes(context: Context) -> None:
    report, stack = context.report, context.stack
    with report.step("preview --expect-no-changes"):
        preview = stack.preview("--expect-no-changes", check=False)
    report.check("no-op preview: no changes", preview.code == 0 and not changes(preview), changes(preview) or preview)
    with report.step("up (second, expect no changes)"):
        up = stack.up("--expect-no-changes", check=False)
    report.check("second up: 0 changes", up.code == 0, up.output[-3000:])


def kept_crds(context: Context) -> list[str]:
    return sorted(name for name in crds(context) if name.endswith(CRD_GROUPS_KEPT))


def destroy_and_check(context: Context, label: str, owned: list[str], kept_before: list[str]) -> None:
    report = context.report
    with report.step(f"destroy ({label})"):
        context.stack.destroy()
    live = namespaces(context)
    terminating = [n for n in owned if n in live]
    report.check(f"{label}: no namespace of the stack left (none Terminating)", not terminating, terminating)
    report.check(f"{label}: kept CRDs remain", kept_crds(context) == kept_before, kept_crds(context))
    left = kubernetes_resources(context.stack.resources())
    report.check(f"{label}: the stack holds no Kubernetes resource", left == [], left[:3])


def destroy_up_destroy(context: Context) -> None:
    owned = stack_namespaces(context)
    kept = kept_crds(context)
    context.report.check("kept CRDs exist before destroy", len(kept) >= 10, kept)
    destroy_and_check(context, "destroy", owned, kept)
    with context.report.step("up (after destroy: adopts the kept CRDs)"):
        context.stack.up()
    check_deployed(context, "re-up", DEV_INJECTED)
    destroy_and_check(context, "destroy again", stack_namespaces(context), kept)


def shipped_config(stack: str) -> dict[str, Any]:
    """A shipped stack's settings (Pulumi.<stack>.yaml), as top-level keys."""
    config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {key.split(":", 1)[1]: value for key, value in config.items()}


def other_stack(context: Context, label: str, settings: dict[str, Any], injected: dict[str, dict[str, str]]) -> None:
    """One more shape of the stack on the same cluster: up, checked, no perpetual diff, destroyed."""
    set_settings(context, **settings)
    with context.report.step(f"up ({label})"):
        context.stack.up()
    check_deployed(context, label, injected)
    with context.report.step(f"preview --expect-no-changes ({label})"):
        preview = context.stack.preview("--expect-no-changes", check=False)
    context.report.check(f"{label}: no changes after up", preview.code == 0 and not changes(preview), changes(preview))
    destroy_and_check(context, label, stack_namespaces(context), kept_crds(context))


def production_profile(context: Context) -> None:
    """`dev` under the production profile: two replicas behind PodDisruptionBudgets, spread across nodes and
    zones, persistent volumes (e2e/volume_double.py provisions them)."""
    other_stack(context, "production", {"profile": "production"}, DEV_INJECTED)


def ambient(context: Context) -> None:
    """The shipped `ambient` stack: the CNI agent and ztunnel on every node, namespaces in ambient mode."""
    mode = {"istio.io/dataplane-mode": "ambient"}
    other_stack(context, "ambient", shipped_config("ambient"), {"apps": mode, "demo": mode})


# -- the Istio revision runbook (docs/upgrades.md) ----------------------------------------------------------------

BASE = ("kubernetes:helm.sh/v4:Chart", "istio-base")
MESH = {"mtls": "STRICT", "tracing": {"sampling": 100}}


def runbook_step(context: Context, step: str, istio: dict[str, Any], injected: list[Any]) -> dict[str, str]:
    set_settings(context, istio=istio, mesh={**MESH, "injectedNamespaces": injected})
    with context.report.step(f"runbook {step}: preview"):
        preview = context.stack.preview()
    ops = changes(preview)
    print(f"e2e:   runbook {step} plans: " + ", ".join(f"{op} {urn_name(urn)}" for urn, op in sorted(ops.items())))
    return ops


def runbook_up(context: Context, step: str) -> None:
    with context.report.step(f"runbook {step}: up"):
        context.stack.up()


def children(ops: dict[str, str], chart_name: str) -> set[str]:
    """The ops planned for a chart's objects (Chart v4 names them `<chart>:<object>`)."""
    return {op for urn, op in ops.items() if urn_name(urn).startswith(f"{chart_name}:")}


# Every changed setting re-runs the verification (a new Job name: stacks/verification.py job_name), so each
# runbook step also replaces the Job and its ConfigMap ("Verification after every `up`").
VERIFICATION = ("verification", "verification-checks")


def besides_verification(ops: dict[str, str], charts: tuple[str, ...]) -> list[str]:
    """What a step plans outside `charts` and their objects, and outside the verification's replacement."""
    return [
        f"{op} {urn_name(urn)}"
        for urn, op in ops.items()
        if not _under(urn, charts) and not (urn_name(urn) in VERIFICATION and op == "replace")
    ]


def runbook_versions(context: Context) -> tuple[str, str, str | None]:
    """The Istio releases the runbook walks: installed, the canary it upgrades to, and the next one after it (None:
    the next upgrade is not run). Fixture charts: the pin and the two newer fixture versions. `--mirror`: taken
    from what the mirror's Helm repository holds (the upstream mirror: 1.29.6 -> 1.30.3, a real canary upgrade),
    the newest three, never from the pins, which may move past what a mirror holds."""
    if context.fixture:
        return RUNBOOK_OLD_ISTIO_VERSION, versions.ISTIO_DEFAULT_VERSION, NEXT_ISTIO_VERSION
    held = set.intersection(*(set(held_versions(context.mirror.directory, c)) for c in ("base", "istiod", "gateway")))
    ordered = sorted(held, key=release_order)[-3:]
    if len(ordered) < 2:
        raise AssertionError(f"revision-runbook: the mirror holds Istio's base, istiod and gateway at {ordered} only")
    return ordered[0], ordered[1], ordered[2] if len(ordered) == 3 else None


def changed_dashboards(context: Context, old: str, new: str) -> int:
    """How many of Istio's dashboard files differ between two releases: a dashboard's ConfigMap is replaced only
    when its file changed (the fixture dashboards name their release, so all of them; the real 1.29.6 and 1.30.3
    differ in two of seven)."""
    if context.fixture:
        return len(versions.ISTIO_DASHBOARD_FILES)
    root = context.mirror.directory / "istio-dashboards"
    return sum((root / old / f).read_bytes() != (root / new / f).read_bytes() for f in versions.ISTIO_DASHBOARD_FILES)


def revision_runbook(context: Context) -> None:
    report = context.report
    old, new, following = runbook_versions(context)
    print(f"e2e: revision-runbook: Istio {old} -> {new}" + (f" -> {following}" if following else ""), flush=True)
    # A release past its end of support is installed only with the acknowledgment (docs/upgrades.md); on the
    # fixtures the canary is the supported pin and no later step repeats it, while a mirror's newest release may
    # be out of support too (the upstream mirror's 1.30.3), and then every step acknowledges it.
    acknowledged = versions.istio_support_problem(new, date.today()) is not None

    def istio(settings: dict[str, Any]) -> dict[str, Any]:
        return {**settings, "allowUnsupported": True} if acknowledged else settings

    follows = ["apps", "payments"]
    # The old release is past its end of support: installed only with the acknowledgment (docs/upgrades.md), which
    # no later step repeats (the canary beside a supported release is the way out).
    runbook_step(context, "0 (install)", {"version": old, "allowUnsupported": True}, follows)
    runbook_up(context, "0 (install)")

    # 1. Add the new revision.
    revisions = [{"name": "default", "version": old}, {"name": "canary", "version": new}]
    ops = runbook_step(context, "1", istio({"revisions": revisions, "defaultRevision": "default"}), follows)
    report.check("runbook 1: + chart istio-istiod-canary", find(ops, *chart("istio-istiod-canary")) == ["create"], ops)
    report.check("runbook 1: + Deployment istiod-canary", find(ops, DEPLOYMENT, "istiod-canary") == ["create"], ops)
    # The real 1.29.6 -> 1.30.3 upgrade also creates the CRD 1.30 adds (trafficextensions.extensions.istio.io).
    base_ops = children(ops, "istio-base")
    added = [urn for urn, op in ops.items() if urn_name(urn).startswith("istio-base:") and op == "create"]
    report.check(
        "runbook 1: ~ istio-base (its CRDs; + the CRDs the new release adds)",
        "update" in base_ops and base_ops <= {"update", "create"} and all(urn_type(u) == CRD for u in added),
        ops,
    )
    others = besides_verification(ops, ("istio-istiod-canary", "istio-base"))
    report.check("runbook 1: nothing else changes", not others, others)
    runbook_up(context, "1")

    # 2. Pin a namespace to it.
    pinned = ["apps", {"name": "payments", "revision": "canary"}]
    ops = runbook_step(context, "2", istio({"revisions": revisions, "defaultRevision": "default"}), pinned)
    report.check("runbook 2: ~ Namespace payments", find(ops, NAMESPACE, "payments") == ["update"], ops)
    others = [name for name in besides_verification(ops, ()) if name != "update payments"]
    report.check("runbook 2: nothing else changes", not others, others)
    runbook_up(context, "2")
    labels = namespaces(context)["payments"]["metadata"].get("labels", {})
    report.check(
        "runbook 2: payments labelled istio.io/rev=canary, no istio-injection",
        labels.get("istio.io/rev") == "canary" and "istio-injection" not in labels,
        labels,
    )

    # 3. Move the default.
    ops = runbook_step(context, "3", istio({"revisions": revisions, "defaultRevision": "canary"}), pinned)
    report.check("runbook 3: ~ istio-base", children(ops, "istio-base") == {"update"}, ops)
    report.check("runbook 3: + tag webhook", find(ops, MWC, "istio-revision-tag-default") == ["create"], ops)
    report.check("runbook 3: + tag Service", find(ops, SERVICE, "istiod-revision-tag-default") == ["create"], ops)
    report.check("runbook 3: - istio-sidecar-injector", find(ops, MWC, ":istio-sidecar-injector") == ["delete"], ops)
    report.check("runbook 3: ~ ingress-gateway", "update" in children(ops, "ingress-gateway"), ops)
    dashboards = [op for urn, op in ops.items() if urn_name(urn).startswith("grafana-") and urn_type(urn) == CONFIGMAP]
    moved = changed_dashboards(context, old, new)
    report.check(
        f"runbook 3: Grafana's {moved} changed Istio dashboards move to {new}",
        dashboards == ["replace"] * moved,
        dashboards,
    )
    runbook_up(context, "3")
    validator = context.cluster.get(f"{WEBHOOKS}/validatingwebhookconfigurations/istiod-default-validator")
    called = validator["webhooks"][0]["clientConfig"]["service"]["name"]
    report.check("runbook 3: istiod-default-validator calls istiod-canary", called == "istiod-canary", called)

    # 4. Remove the old revision.
    ops = runbook_step(context, "4", istio({"revisions": [{"name": "canary", "version": new}]}), pinned)
    report.check("runbook 4: - chart istio-istiod", find(ops, *chart("istio-istiod")) == ["delete"], ops)
    others = besides_verification(ops, ("istio-istiod",))
    report.check("runbook 4: nothing else changes", not others, others)
    report.check("runbook 4: its objects deleted", children(ops, "istio-istiod") == {"delete"}, ops)
    runbook_up(context, "4")

    if following is not None:
        next_upgrade(context, new, following, pinned)
    owned = stack_namespaces(context)
    destroy_and_check(context, "destroy after the runbook", owned, kept_crds(context))


def next_upgrade(context: Context, new: str, following: str, pinned: list[Any]) -> None:
    """The next upgrade, between two named revisions: the tag moves as an update, never a delete and a create."""
    report = context.report
    two = [{"name": "canary", "version": new}, {"name": "next", "version": following}]
    ops = runbook_step(context, "5 (next upgrade, add)", {"revisions": two, "defaultRevision": "canary"}, pinned)
    report.check("runbook 5: + chart istio-istiod-next", find(ops, *chart("istio-istiod-next")) == ["create"], ops)
    runbook_up(context, "5 (next upgrade, add)")
    ops = runbook_step(context, "6 (next upgrade, move)", {"revisions": two, "defaultRevision": "next"}, pinned)
    for type_, name in ((MWC, "istio-revision-tag-default"), (SERVICE, "istiod-revision-tag-default")):
        report.check(
            f"runbook 6: {name} updated in place", find(ops, type_, name) == ["update"], find(ops, type_, name)
        )
    runbook_up(context, "6 (next upgrade, move)")
    live = context.cluster.get(f"{WEBHOOKS}/mutatingwebhookconfigurations/istio-revision-tag-default")
    service = live["webhooks"][0]["clientConfig"]["service"]["name"]
    report.check("runbook 6: the tag's webhook calls istiod-next", service == "istiod-next", service)


def chart(name: str) -> tuple[str, str]:
    return ("kubernetes:helm.sh/v4:Chart", name)


DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE = "kubernetes:core/v1:Service"
MWC = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration"
WEBHOOKS = "/apis/admissionregistration.k8s.io/v1"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"


def _under(urn: str, charts: tuple[str, ...]) -> bool:
    """Whether `urn` is one of `charts` or a child of one (Chart v4 names children `<chart>:<object>`)."""
    name = urn_name(urn)
    return any(name == chart or name.startswith(f"{chart}:") for chart in charts)


ALL: dict[str, Callable[[Context], None]] = {
    "bad-setting": bad_setting,
    "preview": first_preview,
    "up": up_dev,
    "no-changes": no_changes,
    "destroy-up-destroy": destroy_up_destroy,
    "revision-runbook": revision_runbook,
    "production": production_profile,
    "ambient": ambient,
    # Two clusters of its own, after the single-cluster scenarios (e2e/multicluster.py).
    "multicluster": multicluster,
}
