"""Ambient as a data plane choice, and the CNI agent for sidecar meshes: chart values per chart, install order,
labels per namespace per mode, waypoints, the move to ambient and back, the node agents' upgrade steps, bad
inputs, and the footprint bound.

Expected values are the ones read in istio/istio 1.30.3 manifests/charts (istio-cni, ztunnel, istio-discovery)
and manifests/helm-profiles (see components/node_agents.py, components/istio.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from scripts.benchmark import critical_path
from scripts.footprint import footprint
from settings import dataplane
from settings.loader import load_settings
from tests import fakes, harness
from tests.harness import assert_refused

NAMESPACE = "kubernetes:core/v1:Namespace"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
SIDECAR_LABELS = {"istio-injection", "istio.io/rev"}


def run(config: dict, previous: dict | None = None, base: str = "dev") -> harness.Run:
    """The `base` shipped stack with `config` over it; `previous`: the stack's outputs of its previous `up`."""

    def calls(token: str, args: dict) -> harness.InvokeResult:
        if token == "pulumi:pulumi:readStackOutputs" and previous is not None:
            return {"name": args["name"], "outputs": previous, "secretOutputNames": []}
        return fakes.invoke(token, args)

    return harness.run_program(
        {**harness.stack_config(base), **config},
        computed=fakes.computed_fields,
        calls=calls,
        resource_id=fakes.resource_id,
        dashboards=fakes.istio_dashboards,
        kubeconfig=fakes.KIND_KUBECONFIG,
    )


def values(result: harness.Run, chart: str) -> dict[str, Any]:
    return result.chart(chart).inputs["values"]


def labels(result: harness.Run, namespace: str) -> dict[str, str]:
    """The namespace's data-plane labels (its Pod Security labels are tests/test_pod_security.py's)."""
    every = result.one(NAMESPACE, namespace).inputs["metadata"]["labels"]
    return {key: value for key, value in every.items() if not key.startswith("pod-security.kubernetes.io/")}


def mesh(**overrides: Any) -> dict[str, Any]:
    """dev's mesh section with `overrides`."""
    return {"mesh": {**harness.stack_config("dev")["mesh"], **overrides}}


@pytest.fixture(scope="module")
def ambient():
    return run({}, base="ambient")


@pytest.fixture(scope="module")
def sidecar_dev():
    return run({})


# --- the charts' values (Pulumi.ambient.yaml) -----------------------------------------------------------


def test_istiod_runs_the_ambient_profile_and_trusts_ztunnel_by_name(ambient):
    istiod = values(ambient, "istiod")
    assert istiod["profile"] == "ambient"
    # istiod's CA_TRUSTED_NODE_ACCOUNTS is "<trustedZtunnelNamespace>/<trustedZtunnelName>" (the chart's default
    # namespace: istiod's own); the ztunnel chart's objects are named `resourceName` and live in its release
    # namespace, the node agents' own.
    assert (istiod["trustedZtunnelNamespace"], istiod["trustedZtunnelName"]) == ("istio-node-agents", "ztunnel")
    assert ambient.chart("ztunnel").inputs["namespace"] == "istio-node-agents"
    assert values(ambient, "ztunnel")["resourceName"] == "ztunnel"
    assert ambient.chart("istiod").inputs["namespace"] == "istio-system"
    # the injector's istio-validation instead of istio-init for any sidecar namespace beside
    assert istiod["cni"] == {"enabled": True}
    assert istiod["global"]["waypoint"]["resources"] == {
        "requests": {"cpu": "5m", "memory": "24Mi"},
        "limits": {"memory": "256Mi"},
    }


def test_cni_chart_runs_ambient_redirection(ambient):
    cni = ambient.chart("cni").inputs
    assert (cni["chart"], cni["version"], cni["name"], cni["namespace"]) == (
        "cni",
        "1.31.4",
        "istio-cni",
        "istio-node-agents",
    )
    assert cni["repositoryOpts"] == {"repo": "https://blob.istio.io/istio-release/charts"}
    assert cni["values"] == {
        "profile": "ambient",
        "resources": {"requests": {"cpu": "2m", "memory": "12Mi"}, "limits": {"memory": "128Mi"}},
    }


