"""Air-gapped installs (docs/air-gapped.md): with `mirror` set, every chart, the Gateway API bundle,
Istio's dashboards and every image come from the mirror, and no public host is named anywhere the stack
registers. Expected image values are literals read in each chart at its pinned tag (definitions/versions.py,
CHART_IMAGES, says where)."""

from __future__ import annotations

import copy
import io
import re
from typing import Any

import pytest

from definitions import mirror as definitions_mirror
from definitions import versions
from stacks import istio_dashboards
from tests import fakes
from tests.harness import (
    assert_refused,
    plain_occurrences,
    run_program,
    shipped_stacks,
    single_cluster_stacks,
    stack_config,
)

MIRROR = {
    "charts": {"repository": "https://mirror.internal.example/charts"},
    "gatewayApi": "https://mirror.internal.example/gateway-api",
    "istioDashboards": "https://mirror.internal.example/istio-dashboards",
    "images": "registry.internal.example/mesh",
}
MIRROR_HOSTS = {"mirror.internal.example", "registry.internal.example"}
# Hosts that may appear in what the stack registers without being reached over the network: in-cluster and
# loopback names, API groups (`gateway.networking.k8s.io/v1`; never registry.k8s.io, a registry) and label and
# annotation prefixes (a `topologyKey: kubernetes.io/hostname` looks like a registry path to the scan).
NOT_FETCHED = re.compile(
    r"(^|\.)(cluster\.local|localhost|kubernetes\.io|istio\.io|cert-manager\.io)$|^127\.0\.0\.1$"
    r"|^(?!registry\.)[a-z.]+\.k8s\.io$"
    # The IRSA trust policy names the EKS cluster's OIDC provider: read by AWS STS, never by the cluster.
    r"|^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com$"
)
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://([^/\s\"'<>:]+)")
# host.tld/path, as in an image reference or a registry value (docker.io/istio, quay.io/jetstack/...).
REGISTRY_PATH = re.compile(r"(?<![\w@./-])((?:[a-z0-9-]+\.)+[a-z]{2,})(?::\d+)?/[a-z0-9]")


