"""What the previous `up` of this stack installed, read from the stack's own outputs.

A `pulumi up` cannot see its previous state, but the engine's built-in `pulumi:pulumi:readStackOutputs`
invoke (the one StackReference uses, pulumi/pulumi pkg/resource/deploy/builtins.go) reads any stack's last
outputs, this stack's own included, synchronously: the settings rules can then refuse an unsafe step (an
in-place jump of two minors, removing the revision that is still the default) before any resource is
registered. A stack never deployed has no outputs: nothing is refused on that ground.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from definitions.addresses import UNREVISIONED

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
# Outputs of stacks deployed before revisions: one unrevisioned istiod (the revision `default`).
_LEGACY_VERSION_OUTPUT = "versions"
_LEGACY_NAMESPACES_OUTPUT = "injectedNamespaces"
ISTIO_OUTPUT = "istio"
# Each namespace's data plane and the node agents' version (stacks/outputs.py); absent before ambient existed:
# every namespace ran sidecars, and no node agent was installed.
DATAPLANE_OUTPUT = "dataplane"


@dataclass(frozen=True)
class InstalledIstio:
    """Revision name -> Istio version, the revision behind the default tag, namespace -> its revision; namespace
    -> its data plane, and the Istio version of the node agents (istio-cni, ztunnel), None when not installed."""

    revisions: Mapping[str, str]
    default: str
    namespaces: Mapping[str, str] = field(default_factory=dict)
    dataplanes: Mapping[str, str] = field(default_factory=dict)
    node_agents: str | None = None

    def dataplane(self, namespace: str) -> str:
        return self.dataplanes.get(namespace, "sidecar")


def from_outputs(outputs: Mapping[str, Any]) -> InstalledIstio | None:
    istio = outputs.get(ISTIO_OUTPUT)
    dataplane = outputs.get(DATAPLANE_OUTPUT)
    dataplane = dataplane if isinstance(dataplane, dict) else {}
    if isinstance(istio, dict) and istio.get("revisions"):
        return InstalledIstio(
            dict(istio["revisions"]),
            istio["defaultRevision"],
            dict(istio.get("namespaces") or {}),
            dict(dataplane.get("namespaces") or {}),
            (dataplane.get("nodeAgents") or {}).get("version"),
        )
    legacy = outputs.get(_LEGACY_VERSION_OUTPUT)
    if isinstance(legacy, dict) and legacy.get("istio"):
        namespaces = {name: UNREVISIONED for name in outputs.get(_LEGACY_NAMESPACES_OUTPUT) or []}
        return InstalledIstio({UNREVISIONED: legacy["istio"]}, UNREVISIONED, namespaces)
    return None


def read_installed() -> InstalledIstio | None:
    """The running stack's previous Istio outputs; None on its first `up` or if the engine cannot say."""
    name = f"{pulumi.get_organization() or 'organization'}/{pulumi.get_project()}/{pulumi.get_stack()}"
    try:
        result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": name})
    except Exception as error:  # e.g. a backend that cannot read the stack: settings-only checks still apply
        pulumi.log.warn(f"previous outputs of {name} unreadable ({error}); upgrade steps checked from settings only")
        return None
    return from_outputs((result.value or {}).get("outputs") or {})
