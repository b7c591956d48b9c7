"""The mirror settings as components take them (definitions/mirror.py)."""

from __future__ import annotations

import pulumi

from definitions.mirror import ChartMirror
from settings.mirror import MirrorSettings


def chart_mirror(settings: MirrorSettings | None) -> ChartMirror | None:
    if settings is None:
        return None
    charts = settings.charts
    password = pulumi.Output.secret(charts.password) if charts.password is not None else None
    return ChartMirror(charts.repository, settings.images, dict(charts.overrides), charts.username, password)
