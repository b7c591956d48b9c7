"""One stack-wide profile: dev fits a laptop cluster, production survives the loss of a node. Every container
has requests and a memory limit; the footprint is added up from what the program hands the cluster."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scripts.footprint import CHART_PODS, footprint, rows
from settings import profiles
from tests import fakes, harness, test_settings
from tests.harness import single_cluster_stacks
from tests.test_mesh import EVERYTHING

PRODUCTION = {"profile": "production"}


def values(run, chart: str) -> dict:
    return run.chart(chart).inputs["values"]


def sized(cpu: str, memory: str, limit: str) -> dict:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": limit}}


def _run(**overrides):
    config = {**harness.stack_config("dev"), **overrides}
    return harness.run_program(
        config,
        computed=fakes.computed_fields,
        calls=fakes.invoke,
        resource_id=fakes.resource_id,
        dashboards=fakes.istio_dashboards,
        kubeconfig=fakes.KIND_KUBECONFIG,
    )


# One run per module for the tests that only read (the suite stays fast); tests that change a run make their own.
@pytest.fixture(scope="module")
def dev():
    return _run()


@pytest.fixture(scope="module")
def production():
    return _run(**PRODUCTION)


# --- every container sized, under each profile ----------------------------------------------------------

Runner = Callable[[Callable[..., harness.Run]], harness.Run]


def _shipped(stack: str) -> Runner:
    return lambda run_stack: run_stack(stack)


RUNS: dict[str, Runner] = {
    **{stack: _shipped(stack) for stack in single_cluster_stacks()},
    "dev, production": lambda run_stack: run_stack("dev", **PRODUCTION),
    "everything": lambda run_stack: run_stack(EVERYTHING, secret_keys=("dashboards",)),
    "everything, production": lambda run_stack: run_stack(EVERYTHING, secret_keys=("dashboards",), **PRODUCTION),
}


@pytest.mark.parametrize("config", sorted(RUNS))
def test_every_container_has_requests_and_a_memory_limit(run_stack, config):
    found = rows(RUNS[config](run_stack))
    assert len(found) >= 8
    assert [row for row in found if not row.complete] == []


def test_a_container_without_requests_would_be_found(run_stack):
    dev = run_stack("dev")
    dev.chart("jaeger").inputs["values"]["jaeger"].pop("resources")
    assert [(row.workload, row.complete) for row in rows(dev) if row.workload == "jaeger"] == [("jaeger", False)]


def test_a_chart_without_pod_entries_is_refused(run_stack):
    dev = run_stack("dev")
    dev.chart("jaeger").inputs["chart"] = "unknown-chart"
    with pytest.raises(KeyError, match="unknown-chart"):
        rows(dev)
    assert [pod.workload for pod in CHART_PODS["cert-manager"]] == [
        "cert-manager",
        "cert-manager-webhook",
        "cert-manager-cainjector",
    ]


def test_the_demo_counts_its_sidecar_and_init_container(dev):
    demo = {row.container: row for row in rows(dev) if row.workload == "httpbin"}
    assert set(demo) == {"httpbin", "istio-proxy", "istio-init"}
    assert (demo["istio-proxy"].cpu, demo["istio-proxy"].memory, demo["istio-proxy"].memory_limit) == (
        "10m",
        "48Mi",
        "256Mi",
    )
    assert demo["istio-init"].init and not demo["istio-proxy"].init


# --- footprint ------------------------------------------------------------------------------------------

# cert-manager (#9) and the verification Job (#12) are both in the footprint now.
HEADROOM_CPU, HEADROOM_MIB = 20, 64


def test_dev_fits_a_laptop_cluster_with_room_for_cert_manager_and_a_job(dev):
    result = footprint(dev)
    # istiod 50m/192Mi, gateway 20m/64Mi, prometheus 50m/256Mi + reloader 5m/16Mi, grafana 25m/96Mi,
    # jaeger 25m/128Mi, kiali 10m/64Mi, httpbin 10m/32Mi + its sidecar 10m/48Mi; cert-manager's controller
    # 10m/48Mi, webhook 10m/32Mi, cainjector 10m/48Mi and its API-check Job 10m/32Mi; the certificate's wait Job
    # 10m/32Mi; the verification Job 10m/32Mi.
    assert (result.cpu_millicores, result.memory_mib) == (265, 1120)
    assert result.cpu_millicores + HEADROOM_CPU <= 500
    assert result.memory_mib + HEADROOM_MIB <= 1.25 * 1024


def test_production_footprint(production):
    result = footprint(production)
    assert result.pods["istiod"] == (2, 500, 1024)
    assert result.pods["ingress gateway"] == (2, 250, 256)
    # grafana: its container only (init-chown-data is turned off: it runs as root)
    assert result.pods["grafana"] == (1, 100, 256)
    # with two each of cert-manager's controller (50m/128Mi), webhook (25m/64Mi), cainjector (25m/128Mi), the
    # API-check Job (10m/32Mi), the certificate's wait Job (10m/32Mi) and the verification Job (10m/32Mi), and
    # the CNI agent production turns on (100m/100Mi, the cni chart's own requests) on one node
    assert result.pods["istio-cni-node"] == (1, 100, 100)
    assert (result.cpu_millicores, result.memory_mib) == (2890, 6564)


def test_the_totals_written_are_the_footprints(dev, production, shared_run):
    """settings/profiles.py and docs/sizing.md write the totals: they are what the footprint adds up."""
    d, p, a = footprint(dev), footprint(production), footprint(shared_run("ambient"))
    assert f"{d.cpu_millicores}m CPU and {d.memory_mib:.0f}Mi requested for the whole `dev` stack" in profiles.__doc__
    page = (harness.PROJECT_DIR / "docs" / "sizing.md").read_text()
    dev_row = f"**{d.cpu_millicores}m CPU, {d.memory_mib:.0f}Mi** | **{p.cpu_millicores}m CPU, {p.memory_mib:.0f}Mi**"
    assert f"| **total, the `dev` stack** | {dev_row} " in page
    assert f"one waypoint, no sidecar) | **{a.cpu_millicores}m CPU, {a.memory_mib:.0f}Mi** |" in page
    # kind's own requests, read upstream (kubeadm's static pods and CoreDNS, kind's kindnet): 950m CPU, 290Mi.
    assert "That is 950m CPU and 290Mi before anything of yours" in page
    assert f"stack, {950 + d.cpu_millicores}m CPU and {290 + d.memory_mib:.0f}Mi of a 2-CPU, 4-GiB kind" in page


def test_a_pod_reserves_its_largest_init_container_when_that_is_larger(run_stack):
    run = run_stack("dev", **PRODUCTION)
    # The chart's init-chown-data, as it renders with persistence when not turned off (initChownData.enabled
    # defaults to true): 1 CPU and 1Gi requested.
    values(run, "grafana")["initChownData"] = {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}
    assert footprint(run).pods["grafana"] == (1, 1000, 1024)


# --- values per profile ---------------------------------------------------------------------------------


def test_istiod_dev(dev):
    istiod = values(dev, "istiod")
    assert istiod["resources"] == sized("50m", "192Mi", "1Gi")
    assert (istiod["autoscaleMin"], istiod["autoscaleMax"]) == (1, 5)
    assert istiod["global"]["proxy"]["resources"] == sized("10m", "48Mi", "256Mi")
    assert "topologySpreadConstraints" not in istiod


def test_istiod_production(production):
    istiod = values(production, "istiod")
    assert istiod["resources"] == sized("500m", "1Gi", "4Gi")
    assert (istiod["autoscaleMin"], istiod["autoscaleMax"]) == (2, 5)
    assert istiod["global"]["defaultPodDisruptionBudget"] == {"enabled": True}
    assert istiod["global"]["proxy"]["resources"] == sized("100m", "128Mi", "1Gi")
    assert istiod["topologySpreadConstraints"] == [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": "istiod", "istio.io/rev": "default"}},
        },
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "nodeTaintsPolicy": "Honor",
            "labelSelector": {"matchLabels": {"app": "istiod", "istio.io/rev": "default"}},
        },
    ]


def test_gateway_dev(dev):
    gateway = values(dev, "gateway")
    assert gateway["resources"] == sized("20m", "64Mi", "256Mi")
    assert gateway["autoscaling"] == {"enabled": True, "minReplicas": 1, "maxReplicas": 5}
    assert "podDisruptionBudget" not in gateway and "topologySpreadConstraints" not in gateway


def test_gateway_production_is_replicated_autoscaled_spread_and_budgeted(production):
    gateway = values(production, "gateway")
    assert gateway["resources"] == sized("250m", "256Mi", "1Gi")
    assert gateway["autoscaling"] == {"enabled": True, "minReplicas": 2, "maxReplicas": 10}
    assert gateway["podDisruptionBudget"] == {"minAvailable": 1}
    # the chart's selector labels for release istio-ingressgateway (templates/_helpers.tpl)
    labels = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    assert gateway["topologySpreadConstraints"] == [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",  # a single-zone cluster still schedules
            "labelSelector": {"matchLabels": labels},
        },
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            "nodeTaintsPolicy": "Honor",  # a cordoned node is not a domain: drains complete
            "labelSelector": {"matchLabels": labels},
        },
    ]


@pytest.mark.parametrize("profile", ["dev", "production"])
def test_no_replica_count_beside_an_autoscaler(run_stack, profile):
    run = run_stack("dev", profile=profile)
    assert "replicaCount" not in values(run, "istiod")
    assert "autoscaleEnabled" not in values(run, "istiod")  # the chart's default: true
    assert "replicaCount" not in values(run, "gateway")
    assert values(run, "gateway")["autoscaling"]["enabled"] is True


def test_external_dns_per_profile(run_stack):
    assert values(run_stack("gcp"), "external-dns")["resources"] == sized("50m", "64Mi", "256Mi")
    assert values(run_stack("gcp", profile="dev"), "external-dns")["resources"] == sized("10m", "32Mi", "96Mi")


def test_dashboards_dev(dev):
    prometheus = values(dev, "prometheus")
    assert prometheus["server"]["resources"] == sized("50m", "256Mi", "1Gi")
    assert prometheus["configmapReload"]["prometheus"]["resources"] == sized("5m", "16Mi", "64Mi")
    assert prometheus["server"]["persistentVolume"] == {"enabled": False}
    grafana = values(dev, "grafana")
    assert grafana["resources"] == sized("25m", "96Mi", "256Mi")
    assert grafana["initChownData"] == {"enabled": False}
    assert values(dev, "jaeger")["jaeger"]["resources"] == sized("25m", "128Mi", "512Mi")
    assert values(dev, "kiali-server")["deployment"]["resources"] == sized("10m", "64Mi", "512Mi")


def test_dashboards_production(production):
    prometheus = values(production, "prometheus")
    assert prometheus["server"]["resources"] == sized("500m", "2Gi", "4Gi")
    assert prometheus["configmapReload"]["prometheus"]["resources"] == sized("10m", "32Mi", "64Mi")
    assert prometheus["server"]["persistentVolume"] == {"enabled": True, "size": "50Gi"}
    grafana = values(production, "grafana")
    assert grafana["resources"] == sized("100m", "256Mi", "512Mi")
    assert grafana["initChownData"] == {"enabled": False}  # root with CHOWN: refused by Pod Security restricted
    assert grafana["persistence"] == {"enabled": True, "size": "10Gi", "lookupVolumeName": False}
    assert values(production, "jaeger")["jaeger"]["resources"] == sized("250m", "512Mi", "2Gi")
    assert values(production, "kiali-server")["deployment"]["resources"] == sized("50m", "128Mi", "1Gi")


def test_overrides_reach_the_charts(run_stack):
    run = run_stack(
        "dev",
        sizing={
            "istiod": {"memory": "256Mi"},
            "gateway": {"cpu": "50m", "memoryLimit": "512Mi", "minReplicas": 2, "maxReplicas": 3},
            "sidecar": {"cpu": "0.02"},
        },
    )
    assert values(run, "istiod")["resources"] == sized("50m", "256Mi", "1Gi")
    assert values(run, "istiod")["global"]["proxy"]["resources"] == sized("0.02", "48Mi", "256Mi")
    gateway = values(run, "gateway")
    assert gateway["resources"] == sized("50m", "64Mi", "512Mi")
    assert gateway["autoscaling"] == {"enabled": True, "minReplicas": 2, "maxReplicas": 3}
    assert footprint(run).pods["ingress gateway"] == (2, 50, 64)


def test_a_minimum_above_the_profiles_maximum_raises_the_maximum(run_stack):
    run = run_stack("dev", sizing={"gateway": {"minReplicas": 7}})
    assert values(run, "gateway")["autoscaling"] == {"enabled": True, "minReplicas": 7, "maxReplicas": 7}


# --- bad input ------------------------------------------------------------------------------------------

BAD_INPUTS = [
    ("unknown profile", {"profile": "large"}, "profile", ["'dev' or 'production'", "large"]),
    ("old key", {"dashboards": {"profile": "dev"}}, "dashboards.profile", ["moved to the top-level key `profile`"]),
    (
        "istiod under 64Mi",
        {"sizing": {"istiod": {"memory": "32Mi"}}},
        "sizing.istiod.memory",
        ["below the floor of 64Mi", "64Mi or more"],
    ),
    (
        "istiod in bytes under the floor",
        {"sizing": {"istiod": {"memory": "1048576"}}},
        "sizing.istiod.memory",
        ["below the floor of 64Mi"],
    ),
    (
        "istiod cpu under 10m",
        {"sizing": {"istiod": {"cpu": "5m"}}},
        "sizing.istiod.cpu",
        ["below the floor of 10m", "10m or more"],
    ),
    (
        "gateway under 32Mi",
        {"sizing": {"gateway": {"memory": "16Mi"}}},
        "sizing.gateway.memory",
        ["below the floor of 32Mi"],
    ),
    (
        "sidecar under 32Mi",
        {"sizing": {"sidecar": {"memory": "31Mi"}}},
        "sizing.sidecar.memory",
        ["below the floor of 32Mi"],
    ),
    (
        "limit under the request",
        {"sizing": {"gateway": {"memoryLimit": "32Mi"}}},
        "sizing.gateway.memoryLimit",
        ["below the request 64Mi"],
    ),
    (
        "request over the profile's limit",
        {"sizing": {"sidecar": {"memory": "512Mi"}}},
        "sizing.sidecar.memory",
        ["limit 256Mi is below the request 512Mi"],
    ),
    (
        "not a memory quantity",
        {"sizing": {"istiod": {"memory": "2GB"}}},
        "sizing.istiod.memory",
        ["not a memory quantity", "Mi"],
    ),
    (
        "not a cpu quantity",
        {"sizing": {"gateway": {"cpu": "lots"}}},
        "sizing.gateway.cpu",
        ["not a CPU quantity", "100m"],
    ),
    (
        "no replicas",
        {"sizing": {"gateway": {"minReplicas": 0}}},
        "sizing.gateway.minReplicas",
        ["greater than or equal to 1"],
    ),
    (
        "max under min",
        {"sizing": {"gateway": {"minReplicas": 3, "maxReplicas": 2}}},
        "sizing.gateway.maxReplicas",
        ["below minReplicas 3"],
    ),
    (
        "one production gateway",
        {"profile": "production", "sizing": {"gateway": {"minReplicas": 1}}},
        "sizing.gateway.minReplicas",
        ["cannot survive the loss of its node", "2 or more"],
    ),
    (
        "unknown component",
        {"sizing": {"kiali": {"cpu": "10m"}}},
        "sizing.kiali",
        ["unknown key", "istiod, gateway, sidecar"],
    ),
]


@pytest.mark.parametrize(("case", "config", "key", "words"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_sizing_input_is_refused_before_any_resource(run_stack, case, config, key, words):
    # the same check as every other bad input: one problem, naming the key, nothing registered
    test_settings.test_bad_input_is_refused_before_any_resource(run_stack, config, key, words)


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_cloud_examples_footprint_with_the_demo(shared_run, stack):
    """docs/sizing.md's row for the cloud examples: production with external-dns (50m/64Mi), cert-manager, the CNI
    agent, and the demo they publish (httpbin 50m/64Mi, its sidecar 100m/128Mi, the verification Job 10m/32Mi)."""
    result = footprint(shared_run(stack, stack=stack))
    assert (result.cpu_millicores, result.memory_mib) == (2940, 6628)
