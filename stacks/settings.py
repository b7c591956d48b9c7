"""Stack settings: parsed once, at the edge, into typed frozen objects.

Every top-level key of the project's stack config is one concern (`cloud`, `kubernetes`, `istio`, ...).
The models refuse unknown keys, wrong types and values outside what is accepted (version rules from
definitions/versions.py); stacks/loader.py runs them and the cross-section rules, and raises before any resource
is registered, so a typo never turns into a silent default or a half-applied stack.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from definitions import durations, versions
from definitions.addresses import UNREVISIONED
from stacks import quantities
from stacks.multicluster_settings import MultiClusterSettings
from stacks.settings_base import DNS_LABEL, DnsName, IstioVersion, Section, check_dns_name

_GCP_PROJECT = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
AWS_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
# Envoy retry conditions Istio's VirtualService accepts in retryOn (besides status codes).
ENVOY_RETRY_CONDITIONS = (
    "5xx",
    "gateway-error",
    "reset",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
)


def _dns_label(value: str) -> str:
    if len(value) > 63 or not DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


# Names that only resolve inside a cluster (cluster.local) or on a host or link: never a public DNS target.
NON_PUBLIC_SUFFIXES = ("local", "localhost")


def _dns_target(value: str) -> str:
    """An IP address, or a DNS name that is not an in-cluster or host-local name."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        check_dns_name(value)
        if any(value == suffix or value.endswith("." + suffix) for suffix in NON_PUBLIC_SUFFIXES):
            raise ValueError(
                f"{value!r} is not reachable from outside (names under .local, such as cluster.local, and .localhost "
                "resolve only inside a cluster or on a host); give a public IP or DNS name that reaches the ingress"
            ) from None
        return value
    if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
        raise ValueError(
            f"{value!r} is a loopback, link-local, unspecified or multicast address; give the IP or DNS name that "
            "reaches the ingress from where the zone is resolved"
        )
    return value


def _duration(value: str) -> str:
    durations.milliseconds(value)
    return value


# The HTTPRoute CRD's own rules for a PathPrefix match (kubernetes-sigs/gateway-api v1.5.1,
# config/crd/standard/gateway.networking.k8s.io_httproutes.yaml, x-kubernetes-validations of path): checked
# here so a bad prefix stops the run instead of failing the apply.
_PATH_CHARACTERS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")


def _path_prefix(value: str) -> str:
    if (
        not value.startswith("/")
        or len(value) > 1024
        or any(part in value for part in ("//", "/./", "/../", "%2f", "%2F", "#"))
        or value.endswith(("/..", "/."))
        or not _PATH_CHARACTERS.match(value)
    ):
        raise ValueError(
            f"{value!r} is not a path prefix (starts with /, at most 1024 URL path characters, no //, /./, /../, "
            "%2f or #, not ending in /. or /..)"
        )
    return value


def _retry_condition(value: str) -> str:
    if value in ENVOY_RETRY_CONDITIONS or (value.isdigit() and 400 <= int(value) <= 599):
        return value
    raise ValueError(
        f"{value!r} is not a retry condition: an HTTP status 400-599 or one of {', '.join(ENVOY_RETRY_CONDITIONS)}"
    )


def _gcp_project(value: str) -> str:
    if not _GCP_PROJECT.match(value):
        raise ValueError(f"{value!r} is not a GCP project id (6-30 lower-case letters, digits and '-')")
    return value


def _aws_region(value: str) -> str:
    if not _AWS_REGION.match(value):
        raise ValueError(f"{value!r} is not an AWS region, e.g. eu-west-1")
    return value


def _cpu(value: str) -> str:
    quantities.millicores(value)
    return value


def _memory(value: str) -> str:
    quantities.mebibytes(value)
    return value


