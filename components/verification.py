"""The in-cluster verification: a check script in a ConfigMap, run by a Job that Pulumi waits for.

pulumi-kubernetes awaits a batch/v1 Job until its Complete condition, and fails the resource, and so the
`up`, as soon as the Job's Failed condition is True with reason BackoffLimitExceeded or DeadlineExceeded
(pulumi/pulumi-kubernetes provider/pkg/await/checker/job/check.go, jobComplete / collectJobConditionErrors,
read on master after 4.32.0; the 4.34.2 SDK's Job docstring states the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.chart import REPLACE_UNREADY, child_opts
from components.script_job import ScriptPod, script_pod_spec
from definitions.sizing import Resources

SCRIPT_KEY = "verify_mesh.py"
CONFIG_KEY = "config.json"
# tls.mode ca: the stack's root CA certificate (public part only), the checks' trust for the gateway's HTTPS.
CA_KEY = "ca.crt"
MOUNT_PATH = "/etc/mesh-verify"
# The Job's pods, as NetworkPolicies name them (stacks/network_policies.py).
APP_LABELS = {"app": "mesh-verify"}
# Retried once: a pod lost with its node is not a broken mesh; activeDeadlineSeconds bounds both runs.
BACKOFF_LIMIT = 1
# Pulumi waits a little longer than the deadline, so the Job's own DeadlineExceeded is what it reports.
AWAIT_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class MeshVerificationArgs:
    namespace: pulumi.Input[str]
    # Carries a hash of everything the checks read (stacks/verification.py): a new name is a new run.
    job_name: str
    image: str
    script: str
    config: str
    deadline_seconds: int
    resources: Resources
    # Everything the checks exercise: the Job starts once all of it is in place.
    wait_for: list[pulumi.Resource] = field(default_factory=list)
    # PEM of the root CA the gateway's certificate chains to (tls.mode ca); mounted as CA_KEY.
    ca_certificate: pulumi.Input[str] | None = None


def script_pod(args: MeshVerificationArgs) -> ScriptPod:
    # The checks read nothing from the Kubernetes API: no token, no RBAC.
    return ScriptPod(
        container="verify",
        image=args.image,
        volume="checks",
        mount_path=MOUNT_PATH,
        script_key=SCRIPT_KEY,
        config_key=CONFIG_KEY,
        resources=args.resources,
    )


class MeshVerification(pulumi.ComponentResource):
    config_map: k8s.core.v1.ConfigMap
    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: MeshVerificationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:verify:MeshVerification", name, None, opts)
        # Named like the Job: a new run never reads the previous run's script while the old Job is replaced.
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-checks",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.job_name, namespace=args.namespace),
            data={
                SCRIPT_KEY: args.script,
                CONFIG_KEY: args.config,
                **({CA_KEY: args.ca_certificate} if args.ca_certificate is not None else {}),
            },
            opts=child_opts(self),
        )
        # Outside the mesh (not injected): the plain-text check must come from a pod without a sidecar, and
        # a Job's pod with a sidecar never completes. The other checks enter the mesh at the ingress gateway.
        labels = {**APP_LABELS, "sidecar.istio.io/inject": "false"}
        self.job = k8s.batch.v1.Job(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.job_name,
                namespace=args.namespace,
                labels=dict(APP_LABELS),
                annotations={
                    **REPLACE_UNREADY,
                    "pulumi.com/timeoutSeconds": str(args.deadline_seconds + AWAIT_MARGIN_SECONDS),
                },
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=BACKOFF_LIMIT,
                active_deadline_seconds=args.deadline_seconds,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=script_pod_spec(script_pod(args), self.config_map.metadata.name),
                ),
            ),
            # The ConfigMap too, through its name in the pod's volume.
            opts=child_opts(self, args.wait_for),
        )
        self.register_outputs({"job": args.job_name})
