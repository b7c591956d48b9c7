"""What `pulumi destroy` leaves behind on purpose, and the commands that remove it when the cluster (or the
account's zone) is being retired. The stack's outputs are gone after a destroy: note these first
(docs/teardown.md)."""

from __future__ import annotations

import pulumi

from definitions.addresses import CERT_MANAGER_RELEASE
from settings.model import Settings
from stacks.dns import Dns
from stacks.mesh import Mesh

# The labels Istio's base chart puts on every CRD it templates (istio/istio 1.30.3,
# manifests/charts/base/templates/crds.yaml replaces the CRDs' labels with `istio.labels`, zzz_profile.yaml),
# with the release name this stack gives base (components/istio.py).
ISTIO_CRD_SELECTOR = "app.kubernetes.io/part-of=istio,app.kubernetes.io/instance=istio-base"
# cert-manager's CRDs (crds.keep): labelled `cert-manager.crd-labels` (cert-manager v1.21.1,
# deploy/charts/cert-manager/templates/_helpers.tpl): the chart's name, the release, component crds.
CERT_MANAGER_CRD_SELECTOR = (
    f"app.kubernetes.io/name=cert-manager,app.kubernetes.io/instance={CERT_MANAGER_RELEASE},"
    "app.kubernetes.io/component=crds"
)


def kept_on_destroy(settings: Settings, mesh: Mesh, dns: Dns | None) -> dict[str, pulumi.Input[str]]:
    """Kept object -> the command that deletes it (run once nothing uses it any more)."""
    context = f" --context {settings.kubernetes.context}" if settings.kubernetes.context else ""
    kept: dict[str, pulumi.Input[str]] = {
        "istioCrds": f"kubectl{context} delete crd -l {ISTIO_CRD_SELECTOR}",
    }
    if settings.tls_mode in ("acme", "ca"):
        kept["certManagerCrds"] = f"kubectl{context} delete crd -l {CERT_MANAGER_CRD_SELECTOR}"
    if mesh.gateway_api is not None and settings.gateway_api.retain_on_delete:
        kept["gatewayApiCrds"] = f"kubectl{context} delete -f {mesh.gateway_api.url}"
    if dns is not None and settings.dns.zone.create:
        if settings.dns_cloud == "gcp" and settings.gcp is not None:
            kept["dnsZone"] = pulumi.Output.concat(
                "gcloud dns managed-zones delete ", dns.zone.name, f" --project {settings.gcp.zone_project}"
            )
        else:
            kept["dnsZone"] = pulumi.Output.concat("aws route53 delete-hosted-zone --id ", dns.zone.id)
    return kept