# A revision's istiod Service is `istiod-<revision>`, a DNS-1035 label of at most 63 characters
# (istio/istio 1.30.3 manifests/charts/istio-control/istio-discovery/templates/service.yaml).
REVISION_NAME_MAX = 63 - len("istiod-")
# The istiod chart names the `default` tag's Service `istiod-revision-tag-default` (templates/revision-tags-svc.yaml):
# a revision named `revision-tag-...` would render a Service of the same name.
_TAG_SERVICE_PREFIX = "revision-tag-"


def _revision_name(value: str) -> str:
    if "." in value:
        raise ValueError(
            f"{value!r} contains a dot: Istio revision names are DNS-1123 labels without dots (e.g. 1-31-0)"
        )
    if len(value) > REVISION_NAME_MAX or not DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a revision name: a DNS-1123 label (lower-case letters, digits and '-') of at most "
            f"{REVISION_NAME_MAX} characters, so that its Service istiod-<revision> is a valid name"
        )
    if value.startswith(_TAG_SERVICE_PREFIX):
        raise ValueError(f"{value!r} would name its Service like the default tag's (istiod-revision-tag-...)")
    return value


def _gateway_api_version(value: str) -> str:
    versions.check_gateway_api_version(value)
    return value


# A registry prefix images are copied under: a host (with an optional port) and optional path, no scheme.
_REGISTRY_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$")


def _chart_repository(value: str) -> str:
    scheme, _, rest = value.partition("://")
    if scheme not in ("http", "https", "oci") or not rest.strip("/"):
        raise ValueError(
            f"{value!r} is not a chart repository: accepted a Helm repository URL (http:// or https://) or an "
            "OCI prefix (oci://registry/path)"
        )
    return value.rstrip("/")


def _mirror_location(value: str) -> str:
    """A base URL (http:// or https://), or a directory that exists where `pulumi up` runs."""
    if value.startswith(("http://", "https://")):
        return value.rstrip("/")
    if "://" in value:
        raise ValueError(f"{value!r}: accepted a base URL (http:// or https://) or a local directory")
    if not Path(value).is_dir():
        raise ValueError(f"{value!r} is not an existing directory; accepted a base URL (http(s)://) or a directory")
    return value.rstrip("/") or "/"


def _registry_prefix(value: str) -> str:
    if not _REGISTRY_PREFIX.match(value):
        raise ValueError(
            f"{value!r} is not a registry prefix: a registry host, optional :port and path, without a scheme, "
            "e.g. registry.internal.example/mesh"
        )
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
DnsTarget = Annotated[str, AfterValidator(_dns_target)]
Duration = Annotated[str, AfterValidator(_duration)]
PathPrefix = Annotated[str, AfterValidator(_path_prefix)]
RetryCondition = Annotated[str, AfterValidator(_retry_condition)]
Port = Annotated[int, Field(ge=1, le=65535)]
GcpProject = Annotated[str, AfterValidator(_gcp_project)]
AwsRegion = Annotated[str, AfterValidator(_aws_region)]
Cpu = Annotated[str, AfterValidator(_cpu)]
Memory = Annotated[str, AfterValidator(_memory)]
GatewayApiVersion = Annotated[str, AfterValidator(_gateway_api_version)]
RevisionName = Annotated[str, AfterValidator(_revision_name)]
ChartRepository = Annotated[str, AfterValidator(_chart_repository)]
MirrorLocation = Annotated[str, AfterValidator(_mirror_location)]
RegistryPrefix = Annotated[str, AfterValidator(_registry_prefix)]
Cloud = Literal["local", "gcp", "aws"]
ServiceType = Literal["LoadBalancer", "NodePort", "ClusterIP"]


class KubernetesSettings(Section):
    """Which cluster to talk to. Neither set: the ambient kubeconfig and its current context."""

    kubeconfig: str | None = Field(None, description="path to a kubeconfig file, or its contents")
    context: str | None = Field(None, description="kubeconfig context to use")


