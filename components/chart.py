"""The one way this project installs a Helm chart: pinned chart, version and repository from the versions table,
or from the mirror the stack names (stacks/mirror.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from definitions.mirror import ChartMirror, chart_source, image_values, merge_values
from definitions.versions import ChartRef

# The seccomp profile Pod Security `restricted` requires of every pod (or each of its containers).
RUNTIME_DEFAULT_SECCOMP = {"type": "RuntimeDefault"}
# pulumi-kubernetes v4.32 provider.go Diff: a Job annotated so and found not Complete on the next `up` (failed,
# or still running) is replaced, deleted and run again under the same name, instead of awaited again and failing
# at once forever; a Complete Job shows no diff. Without it, a failed Job blocks every later `up`.
REPLACE_UNREADY = {"pulumi.com/replaceUnready": "true"}
# Container settings Pod Security `restricted` requires, plus a read-only root filesystem (writable paths are
# emptyDir volumes): no escalation, every capability dropped.
LOCKED_DOWN_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
}
# pulumi-kubernetes provider/pkg/await/service.go: a Service with a selector is Ready only once its endpoints
# exist, and the awaiter then sleeps 10 s after every change of them before it calls them settled; every such
# Service of a chart took 10.0-10.2 s to create, on the critical path of each chained install (docs/end-to-end.md).
# The annotation skips that await (the provider's annotations doc). What still proves readiness: the
# Deployment or DaemonSet behind each Service is awaited until its pods are Ready, and the endpoints follow
# from the Service's selector, the control plane's work, not the stack's.
SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}
SERVICE = "kubernetes:core/v1:Service"


def pinned_chart(
    resource_name: str,
    ref: ChartRef,
    *,
    release: str,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    mirror: ChartMirror | None = None,
    await_services: bool = False,
) -> k8s.helm.v4.Chart:
    """A `helm.v4.Chart`, so `pulumi preview` diffs every object the chart renders.

    `release` is explicit because release names are API: they decide the names of the Services other
    charts and the mesh config point at (see definitions/addresses.py).

    With a `mirror`, the chart comes from the mirror's repository (an oci:// prefix makes the chart reference
    `oci://<prefix>/<chart>`, with no repository URL), and every image the chart runs (definitions/versions.py
    CHART_IMAGES) from the mirror's registry.

    The chart's Services with a selector are not awaited (`skip_service_await`) unless `await_services`: a
    chart whose Service a later step reads (the ingress address DNS publishes) keeps the provider's await.
    """
    source = chart_source(ref, mirror)
    if not await_services:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transforms=[skip_service_await]))
    if mirror is not None:
        values = merge_values(values, image_values(ref, mirror.images))
    return k8s.helm.v4.Chart(
        resource_name,
        k8s.helm.v4.ChartArgs(
            chart=source.chart,
            version=ref.version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(
                repo=source.repository,
                username=mirror.username if mirror is not None else None,
                password=mirror.password if mirror is not None else None,
            ),
            name=release,
            namespace=namespace,
            values=dict(values),
        ),
        opts=opts,
    )


def skip_service_await(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """A chart child transform: a Service with a selector gets `pulumi.com/skipAwait: "true"` (SKIP_AWAIT).

    The engine runs a chart's transforms on the objects Chart v4 registers as its children (components/istio.py
    default_tag_transform); transforms do not run under mocks, so tests call this directly."""
    # A chart's rendered objects arrive as plain values (no Outputs): the provider rendered them.
    props: dict[str, Any] = dict(args.props)
    if args.type_ != SERVICE or not (props.get("spec") or {}).get("selector"):
        return None
    metadata = dict(props.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **SKIP_AWAIT}
    return pulumi.ResourceTransformResult(props={**props, "metadata": metadata}, opts=args.opts)


def child_opts(parent: pulumi.Resource, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
    """Children inherit their component's provider, not its depends_on: pass what they wait for explicitly."""
    return pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on or []))


def prefixed(prefix: str | None, name: str) -> str:
    """A resource name in one cluster of several (`<cluster>-<name>`: URNs do not carry the parent's name, so two
    clusters' objects of one name would collide); the name itself with no prefix (a single-cluster stack)."""
    return f"{prefix}-{name}" if prefix else name