def test_ztunnel_chart_at_the_istio_version_scraped_by_prometheus(ambient):
    ztunnel = ambient.chart("ztunnel").inputs
    assert (ztunnel["chart"], ztunnel["version"], ztunnel["name"]) == ("ztunnel", "1.31.4", "ztunnel")
    assert ztunnel["values"] == {
        "resources": {"requests": {"cpu": "2m", "memory": "8Mi"}, "limits": {"memory": "256Mi"}},
        "resourceName": "ztunnel",
        # the Prometheus chart's kubernetes-pods job keeps pods annotated so, on the annotated port
        "podAnnotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "15020"},
        # ztunnel's CA and xDS: istiod-<revision or none>.<istioNamespace>.svc:15012, istiod's namespace
        "istioNamespace": "istio-system",
    }


def test_prometheus_keeps_its_annotation_driven_pod_job_over_every_namespace(ambient):
    prometheus = values(ambient, "prometheus")
    assert "serverFiles" not in prometheus
    assert "extraScrapeConfigs" not in prometheus
    # prometheus-29.27.0 values.yaml server.namespaces [] and server.releaseNamespace false: service discovery in
    # every namespace, the node agents' included
    assert not {"namespaces", "releaseNamespace"} & set(prometheus["server"])


def test_kiali_reads_the_namespace_ztunnel_runs_in(ambient):
    """Kiali 2.29 detects ambient from a DaemonSet labelled app.kubernetes.io/name=ztunnel in a namespace it reads
    (kiali/kiali v2.29.0 cache/cache.go), and queries pod=~"ztunnel-.*": ztunnel in the node agents' namespace,
    Kiali with cluster-wide access (kiali-server values.yaml deployment.cluster_wide_access; false would give it
    Roles in its own namespace and discovery_selectors' only), ztunnel never renamed."""
    assert ambient.chart("kiali-server").inputs["namespace"] == "istio-system"
    assert ambient.chart("ztunnel").inputs["namespace"] == "istio-node-agents"
    assert values(ambient, "kiali-server")["deployment"]["cluster_wide_access"] is True
    assert "discovery_selectors" not in values(ambient, "kiali-server")["deployment"]
    assert values(ambient, "ztunnel")["resourceName"] == "ztunnel"


PLATFORMS = [
    # (config, base stack, cni values beyond resources and profile, ztunnel's global)
    ({"mesh": {"dataplane": "ambient", "injectedNamespaces": ["apps"]}}, "gcp", "gke", "/home/kubernetes/bin"),
    ({"mesh": {"dataplane": "ambient", "injectedNamespaces": ["apps"]}}, "aws", None, None),
    (mesh(dataplane="ambient", cni={"platform": "k3d"}), "dev", "k3d", None),
    (mesh(dataplane="ambient", cni={"platform": "minikube"}), "dev", "minikube", None),
    (mesh(dataplane="ambient", cni={"platform": "kind"}), "dev", None, None),
    (mesh(dataplane="ambient"), "dev", None, None),
]


@pytest.mark.parametrize(("config", "base", "platform", "bin_dir"), PLATFORMS)
def test_platform_values_from_the_cloud_or_the_local_choice(config, base, platform, bin_dir):
    result = run(config, base=base)
    cni, ztunnel = values(result, "cni"), values(result, "ztunnel")
    # platform-gke.yaml sets resourceQuotas.enabled in both charts: their quota for system-node-critical pods is
    # rendered in the release namespace, where the agents run
    assert {result.chart(c).inputs["namespace"] for c in ("cni", "ztunnel")} == {"istio-node-agents"}
    assert cni.get("global") == ({"platform": platform} if platform else None)
    assert ztunnel.get("global") == ({"platform": platform} if platform else None)
    assert cni.get("cni") == ({"cniBinDir": bin_dir} if bin_dir else None)


# --- the CNI agent for sidecar meshes ----------------------------------------------------------------------


def test_sidecar_dev_has_no_cni_agent_and_istio_init(sidecar_dev):
    assert {"cni", "ztunnel"}.isdisjoint(sidecar_dev.charts())
    istiod = values(sidecar_dev, "istiod")
    assert not {"cni", "profile", "trustedZtunnelNamespace"} & set(istiod)
    assert "waypoint" not in istiod["global"]