class IstioRevisionSettings(Section):
    """One istiod control plane: a revision name and the Istio release (= chart version) it runs."""

    name: RevisionName
    version: IstioVersion


class IstioSettings(Section):
    """The control plane: `version` alone (one revision), or `revisions` (one or two) and `defaultRevision`.

    `version: X` is the shorthand for `revisions: [{name: default, version: X}]`, `defaultRevision: default`:
    the revision `default` is the unrevisioned istiod (Pulumi resource `istio-istiod`, release `istiod`, no
    `revision` value), exactly what stacks installed before revisions existed, so their next `up` changes no
    control-plane object, and a second revision can be listed beside `default` later without touching it.
    """

    shorthand_version: IstioVersion | None = Field(
        None, alias="version", description="one revision, `default`, at this Istio release (the default: 1.31.4)"
    )
    revisions: tuple[IstioRevisionSettings, ...] | None = Field(
        None, description="one or two istiod revisions installed side by side (canary upgrades)"
    )
    default_revision: str | None = Field(
        None,
        description="the revision behind the `default` tag: istio-injection=enabled, validation, the ingress gateway",
    )
    access_logs: bool = Field(True, description="Envoy access logs to stdout (meshConfig.accessLogFile)")
    allow_unsupported: bool = Field(
        False,
        description="accept an Istio minor past its end of support as the only or the default revision (stacks/"
        "support.py): to stand up or keep the old side of an upgrade knowingly",
    )

    @property
    def installed(self) -> tuple[IstioRevisionSettings, ...]:
        if self.revisions is not None:
            return self.revisions
        version = self.shorthand_version or versions.ISTIO_DEFAULT_VERSION
        return (IstioRevisionSettings.model_validate({"name": UNREVISIONED, "version": version}),)

    @property
    def default(self) -> str:
        """The revision behind the `default` tag (stacks/rules.py refuses a name that is not installed)."""
        if self.default_revision is not None:
            return self.default_revision
        return self.installed[0].name

    @property
    def version(self) -> str:
        """The default revision's Istio release (the gateway chart's version)."""
        return next((r.version for r in self.installed if r.name == self.default), self.installed[0].version)


class IngressSettings(Section):
    namespace: DnsLabel = "istio-ingress"
    service_type: ServiceType | None = Field(
        None, description="default: LoadBalancer on gcp/aws, NodePort on local (no load balancer to wait for)"
    )
    annotations: dict[str, str] = Field(
        default_factory=dict, description="added to the Service, over the cloud's defaults"
    )


class GatewayApiSettings(Section):
    version: GatewayApiVersion = versions.GATEWAY_API_DEFAULT_VERSION
    channel: Literal["standard", "experimental"] = "standard"
    install: bool = Field(True, description="false where the cluster's provider manages the CRDs (GKE >= 1.34)")
    retain_on_delete: bool = Field(
        True, description="keep the CRDs (and every Gateway/route in the cluster) on pulumi destroy"
    )
    tcp_routes: bool = Field(False, description="enable TCPRoute in Istio (experimental channel only)")


class TracingSettings(Section):
    enabled: bool = True
    sampling: float = Field(1.0, ge=0, le=100, description="percent of requests traced")
    zipkin_address: str | None = Field(
        None, description="host:port of a Zipkin-protocol collector; default: the Jaeger this stack installs"
    )

    @model_validator(mode="after")
    def _address_is_host_port(self) -> TracingSettings:
        if self.zipkin_address is not None and not re.match(r"^[a-z0-9.-]+:\d{1,5}$", self.zipkin_address):
            raise ValueError(f"zipkinAddress {self.zipkin_address!r} is not host:port")
        return self


Dataplane = Literal["sidecar", "ambient"]
DATAPLANES: tuple[Dataplane, ...] = get_args(Dataplane)


