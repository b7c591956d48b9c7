"""Each dashboard switch on its own: Kiali links Grafana exactly when Grafana is on and Jaeger exactly when
Jaeger is on, whatever the other switch says."""

from __future__ import annotations

import pytest

GRAFANA_ON = {
    "enabled": True,
    "internal_url": "http://grafana.istio-system.svc.cluster.local:3000",
    "external_url": "http://localhost:3000",
}
TRACING_ON = {
    "enabled": True,
    "provider": "jaeger",
    "use_grpc": True,
    "internal_url": "http://jaeger.istio-system.svc.cluster.local:16685",
    "external_url": "http://localhost:16686",
}


@pytest.mark.parametrize(("grafana", "jaeger"), [(True, False), (False, True), (True, True), (False, False)])
def test_kiali_follows_each_switch_on_its_own(shared_run, grafana, jaeger):
    run = shared_run({"cloud": "local", "dashboards": {"grafana": {"enabled": grafana}, "jaeger": {"enabled": jaeger}}})
    services = run.chart("kiali-server").inputs["values"]["external_services"]
    if grafana:
        assert {k: services["grafana"][k] for k in GRAFANA_ON} == GRAFANA_ON
        assert services["grafana"]["auth"]["password"] == "secret:grafana-admin:admin-password"
    else:
        assert services["grafana"] == {"enabled": False}
    assert services["tracing"] == (TRACING_ON if jaeger else {"enabled": False})
    charts = set(run.charts())
    assert ("grafana" in charts, "jaeger" in charts) == (grafana, jaeger)
    # Kiali reads the Grafana admin Secret only when Grafana (and so the Secret) exists.
    kiali = run.chart("kiali-server")
    admin = [r for r in run.of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == "grafana-admin"]
    assert len(admin) == int(grafana)
    assert all(kiali.depends_on(secret) for secret in admin)
