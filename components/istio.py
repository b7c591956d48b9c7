"""The Istio control plane: the `istio-system` namespace, chart `base` (Istio CRDs, the default validator) and
one `istiod` chart per revision, the `default` tag owned by exactly one of them.

Object names, read in istio/istio 1.30.3 manifests/charts (unchanged at 1.31.0-rc.0, the newest tag there):
- istiod with `revision: R` suffixes every object it renders with `-R` (Deployment, Service and
  ServiceAccount `istiod-R`, ConfigMaps `istio-R` and `istio-sidecar-injector-R`, MutatingWebhookConfiguration
  `istio-sidecar-injector-R`, ValidatingWebhookConfiguration `istio-validator-R-istio-system`, cluster roles
  `...-R-istio-system`, gateway-class ConfigMaps `istio-R-gatewayclass-*`), so two revisions never collide;
  the revision `default` is installed without `revision` (names without suffix, as before revisions existed).
- `revisionTags: [T]` renders MutatingWebhookConfiguration `istio-revision-tag-T` and Service
  `istiod-revision-tag-T`, named after the tag and not the revision: only one release may list a tag
  (templates/revision-tags-mwc.yaml, revision-tags-svc.yaml).
- base renders ValidatingWebhookConfiguration `istiod-default-validator` pointing at Service `istiod`
  (defaultRevision `default`) or `istiod-<defaultRevision>`
  (templates/defaultrevision-validatingwebhookconfiguration.yaml).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.chart import RUNTIME_DEFAULT_SECCOMP, child_opts, pinned_chart, prefixed
from components.mesh_ca import PluggedCa
from definitions import versions
from definitions.addresses import UNREVISIONED
from definitions.mirror import ChartMirror
from definitions.sizing import Replicas, Resources, spread

# Given to base AND istiod from the first install, so istiod never flips its webhook from Ignore to Fail
# and later `up`s show no diff (pulumi/pulumi-kubernetes#2210, istio/istio#57643).
WEBHOOK_FAILURE_POLICY = {"base": {"validationFailurePolicy": "Fail"}}


@dataclass(frozen=True)
class ZipkinTracer:
    """A meshConfig extension provider speaking the Zipkin protocol."""

    provider_name: str
    host: str
    port: int


# Istio's named profile for ambient, in every Istio chart's files/profile-ambient.yaml (istio 1.30.3).
AMBIENT_PROFILE = "ambient"
DEFAULT_TAG = "default"
# The objects istiod renders from `revisionTags: [default]`: (type, namespaced, name).
DEFAULT_TAG_OBJECTS = (
    (
        "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
        False,
        f"istio-revision-tag-{DEFAULT_TAG}",
    ),
    ("kubernetes:core/v1:Service", True, f"istiod-revision-tag-{DEFAULT_TAG}"),
)


@dataclass(frozen=True)
class AmbientControlPlane:
    """What istiod needs to serve an ambient data plane."""

    # Where ztunnel runs and its DaemonSet's (and ServiceAccount's) name: istiod issues node certificates to
    # that identity only (templates/deployment.yaml, CA_TRUSTED_NODE_ACCOUNTS "<namespace>/<name>").
    ztunnel_namespace: str
    ztunnel_name: str
    # Each waypoint proxy istiod deploys for a Gateway of class istio-waypoint (files/waypoint.yaml reads
    # global.waypoint.resources).
    waypoint: Resources


@dataclass(frozen=True)
class MeshMember:
    """This control plane's place in a mesh across clusters (multi-primary): global.meshID,
    global.multiCluster.clusterName, global.network, meshConfig.trustDomain (istio-discovery values.yaml, 1.30.3)."""

    mesh_id: str
    cluster_name: str
    network: str
    trust_domain: str
    # The `cacerts` Secret's files (components/mesh_ca.py): the intermediate CA istiod signs workloads with.
    ca: PluggedCa


@dataclass(frozen=True)
class IstioRevision:
    name: str
    version: str


@dataclass(frozen=True)
class IstioControlPlaneArgs:
    revisions: tuple[IstioRevision, ...]
    # The revision behind the `default` tag: namespaces labelled istio-injection=enabled, base's validator.
    default_revision: str
    namespace: str
    access_logs: bool
    tracer: ZipkinTracer | None
    resources: Resources
    replicas: Replicas
    # Every injected pod's istio-proxy and istio-init (injection template "resources" at 1.30.3; the chart has
    # no separate global.proxy_init.resources).
    sidecar: Resources
    highly_available: bool
    # TCPRoutes are published: a release that reads them only as v1alpha2 (before 1.31) needs its alpha flag.
    tcp_routes: bool = False
    # The CNI node agent is installed: the injector adds `istio-validation` instead of the privileged
    # `istio-init` (files/injection-template.yaml reads pilot.cni.enabled, the `cni` values picked into the
    # injector's ConfigMap by templates/istiod-injector-configmap.yaml).
    cni: bool = False
    # Ambient: the `ambient` profile, ztunnel trusted by name, waypoints sized (None: sidecars only).
    ambient: AmbientControlPlane | None = None
    # istiod reads the Gateway API CRDs at start: it waits for them (and for base) to be installed.
    wait_for: list[pulumi.Resource] = field(default_factory=list)
    # The provider `base` goes through: one that adopts existing objects, because base's CRDs carry
    # `helm.sh/resource-policy: keep` and are still there on the `up` after a destroy (stacks/mesh.py).
    crd_provider: pulumi.ProviderResource | None = None
    # The control-plane namespace's labels (Pod Security Admission).
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    # Charts and images from this mirror instead of their public homes (stacks/mirror.py).
    mirror: ChartMirror | None = None
    # One cluster of a mesh across clusters (None: a mesh of its own cluster, istiod's self-signed CA).
    member: MeshMember | None = None
    # Prefixes the namespace's resource name (the charts' names carry the component's name already), so that one
    # stack can hold the control planes of several clusters; None keeps the single-cluster stacks' names.
    resource_prefix: str | None = None

    @property
    def base_version(self) -> str:
        """base carries the CRDs every revision reads: the newest revision's (Istio upgrades CRDs first)."""
        return max((r.version for r in self.revisions), key=versions.parse_istio_version)


