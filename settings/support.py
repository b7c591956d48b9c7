"""Istio's support window as a rule: a minor past its end of support (definitions/versions.py ISTIO_SUPPORT_ENDS) is
refused as the only or the default revision, with the date and the release to move to, but stays accepted beside a
newer supported revision: the canary upgrade away from it (docs/upgrades.md) is the way out and must stay open.

`istio.allowUnsupported` accepts it anyway: an explicit, per-stack acknowledgment, for standing up or keeping the old
side of an upgrade (the end-to-end runbook installs a release past its support before it upgrades away from it).
"""

from __future__ import annotations

from datetime import date

from definitions import versions
from settings.model import Settings


def istio_support_problems(settings: Settings, today: date) -> list[str]:
    istio = settings.istio
    if istio.allow_unsupported:
        return []
    supported = [
        versions.parse_istio_version(r.version)
        for r in istio.installed
        if versions.istio_support_problem(r.version, today) is None
    ]
    problems = []
    for index, revision in enumerate(istio.installed):
        problem = versions.istio_support_problem(revision.version, today)
        if problem is None or any(newer > versions.parse_istio_version(revision.version) for newer in supported):
            continue
        key = "istio.version" if istio.revisions is None else f"istio.revisions[{index}].version"
        problems.append(
            f"{key}: {problem}; upgrade through a canary: list {versions.ISTIO_DEFAULT_VERSION} beside it in "
            "istio.revisions (docs/upgrades.md), or set istio.allowUnsupported true to keep it knowingly"
        )
    return problems + _cluster_support_problems(settings, today)


def _cluster_support_problems(settings: Settings, today: date) -> list[str]:
    """A multicluster stack's own `istioVersion` per cluster: the same window, the same way out. A cluster on an
    unsupported minor is accepted while another cluster of the mesh runs a newer supported one (the mesh is being
    upgraded one cluster at a time, docs/multicluster.md), else refused."""
    if settings.multicluster is None:
        return []
    clusters = settings.multicluster.clusters
    running = [cluster.istio_version or settings.istio.version for cluster in clusters]
    supported = [versions.parse_istio_version(v) for v in running if versions.istio_support_problem(v, today) is None]
    problems = []
    for index, cluster in enumerate(clusters):
        if cluster.istio_version is None:
            continue
        problem = versions.istio_support_problem(cluster.istio_version, today)
        if problem is None or any(newer > versions.parse_istio_version(cluster.istio_version) for newer in supported):
            continue
        problems.append(
            f"multicluster.clusters[{index}].istioVersion: {problem}; upgrade the cluster (one minor at a time, "
            "beside a cluster on a supported release), or set istio.allowUnsupported true to keep it knowingly"
        )
    return problems
