"""Pod Security Admission: the level each namespace the stack creates is held to, and its labels.

Each namespace gets the strictest level of the Kubernetes Pod Security Standards its pods meet (tests check
the rendered pods against the level's rules: tests/pod_security_standards.py). `enforce` refuses a pod below
the level; `warn` and `audit` admit it with a warning to the client and an annotation in the audit log. The
`production` profile enforces, `dev` warns and audits (security.podSecurity).
"""

from __future__ import annotations

from dataclasses import dataclass

from definitions import addresses
from settings import dataplane
from settings.model import Settings

# The policy version the labels name: the Kubernetes floor of Istio 1.30 (docs/supported-versions.md). Pinned, so a
# cluster upgrade never tightens the rules under running pods; a newer cluster evaluates these rules as 1.32 did.
POLICY_VERSION = "v1.32"
RESTRICTED, PRIVILEGED = "restricted", "privileged"


@dataclass(frozen=True)
class Level:
    level: str
    # Why a namespace is not `restricted` (None when it is).
    reason: str | None = None


# Istio's istio-init container (istiod 1.30.3 files/injection-template.yaml) adds NET_ADMIN and NET_RAW and runs
# as root to write the pod's iptables rules; `baseline` allows neither capability, so without the CNI node agent
# an injected namespace can only be `privileged`.
ISTIO_INIT = Level(
    PRIVILEGED,
    "sidecar injection without the Istio CNI node agent adds istio-init, which needs NET_ADMIN and NET_RAW "
    "(refused by baseline and restricted)",
)


# The node agents (istio/istio 1.30.3 manifests/charts/istio-cni and ztunnel templates/daemonset.yaml) run as
# root with hostPath volumes (both) and added capabilities (cni: NET_ADMIN, NET_RAW, SYS_PTRACE, SYS_ADMIN,
# DAC_OVERRIDE; ztunnel: NET_ADMIN, SYS_ADMIN, NET_RAW), the cni agent's AppArmor profile `unconfined`: none of
# which baseline allows. Hence their own namespace (definitions/addresses.py NODE_AGENTS_NAMESPACE), the only
# `privileged` one the stack's components need.
NODE_AGENTS = Level(
    PRIVILEGED,
    "the Istio CNI agent and ztunnel run here as root with host paths, NET_ADMIN/SYS_ADMIN and AppArmor "
    "unconfined (refused by baseline and restricted)",
)


def injected_namespace_level(settings: Settings, namespace: str) -> Level:
    """An application namespace: restricted in ambient (no proxy in its pods) and, with sidecars, once the CNI node
    agent replaces istio-init with istio-validation (no capability, non-root); the sidecar itself meets restricted
    (global.proxy.seccompProfile RuntimeDefault)."""
    if dataplane.namespace_dataplane(settings, namespace) == "ambient" or dataplane.cni_installed(settings):
        return Level(RESTRICTED)
    return ISTIO_INIT


def namespace_levels(settings: Settings) -> dict[str, Level]:
    """Every namespace the stack creates -> its level. The stack's own namespaces run only pods that meet
    `restricted` (istiod, the gateway, the dashboards, cert-manager, external-dns, the stack's Jobs), but for the
    node agents' own, when they are installed."""
    levels = own_namespace_levels(settings)
    for namespace in settings.injected_namespaces:
        levels[namespace] = injected_namespace_level(settings, namespace)
    return levels


def own_namespace_levels(settings: Settings) -> dict[str, Level]:
    """The stack's own namespaces (not the application namespaces) -> their level."""
    levels = {addresses.ISTIO_NAMESPACE: Level(RESTRICTED), settings.ingress.namespace: Level(RESTRICTED)}
    if dataplane.cni_installed(settings):
        levels[addresses.NODE_AGENTS_NAMESPACE] = NODE_AGENTS
    if settings.dns_enabled:
        levels[settings.dns.namespace] = Level(RESTRICTED)
    if settings.cert_manager_installed:
        levels[addresses.CERT_MANAGER_NAMESPACE] = Level(RESTRICTED)
    return levels


def namespace_level(settings: Settings, namespace: str) -> Level:
    """One namespace's level, as namespace_levels gives it, without deriving every other namespace's: asked once
    per namespace the stack creates, so it must not grow with their number (docs/scale.md)."""
    own = own_namespace_levels(settings)
    if namespace in own:
        return own[namespace]
    if namespace not in settings.injected_namespaces:
        raise KeyError(namespace)
    return injected_namespace_level(settings, namespace)


def namespace_labels(settings: Settings, namespace: str) -> dict[str, str]:
    """The Pod Security labels of one namespace the stack creates: enforce (production), or warn and audit."""
    level = namespace_level(settings, namespace).level
    modes = ("enforce", "warn", "audit") if settings.pod_security_mode == "enforce" else ("warn", "audit")
    labels = {}
    for mode in modes:
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = POLICY_VERSION
    return labels
