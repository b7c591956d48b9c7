"""A small HTTP echo workload (httpbin) in an injected namespace: it answers /headers with the request's
headers, so a curl shows the trace headers Envoy added and the client certificate of the mTLS hop."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.chart import SKIP_AWAIT, child_opts
from definitions.sizing import Resources

# httpbin answers 200 on /status/200 without touching anything else (go-httpbin httpbin/httpbin.go).
PROBE_PATH = "/status/200"


@dataclass(frozen=True)
class DemoAppArgs:
    namespace: pulumi.Input[str]
    name: str
    image: str
    container_port: int
    # The image's own non-root user (kept explicit, so runAsNonRoot holds whatever the image says).
    run_as_user: int
    service_port: int
    resources: Resources
    # Its namespace is injected only once istiod's webhook is serving.
    wait_for: list[pulumi.Resource] = field(default_factory=list)
    # Its ServiceAccount, so its SPIFFE identity (default: `name`). In a mesh across clusters each cluster's demo
    # has its own, so the identity in X-Forwarded-Client-Cert (`By=`) says which cluster answered.
    account: str | None = None


class DemoApp(pulumi.ComponentResource):
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service

    def __init__(self, name: str, args: DemoAppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:demo:DemoApp", name, None, opts)
        labels = {"app": args.name}
        account = k8s.core.v1.ServiceAccount(
            f"{name}-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.account or args.name, namespace=args.namespace),
            opts=child_opts(self, args.wait_for),
        )
        self.deployment = k8s.apps.v1.Deployment(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.name, namespace=args.namespace, labels=labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=account.metadata.name,
                        # It never calls the Kubernetes API: no token in the pod.
                        automount_service_account_token=False,
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True,
                            run_as_user=args.run_as_user,
                            run_as_group=args.run_as_user,
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name=args.name,
                                image=args.image,
                                ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=args.container_port)],
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": args.resources.cpu, "memory": args.resources.memory},
                                    limits={"memory": args.resources.memory_limit},
                                ),
                                security_context=k8s.core.v1.SecurityContextArgs(
                                    allow_privilege_escalation=False,
                                    read_only_root_filesystem=True,
                                    run_as_non_root=True,
                                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                                    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                                ),
                                # Istio rewrites HTTP probes to go through its agent, so they work under STRICT mTLS.
                                readiness_probe=k8s.core.v1.ProbeArgs(
                                    http_get=k8s.core.v1.HTTPGetActionArgs(path=PROBE_PATH, port="http"),
                                    period_seconds=5,
                                ),
                                liveness_probe=k8s.core.v1.ProbeArgs(
                                    http_get=k8s.core.v1.HTTPGetActionArgs(path=PROBE_PATH, port="http"),
                                    period_seconds=10,
                                    failure_threshold=3,
                                ),
                            )
                        ],
                    ),
                ),
            ),
            opts=child_opts(self, args.wait_for),
        )
        # Not awaited, as the charts' Services are not (components/chart.py SKIP_AWAIT): the provider's Service await
        # sleeps 10 s after its endpoints settle, on the way to the verification. What proves the demo ready is
        # the Deployment's await (its pod Ready); the verification Job then polls it through the gateway.
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.name, namespace=args.namespace, labels=labels, annotations=SKIP_AWAIT
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=labels,
                # The port name tells Istio the protocol.
                ports=[
                    k8s.core.v1.ServicePortArgs(name="http", port=args.service_port, target_port=args.container_port)
                ],
            ),
            opts=child_opts(self, args.wait_for),
        )
        self.register_outputs({})
