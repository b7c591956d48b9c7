"""The Kubernetes Pod Security Standards, `baseline` and `restricted` (kubernetes.io/docs/concepts/security/
pod-security-standards, policy version v1.32), as checks over a pod spec in Kubernetes' own camelCase shape.
Each check returns what it finds wrong; an empty list means the pod meets the level.

Written from the standard's tables, not from the project's code: what a pod may set under each control.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Baseline, "Capabilities": what may be added.
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}
# Baseline, "Sysctls": the safe set (v1.32 includes the keepalive and fin-timeout sysctls added in 1.29).
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
# Baseline, "SELinux": the types a pod may ask for.
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
# Restricted, "Volume Types".
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
SECCOMP_ALLOWED = {"RuntimeDefault", "Localhost"}


def containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod.get(key) or []


def baseline_violations(pod: dict[str, Any]) -> list[str]:
    found = []
    context = pod.get("securityContext") or {}
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key):
            found.append(f"{key}")
    if (context.get("windowsOptions") or {}).get("hostProcess"):
        found.append("hostProcess")
    found += [f"hostPath volume {v['name']}" for v in pod.get("volumes") or [] if "hostPath" in v]
    for sysctl in context.get("sysctls") or []:
        if sysctl["name"] not in SAFE_SYSCTLS:
            found.append(f"sysctl {sysctl['name']}")
    contexts = [("pod", context)]
    for container in containers(pod):
        name, own = container["name"], container.get("securityContext") or {}
        contexts.append((name, own))
        if own.get("privileged"):
            found.append(f"{name}: privileged")
        added = set((own.get("capabilities") or {}).get("add") or [])
        if added - BASELINE_CAPABILITIES:
            found.append(f"{name}: adds {sorted(added - BASELINE_CAPABILITIES)}")
        if any(port.get("hostPort") for port in container.get("ports") or []):
            found.append(f"{name}: hostPort")
        if own.get("procMount") not in (None, "Default"):
            found.append(f"{name}: procMount")
        if (own.get("windowsOptions") or {}).get("hostProcess"):
            found.append(f"{name}: hostProcess")
    for name, own in contexts:
        if (own.get("seccompProfile") or {}).get("type") == "Unconfined":
            found.append(f"{name}: seccomp Unconfined")
        if (own.get("appArmorProfile") or {}).get("type") not in (None, "RuntimeDefault", "Localhost"):
            found.append(f"{name}: AppArmor")
        selinux = own.get("seLinuxOptions") or {}
        if selinux.get("type", "") not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
            found.append(f"{name}: SELinux")
    return found


def restricted_violations(pod: dict[str, Any]) -> list[str]:
    found = baseline_violations(pod)
    context = pod.get("securityContext") or {}
    for volume in pod.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"volume {volume['name']}: {sorted(kinds)}")
    pod_non_root = context.get("runAsNonRoot") is True
    pod_seccomp = (context.get("seccompProfile") or {}).get("type") in SECCOMP_ALLOWED
    if context.get("runAsUser") == 0:
        found.append("pod: runAsUser 0")
    for container in containers(pod):
        name, own = container["name"], container.get("securityContext") or {}
        if own.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: privilege escalation not disallowed")
        non_root = own.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            found.append(f"{name}: not runAsNonRoot")
        if own.get("runAsUser") == 0:
            found.append(f"{name}: runAsUser 0")
        seccomp = (own.get("seccompProfile") or {}).get("type")
        if seccomp not in SECCOMP_ALLOWED and not (seccomp is None and pod_seccomp):
            found.append(f"{name}: no RuntimeDefault or Localhost seccomp profile")
        capabilities = own.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"{name}: capabilities not dropped")
        if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: adds more than NET_BIND_SERVICE")
    return found


def violations(level: str, pod: dict[str, Any]) -> list[str]:
    if level == "privileged":
        return []
    return baseline_violations(pod) if level == "baseline" else restricted_violations(pod)
