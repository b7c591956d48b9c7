"""Grafana's Istio dashboards follow the installed Istio version and reach the cluster as ConfigMaps the stack
makes: no download by the pod, no egress. The source is injected: a small fixture, no network."""

from __future__ import annotations

import io
import json
import re

import pytest

from definitions import versions
from stacks import istio_dashboards
from tests import fakes, harness

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NAMES = (
    "istio-extension-dashboard",
    "istio-mesh-dashboard",
    "istio-performance-dashboard",
    "istio-service-dashboard",
    "istio-workload-dashboard",
    "pilot-dashboard",
    "ztunnel-dashboard",
)


def dashboard_maps(run):
    """Every ConfigMap but the verification's and the certificate wait's scripts and configs."""
    return [r for r in run.of_type(CONFIG_MAP) if r.name not in ("verification-checks", "certificate-wait")]


@pytest.mark.parametrize("version", ["1.30.3", "1.29.6"])
def test_configmaps_hold_the_dashboards_of_the_installed_istio(run_stack, version):
    run = run_stack("dev", istio={"version": version, "allowUnsupported": True})
    maps = {r.inputs["metadata"]["name"]: r for r in dashboard_maps(run)}
    assert sorted(maps) == [f"grafana-{name}" for name in NAMES]
    grafana = run.chart("grafana")
    for name in NAMES:
        config_map = maps[f"grafana-{name}"]
        assert config_map.inputs["metadata"]["namespace"] == "istio-system"
        [(key, text)] = config_map.inputs["data"].items()
        assert key == f"{name}.json"
        dashboard = json.loads(text)
        assert dashboard["description"] == f"from Istio {version}"
        assert "\n" not in text and ", " not in text  # compacted
        assert grafana.depends_on(config_map), name
    titles = {json.loads(next(iter(m.inputs["data"].values())))["title"] for m in maps.values()}
    kiali_links = {
        d["name"] for d in run.chart("kiali-server").inputs["values"]["external_services"]["grafana"]["dashboards"]
    }
    assert kiali_links <= titles  # Kiali links Istio's dashboards by title


def run_with_source(source, **overrides) -> harness.Run:
    return harness.run_program(
        {**harness.stack_config("dev"), **overrides},
        computed=fakes.computed_fields,
        calls=fakes.invoke,
        resource_id=fakes.resource_id,
        dashboards=source,
        kubeconfig=fakes.KIND_KUBECONFIG,
    )


def test_the_source_is_asked_once_for_the_installed_version():
    asked = []

    def source(version, mirror):
        asked.append((version, mirror))
        return fakes.istio_dashboards(version)

    run_with_source(source, istio={"version": "1.29.6", "allowUnsupported": True})
    assert asked == [("1.29.6", None)]


def test_no_grafana_nothing_read():
    asked: list[str] = []

    def source(version: str, mirror: str | None) -> dict[str, str]:
        asked.append(version)
        return {}

    run = run_with_source(source, dashboards={"grafana": {"enabled": False}})
    assert asked == []
    assert dashboard_maps(run) == []


def test_the_url_follows_the_istio_version():
    assert versions.istio_dashboard_url("1.30.3", "pilot-dashboard.gen.json") == (
        "https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/addons/dashboards/pilot-dashboard.gen.json"
    )


def test_download_reads_each_pinned_file_at_the_version(monkeypatch):
    opened = []

    def urlopen(url, timeout):
        opened.append(url)
        return io.BytesIO(b'{"title": "t"}')

    monkeypatch.setattr(istio_dashboards.urllib.request, "urlopen", urlopen)
    files = istio_dashboards.download("1.29.6")
    assert sorted(files) == sorted(versions.ISTIO_DASHBOARD_FILES)
    assert opened[0].startswith("https://raw.githubusercontent.com/istio/istio/1.29.6/manifests/addons/dashboards/")
    assert len(opened) == 7


def test_an_unreachable_source_names_the_url(monkeypatch):
    def urlopen(url, timeout):
        raise OSError("no route to host")

    monkeypatch.setattr(istio_dashboards.urllib.request, "urlopen", urlopen)
    with pytest.raises(
        istio_dashboards.DashboardSourceError,
        match=re.escape("cannot read https://raw.githubusercontent.com/istio/istio/1.30.3/"),
    ):
        istio_dashboards.download("1.30.3")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda files: files.pop("pilot-dashboard.gen.json"), "pilot-dashboard.gen.json not found"),
        (lambda files: files.update({"istio-mesh-dashboard.gen.json": "<html>"}), "is not JSON"),
        (
            lambda files: files.update({"istio-service-dashboard.json": json.dumps({"title": "x" * (1024 * 1024)})}),
            "more than a ConfigMap holds",
        ),
    ],
    ids=["missing", "not json", "too large"],
)
def test_a_bad_dashboard_is_refused(change, message):
    files = fakes.istio_dashboards("1.30.3")
    change(files)
    with (
        istio_dashboards.use_source(lambda version, mirror: files),
        pytest.raises(istio_dashboards.DashboardSourceError, match=re.escape(message)),
    ):
        istio_dashboards.load("1.30.3")