def mesh_config(args: IstioControlPlaneArgs) -> dict[str, Any]:
    config: dict[str, Any] = {"accessLogFile": "/dev/stdout" if args.access_logs else ""}
    if args.tracer is not None:
        config["extensionProviders"] = [
            {"name": args.tracer.provider_name, "zipkin": {"service": args.tracer.host, "port": args.tracer.port}}
        ]
    return config


def istiod_pod_labels(revision: IstioRevision) -> dict[str, str]:
    """The istiod pods' labels (templates/deployment.yaml at 1.30.3): `istio.io/rev` is the chart's `revision`,
    "default" when unset (the unrevisioned istiod), so a spread counts this revision's pods only."""
    return {"app": "istiod", "istio.io/rev": revision.name}


def istiod_values(args: IstioControlPlaneArgs, revision: IstioRevision) -> dict[str, Any]:
    values: dict[str, Any] = {
        **WEBHOOK_FAILURE_POLICY,
        "meshConfig": mesh_config(args),
        # The chart's default asks 500m and 2048Mi (values.yaml `resources`), most of a laptop cluster.
        "resources": args.resources.values(),
        # The autoscaler's range, never `replicaCount`: with autoscaleEnabled (the chart's default, true) the
        # Deployment leaves .spec.replicas to the HPA (templates/deployment.yaml, autoscale.yaml).
        "autoscaleMin": args.replicas.min,
        "autoscaleMax": args.replicas.max,
        # The chart sets no seccomp profile unless asked (values.yaml `seccompProfile: {}` and
        # `global.proxy.seccompProfile: {}`; templates/deployment.yaml and files/injection-template.yaml render
        # them on istiod's container and on every injected istio-proxy and init container; `gateways.seccompProfile`
        # on the gateways istiod deploys, waypoints included, files/waypoint.yaml): Pod Security `restricted`
        # requires one.
        "seccompProfile": RUNTIME_DEFAULT_SECCOMP,
        "gateways": {"seccompProfile": RUNTIME_DEFAULT_SECCOMP},
        "global": {"proxy": {"resources": args.sidecar.values(), "seccompProfile": RUNTIME_DEFAULT_SECCOMP}},
    }
    if args.highly_available:
        # templates/poddisruptionbudget.yaml: rendered with autoscaleMin > 1 (pdb.minAvailable: 1 by default).
        values["global"]["defaultPodDisruptionBudget"] = {"enabled": True}
        # Best effort on nodes too: while istiod is away, running proxies keep their config (only new pods and
        # certificate rotation wait), and the PDB keeps a drain from taking both. Unlike the gateway, a second
        # replica left Pending for lack of room on another node would cost more than a brief co-location.
        values["topologySpreadConstraints"] = spread(istiod_pod_labels(revision), "ScheduleAnyway")
    if args.tcp_routes and not versions.istio_reads_tcproute_as_v1(revision.version):
        # Before 1.31 TCPRoute is read only as v1alpha2, behind this flag; 1.31+ reads it as v1 without it.
        values["env"] = {"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"}
    if args.cni:
        values["cni"] = {"enabled": True}
    if args.ambient is not None:
        # manifests/helm-profiles/ambient.yaml: PILOT_ENABLE_AMBIENT (HBONE, the istio-waypoint GatewayClass),
        # ISTIO_META_ENABLE_HBONE for sidecars that talk to ambient pods, the distroless variant.
        values["profile"] = AMBIENT_PROFILE
        values["trustedZtunnelNamespace"] = args.ambient.ztunnel_namespace
        values["trustedZtunnelName"] = args.ambient.ztunnel_name
        values["global"]["waypoint"] = {"resources": args.ambient.waypoint.values()}
    if args.member is not None:
        values["meshConfig"]["trustDomain"] = args.member.trust_domain
        values["global"]["meshID"] = args.member.mesh_id
        values["global"]["multiCluster"] = {"clusterName": args.member.cluster_name}
        values["global"]["network"] = args.member.network
        # The chart's istio-reader ClusterRole can read every Secret of the cluster (templates/reader-clusterrole.yaml),
        # and the other clusters' istiod hold its token: the stack grants the reader a narrower role instead
        # (components/remote_secret.py). `global.enableReaderRBAC` is read by the templates only (dig, default true).
        values["global"]["enableReaderRBAC"] = False
    is_default = revision.name == args.default_revision
    if revision.name != UNREVISIONED:
        values["revision"] = revision.name
        if is_default:
            values["revisionTags"] = [DEFAULT_TAG]
    elif not is_default:
        # The unrevisioned istiod's own webhook always injects istio-injection=enabled and istio.io/rev=default
        # (templates/mutatingwebhook.yaml): once the default tag is another revision's, drop that webhook so
        # exactly one revision injects the namespaces that follow the default. Its ValidatingWebhookConfiguration
        # stays (it only validates objects labelled istio.io/rev=default).
        values["global"]["operatorManageWebhooks"] = True
    return values


