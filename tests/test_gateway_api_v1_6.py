"""Gateway API v1.6 (the default bundle) refuses HTTPRoute retries that v1.5 took: `retry.attempts` must be at least
1 and `retry.codes` distinct (kubernetes-sigs/gateway-api v1.6.1 config/crd/experimental HTTPRoute: `minimum: 1`;
CHANGELOG 1.6: "retry.codes must now be unique and retry.attempts must be >= 1"). The settings refuse them first."""

from __future__ import annotations

import pytest

from settings.loader import SettingsError, load_settings

SHOP = {"name": "shop", "namespace": "shop"}


def config(retries: dict, version: str = "v1.6.1") -> dict:
    return {
        "dns": {"domain": "mesh.example.com"},
        "mesh": {"injectedNamespaces": ["shop"]},
        "gatewayApi": {"version": version, "channel": "experimental"},
        "routes": [{**SHOP, "retries": retries}],
    }


def problems(raw: dict) -> list[str]:
    try:
        load_settings(raw)
    except SettingsError as error:
        return error.problems
    return []


def test_zero_attempts_are_refused_from_v1_6_and_taken_before():
    assert problems(config({"attempts": 0})) == [
        "routes[0].retries.attempts: 0 is refused by the HTTPRoute CRD of Gateway API v1.6.1 (at least 1); "
        "drop retries to turn them off"
    ]
    assert problems(config({"attempts": 1})) == []
    assert problems(config({"attempts": 0}, version="v1.5.1")) == []


@pytest.mark.parametrize(("codes", "refused"), [(["503", "503"], True), (["503", "504"], False)])
def test_a_status_code_listed_twice_is_refused(codes, refused):
    found = problems(config({"attempts": 2, "conditions": codes}))
    assert found == (
        ["routes[0].retries.conditions: a status code is listed twice (the HTTPRoute CRD refuses it)"]
        if refused
        else []
    )


def test_an_istio_route_keeps_zero_attempts():
    """A VirtualService's retries are Istio's: 0 turns them off there (docs/routes.md)."""
    raw = config({"attempts": 0})
    raw["routes"][0]["kind"] = "istio"
    assert problems(raw) == []
