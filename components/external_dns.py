"""external-dns from the official kubernetes-sigs chart, watching Services, Ingresses, Istio and Gateway API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.chart import child_opts, pinned_chart
from definitions import versions
from definitions.mirror import ChartMirror
from definitions.sizing import Resources


@dataclass(frozen=True)
class DnsCredentials:
    """How a DNS controller authenticates to one cloud's DNS: what a DNS identity component hands over (shaped for
    external-dns' values; cert-manager reads the identity, annotations, key Secret and grants)."""

    provider: str
    identity: pulumi.Output[str]
    provider_args: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    env: Sequence[Mapping[str, Any]] = ()
    volumes: Sequence[Mapping[str, Any]] = ()
    volume_mounts: Sequence[Mapping[str, Any]] = ()
    log_format: str = "text"
    # Static credentials (key modes): the Secret holding them, in the controller's namespace.
    key_secret: str | None = None
    # IAM bindings, roles, secrets: external-dns must not start before it may write.
    ready: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class ExternalDnsArgs:
    namespace: pulumi.Input[str]
    release: str
    service_account: str
    credentials: DnsCredentials
    sources: Sequence[str]
    policy: str
    txt_owner_id: str
    domain: str
    resources: Resources
    # Every CRD a source watches must be served before external-dns starts, or it crash-loops.
    wait_for: list[pulumi.Resource] = field(default_factory=list)
    # Charts and images from this mirror instead of their public homes (stacks/mirror.py).
    mirror: ChartMirror | None = None


def external_dns_values(args: ExternalDnsArgs) -> dict[str, Any]:
    credentials = args.credentials
    values: dict[str, Any] = {
        "provider": {"name": credentials.provider},
        "sources": list(args.sources),
        # Explicit, always: upsert-only never deletes a record this stack did not create.
        "policy": args.policy,
        # The prefix of the annotations the stack writes, explicit so that a chart bump keeps reading them.
        "annotationPrefix": versions.EXTERNAL_DNS_ANNOTATION_PREFIX,
        "registry": "txt",
        "txtOwnerId": args.txt_owner_id,
        "domainFilters": [args.domain],
        "logFormat": credentials.log_format,
        # The chart sets none (values.yaml `resources: {}`); templates/deployment.yaml runs one replica.
        "resources": args.resources.values(),
        "serviceAccount": {
            "create": True,
            "name": args.service_account,
            "annotations": dict(credentials.service_account_annotations),
        },
    }
    if credentials.provider_args:
        values["extraArgs"] = dict(credentials.provider_args)
    if credentials.env:
        values["env"] = [dict(e) for e in credentials.env]
    if credentials.volumes:
        values["extraVolumes"] = [dict(v) for v in credentials.volumes]
        values["extraVolumeMounts"] = [dict(m) for m in credentials.volume_mounts]
    return values


class ExternalDns(pulumi.ComponentResource):
    chart: k8s.helm.v4.Chart

    def __init__(self, name: str, args: ExternalDnsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:dns:ExternalDns", name, None, opts)
        self.chart = pinned_chart(
            name,
            versions.EXTERNAL_DNS,
            release=args.release,
            namespace=args.namespace,
            values=external_dns_values(args),
            opts=child_opts(self, [*args.credentials.ready, *args.wait_for]),
            mirror=args.mirror,
        )
        self.register_outputs({"txt_owner_id": args.txt_owner_id})