class InjectedNamespaceSettings(Section):
    """A workload namespace: sidecars (following the default revision, or pinned to one: istio.io/rev=<revision>)
    or ambient (ztunnel on every node, a waypoint where L7 is needed)."""

    name: DnsLabel
    revision: RevisionName | None = Field(
        None, description="pinned: labelled istio.io/rev=<revision>, never istio-injection (sidecar only)"
    )
    dataplane: Dataplane | None = Field(None, description="sidecar or ambient; default: mesh.dataplane")
    waypoint: bool = Field(False, description="ambient only: a waypoint proxy (L7) for the namespace's services")


def _injected_namespace(value: object) -> object:
    """A plain name follows the default revision; {name, revision} pins the namespace to a revision."""
    if isinstance(value, str):
        return {"name": _dns_label(value)}
    return value


InjectedNamespace = Annotated[InjectedNamespaceSettings, BeforeValidator(_injected_namespace)]


# Istio 1.30.3 `global.platform`: every chart reads manifests/helm-profiles/platform-<name>.yaml and fails on any
# other name (templates/zzz_profile.yaml). On local the cluster's distribution picks one; `kind` has none (the
# charts' defaults fit it); gcp derives gke, aws needs none (stacks/dataplane.py).
ISTIO_PLATFORMS = ("gke", "k3d", "k3s", "microk8s", "minikube", "openshift")
LOCAL_PLATFORMS = ("kind", "k3d", "k3s", "microk8s", "minikube")


def _local_platform(value: str) -> str:
    if value not in LOCAL_PLATFORMS:
        known = "" if value in ISTIO_PLATFORMS else f"; Istio 1.30 knows only {', '.join(ISTIO_PLATFORMS)}"
        raise ValueError(
            f"{value!r} is not a local cluster platform this stack installs the CNI agent on (accepted: "
            f"{', '.join(LOCAL_PLATFORMS)}; kind uses the charts' defaults){known}"
        )
    return value


class CniSettings(Section):
    """Istio's CNI node agent (the `cni` chart): sets up each pod's traffic redirection from the node, so
    injected pods need no privileged `istio-init` (NET_ADMIN, NET_RAW); ambient needs it."""

    enabled: bool | None = Field(
        None, description="default: on with profile production or any ambient namespace, off otherwise"
    )
    platform: Annotated[str, AfterValidator(_local_platform)] | None = Field(
        None, description="local only: kind (default), k3d, k3s, microk8s, minikube (the CNI paths differ)"
    )


class MeshSettings(Section):
    mtls: Literal["STRICT", "PERMISSIVE"] = "STRICT"
    dataplane: Dataplane = Field(
        "sidecar", description="the data plane of every injected namespace that does not choose its own"
    )
    cni: CniSettings = CniSettings()
    tracing: TracingSettings = TracingSettings()
    namespaces: tuple[InjectedNamespace, ...] = Field(
        (),
        alias="injectedNamespaces",
        description="namespaces created for your applications: a name follows the default revision "
        "(istio-injection=enabled); {name, revision} is pinned (istio.io/rev=<revision>)",
    )

    @property
    def injected_namespaces(self) -> tuple[str, ...]:
        return tuple(namespace.name for namespace in self.namespaces)

    @property
    def pinned(self) -> dict[str, str]:
        """Namespace -> revision, for the pinned ones."""
        return {n.name: n.revision for n in self.namespaces if n.revision is not None}

    def listed(self, name: str) -> InjectedNamespaceSettings | None:
        return next((n for n in self.namespaces if n.name == name), None)


ExternalDnsSource = Literal[
    "service",
    "ingress",
    "istio-gateway",
    "istio-virtualservice",
    "gateway-httproute",
    "gateway-grpcroute",
    "gateway-tlsroute",
    "gateway-tcproute",
    "gateway-udproute",
]
# Every source whose API the default (standard) Gateway API channel serves.
DEFAULT_SOURCES: tuple[ExternalDnsSource, ...] = tuple(
    source for source in get_args(ExternalDnsSource) if source not in versions.EXTERNAL_DNS_SOURCES_NEEDING_EXPERIMENTAL
)


