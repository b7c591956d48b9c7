"""Durations as the Gateway API writes them (GEP-2257: `10s`, `500ms`, `1m30s`), and as Istio's objects take
them (protobuf Duration: `1.5s`)."""

from __future__ import annotations

import re

GATEWAY_API_DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
_PART = re.compile(r"([0-9]{1,5})(h|ms|m|s)")
_MILLISECONDS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def milliseconds(duration: str) -> int:
    if not GATEWAY_API_DURATION.match(duration):
        raise ValueError(f"{duration!r} is not a duration; expected e.g. 10s, 500ms, 1m30s (units h, m, s, ms)")
    return sum(int(amount) * _MILLISECONDS[unit] for amount, unit in _PART.findall(duration))


def protobuf(duration: str) -> str:
    """'1500ms' -> '1.5s', '1m' -> '60s'."""
    whole, fraction = divmod(milliseconds(duration), 1000)
    return f"{whole}.{fraction:03d}".rstrip("0").rstrip(".") + "s"
