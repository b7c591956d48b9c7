"""The e2e's own arithmetic, which its run only prints: the versions it reads from a mirror, the ratio to the helm
sequence, the scale curve. (The e2e itself is the test of the rest: docs/end-to-end.md.)"""

from __future__ import annotations

import yaml

from e2e.helm_comparison import ratio_lines, version_in
from e2e.mirror import held_versions
from e2e.scale import curve, scaled_settings


def write_index(directory, entries: dict[str, list[str]]) -> None:
    (directory / "charts").mkdir()
    index = {"apiVersion": "v1", "entries": {c: [{"version": v} for v in vs] for c, vs in entries.items()}}
    (directory / "charts" / "index.yaml").write_text(yaml.safe_dump(index))


def test_held_versions_in_release_order_not_text_order(tmp_path):
    write_index(tmp_path, {"istiod": ["1.30.3", "1.9.0", "1.29.6", "1.30.3"], "cert-manager": ["v1.21.1"]})
    assert held_versions(tmp_path, "istiod") == ["1.9.0", "1.29.6", "1.30.3"]
    assert held_versions(tmp_path, "cert-manager") == ["v1.21.1"]
    assert held_versions(tmp_path, "ztunnel") == []


def test_helm_takes_the_pin_when_held_else_the_newest_held(tmp_path):
    write_index(tmp_path, {"istiod": ["1.29.6", "1.30.3"]})
    assert version_in(tmp_path, "istiod", "1.29.6") == "1.29.6"
    assert version_in(tmp_path, "istiod", "1.31.0") == "1.30.3"


def test_ratio_of_the_first_up_and_destroy_to_the_helm_sequence():
    timings = [
        ("helm sequence: install (kubectl apply + helm install --wait)", 16.0),
        ("helm sequence: uninstall", 2.0),
        ("up (dev, first)", 24.0),
        ("destroy (destroy)", 27.0),
    ]
    up, destroy = ratio_lines(timings)
    assert up.endswith("= 1.50x (goal <= 1.5x)"), up
    assert destroy.endswith("= 13.50x"), destroy


def test_ratio_says_when_a_side_was_not_run():
    [up, destroy] = ratio_lines([("up (dev, first)", 24.0)])
    assert "not measured" in up and "not measured" in destroy


def test_scale_curve_one_row_per_size_in_phase_order():
    timings = [
        ("scale 10: preview", 5.0),
        ("scale 10: up", 30.0),
        ("scale 10: no-op preview", 4.0),
        ("destroy (scale 10: destroy)", 20.0),
        ("scale 1: preview", 3.0),
    ]
    lines = curve(timings)
    assert lines[2].split() == ["e2e:", "1", "3.0", "-", "-", "-"]
    assert lines[3].split() == ["e2e:", "10", "5.0", "30.0", "4.0", "20.0"]


def test_scale_settings_one_route_per_injected_namespace():
    settings = scaled_settings(3)
    assert settings["mesh"]["injectedNamespaces"] == ["apps", "scale-0", "scale-1", "scale-2"]
    assert [(r["name"], r["namespace"]) for r in settings["routes"]] == [
        ("route-0", "scale-0"),
        ("route-1", "scale-1"),
        ("route-2", "scale-2"),
    ]