class ZoneSettings(Section):
    """The DNS zone external-dns writes to: an existing one by name or id, or one the stack creates."""

    name: str | None = Field(None, description="GCP: managed-zone name; AWS: hosted-zone name (the domain)")
    id: str | None = Field(None, description="GCP: numeric managed-zone id; AWS: hosted-zone id (Z...)")
    create: bool = Field(False, description="create a public zone for dns.domain; its name servers are an output")


class DnsSettings(Section):
    enabled: bool | None = Field(None, description="default: true on gcp and aws, false on local")
    domain: DnsName | None = Field(None, description="the domain external-dns manages (its domain filter)")
    zone: ZoneSettings = ZoneSettings()
    policy: Literal["upsert-only", "sync", "create-only"] = Field(
        "upsert-only", description="upsert-only never deletes records; sync also deletes the ones it owns"
    )
    sources: tuple[ExternalDnsSource, ...] = DEFAULT_SOURCES
    txt_owner_id: str | None = Field(None, description="default: <project>-<stack>, unique per stack")
    namespace: DnsLabel = "external-dns"
    target: DnsTarget | None = Field(
        None,
        description="the public IP or DNS name records point at (external-dns' target annotation on the Gateways); "
        "required when the ingress Service is not a LoadBalancer",
    )


class GcpSettings(Section):
    """Google Cloud: the cluster's project, and where the DNS zone lives."""

    project: GcpProject = Field(description="the GKE cluster's project (holds the DNS service account)")
    dns_project: GcpProject | None = Field(None, description="project of the managed zone; default: project")
    identity: Literal["workload-identity", "key"] = Field(
        "workload-identity", description="key: a service-account key in the Secret cloud-dns-key"
    )
    zone_visibility: Literal["public", "private"] = "public"

    @property
    def zone_project(self) -> str:
        return self.dns_project or self.project


class AwsSettings(Section):
    region: AwsRegion
    cluster_name: str | None = Field(None, description="the EKS cluster (irsa: its OIDC issuer; pod-identity)")
    oidc_issuer_url: str | None = Field(None, description="irsa without a cluster lookup: the issuer URL")
    identity: Literal["irsa", "pod-identity", "access-key"] = "irsa"
    zone_type: Literal["public", "private"] = "public"

    @model_validator(mode="after")
    def _issuer_is_https(self) -> AwsSettings:
        if self.oidc_issuer_url is not None and not self.oidc_issuer_url.startswith("https://"):
            raise ValueError(f"oidcIssuerUrl {self.oidc_issuer_url!r} must be an https:// URL")
        return self


class Switch(Section):
    enabled: bool = True


class KialiOpenId(Section):
    issuer_uri: str = Field(description="https:// URL of the OpenID provider")
    client_id: str
    client_secret: str = Field(description="set with `pulumi config set --secret`")


class KialiSettings(Section):
    enabled: bool = True
    auth: Literal["token", "openid", "anonymous"] = Field(
        "token", description="anonymous only while Kiali stays private (port-forward)"
    )
    openid: KialiOpenId | None = None


class ExposeSettings(Section):
    """Publish Kiali and Grafana through the shared Gateway, over HTTPS, never anonymously."""

    enabled: bool = False
    kiali_host: DnsName | None = Field(None, description="default: kiali.<dns.domain>")
    grafana_host: DnsName | None = Field(None, description="default: grafana.<dns.domain>")


class DashboardsSettings(Section):
    prometheus: Switch = Switch()
    grafana: Switch = Switch()
    jaeger: Switch = Switch()
    kiali: KialiSettings = KialiSettings()
    expose: ExposeSettings = ExposeSettings()


