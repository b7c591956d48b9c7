"""Kubernetes resource quantities, as far as this stack writes them: CPU in cores or millicores, memory in
binary units (Ki, Mi, Gi) or bytes. Parsed to compare a setting with its floor and to add up the footprint."""

from __future__ import annotations

import re

_CPU = re.compile(r"^(\d+(\.\d+)?)(m?)$")
_MEMORY = re.compile(r"^(\d+)(Ki|Mi|Gi)?$")
_MEMORY_UNITS = {None: 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}


def millicores(quantity: str) -> int:
    match = _CPU.match(str(quantity))
    if not match:
        raise ValueError(f"{quantity!r} is not a CPU quantity: cores (0.5, 1) or millicores (100m)")
    number = float(match.group(1))
    return round(number if match.group(3) else number * 1000)


def mebibytes(quantity: str) -> float:
    match = _MEMORY.match(str(quantity))
    if not match:
        raise ValueError(f"{quantity!r} is not a memory quantity: a whole number with Ki, Mi or Gi (e.g. 128Mi)")
    return int(match.group(1)) * _MEMORY_UNITS[match.group(2)] / 1024**2