@pytest.mark.parametrize(
    ("config", "installed"),
    [
        ({"profile": "production", "dashboards": {"kiali": {"auth": "token"}}}, True),
        ({"profile": "production", "dashboards": {"kiali": {"auth": "token"}}, **mesh(cni={"enabled": False})}, False),
        (mesh(cni={"enabled": True}), True),
        (mesh(cni={"enabled": False}), False),
    ],
)
def test_cni_for_sidecars_on_in_production_a_setting_otherwise(config, installed):
    result = run(config)
    assert ("cni" in result.charts()) == installed
    assert "ztunnel" not in result.charts()
    assert values(result, "istiod").get("cni") == ({"enabled": True} if installed else None)
    assert "profile" not in values(result, "istiod")
    if installed:
        assert "profile" not in values(result, "cni")  # sidecar redirection only, no ambient
        cni = result.chart("cni")
        # before the first injected workload: each injected namespace waits for the agent
        for name in ("apps", "demo"):
            assert result.one(NAMESPACE, name).depends_on(cni)
        assert labels(result, "apps") == {"istio-injection": "enabled"}


def test_production_sizes_the_agents_from_the_upstream_requests():
    result = run(
        {"profile": "production", "dashboards": {"kiali": {"auth": "token"}}, **mesh(dataplane="ambient")},
    )
    assert values(result, "cni")["resources"] == {
        "requests": {"cpu": "100m", "memory": "100Mi"},
        "limits": {"memory": "512Mi"},
    }
    assert values(result, "ztunnel")["resources"] == {
        "requests": {"cpu": "200m", "memory": "512Mi"},
        "limits": {"memory": "2Gi"},
    }


# --- order ---------------------------------------------------------------------------------------------


def test_istio_order_base_istiod_cni_ztunnel(ambient):
    base, istiod, cni, ztunnel = (ambient.chart(c) for c in ("base", "istiod", "cni", "ztunnel"))
    assert istiod.depends_on(base)
    assert cni.depends_on(istiod)
    assert ztunnel.depends_on(cni) and ztunnel.depends_on(istiod)
    assert not ambient.chart("gateway").depends_on(cni) and not ambient.chart("gateway").depends_on(ztunnel)


@pytest.mark.parametrize("stack", ["ambient", "cni"])
def test_the_agents_namespace_is_created_before_their_charts_and_deleted_after_them(stack, ambient):
    """As istio-system before istiod: the charts install into the Namespace resource's name, so Pulumi creates it
    first and, on destroy, deletes it only once both DaemonSets are gone."""
    result = ambient if stack == "ambient" else run(mesh(cni={"enabled": True}))
    namespace = result.one(NAMESPACE, "istio-node-agents")
    charts = [result.chart(c) for c in ("cni", "ztunnel") if c in result.charts()]
    assert len(charts) == (2 if stack == "ambient" else 1)
    for chart in charts:
        assert chart.depends_on(namespace), chart.name
        assert not namespace.depends_on(chart), chart.name
    assert not namespace.depends_on(result.chart("istiod"))  # created beside the control plane, not after it


def test_no_node_agents_no_namespace_for_them(sidecar_dev):
    assert [n.name for n in sidecar_dev.of_type(NAMESPACE) if n.name == "istio-node-agents"] == []


def test_ambient_namespaces_wait_for_ztunnel_and_sidecar_ones_for_the_cni_agent_only():
    result = run(mesh(injectedNamespaces=["apps", {"name": "shop", "dataplane": "ambient"}]))
    cni, ztunnel = result.chart("cni"), result.chart("ztunnel")
    shop, apps = result.one(NAMESPACE, "shop"), result.one(NAMESPACE, "apps")
    assert shop.depends_on(ztunnel) and shop.depends_on(cni)
    assert apps.depends_on(cni) and not apps.depends_on(ztunnel)


def test_ambient_adds_one_chained_install_to_the_critical_path(ambient, sidecar_dev):
    path = critical_path(ambient)
    assert len(path) == len(critical_path(sidecar_dev)) + 1 == 4
    assert path[-2:] == ["istio-node-agents-cni", "istio-node-agents-ztunnel"]


def test_cni_for_sidecars_keeps_the_critical_path(sidecar_dev):
    assert len(critical_path(run(mesh(cni={"enabled": True})))) == len(critical_path(sidecar_dev))


# --- labels and waypoints ------------------------------------------------------------------------------