class GatewaySettings(Section):
    """The shared Gateway API Gateway serving *.<dns.domain> through the mesh's ingress gateway."""

    name: DnsLabel = "mesh-gateway"
    tls_secret: str | None = Field(
        None,
        description="replaced by tls.mode secret and tls.secret; refused with a message saying so (stacks/rules.py)",
    )


class RetrySettings(Section):
    attempts: int = Field(ge=0, description="0 turns retries off")
    per_try_timeout: Duration | None = None
    conditions: tuple[RetryCondition, ...] = Field(
        (), description="kind http: status codes; kind istio: status codes and Envoy conditions (retryOn)"
    )


class OutlierDetectionSettings(Section):
    consecutive5xx_errors: int = Field(5, ge=0, alias="consecutive5xxErrors")
    interval: Duration = "10s"
    base_ejection_time: Duration = "30s"
    max_ejection_percent: int = Field(50, ge=0, le=100)


class ConnectionPoolSettings(Section):
    max_connections: int | None = Field(None, ge=1)
    http1_max_pending_requests: int | None = Field(None, ge=1, alias="http1MaxPendingRequests")
    max_requests_per_connection: int | None = Field(None, ge=1)


class DestinationSettings(Section):
    """Failure handling for the route's service, as an Istio DestinationRule."""

    outlier_detection: OutlierDetectionSettings | None = None
    connection_pool: ConnectionPoolSettings | None = None


class RouteSettings(Section):
    """A service published through the mesh at a hostname under dns.domain."""

    name: DnsLabel
    namespace: DnsLabel
    kind: Literal["http", "istio", "tcp"] = Field(
        "http", description="http: Gateway API HTTPRoute; istio: Istio Gateway + VirtualService; tcp: TCPRoute"
    )
    hostname: DnsName | None = Field(None, description="default: <name>.<dns.domain>")
    service: DnsLabel | None = Field(None, description="default: the route's name")
    port: Port = 80
    path_prefix: PathPrefix | None = Field(None, description="default / (http and istio only)")
    timeout: Duration | None = None
    retries: RetrySettings | None = None
    listener_port: Port | None = Field(None, description="tcp: the port opened on the ingress load balancer")
    destination: DestinationSettings | None = None

    @property
    def service_name(self) -> str:
        return self.service or self.name

    @property
    def path(self) -> str:
        return self.path_prefix or "/"


DEMO_SERVICE = "httpbin"
DEMO_PORT = 8000


class DemoSettings(Section):
    """An httpbin workload published at demo.<dns.domain>, to prove the path end to end."""

    enabled: bool = False
    namespace: DnsLabel = "demo"


Profile = Literal["dev", "production"]


class ContainerSizing(Section):
    """One container's requests and memory limit, over the profile's (stacks/profiles.py); unset: the profile's."""

    cpu: Cpu | None = Field(None, description="CPU request, e.g. 100m")
    memory: Memory | None = Field(None, description="memory request, e.g. 128Mi")
    memory_limit: Memory | None = Field(None, description="memory limit, at least the request")


class GatewaySizing(ContainerSizing):
    min_replicas: int | None = Field(None, ge=1, le=100, description="the autoscaler's minimum")
    max_replicas: int | None = Field(None, ge=1, le=100, description="the autoscaler's maximum")


class SizingSettings(Section):
    """Overrides of the profile's sizing where users need them; every other number comes from the profile."""

    istiod: ContainerSizing = ContainerSizing()
    gateway: GatewaySizing = GatewaySizing()
    sidecar: ContainerSizing = ContainerSizing()


# The wildcard certificate cert-manager issues (acme, ca) and its Secret, in the ingress namespace.
WILDCARD_CERTIFICATE = "mesh-wildcard"
WILDCARD_SECRET = "mesh-wildcard-tls"
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
TlsMode = Literal["acme", "ca", "secret", "off"]


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address (name@example.com); Let's Encrypt needs a reachable one")
    return value


