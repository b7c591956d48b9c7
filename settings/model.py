"""The whole stack config: one attribute per top-level key (each section's module beside this one), and what
the program derives from them.
"""

from __future__ import annotations

from pydantic import Field

from settings.cloud import AwsSettings, Cloud, GcpSettings, KubernetesSettings
from settings.dashboards import DashboardsSettings
from settings.dns import DnsSettings
from settings.fields import Section
from settings.gateway_api import GatewayApiSettings
from settings.ingress import GatewaySettings, IngressSettings
from settings.istio import IstioSettings
from settings.mesh import MeshSettings
from settings.mirror import MirrorSettings
from settings.multicluster import MultiClusterSettings, cluster_hostname
from settings.routes import DEMO_PORT, DEMO_SERVICE, DemoSettings, RouteSettings
from settings.security import PodSecurityMode, SecuritySettings
from settings.sizing import Profile, SizingSettings
from settings.tls import WILDCARD_SECRET, TlsSettings
from settings.verify import VerifySettings


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
        if self.multicluster is not None and self.multicluster.flat_networks:
            return False  # pods of another cluster on a flat network arrive from addresses the stack cannot know
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

    def hostnames(self, route: RouteSettings) -> list[str]:
        """The names a route answers to: its hostname; in one cluster of a mesh whose clusters write DNS, also
        `<route>.<cluster>.<domain>`, the record that cluster's external-dns writes (settings reduced to that
        cluster, stacks/multicluster.py cluster_settings)."""
        return self.host_names(self.hostname(route))

    def host_names(self, hostname: str) -> list[str]:
        """A name under dns.domain, and in one cluster of a mesh whose clusters write DNS, also that cluster's own
        (`<name>.<cluster>.<domain>`)."""
        if self.cluster_domain is None:
            return [hostname]
        assert self.multicluster is not None and self.dns.domain is not None
        return [hostname, cluster_hostname(hostname, self.dns.domain, self.multicluster.clusters[0].name)]

    @property
    def certificate_domains(self) -> tuple[str, ...]:
        """What the wildcard certificate covers (`*.<each>`), and so what cert-manager's DNS-01 identity may prove:
        dns.domain, and in one cluster of a mesh whose clusters write DNS its `<cluster>.<domain>` too."""
        return tuple(domain for domain in (self.dns.domain, self.cluster_domain) if domain is not None)

    @property
    def cluster_domain(self) -> str | None:
        """In one cluster of a mesh whose clusters write DNS: `<cluster>.<domain>`, under which that cluster's
        external-dns writes its own names (and its certificate covers them); None otherwise."""
        if self.multicluster is None or not self.dns_enabled or self.dns.domain is None:
            return None
        return f"{self.multicluster.clusters[0].name}.{self.dns.domain}"

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
        if self.multicluster is not None:
            return self.dns.enabled is True  # asked for: each cluster's external-dns into one zone
        return self.dns.enabled if self.dns.enabled is not None else self.cloud != "local"

    @property
    def dns_cloud(self) -> str | None:
        """Whose DNS external-dns writes to: the cluster's cloud, or on local the one cloud section given."""
        if not self.dns_enabled:
            return None
        if self.cloud != "local" and self.multicluster is None:
            return self.cloud
        return "gcp" if self.gcp is not None else "aws" if self.aws is not None else None

    @property
    def tls_mode(self) -> str:
        """What is set; else a local CA on local, acme where the stack manages DNS (gcp, aws), off without a
        domain (no Gateway to certify) or without DNS on a cloud (no zone to prove the domain with)."""
        if self.tls.mode is not None:
            return self.tls.mode
        if self.multicluster is not None:
            return "off"  # a mesh across clusters: HTTPS only when asked for
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
