"""Release names, and every in-cluster address derived from them.

Release names are API: a chart names its Services after its release, and other charts and the mesh config
point at those Services. They are chosen here, once, and every address is derived here from them.
"""

from __future__ import annotations

from dataclasses import dataclass

ISTIO_NAMESPACE = "istio-system"
# The gateway chart names its Service and Deployment after the release, and labels its pods
# `istio: <release without "istio-">`, i.e. `istio: ingressgateway` as in Istio's own profiles.
INGRESS_RELEASE = "istio-ingressgateway"
TRACING_PROVIDER = "jaeger"


@dataclass(frozen=True)
class ServiceAddress:
    service: str
    namespace: str
    port: int

    @property
    def host(self) -> str:
        return f"{self.service}.{self.namespace}.svc.cluster.local"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def jaeger_zipkin() -> ServiceAddress:
    """Where the mesh sends spans, Zipkin protocol: the Jaeger the dashboards install."""
    return ServiceAddress("jaeger", ISTIO_NAMESPACE, 9411)


# external-dns names its ServiceAccount after the release (`external-dns`, as the release contains the chart
# name); it is also set explicitly, because the IRSA trust, the pod-identity association and the GKE
# Workload Identity member all name it.
EXTERNAL_DNS_RELEASE = "external-dns"
EXTERNAL_DNS_SERVICE_ACCOUNT = "external-dns"
