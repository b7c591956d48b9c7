"""`mesh`: mTLS, tracing, the data plane (sidecar or ambient), the CNI node agent, the workload namespaces."""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from definitions.addresses import ISTIO_NAMESPACE
from settings import dataplane
from settings.fields import DnsLabel, Section, dns_label
from settings.istio import RevisionName

if TYPE_CHECKING:
    from settings.model import Settings


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
        return {"name": dns_label(value)}
    return value


InjectedNamespace = Annotated[InjectedNamespaceSettings, BeforeValidator(_injected_namespace)]


# Istio 1.30.3 `global.platform`: every chart reads manifests/helm-profiles/platform-<name>.yaml and fails on any
# other name (templates/zzz_profile.yaml). On local the cluster's distribution picks one; `kind` has none (the
# charts' defaults fit it); gcp derives gke, aws needs none (settings/dataplane.py).
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

    @cached_property
    def listed_by_name(self) -> dict[str, InjectedNamespaceSettings]:
        """Name -> its entry (the first, if listed twice: namespace_problems refuses that), built once: asked per
        namespace, a scan of the list made the program cubic in the namespaces (docs/scale.md)."""
        by_name: dict[str, InjectedNamespaceSettings] = {}
        for namespace in self.namespaces:
            by_name.setdefault(namespace.name, namespace)
        return by_name

    def listed(self, name: str) -> InjectedNamespaceSettings | None:
        return self.listed_by_name.get(name)


def namespace_problems(settings: Settings) -> list[str]:
    """Workload namespaces are created by this stack: never one of its own, never twice."""
    problems = []
    reserved = {ISTIO_NAMESPACE: "the Istio control plane", settings.ingress.namespace: "the ingress gateway"}
    if settings.dns_enabled:
        reserved[settings.dns.namespace] = "external-dns"
    seen: set[str] = set()
    if settings.demo.enabled and settings.demo.namespace in reserved:
        problems.append(
            f"demo.namespace: {settings.demo.namespace!r} is the namespace of {reserved[settings.demo.namespace]}"
        )
    for namespace in settings.mesh.injected_namespaces:
        if namespace in reserved:
            problems.append(f"mesh.injectedNamespaces: {namespace!r} is the namespace of {reserved[namespace]}")
        if namespace in seen:
            problems.append(f"mesh.injectedNamespaces: {namespace!r} is listed twice")
        seen.add(namespace)
    return problems


def dataplane_problems(settings: Settings) -> list[str]:
    """Each namespace labelled for one data plane only, ambient with the CNI agent it needs, a waypoint only where
    it can bind, the node agents' platform only where it is not derived from the cloud."""
    problems = []
    mesh = settings.mesh
    if dataplane.ambient_enabled(settings) and mesh.cni.enabled is False:
        problems.append(
            "mesh.cni.enabled: ambient needs Istio's CNI node agent (it redirects every ambient pod's traffic to "
            "ztunnel); remove mesh.cni.enabled or set it true, or set every namespace's dataplane to sidecar"
        )
    if mesh.cni.platform is not None and settings.cloud != "local":
        derived = dataplane.CLOUD_PLATFORMS[settings.cloud] or "none, the charts' defaults"
        problems.append(
            f"mesh.cni.platform: derived from the cloud on {settings.cloud} ({derived}); remove it (local only)"
        )
    for index, namespace in enumerate(mesh.namespaces):
        key = f"mesh.injectedNamespaces[{index}]"
        mode = dataplane.namespace_dataplane(settings, namespace.name)
        if mode == "ambient" and namespace.revision is not None:
            problems.append(
                f"{key}.revision: {namespace.name} is ambient, and an ambient namespace is not pinned to a revision: "
                "istio.io/rev on it would give its pods sidecars (the injector wins), ztunnel has no canary and "
                "serves every ambient pod from the default revision, and its waypoint follows the default tag; "
                "remove revision, or set dataplane sidecar"
            )
        if namespace.waypoint and mode != "ambient":
            problems.append(
                f"{key}.waypoint: {namespace.name} runs sidecars, which already do L7 (a waypoint binds only ambient "
                "traffic); set its dataplane (or mesh.dataplane) to ambient, or remove waypoint"
            )
    demo = settings.demo
    if (
        demo.enabled
        and settings.verify_enabled
        and dataplane.namespace_dataplane(settings, demo.namespace) == "ambient"
        and not settings.dashboards.prometheus.enabled
    ):
        problems.append(
            "verify.enabled: the demo is ambient, where no sidecar sees the request at the backend: the mTLS "
            "evidence is ztunnel's metrics, read from Prometheus; enable dashboards.prometheus, or set "
            "verify.enabled false"
        )
    return problems
