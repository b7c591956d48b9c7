"""`python -m scripts.mirror DIR` fills a mirror: here from a Helm repository and files served by a server this
test starts on 127.0.0.1, with small chart tarballs it builds itself (never the internet)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from definitions import versions
from definitions.mirror import chart_images
from definitions.versions import ChartRef
from scripts import mirror as command


def chart_tarball(name: str, version: str) -> bytes:
    """A chart archive as `helm package` lays it out: <name>/Chart.yaml first."""
    chart = yaml.safe_dump({"apiVersion": "v2", "name": name, "version": version, "appVersion": "9.9.9"}).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(f"{name}/Chart.yaml")
        info.size = len(chart)
        archive.addfile(info, io.BytesIO(chart))
    return buffer.getvalue()


class Upstream:
    """A directory served on 127.0.0.1, remembering every path asked for."""

    def __init__(self, root: Path):
        self.root = root
        self.asked: list[str] = []
        upstream = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                upstream.asked.append(self.path)

        handler = functools.partial(Handler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def publish_charts(self, repo: str, charts: dict[str, bytes], absolute: bool = False) -> None:
        """A Helm repository at /<repo>: the tarballs and an index listing each one's digest and URL."""
        directory = self.root / repo
        directory.mkdir(parents=True)
        entries: dict[str, list] = {}
        for file, data in charts.items():
            (directory / file).write_bytes(data)
            name, version = file.removesuffix(".tgz").rsplit("-", 1)
            url = f"{self.url}/{repo}/{file}" if absolute else file
            digest = hashlib.sha256(data).hexdigest()
            entries.setdefault(name, []).append({"name": name, "version": version, "urls": [url], "digest": digest})
        (directory / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": entries}))

    def publish(self, path: str, text: str) -> str:
        (self.root / path).parent.mkdir(parents=True, exist_ok=True)
        (self.root / path).write_text(text)
        return f"{self.url}/{path}"


@pytest.fixture
def upstream(tmp_path) -> Iterator[Upstream]:
    served = Upstream(tmp_path / "upstream")
    served.thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


BASE = chart_tarball("base", "1.30.3")
ISTIOD = chart_tarball("istiod", "1.30.3")
KIALI = chart_tarball("kiali-server", "2.29.0")
BUNDLE = "v1.5.1/standard-install.yaml"


def small_plan(upstream: Upstream) -> command.Plan:
    upstream.publish_charts("istio", {"base-1.30.3.tgz": BASE, "istiod-1.30.3.tgz": ISTIOD})
    upstream.publish_charts("kiali", {"kiali-server-2.29.0.tgz": KIALI}, absolute=True)
    bundle = upstream.publish("gw/v1.5.1/standard-install.yaml", "kind: CustomResourceDefinition\n")
    dashboard = upstream.publish("dash/1.30.3/pilot.json", '{"title": "pilot"}')
    return command.Plan(
        charts=(
            ChartRef("base", "1.30.3", f"{upstream.url}/istio"),
            ChartRef("istiod", "1.30.3", f"{upstream.url}/istio/"),
            ChartRef("kiali-server", "2.29.0", f"{upstream.url}/kiali"),
        ),
        files=(
            command.FileDownload("Gateway API v1.5.1 standard bundle", bundle, f"gateway-api/{BUNDLE}"),
            command.FileDownload("Istio 1.30.3 dashboard", dashboard, "istio-dashboards/1.30.3/pilot.json"),
        ),
        images=("docker.io/istio/pilot:1.30.3", "ghcr.io/mccutchen/go-httpbin:2.25.0@sha256:2073"),
    )


def test_fills_a_helm_repository_the_bundle_the_dashboards_and_the_image_list(tmp_path, upstream):
    target = tmp_path / "mirror"
    report = command.fill(target, small_plan(upstream), "registry.internal.example/mesh")
    assert len(report.downloaded) == 5 and report.skipped == []
    assert (target / "charts/base-1.30.3.tgz").read_bytes() == BASE
    assert (target / "charts/kiali-server-2.29.0.tgz").read_bytes() == KIALI
    index = yaml.safe_load((target / "charts/index.yaml").read_text())
    assert index["apiVersion"] == "v1"
    assert index["entries"]["istiod"] == [
        {
            "apiVersion": "v2",
            "name": "istiod",
            "version": "1.30.3",
            "appVersion": "9.9.9",
            "urls": ["istiod-1.30.3.tgz"],
            "digest": hashlib.sha256(ISTIOD).hexdigest(),
        }
    ]
    assert (target / f"gateway-api/{BUNDLE}").read_text() == "kind: CustomResourceDefinition\n"
    assert (target / "istio-dashboards/1.30.3/pilot.json").read_text() == '{"title": "pilot"}'
    lines = (target / "images.txt").read_text().splitlines()
    assert lines[2:] == [
        "crane copy docker.io/istio/pilot:1.30.3 registry.internal.example/mesh/istio/pilot:1.30.3",
        "crane copy ghcr.io/mccutchen/go-httpbin@sha256:2073 "
        "registry.internal.example/mesh/mccutchen/go-httpbin:2.25.0",
    ]


def test_a_second_run_downloads_only_the_indexes(tmp_path, upstream):
    target = tmp_path / "mirror"
    to_fetch = small_plan(upstream)
    command.fill(target, to_fetch, "r.example/m")
    upstream.asked.clear()
    report = command.fill(target, to_fetch, "r.example/m")
    assert report.downloaded == []
    assert len(report.skipped) == 5
    assert sorted(upstream.asked) == ["/istio/index.yaml", "/kiali/index.yaml"]


def test_a_damaged_copy_is_downloaded_again(tmp_path, upstream):
    target = tmp_path / "mirror"
    to_fetch = small_plan(upstream)
    command.fill(target, to_fetch, "r.example/m")
    (target / "charts/istiod-1.30.3.tgz").write_bytes(b"truncated")
    (target / f"gateway-api/{BUNDLE}").write_text("edited")
    report = command.fill(target, to_fetch, "r.example/m")
    assert report.downloaded == ["chart istiod 1.30.3", "Gateway API v1.5.1 standard bundle"]
    assert (target / "charts/istiod-1.30.3.tgz").read_bytes() == ISTIOD


def test_a_tarball_that_does_not_match_its_digest_is_refused(tmp_path, upstream):
    to_fetch = small_plan(upstream)
    (upstream.root / "istio/istiod-1.30.3.tgz").write_bytes(chart_tarball("istiod", "1.30.4"))
    with pytest.raises(command.MirrorError, match=r"^chart istiod 1\.30\.3: http://127\.0\.0\.1:\d+/istio/istiod"):
        command.fill(tmp_path / "mirror", to_fetch, "r.example/m")


def test_a_chart_missing_upstream_is_named(tmp_path, upstream):
    to_fetch = small_plan(upstream)
    missing = ChartRef("kiali-server", "2.30.0", f"{upstream.url}/kiali")
    with pytest.raises(command.MirrorError, match=r"^chart kiali-server 2\.30\.0: not in http://127"):
        command.fill(tmp_path / "mirror", command.Plan((missing,), (), ()), "r.example/m")
    (upstream.root / "gw/v1.5.1/standard-install.yaml").unlink()
    with pytest.raises(command.MirrorError, match=r"^Gateway API v1\.5\.1 standard bundle: cannot download http"):
        command.fill(tmp_path / "mirror", to_fetch, "r.example/m")


def test_the_plan_for_the_shipped_stacks():
    stacks = [command.stack_settings(command.stack_config(stack)) for stack in command.shipped_stacks()]
    to_fetch = command.plan(stacks)
    assert [(r.chart, r.version, r.repository) for r in to_fetch.charts] == [
        ("base", "1.31.4", "https://blob.istio.io/istio-release/charts"),
        ("istiod", "1.31.4", "https://blob.istio.io/istio-release/charts"),
        ("gateway", "1.31.4", "https://blob.istio.io/istio-release/charts"),
        ("cni", "1.31.4", "https://blob.istio.io/istio-release/charts"),
        ("ztunnel", "1.31.4", "https://blob.istio.io/istio-release/charts"),
        ("external-dns", "1.21.1", "https://kubernetes-sigs.github.io/external-dns/"),
        ("prometheus", "29.27.0", "https://prometheus-community.github.io/helm-charts"),
        ("grafana", "12.11.1", "https://grafana-community.github.io/helm-charts"),
        ("jaeger", "4.11.1", "https://jaegertracing.github.io/helm-charts"),
        ("kiali-server", "2.29.0", "https://kiali.org/helm-charts"),
        ("cert-manager", "v1.21.1", "https://charts.jetstack.io"),
    ]
    assert to_fetch.files[0] == command.FileDownload(
        "Gateway API v1.6.1 standard bundle",
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml",
        "gateway-api/v1.6.1/standard-install.yaml",
    )
    dashboards = [f.path for f in to_fetch.files[1:]]
    assert len(dashboards) == 7 and all(p.startswith("istio-dashboards/1.31.4/") for p in dashboards)
    assert to_fetch.files[1].url == (
        "https://raw.githubusercontent.com/istio/istio/1.31.4/manifests/addons/dashboards/istio-extension-dashboard.json"
    )
    assert to_fetch.images == (
        "docker.io/grafana/grafana:13.2.0",
        "docker.io/istio/install-cni:1.31.4",
        "docker.io/istio/install-cni:1.31.4-distroless",  # the ambient stack: its profile's variant
        "docker.io/istio/pilot:1.31.4",
        "docker.io/istio/pilot:1.31.4-distroless",
        "docker.io/istio/proxyv2:1.31.4",
        "docker.io/istio/proxyv2:1.31.4-distroless",
        "docker.io/istio/ztunnel:1.31.4",
        "docker.io/jaegertracing/jaeger:2.19.0",
        "docker.io/library/python:3.13.7-alpine3.22"
        "@sha256:9ba6d8cbebf0fb6546ae71f2a1c14f6ffd2fdab83af7fa5669734ef30ad48844",
        "ghcr.io/mccutchen/go-httpbin:2.25.0@sha256:20739736d4eb8dc1b998dff701f437b8bd62dcc46492bd0d861e89890ca36500",
        "quay.io/jetstack/cert-manager-acmesolver:v1.21.1",
        "quay.io/jetstack/cert-manager-cainjector:v1.21.1",
        "quay.io/jetstack/cert-manager-controller:v1.21.1",
        "quay.io/jetstack/cert-manager-startupapicheck:v1.21.1"
        "@sha256:d8ab6416e6e7303a86fa0a8daa82c94a8001f21c9d78eb2e7db20534e5d07ae8",
        "quay.io/jetstack/cert-manager-webhook:v1.21.1",
        "quay.io/kiali/kiali:v2.29.0",
        "quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1",
        "quay.io/prometheus/prometheus:v3.14.0",
        "registry.k8s.io/external-dns/external-dns:v0.21.0",
    )


def test_every_istio_version_a_stack_names_is_mirrored():
    revisions = [{"name": "a", "version": "1.31.4"}, {"name": "b", "version": "1.30.3"}]
    canary = {**command.stack_config("dev"), "istio": {"revisions": revisions, "defaultRevision": "b"}}
    to_fetch = command.plan([command.stack_settings(canary)])
    istio_charts = [(r.chart, r.version) for r in to_fetch.charts if r.repository == versions.ISTIO_REPOSITORY]
    charts = ("base", "istiod", "gateway", "cni", "ztunnel")
    assert istio_charts == [(chart, version) for version in ("1.30.3", "1.31.4") for chart in charts]
    assert {f.path.split("/")[1] for f in to_fetch.files if f.path.startswith("istio-dashboards/")} == {
        "1.30.3",
        "1.31.4",
    }
    assert "docker.io/istio/proxyv2:1.30.3" in to_fetch.images
    assert "docker.io/istio/proxyv2:1.30.3-distroless" not in to_fetch.images  # dev is not ambient


def test_the_command_reports_a_failure_by_name(tmp_path, monkeypatch, capsys, upstream):
    monkeypatch.setattr(command, "plan", lambda stacks: command.Plan((ChartRef("x", "1.0.0", upstream.url),), (), ()))
    assert command.main([str(tmp_path / "mirror"), "--stack", "airgapped", "--images", "registry.corp/mesh"]) == 1
    assert "mirror: chart x 1.0.0: the repository index: cannot download http://127" in capsys.readouterr().err


AIRGAPPED_WITH = {"mirror": {"images": "registry.corp/mesh"}}


@pytest.mark.parametrize(
    ("stacks", "given", "expected"),
    [
        (["airgapped"], None, "${MIRROR_IMAGES}"),  # as shipped: registry.internal.example/mesh
        (["dev"], "registry.internal.example/mesh", "${MIRROR_IMAGES}"),
        (["dev"], None, "${MIRROR_IMAGES}"),  # no stack names one
        (["airgapped"], "registry.corp/other", "registry.corp/other"),
    ],
)
def test_images_txt_is_never_written_for_a_placeholder_registry(stacks, given, expected):
    """Pulumi.airgapped.yaml ships `registry.internal.example/mesh`: images.txt written for it would copy every
    image to a registry that does not exist, before docs/air-gapped.md's step that sets the real one."""
    assert command.images_prefix([command.stack_config(stack) for stack in stacks], given) == expected


def test_images_txt_is_written_for_the_stacks_registry_once_set():
    config = {**command.stack_config("airgapped"), **AIRGAPPED_WITH}
    assert command.images_prefix([config], None) == "registry.corp/mesh"


def test_the_copies_run_as_a_shell_script_with_the_registry_set_then(tmp_path):
    """`MIRROR_IMAGES=REGISTRY/PATH sh images.txt`: the variable reaches every destination (crane stubbed by a
    shell function that prints what it is given)."""
    listing = tmp_path / "images.txt"
    listing.write_text(command.images_list(["docker.io/istio/pilot:1.30.3"], command.IMAGES_PLACEHOLDER))
    ran = subprocess.run(
        ["sh", "-c", f'crane() {{ echo "$@"; }}; . {listing}'],
        env={"MIRROR_IMAGES": "registry.corp/mesh", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert ran.stdout == "copy docker.io/istio/pilot:1.30.3 registry.corp/mesh/istio/pilot:1.30.3\n"


def test_no_copy_names_an_image_by_both_tag_and_digest():
    """skopeo refuses `repo:tag@digest` ("Docker references with both a tag and digest are currently not
    supported"): every pinned image is copied from its digest to its tag, and the rest by tag."""
    stacks = [command.stack_settings(command.stack_config(stack)) for stack in command.shipped_stacks()]
    images = command.plan(stacks).images
    lines = command.images_list(images, "registry.corp/mesh").splitlines()
    copies = [line.split() for line in lines if not line.startswith("#")]
    assert len(copies) == len(images)
    pinned = 0
    for image, (crane, verb, source, destination) in zip(images, copies, strict=True):
        assert (crane, verb) == ("crane", "copy")
        for reference in (source, destination):
            name = reference.partition("@")[0]
            assert "@sha256:" not in reference or ":" not in name.rpartition("/")[2], reference
        if "@sha256:" in image:
            pinned += 1
            assert source.endswith("@" + image.partition("@")[2]) and "@" not in destination
    assert pinned >= 3  # the demo, the verification Job and cert-manager's API check are pinned by digest


GRAFANA_STACKS = {"dev": ("dev", {}), "production": ("dev", {"profile": "production"})}
GRAFANA_STACKS |= {name: (name, {}) for name in ("gcp", "aws", "ambient", "airgapped")}


@pytest.mark.parametrize(("stack", "overrides"), GRAFANA_STACKS.values(), ids=GRAFANA_STACKS.keys())
def test_the_mirror_lists_the_grafana_images_that_run_and_no_other(shared_run, stack, overrides):
    """grafana-12.11.1 templates/_pod.tpl renders init-chown-data (busybox) only `if and .Values.persistence.enabled
    .Values.initChownData.enabled` (values.yaml: true), and a k8s-sidecar container only for a
    sidecar.{alerts,dashboards,datasources,notifiers,plugins}.enabled (values.yaml: false each). The mirror lists
    the grafana image alone: a stack that ran either of the others would pull an image the mirror lacks."""
    run = shared_run(stack, stack="airgapped" if stack == "airgapped" else "test", **overrides)
    grafana = run.chart("grafana").inputs["values"]
    init_chown = grafana.get("persistence", {}).get("enabled", False) and grafana.get("initChownData", {}).get(
        "enabled", True
    )
    assert not init_chown
    sidecar = grafana.get("sidecar", {})
    for kind in ("alerts", "dashboards", "datasources", "notifiers", "plugins"):
        assert not sidecar.get(kind, {}).get("enabled", False), kind
    assert [i.image for i in chart_images(versions.GRAFANA)] == ["docker.io/grafana/grafana:13.2.0"]