MIXED = mesh(
    injectedNamespaces=[
        "apps",
        {"name": "legacy", "dataplane": "sidecar"},
        {"name": "shop", "dataplane": "ambient"},
        {"name": "orders", "dataplane": "ambient", "waypoint": True},
    ]
)


@pytest.fixture(scope="module")
def mixed():
    return run(MIXED)


def test_labels_per_namespace_per_mode(mixed):
    assert labels(mixed, "apps") == {"istio-injection": "enabled"}
    assert labels(mixed, "legacy") == {"istio-injection": "enabled"}
    assert labels(mixed, "shop") == {"istio.io/dataplane-mode": "ambient"}
    assert labels(mixed, "orders") == {"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint"}
    assert labels(mixed, "demo") == {"istio-injection": "enabled"}  # the demo follows mesh.dataplane


def test_a_pinned_sidecar_namespace_keeps_its_revision_label_in_an_ambient_mesh():
    result = run(
        {
            "istio": {"revisions": [{"name": "stable", "version": "1.31.4"}]},
            **mesh(
                dataplane="ambient", injectedNamespaces=[{"name": "apps", "dataplane": "sidecar", "revision": "stable"}]
            ),
        }
    )
    assert labels(result, "apps") == {"istio.io/rev": "stable"}
    assert labels(result, "demo") == {"istio.io/dataplane-mode": "ambient"}
    # the default revision is named: ztunnel dials istiod-stable
    assert values(result, "ztunnel")["revision"] == "stable"


@pytest.mark.parametrize("stack", ["ambient", "mixed"])
def test_no_namespace_is_labelled_for_both(stack, ambient, mixed):
    result = ambient if stack == "ambient" else mixed
    for namespace in result.of_type(NAMESPACE):
        present = set(namespace.inputs["metadata"].get("labels") or {})
        assert not ("istio.io/dataplane-mode" in present and present & SIDECAR_LABELS), namespace.name


def test_a_waypoint_is_an_hbone_gateway_bound_by_its_namespace(mixed):
    [waypoint] = [g for g in mixed.of_type(GATEWAY) if g.inputs["spec"]["gatewayClassName"] == "istio-waypoint"]
    assert waypoint.inputs["metadata"] == {
        "name": "waypoint",
        "namespace": "orders",
        "labels": {"istio.io/waypoint-for": "service"},
    }
    assert waypoint.inputs["spec"]["listeners"] == [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]
    assert waypoint.depends_on(mixed.chart("istiod"))
    assert waypoint.depends_on(mixed.one("kubernetes:yaml/v2:ConfigFile"))
    assert waypoint.depends_on(mixed.one(NAMESPACE, "orders"))


def test_ambient_stack_outputs_each_namespaces_data_plane(ambient):
    assert ambient.outputs["dataplane"] == {
        "default": "ambient",
        "namespaces": {"apps": "ambient", "demo": "ambient"},
        "waypoints": ["apps"],
        "nodeAgents": {"version": "1.31.4", "cni": True, "ztunnel": True},
    }


# --- the move, one `up` per step -----------------------------------------------------------------------

SIDECAR_STEP = mesh(injectedNamespaces=["apps"])
AMBIENT_STEP = mesh(injectedNamespaces=[{"name": "apps", "dataplane": "ambient"}])


def test_a_namespace_moves_to_ambient_in_one_up_and_back_in_the_next():
    before = run({**SIDECAR_STEP, "kubernetes": {"context": "kind-mesh"}})
    moved = run({**AMBIENT_STEP, "kubernetes": {"context": "kind-mesh"}}, previous=before.outputs)
    # the same Namespace resource: its labels swap in one update
    assert moved.one(NAMESPACE, "apps").urn == before.one(NAMESPACE, "apps").urn
    assert labels(moved, "apps") == {"istio.io/dataplane-mode": "ambient"}
    assert moved.one(NAMESPACE, "apps").depends_on(moved.chart("ztunnel"))
    assert moved.outputs["istio"]["restart"] == {
        "apps": "kubectl --context kind-mesh -n apps rollout restart deployment"
    }
    back = run({**SIDECAR_STEP, "kubernetes": {"context": "kind-mesh"}}, previous=moved.outputs)
    assert labels(back, "apps") == {"istio-injection": "enabled"}
    assert {"cni", "ztunnel"}.isdisjoint(back.charts())
    assert back.outputs["istio"]["restart"] == {
        "apps": "kubectl --context kind-mesh -n apps rollout restart deployment"
    }


