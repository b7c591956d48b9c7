"""`security`: NetworkPolicies and Pod Security levels."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from settings.fields import Section

PodSecurityMode = Literal["enforce", "warn"]


class SecuritySettings(Section):
    """Least privilege in the cluster: NetworkPolicies on the stack's namespaces, Pod Security Admission labels."""

    network_policies: bool | None = Field(
        None,
        description="ingress to the stack's servers only from the flows it needs (stacks/network_policies.py); "
        "default: on with profile production, off with dev",
    )
    pod_security: PodSecurityMode | None = Field(
        None,
        description="enforce: pods below their namespace's level are refused (default with profile production); "
        "warn: they are admitted with a warning and an audit annotation (default with dev)",
    )
