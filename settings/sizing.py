"""`profile` and `sizing`: the overrides of a profile's numbers, checked against its floors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from definitions import quantities
from settings import profiles
from settings.fields import Section

if TYPE_CHECKING:
    from settings.model import Settings


def _cpu(value: str) -> str:
    quantities.millicores(value)
    return value


def _memory(value: str) -> str:
    quantities.mebibytes(value)
    return value


Cpu = Annotated[str, AfterValidator(_cpu)]


Memory = Annotated[str, AfterValidator(_memory)]


Profile = Literal["dev", "production"]


class ContainerSizing(Section):
    """One container's requests and memory limit, over the profile's (settings/profiles.py); unset: the profile's."""

    cpu: Cpu | None = Field(None, description="CPU request, e.g. 100m")
    memory: Memory | None = Field(None, description="memory request, e.g. 128Mi")
    memory_limit: Memory | None = Field(None, description="memory limit, at least the request")


class GatewaySizing(ContainerSizing):
    min_replicas: int | None = Field(None, ge=1, le=100, description="the autoscaler's minimum")
    max_replicas: int | None = Field(None, ge=1, le=100, description="the autoscaler's maximum")


class SizingSettings(Section):
    """Overrides of the profile's sizing where users need them; every other number comes from the profile."""

    istiod: ContainerSizing = ContainerSizing()
    gateway: GatewaySizing = GatewaySizing()
    sidecar: ContainerSizing = ContainerSizing()


def sizing_problems(settings: Settings) -> list[str]:
    """Overrides of the profile: above the floors, limits over requests, a sane replica range."""
    problems = []
    effective = profiles.sizing(settings)
    for component, (cpu_floor, memory_floor) in profiles.FLOORS.items():
        override = getattr(settings.sizing, component)
        resources = getattr(effective, component)
        key = f"sizing.{component}"
        if override.cpu is not None and quantities.millicores(override.cpu) < cpu_floor:
            problems.append(
                f"{key}.cpu: {override.cpu} is below the floor of {cpu_floor}m; accepted: {cpu_floor}m or more"
            )
        if override.memory is not None and quantities.mebibytes(override.memory) < memory_floor:
            problems.append(
                f"{key}.memory: {override.memory} is below the floor of {memory_floor}Mi "
                f"(it would be OOM-killed); accepted: {memory_floor}Mi or more"
            )
        if quantities.mebibytes(resources.memory_limit) < quantities.mebibytes(resources.memory):
            field = "memoryLimit" if override.memory_limit is not None else "memory"
            problems.append(
                f"{key}.{field}: the memory limit {resources.memory_limit} is below the request {resources.memory}; "
                "accepted: a limit at least the request"
            )
    gateway, replicas = settings.sizing.gateway, effective.gateway_replicas
    if replicas.max < replicas.min:
        problems.append(
            f"sizing.gateway.maxReplicas: {replicas.max} is below minReplicas {replicas.min}; "
            f"accepted: at least {replicas.min}"
        )
    if (
        settings.profile == "production"
        and gateway.min_replicas is not None
        and gateway.min_replicas < profiles.PRODUCTION_MIN_REPLICAS
    ):
        problems.append(
            f"sizing.gateway.minReplicas: {gateway.min_replicas} gateway cannot survive the loss of its node; "
            f"accepted with profile production: {profiles.PRODUCTION_MIN_REPLICAS} or more"
        )
    return problems