def test_an_unchanged_up_restarts_nothing(ambient):
    again = run({}, previous=ambient.outputs, base="ambient")
    assert again.outputs["istio"]["restart"] == {}


def test_an_in_place_upgrade_restarts_sidecar_namespaces_only():
    step = mesh(injectedNamespaces=["apps", {"name": "shop", "dataplane": "ambient"}])
    previous = run(step).outputs
    result = run({**step, "istio": {"version": "1.31.0"}}, previous=previous)
    assert sorted(result.outputs["istio"]["restart"]) == ["apps", "demo"]
    assert values(result, "ztunnel") and result.chart("ztunnel").inputs["version"] == "1.31.0"
    assert result.chart("cni").inputs["version"] == "1.31.0"


def test_a_stack_from_before_ambient_moves_a_namespace_with_a_restart():
    previous = {"versions": {"istio": "1.31.4"}, "injectedNamespaces": ["apps", "demo"]}
    result = run(AMBIENT_STEP, previous=previous)
    assert sorted(result.outputs["istio"]["restart"]) == ["apps"]


# --- the node agents follow the default revision -------------------------------------------------------

TWO = {"revisions": [{"name": "stable", "version": "1.30.3"}, {"name": "canary", "version": "1.31.0"}]}


def test_the_agents_follow_the_default_revisions_version():
    for default, version in (("stable", "1.30.3"), ("canary", "1.31.0")):
        result = run({"istio": {**TWO, "defaultRevision": default}, **mesh(dataplane="ambient")})
        assert {result.chart(c).inputs["version"] for c in ("cni", "ztunnel")} == {version}
        assert values(result, "ztunnel")["revision"] == default
        assert result.chart("ztunnel").depends_on(result.named(f"istio-istiod-{default}"))


def agents_at(version: str, default: str = "stable", revisions: dict | None = None) -> dict:
    """Previous outputs: the node agents at `version`, behind the revision `default`."""
    return {
        "istio": {"revisions": revisions or {default: version}, "defaultRevision": default, "namespaces": {}},
        "dataplane": {"namespaces": {}, "nodeAgents": {"version": version, "cni": True, "ztunnel": True}},
    }


def test_moving_the_default_one_minor_ahead_of_the_agents_is_accepted():
    previous = agents_at("1.30.3", revisions={"stable": "1.30.3", "canary": "1.31.0"})
    result = run({"istio": {**TWO, "defaultRevision": "canary"}, **mesh(dataplane="ambient")}, previous=previous)
    assert result.chart("ztunnel").inputs["version"] == "1.31.0"


UNSAFE_AGENT_STEPS = [
    (
        agents_at("1.30.3", revisions={"stable": "1.30.3", "canary": "1.32.0"}),
        {
            "istio": {
                "revisions": [{"name": "stable", "version": "1.30.3"}, {"name": "canary", "version": "1.32.0"}],
                "defaultRevision": "canary",
            }
        },
        "istio.defaultRevision",
        ["run 1.30.3", "more than 1 minor behind", "one minor at a time"],
    ),
    (
        agents_at("1.31.0", default="canary", revisions={"stable": "1.30.3", "canary": "1.31.0"}),
        {"istio": {**TWO, "defaultRevision": "stable"}},
        "istio.defaultRevision",
        ["run 1.31.0", "ahead of the default revision"],
    ),
]


@pytest.mark.parametrize(("previous", "config", "key", "words"), UNSAFE_AGENT_STEPS, ids=["two-ahead", "back"])
def test_a_step_leaving_the_agents_out_of_skew_is_refused(previous, config, key, words):
    assert_refused(lambda: run({**config, **mesh(dataplane="ambient")}, previous=previous), key, words)


def test_the_same_step_is_refused_for_the_cni_agent_of_a_sidecar_mesh():
    previous, config, key, words = UNSAFE_AGENT_STEPS[0]
    assert_refused(lambda: run({**config, **mesh(cni={"enabled": True})}, previous=previous), key, words)


def test_without_the_agents_the_same_step_is_a_canary_move():
    previous, config, _, _ = UNSAFE_AGENT_STEPS[0]
    assert run(config, previous=previous).named("istio-istiod-canary").inputs["values"]["revisionTags"] == ["default"]


