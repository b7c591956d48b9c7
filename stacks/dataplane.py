"""The mesh's data plane as the rest of the stack sees it.

The interface issue 19 (ambient, the Istio CNI node agent) provides; the lead reconciles this module with its
implementation at merge. Until then nothing in the stack installs the CNI node agent, so every injected pod
carries Istio's `istio-init` container, which needs NET_ADMIN and NET_RAW.
"""

from __future__ import annotations

from stacks.settings import Settings


def cni_installed(settings: Settings) -> bool:
    """Whether the Istio CNI node agent sets up each pod's traffic redirection in place of `istio-init`
    (injected pods then carry `istio-validation`, which needs no capability). No setting asks for it yet."""
    return False
