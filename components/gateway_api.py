"""The Kubernetes Gateway API CRDs, from the pinned release bundle (or the mirror's copy of it)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from definitions.mirror import gateway_api_bundle


@dataclass(frozen=True)
class GatewayApiCrdsArgs:
    version: str
    channel: str
    retain_on_delete: bool = True
    # A base URL or directory holding <version>/<channel>-install.yaml instead of the GitHub release asset.
    mirror: str | None = None


def retain_on_delete(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
    """Keep each object of the bundle on destroy.

    The release bundle carries no keep annotation, so without this `pulumi destroy` would delete the CRDs
    and with them every Gateway and route in the cluster, including ones this stack never made.
    """
    return pulumi.ResourceTransformResult(
        props=args.props,
        opts=pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True)),
    )


class GatewayApiCrds(pulumi.ComponentResource):
    bundle: k8s.yaml.v2.ConfigFile

    def __init__(self, name: str, args: GatewayApiCrdsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:gateway:GatewayApiCrds", name, None, opts)
        self.url = gateway_api_bundle(args.version, args.channel, args.mirror)
        self.bundle = k8s.yaml.v2.ConfigFile(
            f"{name}-{args.channel}",
            file=self.url,
            opts=pulumi.ResourceOptions(
                parent=self,
                retain_on_delete=args.retain_on_delete,
                transforms=[retain_on_delete] if args.retain_on_delete else None,
            ),
        )
        self.register_outputs({"url": self.url})
