"""Istio's support window (settings/support.py): a minor past its end of support is refused as the only or the default
revision, with the date and the release to move to, stays accepted as the old side of a canary upgrade away from it,
and `istio.allowUnsupported` accepts it knowingly.

The dates are literals: Istio supports a minor until six weeks after the minor two above it is released (istio.io,
"Supported Releases"); the releases are the commit times of istio.io/api's release tags on the module proxy
(v1.31.0 2026-08-24, v1.32.0 2026-10-21) and istio.io's 1.30.x page (1.30.0 on 2026-05-18).
"""

from __future__ import annotations

from datetime import date

import pytest

from definitions import versions
from settings.loader import SettingsError, load_settings
from tests.harness import assert_refused

TODAY = date(2026, 12, 7)
CANARY_ADVICE = "upgrade through a canary: list 1.31.4 beside it in istio.revisions"


def problems(config: dict, today: date = TODAY) -> list[str]:
    try:
        load_settings(config, today=today)
    except SettingsError as error:
        return error.problems
    return []


def test_the_default_istio_is_supported_today():
    assert versions.ISTIO_DEFAULT_VERSION == "1.31.4"
    assert problems({}) == []
    assert versions.istio_support_problem("1.31.4", TODAY) is None


@pytest.mark.parametrize(
    ("version", "ended", "after"),
    [
        ("1.30.3", "2026-12-02", "six weeks after 1.32.0, its last patch 1.30.8 included"),
        ("1.30.8", "2026-12-02", "six weeks after 1.32.0, its last patch 1.30.8 included"),
        ("1.29.6", "2026-10-05", "six weeks after 1.31.0, its last patch 1.29.8 included"),
        ("1.28.10", "2026-06-29", "six weeks after 1.30.0"),
    ],
)
def test_a_minor_out_of_support_is_refused_alone_naming_the_date_and_the_release_to_move_to(version, ended, after):
    assert problems({"istio": {"version": version}}) == [
        f"istio.version: Istio {version.rsplit('.', 1)[0]} is out of support since {ended} ({after}); the newest "
        f"patch of a supported minor is 1.31.4; {CANARY_ADVICE} (docs/upgrades.md), or set "
        "istio.allowUnsupported true to keep it knowingly"
    ]


def test_the_end_of_support_at_its_edge():
    assert problems({"istio": {"version": "1.30.3"}}, today=date(2026, 12, 2)) == []
    assert len(problems({"istio": {"version": "1.30.3"}}, today=date(2026, 12, 3))) == 1


def test_as_the_default_of_two_revisions_without_a_supported_one_beside_it():
    two = {
        "revisions": [{"name": "a", "version": "1.29.6"}, {"name": "b", "version": "1.30.3"}],
        "defaultRevision": "b",
    }
    found = problems({"istio": two})
    assert [p.split(":")[0] for p in found] == ["istio.revisions[0].version", "istio.revisions[1].version"]


@pytest.mark.parametrize("default", ["old", "new"])
def test_the_way_out_stays_open_a_canary_to_a_supported_release(default):
    """Steps 1-2 of the runbook keep the old revision as the default; step 3 moves it (docs/upgrades.md)."""
    revisions = [{"name": "old", "version": "1.30.3"}, {"name": "new", "version": "1.31.4"}]
    assert problems({"istio": {"revisions": revisions, "defaultRevision": default}}) == []
    skipping = [{"name": "old", "version": "1.29.6"}, {"name": "new", "version": "1.31.4"}]
    assert problems({"istio": {"revisions": skipping, "defaultRevision": "old"}}) == []


def test_a_canary_to_an_older_release_is_no_way_out():
    revisions = [{"name": "old", "version": "1.30.3"}, {"name": "older", "version": "1.29.6"}]
    assert len(problems({"istio": {"revisions": revisions, "defaultRevision": "old"}})) == 2


def test_the_acknowledgment_keeps_an_unsupported_release():
    assert problems({"istio": {"version": "1.29.6", "allowUnsupported": True}}) == []
    assert problems({"istio": {"version": "1.29.6", "allowUnsupported": False}}) != []


def test_the_refusal_comes_before_any_resource(run_stack):
    assert_refused(
        lambda: run_stack("dev", istio={"version": "1.30.3"}),
        "istio.version",
        ["out of support since 2026-12-02", "1.31.4", "istio.allowUnsupported"],
    )