# --- bad input -----------------------------------------------------------------------------------------

BAD_INPUTS = [
    (mesh(dataplane="ambient", cni={"enabled": False}), "mesh.cni.enabled", ["ambient needs Istio's CNI"]),
    (
        mesh(injectedNamespaces=[{"name": "apps", "dataplane": "ambient"}], cni={"enabled": False}),
        "mesh.cni.enabled",
        ["ambient needs"],
    ),
    (mesh(dataplane="ambient", cni={"platform": "eks"}), "mesh.cni.platform", ["Istio 1.30 knows only gke"]),
    (mesh(dataplane="ambient", cni={"platform": "openshift"}), "mesh.cni.platform", ["accepted: kind, k3d"]),
    (mesh(dataplane="ambiant"), "mesh.dataplane", ["'sidecar' or 'ambient'"]),
    (
        {
            "istio": {"revisions": [{"name": "stable", "version": "1.31.4"}]},
            **mesh(injectedNamespaces=[{"name": "apps", "dataplane": "ambient", "revision": "stable"}]),
        },
        "mesh.injectedNamespaces[0].revision",
        ["ambient namespace is not pinned", "injector wins"],
    ),
    (
        {
            "istio": {**TWO, "defaultRevision": "stable"},
            **mesh(dataplane="ambient", injectedNamespaces=[{"name": "apps", "revision": "canary"}]),
        },
        "mesh.injectedNamespaces[0].revision",
        ["ambient namespace is not pinned"],
    ),
    (
        mesh(injectedNamespaces=[{"name": "apps", "waypoint": True}]),
        "mesh.injectedNamespaces[0].waypoint",
        ["runs sidecars", "set its dataplane"],
    ),
    (
        mesh(dataplane="ambient", injectedNamespaces=[{"name": "apps", "dataplane": "sidecar", "waypoint": True}]),
        "mesh.injectedNamespaces[0].waypoint",
        ["runs sidecars"],
    ),
    (
        {**mesh(dataplane="ambient"), "dashboards": {"prometheus": {"enabled": False}, "kiali": {"enabled": False}}},
        "verify.enabled",
        ["ztunnel's metrics", "enable dashboards.prometheus"],
    ),
]


@pytest.mark.parametrize(("config", "key", "words"), BAD_INPUTS, ids=[f"{c[1]}:{i}" for i, c in enumerate(BAD_INPUTS)])
def test_bad_input_is_refused_before_any_resource(config, key, words):
    assert_refused(lambda: run(config), key, words)


def test_a_platform_on_a_cloud_is_refused():
    config = {"mesh": {"dataplane": "ambient", "cni": {"platform": "k3s"}}}
    assert_refused(lambda: run(config, base="gcp"), "mesh.cni.platform", ["derived from the cloud on gcp (gke)"])


def test_near_misses_pass():
    """Ambient without the demo's verification needs no Prometheus; a sidecar namespace pinned in an ambient mesh."""
    assert run(
        {
            **mesh(dataplane="ambient"),
            "verify": {"enabled": False},
            "dashboards": {"prometheus": {"enabled": False}, "kiali": {"enabled": False}},
        }
    ).charts()
    assert run(mesh(dataplane="ambient", cni={"enabled": True})).chart("ztunnel")


# --- the contract with the Pod Security levels (settings/dataplane.py) -----------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "cni"),
    [
        ({}, {}, False),
        ({"mesh": {"injectedNamespaces": ["apps"]}}, {"apps": "sidecar"}, False),
        ({"profile": "production", "mesh": {"injectedNamespaces": ["apps"]}}, {"apps": "sidecar"}, True),
        (
            {"mesh": {"dataplane": "ambient", "injectedNamespaces": ["apps", {"name": "b", "dataplane": "sidecar"}]}},
            {"apps": "ambient", "b": "sidecar"},
            True,
        ),
        (
            {"demo": {"enabled": True}, "dns": {"domain": "mesh.localhost"}, "mesh": {"dataplane": "ambient"}},
            {"demo": "ambient"},
            True,
        ),
    ],
)
def test_namespace_dataplane_and_cni_installed(raw, expected, cni):
    settings = load_settings(raw)
    assert {n: dataplane.namespace_dataplane(settings, n) for n in settings.injected_namespaces} == expected
    assert dataplane.cni_installed(settings) is cni


