"""The shipped `gcp` and `aws` stacks on the engine: their Kubernetes side for real on the loopback cluster, their
cloud resources and invokes through the plugin doubles of e2e/cloud_provider.py, the ingress Service's address from
LoadBalancerDouble. Each: up, checked, a no-op preview, destroyed.

The stack files (Pulumi.gcp.yaml, Pulumi.aws.yaml) are read when the scenario runs, whatever they hold then, with
three changes only: the loopback mirror, `tls.mode: ca` instead of `acme` (Let's Encrypt is not reachable
offline, and the settings refuse acme with a mirror), and the kubeconfig gains a context of the name the file
gives (`kubernetes.context`, a GKE or EKS context) pointing at the loopback cluster.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import yaml

from e2e.cluster import CRDS, LoopbackCluster
from e2e.context import Context
from e2e.controller_double import ControllerDouble
from e2e.helm_comparison import gateway_api_version
from e2e.pulumi_cli import PROJECT_DIR
from e2e.scenarios import PROJECT, changes, destroy_and_check, kept_crds, stack_namespaces

# TEST-NET-1 (RFC 5737): an address that routes nowhere.
LOAD_BALANCER_IP = "192.0.2.80"
# The cloud identity external-dns writes DNS with, under the shipped stacks' identity modes (workload-identity, irsa).
IDENTITY = {"gcp": "gcp:serviceaccount/account:Account", "aws": "aws:iam/role:Role"}


class LoadBalancerDouble(ControllerDouble):
    """Test double for a cloud's load balancer controller: every LoadBalancer Service without an address gets
    LOAD_BALANCER_IP in `status.loadBalancer.ingress`, as GKE's and AWS's controllers write theirs. No traffic
    reaches it; what is tested is that `up` awaits the address and the stack exports it."""

    name = "load-balancer-double"

    def __init__(self, cluster: LoopbackCluster, interval: float = 1.0):
        super().__init__(cluster, interval)
        self.assigned: list[str] = []

    def reconcile(self) -> None:
        for service in self.cluster.get("/api/v1/services")["items"]:
            status = service.get("status", {}).get("loadBalancer", {})
            if service["spec"].get("type") == "LoadBalancer" and not status.get("ingress"):
                metadata = service["metadata"]
                self.cluster.request(
                    "PATCH",
                    f"/api/v1/namespaces/{metadata['namespace']}/services/{metadata['name']}/status",
                    {"status": {"loadBalancer": {"ingress": [{"ip": LOAD_BALANCER_IP}]}}},
                    "application/merge-patch+json",
                )
                self.assigned.append(f"{metadata['namespace']}/{metadata['name']}")


def stack_file(stack: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    return config


def add_context(cluster: LoopbackCluster, name: str) -> None:
    """A context `name` in the e2e's kubeconfig for the loopback cluster (the current context stays)."""
    kubeconfig = json.loads(cluster.kubeconfig.read_text())
    loopback = next(c for c in kubeconfig["contexts"] if c["name"] == kubeconfig["current-context"])
    if all(c["name"] != name for c in kubeconfig["contexts"]):
        kubeconfig["contexts"].append({"name": name, "context": loopback["context"]})
        cluster.kubeconfig.write_text(json.dumps(kubeconfig, indent=2))


def provide_gateway_api(context: Context) -> None:
    """A stack with `gatewayApi.install: false` (gcp: GKE installs the standard CRDs) expects them in the cluster:
    applied here from the mirror as the cloud would have, unless a scenario before kept them (alone, with
    `--only gcp`, the cluster is empty)."""
    if context.cluster.get_or_none(f"{CRDS}/httproutes.gateway.networking.k8s.io") is not None:
        return
    bundle = f"{context.mirror.url}/gateway-api/{gateway_api_version(context.mirror.directory)}/standard-install.yaml"
    kubectl = context.cluster.binary("helm", "kubectl")
    env = {**os.environ, "KUBECONFIG": str(context.cluster.kubeconfig)}
    with context.report.step("the cloud's Gateway API CRDs (gatewayApi.install: false)"):
        subprocess.run([kubectl, "apply", "--server-side", "-f", bundle], env=env, check=True, capture_output=True)
        subprocess.run(
            [kubectl, "wait", "--for=condition=Established", "--timeout=60s", "--all", "customresourcedefinition"],
            env=env,
            check=True,
            capture_output=True,
        )


def cloud_stack(context: Context, stack: str) -> None:
    report, cluster = context.report, context.cluster
    if not context.fixture and "E2E_CLOUD_STACKS_ON_MIRROR" not in os.environ:
        # CI's budget (docs/end-to-end.md): the fixture run, which every clone has, runs them; their cloud side is
        # the doubles' either way. E2E_CLOUD_STACKS_ON_MIRROR=1 runs them on the real charts too.
        print(f"e2e: {stack}: run with the fixture charts (E2E_CLOUD_STACKS_ON_MIRROR=1 to run it here)", flush=True)
        return
    config = stack_file(stack)
    config[f"{PROJECT}:mirror"] = context.mirror.settings()
    # ACME needs Let's Encrypt from the cluster, which no mirror serves (the settings refuse acme with a mirror):
    # the stack's own CA instead, the one change besides the mirror and the context.
    config[f"{PROJECT}:tls"] = {"mode": "ca"}
    kube_context = (config.get(f"{PROJECT}:kubernetes") or {}).get("context")
    if kube_context:
        add_context(cluster, kube_context)
    context.stack.set_config(config)
    if not (config.get(f"{PROJECT}:gatewayApi") or {}).get("install", True):
        provide_gateway_api(context)
    balancer = LoadBalancerDouble(cluster).start()
    try:
        with report.step(f"up ({stack})"):
            context.stack.up()
        outputs = context.stack.outputs()
        report.check(f"{stack}: output cloud", outputs.get("cloud") == stack, outputs.get("cloud"))
        ingress = outputs.get("ingress") or {}
        report.check(
            f"{stack}: the ingress is a LoadBalancer at the double's address",
            ingress.get("type") == "LoadBalancer" and ingress.get("address") == LOAD_BALANCER_IP,
            ingress,
        )
        for namespace in stack_namespaces(context):
            for deployment in cluster.get(f"/apis/apps/v1/namespaces/{namespace}/deployments")["items"]:
                status, want = deployment.get("status", {}), deployment["spec"].get("replicas", 1)
                report.check(
                    f"{stack}: Deployment {namespace}/{deployment['metadata']['name']} Ready",
                    status.get("readyReplicas") == want and want > 0,
                    f"{status.get('readyReplicas')}/{want}",
                )
        cloud = {r["type"] for r in context.stack.resources() if r["type"].startswith(f"{stack}:")}
        report.check(f"{stack}: external-dns' identity made by the {stack} double", IDENTITY[stack] in cloud, cloud)
        with report.step(f"preview --expect-no-changes ({stack})"):
            preview = context.stack.preview("--expect-no-changes", check=False)
        report.check(f"{stack}: no changes after up", preview.code == 0 and not changes(preview), changes(preview))
        destroy_and_check(context, stack, stack_namespaces(context), kept_crds(context))
    finally:
        balancer.stop()


def gcp(context: Context) -> None:
    cloud_stack(context, "gcp")


def aws(context: Context) -> None:
    cloud_stack(context, "aws")