class TlsSettings(Section):
    """HTTPS on the shared Gateway and the classic Istio Gateway: one wildcard certificate for *.<dns.domain>."""

    mode: TlsMode | None = Field(
        None,
        description="acme: Let's Encrypt by DNS-01 (default on gcp/aws); ca: a local CA (default on local); "
        "secret: a kubernetes.io/tls Secret you provide; off: HTTP only",
    )
    email: Annotated[str, AfterValidator(_email)] | None = Field(
        None, description="acme: the account e-mail Let's Encrypt sends expiry notices to"
    )
    server: Literal["production", "staging"] = Field(
        "production", description="acme: staging for throwaway stacks (its certificates are not trusted)"
    )
    secret: DnsLabel | None = Field(None, description="secret: the kubernetes.io/tls Secret in the ingress namespace")


class VerifySettings(Section):
    """An in-cluster check after every `up`: a Job Pulumi waits for, whose failure fails the `up`."""

    enabled: bool | None = Field(None, description="default: true when the demo or a route is published")
    run_id: str = Field(
        "", max_length=63, description="part of the Job's name: change it to re-run the checks on an unchanged stack"
    )
    deadline_seconds: int = Field(
        420, ge=60, le=1800, description="the Job's activeDeadlineSeconds: the whole run, its retry included"
    )
    ready_wait_seconds: int = Field(60, ge=0, le=600, description="how long a new route may take to answer")
    trace_wait_seconds: int = Field(60, ge=0, le=600, description="how long the demo's trace may take to reach Jaeger")
    metrics_wait_seconds: int = Field(
        120, ge=0, le=600, description="how long Prometheus may take to scrape the demo's requests (every 15 s)"
    )


PodSecurityMode = Literal["enforce", "warn"]


class SecuritySettings(Section):
    """Least privilege in the cluster: NetworkPolicies on the stack's namespaces, Pod Security Admission labels."""

    network_policies: bool | None = Field(
        None,
        description="ingress to the stack's servers only from the flows it needs (stacks/network_policies.py); "
        "default: on with profile production, off with dev",
    )
    pod_security: PodSecurityMode | None = Field(
        None,
        description="enforce: pods below their namespace's level are refused (default with profile production); "
        "warn: they are admitted with a warning and an audit annotation (default with dev)",
    )


class ChartMirrorSettings(Section):
    repository: ChartRepository = Field(
        description="every chart from this Helm repository (http(s)://) or OCI prefix (oci://registry/path)"
    )
    overrides: dict[str, ChartRepository] = Field(
        default_factory=dict, description="chart name -> its own repository or OCI prefix"
    )
    username: str | None = Field(None, description="for the repository and every override")
    password: str | None = Field(None, description="`pulumi config set --secret --path mirror.charts.password`")


class MirrorSettings(Section):
    """Air-gapped installs: every chart, bundle, dashboard and image from the mirror (docs/air-gapped.md); nothing
    public is reached by the program or the cluster."""

    charts: ChartMirrorSettings
    gateway_api: MirrorLocation | None = Field(
        None, description="base URL or directory holding <version>/<channel>-install.yaml (with gatewayApi.install)"
    )
    istio_dashboards: MirrorLocation | None = Field(
        None, description="base URL or directory holding <istio version>/<file> (needed with Grafana)"
    )
    images: RegistryPrefix = Field(
        description="registry prefix every image is copied under: <prefix>/<path without its registry host>"
    )