def hosts_named(value: Any) -> set[str]:
    """Every host a URL or a registry path in `value` (any nesting of dicts, lists and strings) names."""
    if isinstance(value, dict):
        return set().union(*(hosts_named(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(hosts_named(v) for v in value)) if value else set()
    if not isinstance(value, str):
        return set()
    return set(URL.findall(value)) | set(REGISTRY_PATH.findall(value))


def mirrored_config(stack: str) -> dict[str, Any]:
    """A shipped stack with the mirror set (Let's Encrypt cannot be mirrored: the cloud stacks use a local CA)."""
    config = copy.deepcopy(stack_config(stack))
    config.setdefault("mirror", MIRROR)
    if config.get("tls", {}).get("mode") == "acme":
        config["tls"] = {"mode": "ca"}
    return config


def test_the_host_scan_sees_urls_and_registry_paths():
    found = hosts_named({"a": ["https://raw.githubusercontent.com/x", "quay.io/jetstack"], "b": "docker.io/istio"})
    assert found == {"raw.githubusercontent.com", "quay.io", "docker.io"}
    assert hosts_named({"topologyKey": "kubernetes.io/hostname", "n": 3}) == {"kubernetes.io"}


@pytest.mark.parametrize("stack", single_cluster_stacks())
def test_with_a_mirror_no_public_host_is_named(shared_run, stack):
    run = shared_run(mirrored_config(stack), stack=stack)
    named = set().union(*(hosts_named(r.inputs) for r in run.resources))
    outside = {host for host in named if host not in MIRROR_HOSTS and not NOT_FETCHED.search(host)}
    assert outside == set()
    assert named >= MIRROR_HOSTS


@pytest.mark.parametrize("stack", single_cluster_stacks())
def test_without_a_mirror_the_scan_finds_the_public_homes(shared_run, stack):
    """The scan above would see a public host: the same stacks without a mirror name the public ones."""
    config = {k: v for k, v in stack_config(stack).items() if k != "mirror"}
    run = shared_run(config, stack=stack)
    named = set().union(*(hosts_named(r.inputs) for r in run.resources))
    # The Gateway API bundle's home, unless the platform installs the CRDs (Pulumi.gcp.yaml: GKE does).
    bundle = {"github.com"} if config.get("gatewayApi", {}).get("install", True) else set()
    assert {"blob.istio.io", "quay.io", *bundle} <= named


def test_the_airgapped_stack_is_the_dev_stack_with_a_mirror():
    airgapped, dev = stack_config("airgapped"), stack_config("dev")
    assert airgapped.pop("mirror") == MIRROR
    assert airgapped == dev


def test_every_chart_comes_from_the_mirror_repository(shared_run):
    run = shared_run("airgapped", stack="airgapped")
    charts = run.charts()
    assert set(charts) == {"base", "istiod", "gateway", "prometheus", "grafana", "jaeger", "kiali-server"} | {
        "cert-manager"
    }
    for chart in charts.values():
        assert chart.inputs["repositoryOpts"] == {"repo": "https://mirror.internal.example/charts"}
    assert run.one("kubernetes:yaml/v2:ConfigFile").inputs["file"] == (
        "https://mirror.internal.example/gateway-api/v1.6.1/standard-install.yaml"
    )


def test_the_images_each_chart_runs_come_from_the_mirror_registry(shared_run):
    run = shared_run("airgapped", stack="airgapped")
    values = {name: chart.inputs["values"] for name, chart in run.charts().items()}
    prefix = "registry.internal.example/mesh"
    assert values["istiod"]["global"]["hub"] == f"{prefix}/istio"
    assert "global" not in values["base"] and "global" not in values["gateway"]
    assert values["prometheus"]["server"]["image"] == {"repository": f"{prefix}/prometheus/prometheus"}
    assert values["prometheus"]["configmapReload"]["prometheus"]["image"] == {
        "repository": f"{prefix}/prometheus-operator/prometheus-config-reloader"
    }
    assert values["grafana"]["image"] == {"registry": prefix}
    # init-chown-data and the sidecars never run (initChownData off, no sidecar on): no image value for them
    assert values["grafana"]["initChownData"] == {"enabled": False}
    assert "sidecar" not in values["grafana"]
    assert values["jaeger"]["jaeger"]["image"] == {"registry": prefix}
    assert values["kiali-server"]["deployment"]["image_name"] == f"{prefix}/kiali/kiali"
    assert values["cert-manager"]["imageRegistry"] == prefix
    images = {
        r.name: [c["image"] for c in r.inputs["spec"]["template"]["spec"]["containers"]]
        for r in run.of_type("kubernetes:batch/v1:Job")
    }
    assert images["cert-manager-api-check"] == [
        f"{prefix}/jetstack/cert-manager-startupapicheck:v1.21.1"
        "@sha256:d8ab6416e6e7303a86fa0a8daa82c94a8001f21c9d78eb2e7db20534e5d07ae8"
    ]
    # The certificate's wait runs the verification's interpreter, from the mirror too.
    assert images["certificate-wait"] == [
        f"{prefix}/library/python:3.13.7-alpine3.22"
        "@sha256:9ba6d8cbebf0fb6546ae71f2a1c14f6ffd2fdab83af7fa5669734ef30ad48844"
    ]
    (verify,) = [images for name, images in images.items() if name.startswith("verification")]
    assert verify == [
        f"{prefix}/library/python:3.13.7-alpine3.22"
        "@sha256:9ba6d8cbebf0fb6546ae71f2a1c14f6ffd2fdab83af7fa5669734ef30ad48844"
    ]
    demo = run.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    assert demo == (
        f"{prefix}/mccutchen/go-httpbin:2.25.0@sha256:20739736d4eb8dc1b998dff701f437b8bd62dcc46492bd0d861e89890ca36500"
    )


def test_external_dns_image_from_the_mirror(shared_run):
    run = shared_run(mirrored_config("gcp"), stack="gcp")
    assert run.chart("external-dns").inputs["values"]["image"] == {
        "repository": "registry.internal.example/mesh/external-dns/external-dns"
    }


def test_the_node_agents_images_from_the_mirror_registry(shared_run):
    run = shared_run(mirrored_config("ambient"), stack="ambient")
    for chart in ("cni", "ztunnel", "istiod"):
        assert run.chart(chart).inputs["values"]["global"]["hub"] == "registry.internal.example/mesh/istio"


def test_oci_charts_and_overrides_with_secret_credentials(run_stack):
    charts = {
        "repository": "oci://registry.internal.example/charts",
        "overrides": {"cert-manager": "https://mirror.internal.example/jetstack"},
        "username": "ci-reader",
        "password": "s3cret-reader",
    }
    run = run_stack("airgapped", stack="airgapped", mirror={**MIRROR, "charts": charts}, secret_keys=("mirror",))
    istiod = run.chart("oci://registry.internal.example/charts/istiod")
    assert istiod.inputs["repositoryOpts"] == {"username": "ci-reader", "password": "s3cret-reader"}
    assert istiod.inputs["version"] == "1.31.4"
    cert_manager = run.chart("cert-manager")
    assert cert_manager.inputs["repositoryOpts"]["repo"] == "https://mirror.internal.example/jetstack"
    for chart in run.of_type("kubernetes:helm.sh/v4:Chart"):
        assert chart.inputs["repositoryOpts"]["password"] == "s3cret-reader"
        assert plain_occurrences(chart.raw_inputs, "s3cret-reader") == []


def test_a_local_directory_serves_the_bundle_and_the_dashboards(tmp_path):
    asked = []

    def source(version: str, base: str | None) -> dict[str, str]:
        asked.append((version, base))
        return fakes.istio_dashboards(version)

    config = {
        **stack_config("airgapped"),
        "mirror": {**MIRROR, "gatewayApi": str(tmp_path), "istioDashboards": str(tmp_path / "")},
    }
    run = run_program(
        config,
        computed=fakes.computed_fields,
        calls=fakes.invoke,
        resource_id=fakes.resource_id,
        dashboards=source,
        kubeconfig=fakes.KIND_KUBECONFIG,
    )
    assert run.one("kubernetes:yaml/v2:ConfigFile").inputs["file"] == f"{tmp_path}/v1.6.1/standard-install.yaml"
    assert asked == [("1.31.4", str(tmp_path))]


@pytest.mark.parametrize("stack", shipped_stacks())
def test_installed_charts_are_the_charts_a_stack_registers(shared_run, stack):
    from settings.loader import load_settings
    from settings.mirror import installed_charts

    config = mirrored_config(stack)
    run = shared_run(config, stack=stack)
    assert set(installed_charts(load_settings(config))) == set(run.charts())


CHART_REFS = [value for value in vars(versions).values() if isinstance(value, versions.ChartRef)]


def test_every_pinned_chart_lists_its_images():
    pinned = {*versions.ISTIO_CHARTS, *(ref.chart for ref in CHART_REFS)}
    assert pinned <= set(versions.CHART_IMAGES)
    for ref in CHART_REFS:
        assert versions.CHART_IMAGES[ref.chart].read_at == ref.version, ref.chart


def test_a_chart_without_images_listed_cannot_be_mirrored():
    unlisted = "egress 1.30.3 has no entry in definitions/versions.py CHART_IMAGES"
    with pytest.raises(ValueError, match=re.escape(unlisted)):
        definitions_mirror.image_values(versions.ChartRef("egress", "1.30.3", versions.ISTIO_REPOSITORY), "r.example/m")
    with pytest.raises(ValueError, match=re.escape("lists its images at 29.27.0, the stack pins 29.28.0")):
        definitions_mirror.image_values(versions.ChartRef("prometheus", "29.28.0", "https://x.example"), "r.example/m")


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("docker.io/istio/proxyv2:1.30.3", "registry.internal.example/mesh/istio/proxyv2:1.30.3"),
        ("jaegertracing/jaeger:2.19.0", "registry.internal.example/mesh/jaegertracing/jaeger:2.19.0"),
        ("busybox:1.38.0", "registry.internal.example/mesh/library/busybox:1.38.0"),
        ("localhost:5000/a/b:1", "registry.internal.example/mesh/a/b:1"),
        ("ghcr.io/o/i@sha256:abc", "registry.internal.example/mesh/o/i@sha256:abc"),
        ("registry.k8s.io/external-dns/external-dns", "registry.internal.example/mesh/external-dns/external-dns"),
    ],
)
def test_an_image_moves_under_the_prefix_with_its_tag_and_digest(image, expected):
    assert definitions_mirror.mirrored_image(image, "registry.internal.example/mesh") == expected