def release_name(revision: IstioRevision) -> str:
    """Release `istiod` for the unrevisioned one (as before revisions), `istiod-<revision>` otherwise."""
    return "istiod" if revision.name == UNREVISIONED else f"istiod-{revision.name}"


def default_tag_transform(
    chart_name: str, namespace: str, losing: Mapping[str, pulumi.Resource]
) -> pulumi.ResourceTransform:
    """For the chart that holds the `default` tag: alias its tag objects to the same objects of every other
    revision's chart (chart resource name -> chart).

    The tag objects are named after the tag, so when the tag moves from one release to another in one `up`,
    Pulumi would create them under the gaining chart before deleting them under the losing one, and
    pulumi-kubernetes >= 4.29 fails the create on the existing name. With the losing chart's child URN as an
    alias, Pulumi updates the objects in place instead. Chart v4 names a child `<chart resource name>:<name>`
    or `<chart resource name>:<namespace>/<name>`, parented to the chart (pulumi-kubernetes v4.32
    provider/pkg/provider/yaml/v2/yaml.go, helm/v4/chart.go); the engine runs a parent's transforms on the
    children a remote component registers and reads the aliases from the transformed options (pulumi/pulumi
    v3.259.0 pkg/resource/deploy/source_eval.go). Transforms do not run under mocks: tests call this directly.
    """

    def child_name(prefix: str, namespaced: bool, name: str) -> str:
        return f"{prefix}:{namespace}/{name}" if namespaced else f"{prefix}:{name}"

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        for type_, namespaced, name in DEFAULT_TAG_OBJECTS:
            if args.type_ == type_ and args.name == child_name(chart_name, namespaced, name):
                aliases = [
                    pulumi.Alias(name=child_name(other, namespaced, name), parent=chart)
                    for other, chart in losing.items()
                ]
                opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(aliases=aliases))
                return pulumi.ResourceTransformResult(props=args.props, opts=opts)
        return None

    return transform


# istiod reads `cacerts` only at start (istio.io "plug in CA certificates"): this pod annotation carries the
# certificates' digest, so new certificates change the pod template and roll istiod onto them.
CACERTS_DIGEST_ANNOTATION = "servicemesh.dev/cacerts-sha256"
CACERTS_SECRET = "cacerts"
# The Secret's keys, in PluggedCa's order (istio.io "plug in CA certificates").
CACERTS_FILES = ("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem")


