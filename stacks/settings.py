"""Stack settings: parsed once, at the edge, into typed frozen objects.

Every top-level key of the project's stack config is one concern (`cloud`, `kubernetes`, `istio`, ...).
`load_settings` reports every problem at once (unknown keys with the nearest valid name, wrong types,
values outside what is accepted, version rules from stacks/versions.py) and raises before any resource is
registered, so a typo never turns into a silent default or a half-applied stack.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from stacks import versions
from stacks.addresses import ISTIO_NAMESPACE

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


def _istio_version(value: str) -> str:
    versions.check_istio_version(value)
    return value


def _gateway_api_version(value: str) -> str:
    versions.check_gateway_api_version(value)
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
IstioVersion = Annotated[str, AfterValidator(_istio_version)]
GatewayApiVersion = Annotated[str, AfterValidator(_gateway_api_version)]
Cloud = Literal["local", "gcp", "aws"]
ServiceType = Literal["LoadBalancer", "NodePort", "ClusterIP"]


class Section(BaseModel):
    """A block of stack config: camelCase keys, unknown keys refused, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=False)


class KubernetesSettings(Section):
    """Which cluster to talk to. Neither set: the ambient kubeconfig and its current context."""

    kubeconfig: Optional[str] = Field(None, description="path to a kubeconfig file, or its contents")
    context: Optional[str] = Field(None, description="kubeconfig context to use")


class IstioSettings(Section):
    version: IstioVersion = Field(versions.ISTIO_DEFAULT_VERSION, description="Istio release = chart version")
    access_logs: bool = Field(True, description="Envoy access logs to stdout (meshConfig.accessLogFile)")


class IngressSettings(Section):
    namespace: DnsLabel = "istio-ingress"
    service_type: Optional[ServiceType] = Field(
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
    zipkin_address: Optional[str] = Field(
        None, description="host:port of a Zipkin-protocol collector; default: the Jaeger this stack installs"
    )

    @model_validator(mode="after")
    def _address_is_host_port(self) -> "TracingSettings":
        if self.zipkin_address is not None and not re.match(r"^[a-z0-9.-]+:\d{1,5}$", self.zipkin_address):
            raise ValueError(f"zipkinAddress {self.zipkin_address!r} is not host:port")
        return self


class MeshSettings(Section):
    mtls: Literal["STRICT", "PERMISSIVE"] = "STRICT"
    tracing: TracingSettings = TracingSettings()
    injected_namespaces: tuple[DnsLabel, ...] = Field(
        (), description="namespaces created with istio-injection=enabled, for your applications"
    )


class Settings(Section):
    """The whole stack's settings, one attribute per top-level config key."""

    cloud: Cloud = "local"
    kubernetes: KubernetesSettings = KubernetesSettings()
    istio: IstioSettings = IstioSettings()
    ingress: IngressSettings = IngressSettings()
    gateway_api: GatewayApiSettings = GatewayApiSettings()
    mesh: MeshSettings = MeshSettings()

    @property
    def ingress_service_type(self) -> str:
        if self.ingress.service_type is not None:
            return self.ingress.service_type
        return "NodePort" if self.cloud == "local" else "LoadBalancer"


class SettingsError(Exception):
    """Every problem found in the stack config, one per line, each naming its key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n" + "\n".join(f"  - {p}" for p in problems))


def cross_section_problems(settings: Settings) -> list[str]:
    """Rules that span several sections; each problem names the key to change."""
    problems = []
    gateway_api = settings.gateway_api
    if gateway_api.tcp_routes and not versions.gateway_api_serves_tcproute(gateway_api.version, gateway_api.channel):
        problems.append(
            "gatewayApi.tcpRoutes: Istio reads TCPRoute only as v1alpha2, which the "
            f"{gateway_api.channel} channel of {gateway_api.version} does not serve; "
            "set gatewayApi.channel to experimental or tcpRoutes to false"
        )
    reserved = {ISTIO_NAMESPACE: "the Istio control plane", settings.ingress.namespace: "the ingress gateway"}
    seen: set[str] = set()
    for namespace in settings.mesh.injected_namespaces:
        if namespace in reserved:
            problems.append(f"mesh.injectedNamespaces: {namespace!r} is the namespace of {reserved[namespace]}")
        if namespace in seen:
            problems.append(f"mesh.injectedNamespaces: {namespace!r} is listed twice")
        seen.add(namespace)
    return problems


def load_settings(raw: dict[str, Any]) -> Settings:
    """Parse the project's config (top-level key -> value, objects as dicts or JSON strings)."""
    data = {key: _decode(value) for key, value in raw.items()}
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        raise SettingsError([_describe(e) for e in error.errors()]) from None
    problems = cross_section_problems(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def load_from_pulumi_config(project: str) -> Settings:
    """Read every `<project>:<key>` of the running stack, so unknown top-level keys are refused too."""
    from pulumi.runtime.config import CONFIG, get_config_env

    prefix = f"{project}:"
    config = {**get_config_env(), **CONFIG.get()}
    return load_settings({key[len(prefix):]: value for key, value in config.items() if key.startswith(prefix)})


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _describe(error: dict[str, Any]) -> str:
    loc = error["loc"]
    key = _dotted(loc)
    if error["type"] == "extra_forbidden":
        accepted = _keys_at(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), accepted, n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return f"{key}: unknown key{hint} (accepted: {', '.join(accepted)})"
    message = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if error["type"] != "value_error" and isinstance(given, (str, int, float, bool)):
        message += f" (got {given!r})"
    return f"{key}: {message}" if key else message


def _dotted(loc: tuple) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts)


def _keys_at(loc: tuple) -> list[str]:
    """The accepted camelCase keys of the section found by following `loc` from the root."""
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = next(f for name, f in model.model_fields.items() if (f.alias or name) == part)
        model = _section_type(field.annotation)
    return [field.alias or name for name, field in model.model_fields.items()]


def _section_type(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _section_type(arg)
        if found is not None:
            return found
    return None
