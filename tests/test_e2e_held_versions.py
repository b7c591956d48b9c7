"""`e2e.run --mirror DIR` names the versions DIR holds where the pins moved past them (e2e/mirror.py held_settings):
read from DIR's charts/index.yaml and gateway-api/ directory, as the mirror command writes them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from e2e.mirror import held_settings
from settings.loader import load_settings

ISTIO = ("base", "istiod", "gateway", "cni", "ztunnel")


def mirror(root: Path, charts: dict[str, list[str]], bundles: list[str]) -> Path:
    (root / "charts").mkdir(parents=True)
    entries = {
        name: [{"name": name, "version": v, "urls": [f"{name}-{v}.tgz"]} for v in held] for name, held in charts.items()
    }
    (root / "charts" / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": entries}))
    for bundle in bundles:
        (root / "gateway-api" / bundle).mkdir(parents=True)
    return root


def test_the_shared_upstream_mirror_shape_names_istio_1_30_3_acknowledged(tmp_path):
    """What ../shared/upstream-mirror holds: Istio 1.30.3 and 1.29.6, Gateway API v1.5.1 and v1.6.1."""
    held = mirror(tmp_path, {**{c: ["1.30.3", "1.29.6"] for c in ISTIO}, "grafana": ["12.11.1"]}, ["v1.5.1", "v1.6.1"])
    settings = held_settings(held, today=date(2026, 12, 7))
    assert settings == {"istio": {"version": "1.30.3", "allowUnsupported": True}}
    assert load_settings(settings, today=date(2026, 12, 7)).istio.version == "1.30.3"


def test_no_acknowledgment_while_the_held_release_is_supported(tmp_path):
    held = mirror(tmp_path, {c: ["1.30.3"] for c in ISTIO}, ["v1.6.1"])
    assert held_settings(held, today=date(2026, 12, 2)) == {"istio": {"version": "1.30.3"}}


def test_nothing_when_the_mirror_holds_the_pins(tmp_path):
    held = mirror(tmp_path, {c: ["1.30.3", "1.31.4"] for c in ISTIO}, ["v1.5.1", "v1.6.1"])
    assert held_settings(held, today=date(2026, 12, 7)) == {}


def test_a_release_counts_only_with_all_five_charts_and_the_newest_bundle_stands_in(tmp_path):
    charts = {c: ["1.29.6", "1.30.3"] for c in ISTIO}
    charts["ztunnel"] = ["1.29.6"]
    held = mirror(tmp_path, charts, ["v1.5.0", "v1.5.1"])
    assert held_settings(held, today=date(2026, 12, 7)) == {
        "istio": {"version": "1.29.6", "allowUnsupported": True},
        "gatewayApi": {"version": "v1.5.1"},
    }