def cacerts_digest(ca_cert: str, cert_chain: str) -> str:
    """The public half only: a new key always comes with a new certificate."""
    return hashlib.sha256(f"{ca_cert}{cert_chain}".encode()).hexdigest()


class IstioControlPlane(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    # The plugged-in CA's Secret, before istiod (None without a mesh across clusters).
    cacerts: k8s.core.v1.Secret | None
    base: k8s.helm.v4.Chart
    # Revision name -> its istiod chart; `istiod` is the default revision's (the one the validator calls).
    revisions: dict[str, k8s.helm.v4.Chart]
    istiod: k8s.helm.v4.Chart

    def __init__(self, name: str, args: IstioControlPlaneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("servicemesh:istio:IstioControlPlane", name, None, opts)
        labels = dict(args.namespace_labels)
        if args.member is not None:
            # The network of every pod in the cluster that carries no label of its own (istio.io multi-network).
            labels["topology.istio.io/network"] = args.member.network
        self.namespace = k8s.core.v1.Namespace(
            prefixed(args.resource_prefix, args.namespace),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels=labels),
            opts=child_opts(self),
        )
        namespace = self.namespace.metadata.name
        self.cacerts = None
        pod_annotations: pulumi.Output[dict[str, str]] | None = None
        if args.member is not None:
            ca = args.member.ca
            files: pulumi.Output[dict[str, str]] = pulumi.Output.secret(
                pulumi.Output.all(ca.ca_cert, ca.ca_key, ca.root_cert, ca.cert_chain).apply(
                    lambda pems: dict(zip(CACERTS_FILES, pems, strict=True))
                )
            )
            self.cacerts = k8s.core.v1.Secret(
                f"{name}-cacerts",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=CACERTS_SECRET, namespace=namespace),
                string_data=files,
                opts=child_opts(self),
            )
            pod_annotations = pulumi.Output.all(ca.ca_cert, ca.cert_chain).apply(
                lambda certs: {CACERTS_DIGEST_ANNOTATION: cacerts_digest(certs[0], certs[1])}
            )
        # The whole chart goes through crd_provider: besides the CRDs (kept), base 1.30.3 renders only the
        # validating webhook `istiod-default-validator` and the ServiceAccount `istio-reader-service-account`
        # (manifests/charts/base/templates). Both are deleted on destroy, so the next `up` has nothing of
        # theirs to adopt; the ServiceAccount lives in the namespace created just before, strictly.
        base_opts = child_opts(self)
        if args.crd_provider is not None:
            base_opts = pulumi.ResourceOptions.merge(base_opts, pulumi.ResourceOptions(providers=[args.crd_provider]))
        self.base = pinned_chart(
            f"{name}-base",
            versions.istio_chart("base", args.base_version),
            release="istio-base",
            namespace=namespace,
            values={**WEBHOOK_FAILURE_POLICY, "defaultRevision": args.default_revision},
            opts=base_opts,
            mirror=args.mirror,
        )
        # The default revision's chart last, so its tag transform can alias the other revisions' charts.
        ordered = sorted(args.revisions, key=lambda r: r.name == args.default_revision)
        self.revisions = {}
        for revision in ordered:
            chart_name = f"{name}-{release_name(revision)}"
            opts = child_opts(self, [self.base, *args.wait_for, *([self.cacerts] if self.cacerts else [])])
            if revision.name == args.default_revision and revision.name != UNREVISIONED:
                # The unrevisioned istiod never renders tag objects: only named revisions can lose the tag.
                losing = {
                    f"{name}-{release_name(other)}": self.revisions[other.name]
                    for other in ordered
                    if other.name not in (UNREVISIONED, revision.name)
                }
                transform = default_tag_transform(chart_name, args.namespace, losing)
                opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transforms=[transform]))
            self.revisions[revision.name] = pinned_chart(
                chart_name,
                versions.istio_chart("istiod", revision.version),
                release=release_name(revision),
                namespace=namespace,
                values=(
                    {**istiod_values(args, revision), "podAnnotations": pod_annotations}
                    if pod_annotations is not None
                    else istiod_values(args, revision)
                ),
                opts=opts,
                mirror=args.mirror,
            )
        self.istiod = self.revisions[args.default_revision]
        self.register_outputs(
            {"revisions": {r.name: r.version for r in args.revisions}, "default": args.default_revision}
        )
