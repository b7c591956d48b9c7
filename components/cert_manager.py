"""cert-manager from its official chart, and the explicit wait for its webhook before any issuer exists.

Every chart key below was read in cert-manager/cert-manager v1.21.1, deploy/charts/cert-manager (values.yaml,
values.schema.json, templates/); see tests/chart_keys.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components.chart import REPLACE_UNREADY, child_opts, pinned_chart
from definitions import versions
from definitions.mirror import ChartMirror, image_or_mirrored
from definitions.sizing import Resources

API_CHECK = "cert-manager-api-check"
# `check api` retries a dry-run Certificate create until the webhook answers with its injected CA; the chart's
# own default is 1m with backoffLimit 4 (values.yaml startupapicheck.timeout, .backoffLimit).
API_CHECK_WAIT = "2m"
# Two attempts (a pod lost with its node is retried), and the Job's own deadline over both: a webhook that never
# serves fails the Job with DeadlineExceeded in five minutes, which pulumi-kubernetes reports as the Job's reason
# (await/checker/job/check.go) since it waits a minute longer than the deadline (its default is 10 minutes).
API_CHECK_BACKOFF_LIMIT = 1
API_CHECK_DEADLINE_SECONDS = 300
API_CHECK_AWAIT_SECONDS = API_CHECK_DEADLINE_SECONDS + 60


@dataclass(frozen=True)
class CertManagerArgs:
    namespace: pulumi.Input[str]
    # The same namespace by name, for values that must be plain (leader election).
    namespace_name: str
    release: str
    service_account: str
    # The profile's (settings/profiles.py): the controller, webhook and cainjector, and the API-check Job.
    controller: Resources
    webhook: Resources
    cainjector: Resources
    api_check: Resources
    # Two replicas of each behind a PodDisruptionBudget (the controller and cainjector elect a leader, so the
    # second is a warm standby; the webhook serves from both).
    highly_available: bool
    # Workload identity / IRSA annotations of the controller's ServiceAccount (acme with ambient credentials).
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # The Gateway API CRDs, and the cloud grants it solves DNS-01 with.
    wait_for: list[pulumi.Resource] = field(default_factory=list)
    # The provider the chart goes through: one that adopts existing objects, because its CRDs are kept on
    # destroy (crds.keep) and still there on the next `up` (stacks/mesh.py, adopting_provider).
    crd_provider: pulumi.ProviderResource | None = None
    # Charts and images from this mirror instead of their public homes, the API check's image too (stacks/mirror.py).
    mirror: ChartMirror | None = None


def cert_manager_values(args: CertManagerArgs) -> dict[str, Any]:
    replicas, budget = (2, True) if args.highly_available else (1, False)
    # The chart has no autoscaler, so a replica count never fights an HPA; no caBundle is set anywhere:
    # cainjector injects it.
    return {
        # CRDs from the chart, annotated helm.sh/resource-policy: keep, which Chart v4 maps to retain-on-delete.
        "crds": {"enabled": True, "keep": True},
        "serviceAccount": {"name": args.service_account, "annotations": dict(args.service_account_annotations)},
        # Leases in its own namespace instead of kube-system (GKE Autopilot refuses kube-system).
        "global": {"leaderElection": {"namespace": args.namespace_name}},
        "replicaCount": replicas,
        "resources": args.controller.values(),
        "podDisruptionBudget": {"enabled": budget},
        "webhook": {
            "replicaCount": replicas,
            "resources": args.webhook.values(),
            "podDisruptionBudget": {"enabled": budget},
        },
        "cainjector": {
            "replicaCount": replicas,
            "resources": args.cainjector.values(),
            "podDisruptionBudget": {"enabled": budget},
        },
        # A post-install hook Job: Chart v4 drops hooks, so it would never run; the stack runs its own check.
        "startupapicheck": {"enabled": False},
    }


def api_check_job_spec(service_account: str, resources: Resources, image: str) -> dict[str, Any]:
    """The chart's startupapicheck, as a plain Job: `check api` does a dry-run create of a Certificate, which
    succeeds only once the webhook serves with the CA cainjector injected (cmd/startupapicheck, v1.21.1)."""
    return {
        "backoffLimit": API_CHECK_BACKOFF_LIMIT,
        "activeDeadlineSeconds": API_CHECK_DEADLINE_SECONDS,
        "template": {
            "spec": {
                "restartPolicy": "OnFailure",
                "serviceAccountName": service_account,
                "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {
                        "name": "check",
                        "image": image,
                        "args": ["check", "api", f"--wait={API_CHECK_WAIT}", "-v"],
                        "env": [
                            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}
                        ],
                        "resources": resources.values(),
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True,
                        },
                    }
                ],
            }
        },
    }


class CertManager(pulumi.ComponentResource):
    chart: k8s.helm.v4.Chart
    # Completes once the webhook accepts cert-manager objects: every Issuer and Certificate waits for it.
    api_ready: k8s.batch.v1.Job

    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:tls:CertManager", name, None, opts)
        # The whole chart goes through crd_provider: its CRDs are kept on destroy (crds.keep) and still there on
        # the next `up`; its other objects are deleted on destroy, and their names are fixed by the release, so
        # nothing the chart renders ever changes owner within one `up` (see stacks/mesh.py, adopting_provider).
        chart_opts = child_opts(self, args.wait_for)
        if args.crd_provider is not None:
            chart_opts = pulumi.ResourceOptions.merge(chart_opts, pulumi.ResourceOptions(providers=[args.crd_provider]))
        self.chart = pinned_chart(
            name,
            versions.CERT_MANAGER,
            release=args.release,
            namespace=args.namespace,
            values=cert_manager_values(args),
            opts=chart_opts,
            mirror=args.mirror,
        )
        # Chart v4 does not run Helm hooks, so the chart's own post-install check does not run. Its hook
        # annotations are defaults that Python cannot delete (the SDK drops None from values, pulumi/pulumi#12178),
        # so the check is disabled in the chart and run here as a plain Job, which Pulumi awaits to completion.
        metadata = k8s.meta.v1.ObjectMetaArgs(name=API_CHECK, namespace=args.namespace)
        api_check_image = image_or_mirrored(versions.CERT_MANAGER_API_CHECK_IMAGE, args.mirror)
        account = k8s.core.v1.ServiceAccount(f"{name}-api-check", metadata=metadata, opts=child_opts(self))
        role = k8s.rbac.v1.Role(
            f"{name}-api-check",
            metadata=metadata,
            # What the chart's startupapicheck Role grants (templates/startupapicheck-rbac.yaml): dry-run creates.
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=["cert-manager.io"], resources=["certificaterequests"], verbs=["create"]
                )
            ],
            opts=child_opts(self),
        )
        binding = k8s.rbac.v1.RoleBinding(
            f"{name}-api-check",
            metadata=metadata,
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=API_CHECK),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=API_CHECK, namespace=args.namespace)],
            opts=child_opts(self),
        )
        # No ttlSecondsAfterFinished: the finished Job stays, so later `up`s show no diff and do not re-run it;
        # a new chart version changes the image here and replaces (re-runs) it; a failed one is run again.
        self.api_ready = k8s.batch.v1.Job(
            f"{name}-api-check",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=API_CHECK,
                namespace=args.namespace,
                annotations={**REPLACE_UNREADY, "pulumi.com/timeoutSeconds": str(API_CHECK_AWAIT_SECONDS)},
            ),
            # The spec is plain data (tests read it field by field); the SDK's TypedDict cannot describe a dict
            # built this way, so it is cast, not converted.
            spec=cast(k8s.batch.v1.JobSpecArgsDict, api_check_job_spec(API_CHECK, args.api_check, api_check_image)),
            opts=child_opts(self, [self.chart, account, role, binding]),
        )
        self.register_outputs({"release": args.release})