def airgapped(**changes: Any) -> dict[str, Any]:
    """The airgapped stack with its mirror changed; a key given None is left out."""
    config = stack_config("airgapped")
    config["mirror"] = {k: v for k, v in {**MIRROR, **changes}.items() if v is not None}
    return config


BAD_INPUTS = [
    ("scheme", airgapped(charts={"repository": "ftp://m.example/charts"}), "mirror.charts.repository", "oci://"),
    (
        "override scheme",
        airgapped(charts={"repository": "https://m.example", "overrides": {"grafana": "s3://b"}}),
        "mirror.charts.overrides.grafana",
        "oci://",
    ),
    ("missing dir", airgapped(gatewayApi="/nonexistent/gateway-api"), "mirror.gatewayApi", "not an existing directory"),
    ("file url", airgapped(istioDashboards="file:///srv/dashboards"), "mirror.istioDashboards", "base URL"),
    ("images scheme", airgapped(images="https://registry.example/mesh"), "mirror.images", "without a scheme"),
    (
        "plain password",
        airgapped(charts={"repository": "https://m.example", "username": "u", "password": "p"}),
        "mirror.charts.password",
        "--secret",
    ),
    (
        "override of a chart not installed",
        airgapped(charts={"repository": "https://m.example", "overrides": {"external-dns": "https://m.example/x"}}),
        "mirror.charts.overrides",
        "'external-dns' is not a chart this stack installs",
    ),
    ("no bundle", airgapped(gatewayApi=None), "mirror.gatewayApi", "required while gatewayApi.install"),
    ("no dashboards", airgapped(istioDashboards=None), "mirror.istioDashboards", "required while Grafana"),
    ("acme", {**stack_config("gcp"), "mirror": MIRROR}, "tls.mode", "Let's Encrypt"),
    ("typo", airgapped(image="r.example/m"), "mirror.image", "unknown key"),
]