# --- footprint -----------------------------------------------------------------------------------------


def test_ambient_dev_requests_less_than_sidecar_dev_on_one_node(ambient, sidecar_dev):
    amb, side = footprint(ambient), footprint(sidecar_dev)
    assert amb.cpu_millicores < side.cpu_millicores
    assert amb.memory_mib < side.memory_mib
    # what replaces the demo's sidecar (10m, 48Mi): one pod of each agent on the node and the apps waypoint
    assert amb.pods["ztunnel"] == (1, 2, 8)
    assert amb.pods["istio-cni-node"] == (1, 2, 12)
    assert amb.pods["waypoint apps"] == (1, 5, 24)
    assert amb.pods["httpbin"] == (1, 10, 32)  # no sidecar
    assert side.pods["httpbin"] == (1, 20, 80)
    assert (amb.cpu_millicores, amb.memory_mib) == (264, 1116)  # the certificate's wait Job included


def test_a_sidecar_pod_gets_istio_validation_with_the_cni_agent():
    rows = footprint(run(mesh(cni={"enabled": True}))).rows
    assert {r.container for r in rows if r.workload == "httpbin"} == {"httpbin", "istio-proxy", "istio-validation"}


# --- verification in ambient ---------------------------------------------------------------------------


def test_ambient_verification_proves_mtls_from_ztunnel_not_the_client_certificate(ambient):
    from stacks.verification import script_config

    checks = set(ambient.outputs["verification"]["checks"])
    assert checks == {
        "demo-through-gateway",
        "mtls-ztunnel-to-demo",
        "trace-in-jaeger",
        "prometheus-sees-demo",
        "plaintext-refused",
        "https-redirect",
    }
    config = script_config(load_settings(harness.stack_config("ambient")))
    assert config["ztunnel"] == {
        "url": "http://prometheus-server.istio-system.svc.cluster.local:9090",
        "workload": "httpbin",
        "namespace": "demo",
        "pods": "ztunnel-.*",
    }
    # the plain-text request still goes straight to the ambient pod, refused by its ztunnel under STRICT
    assert config["plaintext"] == {"url": "http://httpbin.demo.svc.cluster.local:8000/headers"}


def test_sidecar_verification_keeps_the_client_certificate_check(sidecar_dev):
    assert "mtls-gateway-to-demo" in sidecar_dev.outputs["verification"]["checks"]
    assert "mtls-ztunnel-to-demo" not in sidecar_dev.outputs["verification"]["checks"]


def kube_context(name: str, server: str = "https://127.0.0.1:6443") -> str:
    return (
        f"apiVersion: v1\nkind: Config\ncurrent-context: {name}\n"
        f"contexts: [{{name: {name}, context: {{cluster: {name}, user: {name}}}}}]\n"
        f"clusters: [{{name: {name}, cluster: {{server: '{server}'}}}}]\nusers: [{{name: {name}, user: {{}}}}]\n"
    )


# (kube context the stack installs into, mesh.cni settings, the platform the node agents get). Istio 1.30.3
# manifests/helm-profiles/platform-k3d.yaml and platform-minikube.yaml hold each one's CNI paths; kind has none.
DETECTED = [
    ("k3d-mesh", {}, "k3d"),
    ("minikube", {}, "minikube"),
    ("kind-mesh", {}, None),
    ("k3d-mesh", {"platform": "k3s"}, "k3s"),  # set: as set
    ("docker-desktop", {}, None),
]


@pytest.mark.parametrize(("context", "cni", "platform"), DETECTED)
def test_the_shipped_ambient_stack_takes_its_platform_from_the_kube_context(run_stack, context, cni, platform):
    shipped = harness.stack_config("ambient")
    config = {**shipped, "mesh": {**shipped["mesh"], "cni": cni}}
    result = run_stack(config, kubeconfig=kube_context(context))
    for chart in ("cni", "ztunnel"):
        assert values(result, chart).get("global") == ({"platform": platform} if platform else None)


def test_a_named_context_decides_the_platform_not_the_current_one(run_stack):
    config = {**harness.stack_config("ambient"), "kubernetes": {"context": "k3d-mesh"}}
    result = run_stack(config, kubeconfig=kube_context("kind-other"))
    assert values(result, "cni")["global"] == {"platform": "k3d"}
