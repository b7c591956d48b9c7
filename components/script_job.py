"""The pod every Job of the stack's own runs: a standard-library Python script and its JSON config, mounted from a
ConfigMap, run by one container as nobody with nothing writable and no privilege (Pod Security `restricted`).
The verification (components/verification.py) and the certificate wait (components/certificate_wait.py) run
one each."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from definitions.sizing import Resources

# The image's root user is not needed: nobody (65534) reads the mounted ConfigMap and opens sockets.
NOBODY = 65534


@dataclass(frozen=True)
class ScriptPod:
    container: str
    image: str
    # The ConfigMap's volume, where it is mounted, and its keys for the script and the config it is given.
    volume: str
    mount_path: str
    script_key: str
    config_key: str
    resources: Resources
    # None: no service account token is mounted (the script reads nothing from the Kubernetes API).
    service_account: str | None = None
    # The script's last output lines become the termination message, which Pulumi shows when the Job fails.
    report_from_logs: bool = False


def script_pod_spec(pod: ScriptPod, config_map: pulumi.Input[str]) -> k8s.core.v1.PodSpecArgs:
    return k8s.core.v1.PodSpecArgs(
        restart_policy="Never",
        service_account_name=pod.service_account,
        automount_service_account_token=None if pod.service_account is not None else False,
        security_context=k8s.core.v1.PodSecurityContextArgs(
            run_as_non_root=True,
            run_as_user=NOBODY,
            run_as_group=NOBODY,
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        containers=[
            k8s.core.v1.ContainerArgs(
                name=pod.container,
                image=pod.image,
                command=["python", f"{pod.mount_path}/{pod.script_key}", f"{pod.mount_path}/{pod.config_key}"],
                # A read-only root filesystem: no bytecode cache to write.
                env=[
                    k8s.core.v1.EnvVarArgs(name="PYTHONDONTWRITEBYTECODE", value="1"),
                    k8s.core.v1.EnvVarArgs(name="PYTHONUNBUFFERED", value="1"),
                ],
                termination_message_policy="FallbackToLogsOnError" if pod.report_from_logs else None,
                resources=k8s.core.v1.ResourceRequirementsArgs(**pod.resources.values()),
                security_context=k8s.core.v1.SecurityContextArgs(
                    allow_privilege_escalation=False,
                    read_only_root_filesystem=True,
                    run_as_non_root=True,
                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                ),
                volume_mounts=[k8s.core.v1.VolumeMountArgs(name=pod.volume, mount_path=pod.mount_path, read_only=True)],
            )
        ],
        volumes=[
            k8s.core.v1.VolumeArgs(name=pod.volume, config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config_map))
        ],
    )