class Settings(Section):
    """The whole stack's settings, one attribute per top-level config key."""

    cloud: Cloud = "local"
    profile: Profile = Field(
        "dev", description="sizes everything: dev fits a laptop cluster; production survives the loss of a node"
    )
    sizing: SizingSettings = SizingSettings()
    kubernetes: KubernetesSettings = KubernetesSettings()
    istio: IstioSettings = IstioSettings()
    ingress: IngressSettings = IngressSettings()
    gateway_api: GatewayApiSettings = GatewayApiSettings()
    mesh: MeshSettings = MeshSettings()
    dns: DnsSettings = DnsSettings()
    gcp: GcpSettings | None = None
    aws: AwsSettings | None = None
    dashboards: DashboardsSettings = DashboardsSettings()
    gateway: GatewaySettings = GatewaySettings()
    routes: tuple[RouteSettings, ...] = ()
    demo: DemoSettings = DemoSettings()
    tls: TlsSettings = TlsSettings()
    verify: VerifySettings = VerifySettings()
    security: SecuritySettings = SecuritySettings()
    mirror: MirrorSettings | None = None
    multicluster: MultiClusterSettings | None = None

    @property
    def network_policies(self) -> bool:
        if self.security.network_policies is not None:
            return self.security.network_policies
        return self.profile == "production"

    @property
    def pod_security_mode(self) -> PodSecurityMode:
        if self.security.pod_security is not None:
            return self.security.pod_security
        return "enforce" if self.profile == "production" else "warn"

    @property
    def injected_namespaces(self) -> tuple[str, ...]:
        """Namespaces created for workloads: the configured ones, plus the demo's."""
        demo = (self.demo.namespace,) if self.demo.enabled else ()
        return self.mesh.injected_namespaces + tuple(n for n in demo if n not in self.mesh.injected_namespaces)

    def hostname(self, route: RouteSettings) -> str:
        return route.hostname or f"{route.name}.{self.dns.domain}"

    @property
    def published_routes(self) -> tuple[RouteSettings, ...]:
        """The configured routes, plus the demo's."""
        if not self.demo.enabled:
            return self.routes
        demo = RouteSettings.model_validate(
            {
                "name": "demo",
                "namespace": self.demo.namespace,
                "service": DEMO_SERVICE,
                "port": DEMO_PORT,
                "timeout": "10s",
            }
        )
        return (*self.routes, demo)

    @property
    def dns_enabled(self) -> bool:
        return self.dns.enabled if self.dns.enabled is not None else self.cloud != "local"

    @property
    def dns_cloud(self) -> str | None:
        """Whose DNS external-dns writes to: the cluster's cloud, or on local the one cloud section given."""
        if not self.dns_enabled:
            return None
        if self.cloud != "local":
            return self.cloud
        return "gcp" if self.gcp is not None else "aws" if self.aws is not None else None

    @property
    def tls_mode(self) -> str:
        """What is set; else a local CA on local, acme where the stack manages DNS (gcp, aws), off without a
        domain (no Gateway to certify) or without DNS on a cloud (no zone to prove the domain with)."""
        if self.tls.mode is not None:
            return self.tls.mode
        if self.dns.domain is None:
            return "off"
        if self.cloud == "local":
            return "ca"
        return "acme" if self.dns_enabled else "off"

    @property
    def cert_manager_installed(self) -> bool:
        """cert-manager issues the certificate (acme, ca) of a shared Gateway (there is one with a domain)."""
        return self.tls_mode in ("acme", "ca") and self.dns.domain is not None

    @property
    def tls_secret(self) -> str | None:
        """The Secret the HTTPS listeners serve: the user's (secret), cert-manager's (acme, ca), none (off)."""
        mode = self.tls_mode
        if mode == "secret":
            return self.tls.secret
        return WILDCARD_SECRET if mode in ("acme", "ca") else None

    @property
    def ingress_service_type(self) -> str:
        if self.ingress.service_type is not None:
            return self.ingress.service_type
        return "NodePort" if self.cloud == "local" else "LoadBalancer"

    @property
    def verify_enabled(self) -> bool:
        return self.verify.enabled if self.verify.enabled is not None else bool(self.published_routes)


class SettingsError(Exception):
    """Every problem found in the stack config, one per line, each naming its key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n" + "\n".join(f"  - {p}" for p in problems))
