"""`verify`: the in-cluster check after every `up`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from settings.fields import Section

if TYPE_CHECKING:
    from settings.model import Settings


class VerifySettings(Section):
    """An in-cluster check after every `up`: a Job Pulumi waits for, whose failure fails the `up`."""

    enabled: bool | None = Field(None, description="default: true when the demo or a route is published")
    run_id: str = Field(
        "", max_length=63, description="part of the Job's name: change it to re-run the checks on an unchanged stack"
    )
    deadline_seconds: int = Field(
        420, ge=60, le=1800, description="the Job's activeDeadlineSeconds: the whole run, its retry included"
    )
    ready_wait_seconds: int = Field(60, ge=0, le=600, description="how long a new route may take to answer")
    trace_wait_seconds: int = Field(60, ge=0, le=600, description="how long the demo's trace may take to reach Jaeger")
    metrics_wait_seconds: int = Field(
        120, ge=0, le=600, description="how long Prometheus may take to scrape the demo's requests (every 15 s)"
    )


# Seconds the checks spend besides their bounded waits: requests (5 s each), image pull, pod start.
VERIFY_MARGIN_SECONDS = 60


def verify_problems(settings: Settings) -> list[str]:
    verify = settings.verify
    if verify.enabled and not settings.published_routes:
        return ["verify.enabled: nothing to check; it needs demo.enabled or at least one route"]
    if not settings.verify_enabled:
        return []
    waits = verify.ready_wait_seconds + verify.trace_wait_seconds + verify.metrics_wait_seconds
    if verify.deadline_seconds < waits + VERIFY_MARGIN_SECONDS:
        return [
            f"verify.deadlineSeconds: {verify.deadline_seconds} is shorter than the checks' waits ({waits} s) "
            f"plus {VERIFY_MARGIN_SECONDS} s; raise it to at least {waits + VERIFY_MARGIN_SECONDS} or shorten the waits"
        ]
    return []
