"""The field types every settings section shares: DNS names and labels, durations, ports, the Section base."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from definitions import durations

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def check_dns_name(value: str) -> str:
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(len(label) <= 63 and DNS_LABEL.match(label) for label in labels):
        raise ValueError(
            f"{value!r} is not a DNS name (lower-case labels of letters, digits and '-', separated by dots, "
            "at least two labels, no trailing dot), e.g. mesh.example.com"
        )
    return value


class Section(BaseModel):
    """A block of stack config: camelCase keys, unknown keys refused, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=False)


DnsName = Annotated[str, AfterValidator(check_dns_name)]


def dns_label(value: str) -> str:
    if len(value) > 63 or not DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


# Names that only resolve inside a cluster (cluster.local) or on a host or link: never a public DNS target.
NON_PUBLIC_SUFFIXES = ("local", "localhost")


def _dns_target(value: str) -> str:
    """An IP address, or a DNS name that is not an in-cluster or host-local name."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        check_dns_name(value)
        if any(value == suffix or value.endswith("." + suffix) for suffix in NON_PUBLIC_SUFFIXES):
            raise ValueError(
                f"{value!r} is not reachable from outside (names under .local, such as cluster.local, and .localhost "
                "resolve only inside a cluster or on a host); give a public IP or DNS name that reaches the ingress"
            ) from None
        return value
    if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
        raise ValueError(
            f"{value!r} is a loopback, link-local, unspecified or multicast address; give the IP or DNS name that "
            "reaches the ingress from where the zone is resolved"
        )
    return value


def _duration(value: str) -> str:
    durations.milliseconds(value)
    return value


DnsLabel = Annotated[str, AfterValidator(dns_label)]


DnsTarget = Annotated[str, AfterValidator(_dns_target)]


Duration = Annotated[str, AfterValidator(_duration)]


Port = Annotated[int, Field(ge=1, le=65535)]
