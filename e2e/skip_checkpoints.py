"""What the engine's checkpoints cost, and what skipping them is safe for (docs/teardown.md, "A faster destroy").

Pulumi's file backend writes the whole state after each step begins and again after it ends, one write at a time
(pkg/backend/snapshot.go at the pinned CLI; `PULUMI_SKIP_CHECKPOINTS` switches it to one write at the end). With
the real charts `dev`'s state is 7.1 MB, 5.3 MB of it CRD schemas, and the writes, not the API server, set the pace
of a first `up` and of a destroy (docs/end-to-end.md, "Where the time goes").

This scenario, from an empty stack and with the CRDs earlier destroys kept deleted first (so its `up` creates them,
as the first `up` compared with helm does): the first `up` and the destroy with `PULUMI_SKIP_CHECKPOINTS=true`, timed
against the helm sequence (e2e/helm_comparison.py ratio_lines); then what an interruption costs: a destroy with
it killed (SIGKILL) midway keeps the state as it was before, so the next destroy, after `pulumi cancel`, deletes
what is left (the provider takes an object already gone as deleted) and leaves nothing behind. An `up` killed
with it would leave its objects in the cluster and none in the state: that is why the docs recommend it for
destroy, and for `up` only on a cluster thrown away on failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from e2e.cluster import CRDS
from e2e.context import Context
from e2e.convergence import check_nothing_left, kept_by_destroy, pending_operations
from e2e.faults import VERIFY_JOBS, require_empty
from e2e.pulumi_cli import tail_lines
from e2e.scenarios import kept_crds, kubernetes_resources, wait_until

SKIP = "PULUMI_SKIP_CHECKPOINTS"
FAST_UP = "up (dev, first, PULUMI_SKIP_CHECKPOINTS)"
FAST_DESTROY = "destroy (PULUMI_SKIP_CHECKPOINTS)"


@contextmanager
def skipping_checkpoints(context: Context) -> Iterator[None]:
    context.stack.env[SKIP] = "true"
    try:
        yield
    finally:
        context.stack.env.pop(SKIP, None)


def remove_kept_crds(context: Context) -> None:
    """The CRDs earlier destroys kept, deleted (not timed), so this first `up` creates them as the first `up` the
    helm sequence is compared with does, rather than adopting them."""
    cluster = context.cluster
    kept = kept_crds(context)
    for name in kept:
        cluster.request("DELETE", f"{CRDS}/{name}")
    if not cluster.await_crds_deleted(set(kept), 180):
        raise AssertionError(f"skip-checkpoints: the kept CRDs were not deleted: {kept_crds(context)}")


def skip_checkpoints(context: Context) -> None:
    report, stack = context.report, context.stack
    require_empty(context, "skip-checkpoints")
    with report.step("skip-checkpoints: the kept CRDs deleted (not timed against helm)"):
        remove_kept_crds(context)
    with skipping_checkpoints(context):
        with report.step(FAST_UP):
            stack.up()
        preview = stack.preview("--expect-no-changes", check=False)
        report.check("skip-checkpoints: no changes after the up", preview.code == 0, tail_lines(preview.output, 20))
        bundle = kept_by_destroy(context)
        with report.step(FAST_DESTROY):
            stack.destroy()
    check_nothing_left(context, "skip-checkpoints", bundle)
    report.check(
        "skip-checkpoints: the state is empty after the destroy",
        not kubernetes_resources(stack.resources()),
        len(kubernetes_resources(stack.resources())),
    )

    with report.step("skip-checkpoints: up (checkpoints on)"):
        stack.up()
    held = len(kubernetes_resources(stack.resources()))
    bundle = kept_by_destroy(context)
    with skipping_checkpoints(context):
        running = stack.start("destroy", "--yes", "--skip-preview")

        # Midway: the verification Job (which depends on everything, so goes first) is gone, the destroy running.
        def midway() -> bool:
            return running.process.poll() is not None or not context.cluster.get(VERIFY_JOBS)["items"]

        wait_until(midway, 180)
        finished = running.process.poll() is not None
        running.process.kill()
        running.wait(check=False)
        report.check("skip-checkpoints: the destroy was killed midway", not finished)
        left = len(kubernetes_resources(stack.resources()))
        report.check(
            "skip-checkpoints: the killed destroy left the state as before it (nothing written)",
            left == held,
            f"{left} of {held}",
        )
        with report.step("skip-checkpoints: pulumi cancel"):
            stack.cli("cancel", "--yes", program=False)
        with report.step("skip-checkpoints: destroy again"):
            again = stack.destroy(check=False)
    report.check("skip-checkpoints: the destroy run again succeeds", again.code == 0, tail_lines(again.output, 30))
    check_nothing_left(context, "skip-checkpoints: after the killed destroy", bundle)
    report.check(
        "skip-checkpoints: no resource and no pending operation in the state",
        not kubernetes_resources(stack.resources()) and not pending_operations(context),
        pending_operations(context)[:2],
    )


SCENARIOS: dict[str, Callable[[Context], None]] = {"skip-checkpoints": skip_checkpoints}