@pytest.mark.parametrize(("config", "key", "words"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_bad_mirror_settings_are_refused(run_stack, config, key, words):
    assert_refused(lambda: run_stack(config), key, [words])


def test_dashboards_download_from_a_mirror_url(monkeypatch):
    opened = []

    def urlopen(url, timeout):
        opened.append(url)
        return io.BytesIO(b'{"title": "t"}')

    monkeypatch.setattr(istio_dashboards.urllib.request, "urlopen", urlopen)
    istio_dashboards.download("1.30.3", "https://mirror.internal.example/istio-dashboards")
    assert opened[0] == "https://mirror.internal.example/istio-dashboards/1.30.3/istio-extension-dashboard.json"
    assert len(opened) == 7


def test_dashboards_read_from_a_mirror_directory(tmp_path):
    (tmp_path / "1.30.3").mkdir()
    for file in versions.ISTIO_DASHBOARD_FILES:
        (tmp_path / "1.30.3" / file).write_text(f'{{"title": "{file}"}}')
    files = istio_dashboards.download("1.30.3", str(tmp_path))
    assert files["pilot-dashboard.gen.json"] == '{"title": "pilot-dashboard.gen.json"}'
    (tmp_path / "1.30.3" / "pilot-dashboard.gen.json").unlink()
    message = f"pilot-dashboard.gen.json: cannot read {tmp_path}/1.30.3/"
    with pytest.raises(istio_dashboards.DashboardSourceError, match=re.escape(message)):
        istio_dashboards.download("1.30.3", str(tmp_path))
