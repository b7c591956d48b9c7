"""Every pinned chart, CRD bundle and repository URL, and the rules for which versions fit together.

This is the one place a version or a repository URL is written. Settings validation (settings/)
calls the rule functions below, so an incompatible combination fails before any resource exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class ChartRef:
    """A Helm chart pinned to one version in one repository."""

    chart: str
    version: str
    repository: str


# Istio's charts of every release, in a classic Helm repository, since Istio moved its release artifacts off Google
# Cloud hosting (the old bucket publishes no 1.31+ artifacts and its charts are removed in December 2026). The same
# charts are published as OCI under ISTIO_OCI_REPOSITORY: a stack reaches them through `mirror.charts`
# (docs/air-gapped.md). Images stay on docker.io/istio.
ISTIO_REPOSITORY = "https://blob.istio.io/istio-release/charts"
ISTIO_OCI_REPOSITORY = "oci://ghcr.io/istio/release/charts"
# The newest 1.31 patch (docs/supported-versions.md, "Why Istio 1.31.4": 1.30 reached its end of support about six
# weeks after 1.32.0, 1.30.3 has known vulnerabilities, and 1.31.4 is the newest release of a supported minor).
ISTIO_DEFAULT_VERSION = "1.31.4"
# Istio publishes base, istiod, gateway, cni (the CNI node agent, source manifests/charts/istio-cni) and ztunnel at
# the Istio version itself, in the same repository.
ISTIO_CHARTS = ("base", "istiod", "gateway", "cni", "ztunnel")

# `base.validationFailurePolicy` exists only from these patch releases on (istio/istio#57643). Without it,
# istiod flips its validating webhook from Ignore to Fail after install and every `pulumi up` fights it
# (pulumi/pulumi-kubernetes#2210). Minor versions newer than the last listed one carry it too.
ISTIO_FIRST_PATCH_WITH_FAILURE_POLICY = {(1, 28): 10, (1, 29): 6, (1, 30): 3}

# The Kubernetes minors each Istio minor supports (istio/istio.io data/compatibility/supportStatus.yml,
# k8sVersions), first and last. A newer Istio minor brings its own range: Istio's table, not this one.
ISTIO_KUBERNETES = {
    (1, 28): ((1, 30), (1, 34)),
    (1, 29): ((1, 31), (1, 35)),
    (1, 30): ((1, 32), (1, 36)),
    (1, 31): ((1, 32), (1, 36)),
}

# Istio supports a minor until about six weeks after the minor two above it is released (istio.io "Supported
# Releases": "until 6 weeks after the N+2 minor release"). The release dates are the commit times of the
# `istio.io/api` release tags (module proxy, `go list -m -json istio.io/api@vX.Y.0`), which Istio tags at every
# release: 1.30.0 is not served there, istio.io's 1.30.x page gives 2026-05-18. A minor not listed here is
# supported: the minor two above it has not been released (1.33 for 1.31), so its end is not known yet.
ISTIO_MINOR_RELEASED = {
    (1, 28): date(2025, 10, 27),
    (1, 29): date(2026, 2, 9),
    (1, 30): date(2026, 5, 18),
    (1, 31): date(2026, 8, 24),
    (1, 32): date(2026, 10, 21),
}
ISTIO_SUPPORT_AFTER_SECOND_NEXT_MINOR = timedelta(weeks=6)
ISTIO_SUPPORT_ENDS = {
    (major, minor): ISTIO_MINOR_RELEASED[(major, minor + 2)] + ISTIO_SUPPORT_AFTER_SECOND_NEXT_MINOR
    for major, minor in ISTIO_MINOR_RELEASED
    if (major, minor + 2) in ISTIO_MINOR_RELEASED
}
# The newest patch of each minor the module proxy lists (istio.io/api tags, 2026-12-07): what a refusal proposes.
ISTIO_NEWEST_PATCH = {(1, 29): 8, (1, 30): 8, (1, 31): 4, (1, 32): 0}

# v1.6.1: the newest release readable at its tag here (v1.6.3 and v1.7.0 exist upstream, not verified here); Istio 1.31
# builds against v1.6.0 and reads TCPRoute only from a v1.6+ bundle (below).
GATEWAY_API_DEFAULT_VERSION = "v1.6.1"
GATEWAY_API_CHANNELS = ("standard", "experimental")
GATEWAY_API_BUNDLE_URL = (
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/{version}/{channel}-install.yaml"
)
# TLSRoute's CEL validation in v1.5 needs Kubernetes 1.31 (kubernetes-sigs/gateway-api v1.5.0 release notes).
GATEWAY_API_KUBERNETES_MINIMUM = (1, 31)
# v1.5 installs an admission policy that refuses any older bundle over it (and experimental over standard),
# so a stack must never try to apply an older bundle: the chapter's v1.1.0 cannot be applied next to it.
GATEWAY_API_MINIMUM = (1, 5, 0)

EXTERNAL_DNS = ChartRef("external-dns", "1.21.1", "https://kubernetes-sigs.github.io/external-dns/")
# The prefix of the annotations external-dns reads (hostname, target), handed to it explicitly (chart value
# `annotationPrefix`, flag `--annotation-prefix`, both in chart 1.21.1 / v0.21.0, whose default it is): external-dns
# 0.22 (chart 1.22.0) changes the default to `external-dns.kubernetes.io/` with no fallback (v0.22.0
# source/annotations/annotations.go), which would silently drop every annotation the stack writes.
EXTERNAL_DNS_ANNOTATION_PREFIX = "external-dns.alpha.kubernetes.io/"
PROMETHEUS = ChartRef("prometheus", "29.27.0", "https://prometheus-community.github.io/helm-charts")
# Grafana's charts moved to the community repository in Jan 2026.
GRAFANA = ChartRef("grafana", "12.11.1", "https://grafana-community.github.io/helm-charts")
JAEGER = ChartRef("jaeger", "4.11.1", "https://jaegertracing.github.io/helm-charts")
KIALI = ChartRef("kiali-server", "2.29.0", "https://kiali.org/helm-charts")
# cert-manager publishes its chart at the app version, `v`-prefixed (cert-manager/cert-manager v1.21.1
# deploy/charts/cert-manager). OCI (oci://quay.io/jetstack/charts/cert-manager) is the documented source, but the
# classic repository serves the same chart and goes through `repository_opts.repo` like every other chart here.
CERT_MANAGER = ChartRef("cert-manager", "v1.21.1", "https://charts.jetstack.io")
# cert-manager v1.21 supports Kubernetes 1.33 to 1.36 (cert-manager.io docs/releases, "Supported Kubernetes
# versions"): with tls.mode acme or ca it narrows the stack's range.
CERT_MANAGER_KUBERNETES = ((1, 33), (1, 36))
# The image of the chart's own post-install API check (values.yaml startupapicheck.image, tag = appVersion), run
# by this stack as a plain Job because Chart v4 drops Helm hooks (components/cert_manager.py). Pinned by digest:
# the v1.21.1 digest as four independent public pins record it beside the controller, webhook and cainjector
# digests of the same release (library find_string `cert-manager-startupapicheck:v1.21.1@sha256`: a Helm
# render-and-validate script's expected image set, and a LiveKit operations config, in their copies); the
# release's own manifests name images by tag only.
CERT_MANAGER_API_CHECK_IMAGE = (
    "quay.io/jetstack/cert-manager-startupapicheck:v1.21.1"
    "@sha256:d8ab6416e6e7303a86fa0a8daa82c94a8001f21c9d78eb2e7db20534e5d07ae8"
)


@dataclass(frozen=True)
class ChartImage:
    """One image a pinned chart runs, and the chart value that moves it to a mirror registry.

    `image` is the reference the chart renders by default (registry host, path, tag; `{version}` for charts
    whose images follow the chart version). `value` is the dotted chart value that names where it comes from;
    the chart appends the last `appended` path segments of the image's path itself, so the value is the
    mirrored path without them (0: the value is the whole repository; 1: a hub the chart adds the image name to;
    2: a registry the chart adds `namespace/name` to). Tags and digests stay the chart's.
    """

    image: str
    value: str
    appended: int = 0


@dataclass(frozen=True)
class ChartImages:
    """Every image one chart runs, read in its values.yaml and templates at `read_at` (None: at every version,
    the images' tags being the chart version)."""

    read_at: str | None
    images: tuple[ChartImage, ...]


# Per chart, every image it runs with this stack's values: a chart without an entry cannot be mirrored (tests
# fail), and an entry read at another version than the pinned one is refused, so a chart upgrade means reading
# its images again. Adding a chart is one entry.
CHART_IMAGES: dict[str, ChartImages] = {
    # Istio's image templates read the same at 1.30.3 and 1.31.0-rc.0 (istiod, cni, ztunnel: hub/name:tag[-variant]).
    # base 1.30.3 renders CRDs, a webhook configuration and a ServiceAccount: no pod.
    "base": ChartImages(None, ()),
    # istio/istio manifests/charts/istio-control/istio-discovery: templates/deployment.yaml renders
    # `<global.hub>/pilot:<global.tag>`; the injection templates (files/injection-template.yaml,
    # gateway-injection-template.yaml) `<global.hub>/proxyv2:<global.tag>` for every sidecar, istio-init and
    # gateway. Released charts set hub docker.io/istio and tag = the chart version.
    "istiod": ChartImages(
        None,
        (
            ChartImage("docker.io/istio/pilot:{version}", "global.hub", appended=1),
            ChartImage("docker.io/istio/proxyv2:{version}", "global.hub", appended=1),
        ),
    ),
    # manifests/charts/gateway/templates/deployment.yaml: `image: auto`, filled by istiod's gateway injection
    # template from istiod's global.hub (the proxyv2 above).
    "gateway": ChartImages(None, ()),
    # manifests/charts/istio-cni templates/daemonset.yaml: `<hub | global.hub>/install-cni:<tag>`.
    "cni": ChartImages(None, (ChartImage("docker.io/istio/install-cni:{version}", "global.hub", appended=1),)),
    # manifests/charts/ztunnel templates/daemonset.yaml: `<hub>/ztunnel:<tag>`, global.* flattened onto the top
    # level first (templates/zzz_profile.yaml), so global.hub sets it.
    "ztunnel": ChartImages(None, (ChartImage("docker.io/istio/ztunnel:{version}", "global.hub", appended=1),)),
    # charts/external-dns values.yaml image.repository; tag: v + appVersion 0.21.0 (templates/_helpers.tpl).
    "external-dns": ChartImages(
        "1.21.1", (ChartImage("registry.k8s.io/external-dns/external-dns:v0.21.0", "image.repository"),)
    ),
    # charts/prometheus values.yaml server.image (tag: appVersion v3.14.0) and configmapReload.prometheus.image,
    # templates/deploy.yaml; alertmanager, pushgateway, kube-state-metrics and node-exporter are off.
    "prometheus": ChartImages(
        "29.27.0",
        (
            ChartImage("quay.io/prometheus/prometheus:v3.14.0", "server.image.repository"),
            ChartImage(
                "quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1",
                "configmapReload.prometheus.image.repository",
            ),
        ),
    ),
    # charts/grafana values.yaml image (tag: appVersion 13.2.0); templates/_pod.tpl renders
    # `<registry>/<repository>:<tag>`. Its other images never run with this stack's values: init-chown-data
    # (initChownData.image, busybox) only `if and persistence.enabled initChownData.enabled`, and the stack turns
    # initChownData off (components/dashboards.py); k8s-sidecar (sidecar.image) only with a sidecar.<kind>.enabled,
    # all false in values.yaml and set by no stack. tests/test_mirror_command.py fails if either starts running.
    "grafana": ChartImages("12.11.1", (ChartImage("docker.io/grafana/grafana:13.2.0", "image.registry", appended=2),)),
    # charts/jaeger values.yaml jaeger.image (registry "" = Docker Hub; tag: appVersion 2.19.0), rendered by
    # bitnami common.images.image as `<registry>/<repository>:<tag>`; the Elasticsearch jobs and spark are off.
    "jaeger": ChartImages(
        "4.11.1", (ChartImage("docker.io/jaegertracing/jaeger:2.19.0", "jaeger.image.registry", appended=2),)
    ),
    # kiali-server values.yaml deployment.image_name, templates/deployment.yaml `<image_name>:<image_version>`
    # (image_version is filled with the release tag when the chart is published).
    "kiali-server": ChartImages("2.29.0", (ChartImage("quay.io/kiali/kiali:v2.29.0", "deployment.image_name"),)),
    # deploy/charts/cert-manager values.yaml: every component is `<imageRegistry>/<imageNamespace>/<name>`
    # (imageRegistry "can include path prefixes"), tag = appVersion; the controller passes the acmesolver
    # image to its HTTP-01 solver pods. startupapicheck is off: the stack's own API check runs
    # CERT_MANAGER_API_CHECK_IMAGE.
    "cert-manager": ChartImages(
        "v1.21.1",
        tuple(
            ChartImage(f"quay.io/jetstack/{name}:v1.21.1", "imageRegistry", appended=2)
            for name in (
                "cert-manager-controller",
                "cert-manager-webhook",
                "cert-manager-cainjector",
                "cert-manager-acmesolver",
            )
        ),
    ),
}
# The ambient profile (manifests/helm-profiles/ambient.yaml at 1.30.3) sets global.variant: distroless, which the
# istiod, injection and cni templates append to the tag (`:<tag>-distroless`); the stack gives ztunnel no profile.
ISTIO_AMBIENT_VARIANT = "distroless"
ISTIO_CHARTS_WITH_AMBIENT_PROFILE = ("istiod", "cni")

LETSENCRYPT_SERVERS = {
    "production": "https://acme-v02.api.letsencrypt.org/directory",
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}

# external-dns 0.21 reads these Gateway API route kinds only at v1alpha2. Gateway API >= v1.5 serves
# v1alpha2 for them only in the experimental channel; watching an API that is not served makes
# external-dns crash-loop ("failed to sync cache").
EXTERNAL_DNS_SOURCES_NEEDING_EXPERIMENTAL = ("gateway-tlsroute", "gateway-tcproute", "gateway-udproute")

# Istio reads TCPRoute as v1 from 1.31 on (pkg/config/schema/collections at 1.31.0-rc.0: in the stable Gateway API
# set, no PILOT_ENABLE_ALPHA_GATEWAY_API needed), and only from a bundle of v1.6.0 or newer
# (pkg/config/schema/gatewayapi/minimumversions.go: an older TCPRoute CRD is not watched). Before 1.31 it reads it
# only as v1alpha2 behind PILOT_ENABLE_ALPHA_GATEWAY_API (pkg/config/schema/gvk at 1.30.3).
ISTIO_TCPROUTE_V1_FROM = (1, 31)
# Gateway API v1.6 graduates TCPRoute and UDPRoute to v1: the standard channel serves v1 only, experimental v1 and
# v1alpha2 (config/crd at v1.6.1); v1.5 serves TCPRoute only in experimental, at v1alpha2.
GATEWAY_API_TCPROUTE_V1_FROM = (1, 6, 0)

_ISTIO_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_GATEWAY_API_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")


def istio_chart(chart: str, version: str) -> ChartRef:
    return ChartRef(chart, version, ISTIO_REPOSITORY)


def gateway_api_bundle_url(version: str, channel: str) -> str:
    return GATEWAY_API_BUNDLE_URL.format(version=version, channel=channel)


def parse_istio_version(version: str) -> tuple[int, int, int]:
    match = _ISTIO_VERSION.match(version)
    if not match:
        raise ValueError(
            f"{version!r} is not an Istio version; expected MAJOR.MINOR.PATCH, e.g. {ISTIO_DEFAULT_VERSION}"
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def check_istio_version(version: str) -> None:
    """Refuse versions whose charts lack `base.validationFailurePolicy`."""
    major, minor, patch = parse_istio_version(version)
    supported = ", ".join(f"{a}.{b}.{p}+" for (a, b), p in ISTIO_FIRST_PATCH_WITH_FAILURE_POLICY.items())
    newest = max(ISTIO_FIRST_PATCH_WITH_FAILURE_POLICY)
    first_patch = ISTIO_FIRST_PATCH_WITH_FAILURE_POLICY.get((major, minor))
    if (major, minor) > newest:
        return
    if first_patch is None or patch < first_patch:
        raise ValueError(
            f"Istio {version} has no base.validationFailurePolicy, so istiod would flip its webhook on every up; "
            f"accepted: {supported}, or a newer minor"
        )


def istio_support_problem(version: str, today: date) -> str | None:
    """Why `version`'s minor is out of support on `today` (the date and the newest patch of a supported minor), or
    None while it is supported."""
    major, minor, _ = parse_istio_version(version)
    ends = ISTIO_SUPPORT_ENDS.get((major, minor))
    if ends is None or today <= ends:
        return None
    last = ISTIO_NEWEST_PATCH.get((major, minor))
    last_patch = f", its last patch {major}.{minor}.{last} included" if last is not None else ""
    return (
        f"Istio {major}.{minor} is out of support since {ends.isoformat()} (six weeks after {major}.{minor + 2}.0"
        f"{last_patch}); the newest patch of a supported minor is {ISTIO_DEFAULT_VERSION}"
    )


def parse_gateway_api_version(version: str) -> tuple[int, int, int]:
    match = _GATEWAY_API_VERSION.match(version)
    if not match:
        raise ValueError(
            f"{version!r} is not a Gateway API release; expected vMAJOR.MINOR.PATCH, e.g. {GATEWAY_API_DEFAULT_VERSION}"
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def check_gateway_api_version(version: str) -> None:
    if parse_gateway_api_version(version) < GATEWAY_API_MINIMUM:
        minimum = "v" + ".".join(map(str, GATEWAY_API_MINIMUM))
        raise ValueError(
            f"Gateway API {version} is older than {minimum}: a cluster with >= v1.5 refuses older bundles "
            f"through its admission policy; accepted: {minimum} or newer"
        )


def istio_reads_tcproute_as_v1(istio_version: str) -> bool:
    return parse_istio_version(istio_version)[:2] >= ISTIO_TCPROUTE_V1_FROM


def tcp_route_api_version(gateway_api_version: str) -> str:
    """The TCPRoute version the stack writes: v1 where the bundle serves it (both channels from v1.6; the
    experimental channel serves v1alpha2 beside it, so Istio before 1.31 still reads the object), else v1alpha2."""
    if parse_gateway_api_version(gateway_api_version) >= GATEWAY_API_TCPROUTE_V1_FROM:
        return "gateway.networking.k8s.io/v1"
    return "gateway.networking.k8s.io/v1alpha2"


def istio_tcproute_problem(istio_version: str, gateway_api_version: str, channel: str) -> str | None:
    """Why this Istio release cannot read TCPRoute from this bundle, or None."""
    if istio_reads_tcproute_as_v1(istio_version):
        if parse_gateway_api_version(gateway_api_version) < GATEWAY_API_TCPROUTE_V1_FROM:
            return (
                f"Istio {istio_version} reads TCPRoute only as v1, from a Gateway API bundle of v1.6.0 or newer "
                f"(it ignores the TCPRoute CRD of {gateway_api_version})"
            )
        return None
    if channel != "experimental":
        return (
            f"Istio {istio_version} reads TCPRoute only as v1alpha2, which the {channel} channel of "
            f"{gateway_api_version} does not serve"
        )
    return None


def external_dns_source_problem(source: str, gateway_api_channel: str) -> str | None:
    if source in EXTERNAL_DNS_SOURCES_NEEDING_EXPERIMENTAL and gateway_api_channel != "experimental":
        return (
            f"external-dns 0.21 reads {source.removeprefix('gateway-')} only as v1alpha2, which the "
            f"{gateway_api_channel} Gateway API channel does not serve (external-dns would crash-loop); "
            f"use gatewayApi.channel experimental or drop the source"
        )
    return None


# Istio's Grafana dashboards, read from the Istio release the stack installs (istio/istio
# manifests/addons/dashboards/ at the tag; the same seven files at 1.28.10, 1.29.6, 1.30.3 and 1.31.0-rc.0, the ones
# manifests/addons/gen.sh packs into Istio's own addon ConfigMaps). Fetched by the program at `pulumi up` and
# handed to Grafana as ConfigMaps, so Grafana itself never downloads them (the cluster still pulls every image
# from its registry) and an Istio upgrade updates them.
ISTIO_DASHBOARDS_URL = "https://raw.githubusercontent.com/istio/istio/{version}/manifests/addons/dashboards/{file}"
ISTIO_DASHBOARD_FILES = (
    "istio-extension-dashboard.json",
    "istio-mesh-dashboard.gen.json",
    "istio-performance-dashboard.json",
    "istio-service-dashboard.json",
    "istio-workload-dashboard.json",
    "pilot-dashboard.gen.json",
    "ztunnel-dashboard.gen.json",
)


def istio_dashboard_url(version: str, file: str) -> str:
    return ISTIO_DASHBOARDS_URL.format(version=version, file=file)


# The demo workload: go-httpbin, the image Istio's samples run (samples/httpbin/httpbin.yaml), pinned by tag
# AND digest. v2.25.0 is published by goreleaser (.goreleaser.yaml at v2.25.0: dockers_v2, tag
# `{{.Version}}`, i.e. without the v) from Dockerfile.release: FROM gcr.io/distroless/static:nonroot (uid
# 65532), EXPOSE 8080. The digest is the OCI index (multi-platform) of ghcr.io/mccutchen/go-httpbin v2.25.0 as
# recorded in ssubedir/draincheck documentation/content/docs/pilot-results/go-httpbin-v2.25.0.md (and
# public-demo-image-matrix-2026-08-29.md); with a digest, the digest is what the kubelet pulls.
DEMO_IMAGE = (
    "ghcr.io/mccutchen/go-httpbin:2.25.0@sha256:20739736d4eb8dc1b998dff701f437b8bd62dcc46492bd0d861e89890ca36500"
)
DEMO_CONTAINER_PORT = 8080
# distroless/static:nonroot's user and group.
DEMO_RUN_AS_USER = 65532

# The verification Job's interpreter (its check script is stdlib only). Pinned by digest: the
# python:3.13.7-alpine3.22 index digest pinned upstream in Septimus4/Chronogen (Dockerfile, as
# python:3.13-alpine@sha256:9ba6d8cb...) and in other public Dockerfiles as python:3.13.7-alpine3.22.
VERIFY_IMAGE = (
    "docker.io/library/python:3.13.7-alpine3.22@sha256:9ba6d8cbebf0fb6546ae71f2a1c14f6ffd2fdab83af7fa5669734ef30ad48844"
)

# The local clusters of the README's quick start, at a Kubernetes minor inside the stack's range (1.35):
# kind v0.33.0's node image for v1.35.8, by the digest its release notes list (kind supports a node image only with
# the release that built it); k3s v1.35.1+k3s1 for k3d, by the OCI index digest recorded in a public project's
# docs (k3d-io's own images are tag-only).
KIND_RELEASE = "v0.33.0"
KIND_NODE_IMAGE = "kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0"
K3S_IMAGE = "rancher/k3s:v1.35.1-k3s1@sha256:634920385dc89133d80060b3a3b2b547e734d711ef8c050e6b5c6341800d53fd"

# The managed Kubernetes versions the GKE and EKS quick starts (README) were written for. Not run there by this
# project's tests. GKE installs and manages the Gateway API's standard CRDs itself from 1.34.0-gke.1626000 on
# (hence gatewayApi.install false in Pulumi.gcp.yaml).
QUICK_START_PLATFORMS = {"GKE": (1, 34), "EKS": (1, 34)}
GKE_MANAGES_GATEWAY_API_FROM = "1.34.0-gke.1626000"


# Per pin: the newest release known upstream (2026-12-07: release notes, the module proxy's istio.io/api tags,
# third-party pins), and what of the pin was read here at its tag. The copies of the upstream repositories that can be
# read here end around 2026-08-22, so a newer release keeps the pin until its source can be read
# (docs/supported-versions.md writes this table, and the "newer upstream, not verified here" notes).
PIN_STATUS: dict[str, tuple[str, str]] = {
    "Istio charts": (
        "1.32.0; 1.31.4; 1.30.8",
        "charts and sources read at 1.31.0-rc.0, the closest tag readable (1.31.4's values are 1.31's)",
    ),
    "Gateway API CRDs": ("v1.7.0; v1.6.3", "v1.6.1 read at its tag (config/crd, CHANGELOG)"),
    "external-dns": ("chart 1.22.0 (external-dns v0.22.0)", "chart 1.21.1 and v0.21.0 read at their tags"),
    "Prometheus": ("29.29.0", "29.27.0 read at its tag"),
    "Grafana": ("13.x (a major)", "12.11.1 read at its tag"),
    "Jaeger": ("4.14.0", "4.11.1 read at its tag"),
    "Kiali": ("2.32.0", "2.29.0 read at its tag"),
    "cert-manager": ("v1.21.2 (fixes)", "v1.21.1 read at its tag"),
    "cert-manager API check (image)": ("v1.21.2, with cert-manager", "digest from public pins, not pulled here"),
    "demo: go-httpbin (image)": ("none newer known here", "2.25.0 read at its tag; digest from public pins"),
    "verification Job (image)": ("none newer known here", "digest from public pins, not pulled here"),
    "kind node image": ("none newer known here", "from kind v0.33.0's release notes"),
    "k3s image for k3d": ("none newer known here", "digest from public docs, not pulled here"),
}


def kubernetes_range(istio_versions: list[str], cert_manager: bool) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The Kubernetes minors every listed Istio release (and cert-manager, when installed) and the Gateway API
    bundle support together; None when they share none. An Istio minor newer than ISTIO_KUBERNETES is unknown here:
    the range of the newest known one stands in for it."""
    newest = max(ISTIO_KUBERNETES)
    ranges = [ISTIO_KUBERNETES.get(parse_istio_version(v)[:2], ISTIO_KUBERNETES[newest]) for v in istio_versions]
    if cert_manager:
        ranges.append(CERT_MANAGER_KUBERNETES)
    low = max([GATEWAY_API_KUBERNETES_MINIMUM, *(r[0] for r in ranges)])
    high = min(r[1] for r in ranges)
    return (low, high) if low <= high else None
