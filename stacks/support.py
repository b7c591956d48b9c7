"""Istio's support window as a rule: a minor past its end of support (definitions/versions.py ISTIO_SUPPORT_ENDS) is
refused as the only or the default revision, with the date and the release to move to, but stays accepted beside a
newer supported revision: the canary upgrade away from it (docs/upgrades.md) is the way out and must stay open.

`istio.allowUnsupported` accepts it anyway: an explicit, per-stack acknowledgment, for standing up or keeping the old
side of an upgrade (the end-to-end runbook installs a release past its support before it upgrades away from it).
"""

from __future__ import annotations

from datetime import date

from definitions import versions
from stacks.settings import Settings


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
    return problems
