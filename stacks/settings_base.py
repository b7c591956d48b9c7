"""The building blocks every settings section shares: the section base and the value types more than one concern
accepts. Its own module so that a section kept in a module of its own (stacks/multicluster_settings.py) builds on
them without importing stacks/settings.py, which names every section.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from definitions import versions

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def check_dns_name(value: str) -> str:
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(len(label) <= 63 and DNS_LABEL.match(label) for label in labels):
        raise ValueError(
            f"{value!r} is not a DNS name (lower-case labels of letters, digits and '-', separated by dots, "
            "at least two labels, no trailing dot), e.g. mesh.example.com"
        )
    return value


def _istio_version(value: str) -> str:
    versions.check_istio_version(value)
    return value


class Section(BaseModel):
    """A block of stack config: camelCase keys, unknown keys refused, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=False)


DnsName = Annotated[str, AfterValidator(check_dns_name)]
IstioVersion = Annotated[str, AfterValidator(_istio_version)]
