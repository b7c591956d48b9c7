"""A small HTTP echo workload (httpbin) in an injected namespace: it answers /headers with the request's
headers, so a curl shows the trace headers Envoy added and the client certificate of the mTLS hop."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts


@dataclass(frozen=True)
class DemoAppArgs:
    namespace: pulumi.Input[str]
    name: str
    image: str
    container_port: int
    service_port: int
    # Its namespace is injected only once istiod's webhook is serving.
    wait_for: list[pulumi.Resource] = field(default_factory=list)


class DemoApp(pulumi.ComponentResource):
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service

    def __init__(self, name: str, args: DemoAppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:demo:DemoApp", name, None, opts)
        labels = {"app": args.name}
        account = k8s.core.v1.ServiceAccount(
            f"{name}-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.name, namespace=args.namespace),
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
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name=args.name,
                                image=args.image,
                                ports=[k8s.core.v1.ContainerPortArgs(container_port=args.container_port)],
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "10m", "memory": "32Mi"}, limits={"memory": "64Mi"}
                                ),
                            )
                        ],
                    ),
                ),
            ),
            opts=child_opts(self, args.wait_for),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.name, namespace=args.namespace, labels=labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=labels,
                # The port name tells Istio the protocol.
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=args.service_port, target_port=args.container_port)],
            ),
            opts=child_opts(self, args.wait_for),
        )
        self.register_outputs({})
