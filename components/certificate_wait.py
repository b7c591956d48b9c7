"""A Job that waits for a cert-manager Certificate to be Ready, and fails with cert-manager's reasons and the
commands to see more when it is not (incluster/certificate_wait.py). What waits on the certificate waits on
this Job, which pulumi-kubernetes awaits to completion and whose failure fails the `up`, the pod's last log
lines (its termination message) in the error."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.chart import REPLACE_UNREADY, child_opts
from components.script_job import ScriptPod, script_pod_spec
from definitions.sizing import Resources

SCRIPT_KEY = "certificate_wait.py"
CONFIG_KEY = "config.json"
MOUNT_PATH = "/etc/certificate-wait"
# The script is its own retry loop, bounded by its wait: a second pod would only repeat the same wait.
BACKOFF_LIMIT = 0
# The Job's deadline leaves the pod a minute to start beyond the script's wait; Pulumi waits a minute more, so
# what it reports is the Job's own failure with the script's output, never a bare timeout.
START_MARGIN_SECONDS = 60
AWAIT_MARGIN_SECONDS = 60
# The pod's service-account token and the API server's CA, where the kubelet mounts them.
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True)
class CertificateWaitArgs:
    namespace: pulumi.Input[str]  # the Certificate's (and its Challenges')
    # Carries a hash of the script, its config and the image (stacks/tls.py): a new name is a new run.
    job_name: str
    certificate: str
    image: str
    script: str
    config: str
    wait_seconds: int
    resources: Resources
    wait_for: list[pulumi.Resource] = field(default_factory=list)


class CertificateWait(pulumi.ComponentResource):
    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: CertificateWaitArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:tls:CertificateWait", name, None, opts)
        metadata = k8s.meta.v1.ObjectMetaArgs(name=args.job_name, namespace=args.namespace)
        account = k8s.core.v1.ServiceAccount(name, metadata=metadata, opts=child_opts(self))
        # Read only, and only this Certificate; Challenges are listed (a list cannot be scoped by name).
        role = k8s.rbac.v1.Role(
            name,
            metadata=metadata,
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=["cert-manager.io"],
                    resources=["certificates"],
                    resource_names=[args.certificate],
                    verbs=["get"],
                ),
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=["acme.cert-manager.io"], resources=["challenges"], verbs=["list"]
                ),
            ],
            opts=child_opts(self),
        )
        binding = k8s.rbac.v1.RoleBinding(
            name,
            metadata=metadata,
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=args.job_name),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=args.job_name, namespace=args.namespace)],
            opts=child_opts(self),
        )
        config_map = k8s.core.v1.ConfigMap(
            name,
            metadata=metadata,
            data={SCRIPT_KEY: args.script, CONFIG_KEY: args.config},
            opts=child_opts(self),
        )
        deadline = args.wait_seconds + START_MARGIN_SECONDS
        self.job = k8s.batch.v1.Job(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.job_name,
                namespace=args.namespace,
                annotations={**REPLACE_UNREADY, "pulumi.com/timeoutSeconds": str(deadline + AWAIT_MARGIN_SECONDS)},
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=BACKOFF_LIMIT,
                active_deadline_seconds=deadline,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels={"app": "certificate-wait"}),
                    spec=script_pod_spec(
                        ScriptPod(
                            container="wait",
                            image=args.image,
                            volume="wait",
                            mount_path=MOUNT_PATH,
                            script_key=SCRIPT_KEY,
                            config_key=CONFIG_KEY,
                            resources=args.resources,
                            # It reads the Certificate and its Challenges: a Role of its own, get and list only.
                            service_account=args.job_name,
                            report_from_logs=True,
                        ),
                        config_map.metadata.name,
                    ),
                ),
            ),
            opts=child_opts(self, [*args.wait_for, account, role, binding]),
        )
        self.register_outputs({"job": args.job_name})
