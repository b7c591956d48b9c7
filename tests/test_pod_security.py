"""Pod Security Admission: every namespace the stack creates is labelled with the strictest level its pods
meet, and every pod meets it. The stack's own pods are read from what the program registers; a chart's pods
are built from the values the program passes merged (as Helm merges maps) over what the pinned chart's
values.yaml and templates set, each default below a literal read there."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests import harness
from tests import pod_security_standards as pss
from tests.harness import Run, assert_refused

NAMESPACE = "kubernetes:core/v1:Namespace"
RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
DEV_MESH = harness.stack_config("dev")["mesh"]


def merged(default: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """Helm's coalesce of user values over a chart's: maps merged key by key, anything else replaced."""
    result = copy.deepcopy(default)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def values(run: Run, chart: str, release: str | None = None) -> dict[str, Any]:
    charts = [r for r in run.of_type("kubernetes:helm.sh/v4:Chart") if r.inputs["chart"] == chart]
    chart_run = next(r for r in charts if release is None or r.inputs["name"] == release)
    return chart_run.inputs.get("values", {})


# --- the charts' pods: defaults read at the pinned tags ---------------------------------------------------

# istio/istio 1.30.3 istio-discovery templates/deployment.yaml: the discovery container's context, with
# `seccompProfile` from values only when set; no pod-level context.
ISTIOD_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}
# manifests/charts/gateway templates/deployment.yaml: the pod's default context (a sysctl) unless
# `securityContext` is given; the container's unless `containerSecurityContext` is; the gateway injection
# template (files/gateway-injection-template.yaml) adds runAsUser/runAsGroup 1337.
GATEWAY_POD_DEFAULT = {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]}
GATEWAY_CONTAINER = {
    "capabilities": {"drop": ["ALL"]},
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 1337,
    "runAsGroup": 1337,
}
# The proxy's volumes in both templates: emptyDirs, the projected token, the CA ConfigMap, the pod's labels.
PROXY_VOLUMES = [
    {"name": "istio-envoy", "emptyDir": {}},
    {"name": "istio-data", "emptyDir": {}},
    {"name": "istio-token", "projected": {}},
    {"name": "istiod-ca-cert", "configMap": {}},
    {"name": "istio-podinfo", "downwardAPI": {}},
]
# istio-discovery files/injection-template.yaml, global.proxy.privileged false: the init container without the
# CNI node agent (istio-init) and with it (istio-validation), and istio-proxy; seccompProfile from
# global.proxy.seccompProfile on each.
ISTIO_INIT = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
    "readOnlyRootFilesystem": False,
    "runAsGroup": 0,
    "runAsNonRoot": False,
    "runAsUser": 0,
}
ISTIO_VALIDATION = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsGroup": 1337,
    "runAsNonRoot": True,
    "runAsUser": 1337,
}
ISTIO_PROXY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 1337,
    "runAsGroup": 1337,
}
# istio-discovery files/waypoint.yaml: the waypoint's istio-proxy (no pod-level context); seccompProfile from
# gateways.seccompProfile.
WAYPOINT_PROXY = {
    "privileged": False,
    "runAsGroup": 1337,
    "runAsUser": 1337,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}
# manifests/charts/istio-cni and ztunnel templates/daemonset.yaml at 1.30.3: the node agents. The cni agent's
# AppArmor `unconfined` is an annotation (values.yaml useAppArmorAnnotation: true), not in its securityContext; its
# pod shares the node's network only with ambient.shareHostNetworkNamespace (values.yaml: false).
CNI_AGENT = {
    "privileged": False,
    "runAsGroup": 0,
    "runAsUser": 0,
    "runAsNonRoot": False,
    "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_ADMIN", "DAC_OVERRIDE"]},
}
ZTUNNEL = {
    "allowPrivilegeEscalation": True,
    "privileged": False,
    "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN", "SYS_ADMIN", "NET_RAW"]},
    "readOnlyRootFilesystem": True,
    "runAsGroup": 1337,
    "runAsNonRoot": False,
    "runAsUser": 0,
}
# prometheus-29.27.0 values.yaml server.securityContext; server.containerSecurityContext and
# configmapReload.prometheus.containerSecurityContext are `{}`.
PROMETHEUS_POD = {"runAsUser": 65534, "runAsNonRoot": True, "runAsGroup": 65534, "fsGroup": 65534}
# grafana-12.11.1 values.yaml securityContext, containerSecurityContext, initChownData.securityContext.
GRAFANA_POD = {"runAsNonRoot": True, "runAsUser": 472, "runAsGroup": 472, "fsGroup": 472}
GRAFANA_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": RUNTIME_DEFAULT,
}
GRAFANA_INIT_CHOWN = {
    "readOnlyRootFilesystem": False,
    "runAsNonRoot": False,
    "runAsUser": 0,
    "seccompProfile": RUNTIME_DEFAULT,
    "capabilities": {"add": ["CHOWN", "DAC_OVERRIDE"], "drop": ["ALL"]},
}
# jaeger-4.11.1 values.yaml jaeger.podSecurityContext; jaeger.securityContext is `{}`.
JAEGER_POD = {"runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001}
# kiali-server v2.29.0 templates/deployment.yaml: the container's context when deployment.security_context is
# empty (values.yaml `security_context: {}`).
KIALI_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": RUNTIME_DEFAULT,
    "capabilities": {"drop": ["ALL"]},
}
# cert-manager v1.21.1 values.yaml: securityContext and containerSecurityContext, the same for the controller,
# webhook and cainjector.
CERT_MANAGER_POD = {"runAsNonRoot": True, "seccompProfile": RUNTIME_DEFAULT}
CERT_MANAGER_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
}
# external-dns-helm-chart-1.21.1 values.yaml podSecurityContext and securityContext.
EXTERNAL_DNS_POD = {"runAsNonRoot": True, "fsGroup": 65534, "seccompProfile": RUNTIME_DEFAULT}
EXTERNAL_DNS_CONTAINER = {
    "privileged": False,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "runAsGroup": 65532,
    "capabilities": {"drop": ["ALL"]},
}


def pod(context: dict[str, Any] | None, *containers: tuple[str, dict[str, Any]], init=(), volumes=()) -> dict:
    spec: dict[str, Any] = {"containers": [{"name": name, "securityContext": sc} for name, sc in containers]}
    if context:
        spec["securityContext"] = context
    if init:
        spec["initContainers"] = [{"name": name, "securityContext": sc} for name, sc in init]
    spec["volumes"] = list(volumes)
    return spec


def istiod_pods(run: Run) -> dict[str, dict]:
    pods = {}
    for chart in run.of_type("kubernetes:helm.sh/v4:Chart"):
        if chart.inputs["chart"] != "istiod":
            continue
        chart_values = chart.inputs["values"]
        context = dict(ISTIOD_CONTAINER)
        if chart_values.get("seccompProfile"):
            context["seccompProfile"] = chart_values["seccompProfile"]
        pods[f"istiod ({chart.inputs['name']})"] = pod(
            None,
            ("discovery", context),
            volumes=[{"name": "local-certs", "emptyDir": {}}, {"name": "istio-token", "projected": {}}],
        )
    return pods


def sidecar_seccomp(run: Run) -> dict[str, Any]:
    proxy = values(run, "istiod", "istiod")["global"]["proxy"]
    return {"seccompProfile": proxy["seccompProfile"]} if proxy.get("seccompProfile") else {}


def gateway_pod(run: Run) -> dict:
    gateway = values(run, "gateway")
    context = gateway.get("securityContext") or GATEWAY_POD_DEFAULT
    container = gateway.get("containerSecurityContext") or GATEWAY_CONTAINER
    return pod(context, ("istio-proxy", container), volumes=PROXY_VOLUMES)


def with_sidecar(run: Run, spec: dict[str, Any], cni: bool) -> dict:
    """The pod as the injector admits it: istio-init (or istio-validation with CNI) and istio-proxy added."""
    seccomp = sidecar_seccomp(run)
    init = ("istio-validation", {**ISTIO_VALIDATION, **seccomp}) if cni else ("istio-init", {**ISTIO_INIT, **seccomp})
    injected = copy.deepcopy(spec)
    injected["initContainers"] = [
        *(injected.get("initContainers") or []),
        {"name": init[0], "securityContext": init[1]},
    ]
    injected["containers"] = [
        *injected["containers"],
        {"name": "istio-proxy", "securityContext": {**ISTIO_PROXY, **seccomp}},
    ]
    injected["volumes"] = [*(injected.get("volumes") or []), *PROXY_VOLUMES]
    return injected


def dashboard_pods(run: Run) -> dict[str, dict]:
    prometheus = values(run, "prometheus")
    server = prometheus["server"]
    storage: dict[str, dict] = (
        {"persistentVolumeClaim": {}} if server["persistentVolume"]["enabled"] else {"emptyDir": {}}
    )
    grafana = values(run, "grafana")
    init: tuple[tuple[str, dict[str, Any]], ...] = ()
    if grafana.get("persistence", {}).get("enabled") and grafana.get("initChownData", {}).get("enabled") is not False:
        init = (
            ("init-chown-data", merged(GRAFANA_INIT_CHOWN, grafana.get("initChownData", {}).get("securityContext"))),
        )
    jaeger = values(run, "jaeger")["jaeger"]
    kiali = values(run, "kiali-server")
    assert "security_context" not in kiali["deployment"]  # the template's default context applies
    return {
        "prometheus": pod(
            merged(PROMETHEUS_POD, server.get("securityContext")),
            (
                "prometheus-server-configmap-reload",
                prometheus["configmapReload"]["prometheus"].get("containerSecurityContext", {}),
            ),
            ("prometheus-server", server.get("containerSecurityContext", {})),
            volumes=[{"name": "config-volume", "configMap": {}}, {"name": "storage-volume", **storage}],
        ),
        "grafana": pod(
            merged(GRAFANA_POD, grafana.get("securityContext")),
            ("grafana", merged(GRAFANA_CONTAINER, grafana.get("containerSecurityContext"))),
            init=init,
            volumes=[
                {"name": "config", "configMap": {}},
                {"name": "storage", "emptyDir": {}},
                {"name": "search", "emptyDir": {}},
            ],
        ),
        "jaeger": pod(
            merged(JAEGER_POD, jaeger.get("podSecurityContext")),
            ("jaeger", jaeger.get("securityContext", {})),
            volumes=jaeger.get("extraVolumes", []),
        ),
        "kiali": pod(None, ("kiali", KIALI_CONTAINER), volumes=[{"name": "kiali-configuration", "configMap": {}}]),
    }


def job_pods(run: Run, namespace: str) -> dict[str, dict]:
    return {
        job.name: job.inputs["spec"]["template"]["spec"]
        for job in run.of_type("kubernetes:batch/v1:Job")
        if job.inputs["metadata"]["namespace"] == namespace
    }


def node_agent_pods(run: Run) -> dict[str, dict]:
    pods = {}
    if "cni" in run.charts():
        pods["istio-cni-node"] = pod(
            None,
            ("install-cni", CNI_AGENT),
            volumes=[{"name": "cni-bin-dir", "hostPath": {}}, {"name": "cni-net-dir", "hostPath": {}}],
        )
    if "ztunnel" in run.charts():
        pods["ztunnel"] = pod(
            None, ("istio-proxy", ZTUNNEL), volumes=[{"name": "cni-ztunnel-sock-dir", "hostPath": {}}]
        )
    return pods


def pods_by_namespace(run: Run) -> dict[str, dict[str, dict]]:
    """Namespace -> pod name -> pod spec, for every pod the stack runs."""
    namespaces: dict[str, dict[str, dict]] = {}
    cni = "cni" in run.charts()
    namespaces["istio-system"] = {**istiod_pods(run), **dashboard_pods(run), **job_pods(run, "istio-system")}
    for name, spec in node_agent_pods(run).items():
        chart = run.chart("ztunnel" if name == "ztunnel" else "cni")
        namespaces.setdefault(chart.inputs["namespace"], {})[name] = spec
    namespaces["istio-ingress"] = {"gateway": gateway_pod(run), **job_pods(run, "istio-ingress")}
    if "cert-manager" in run.charts():
        namespaces["cert-manager"] = {
            **{
                name: pod(CERT_MANAGER_POD, (name, CERT_MANAGER_CONTAINER))
                for name in ("controller", "webhook", "cainjector")
            },
            **job_pods(run, "cert-manager"),
        }
    if "external-dns" in run.charts():
        namespaces["external-dns"] = {"external-dns": pod(EXTERNAL_DNS_POD, ("external-dns", EXTERNAL_DNS_CONTAINER))}
    for deployment in run.of_type("kubernetes:apps/v1:Deployment"):
        namespace = deployment.inputs["metadata"]["namespace"]
        spec = deployment.inputs["spec"]["template"]["spec"]
        ambient = run.one(NAMESPACE, namespace).inputs["metadata"]["labels"].get("istio.io/dataplane-mode") == "ambient"
        namespaces.setdefault(namespace, {})[deployment.name] = spec if ambient else with_sidecar(run, spec, cni)
    for namespace in run.of_type(NAMESPACE):
        labels = namespace.inputs["metadata"].get("labels") or {}
        if "istio.io/use-waypoint" in labels:
            seccomp = values(run, "istiod", "istiod").get("gateways", {}).get("seccompProfile")
            proxy = {**WAYPOINT_PROXY, **({"seccompProfile": seccomp} if seccomp else {})}
            namespaces.setdefault(namespace.name, {})["waypoint"] = pod(
                None, ("istio-proxy", proxy), volumes=PROXY_VOLUMES
            )
    return namespaces


def level(run: Run, namespace: str, mode: str = "audit") -> str:
    """The namespace's level (`audit` is set in every mode, with the same level as enforce or warn)."""
    return run.one(NAMESPACE, namespace).inputs["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}"]


# --- the rules ------------------------------------------------------------------------------------------------

# A workload as the README tells users to write one (the demo's settings): restricted on its own.
RESTRICTED_APP = pod(
    {"runAsNonRoot": True, "seccompProfile": RUNTIME_DEFAULT},
    ("app", {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True}),
)


@pytest.mark.parametrize("stack", ["dev", "gcp", "aws", "ambient", "production", "cni"])
def test_every_pod_meets_its_namespace_level(shared_run, stack):
    if stack == "production":
        run = shared_run("dev", profile="production")
    elif stack == "cni":
        run = shared_run("dev", mesh={**DEV_MESH, "cni": {"enabled": True}})
    else:
        run = shared_run(stack)
    for namespace, pods in pods_by_namespace(run).items():
        namespace_level = level(run, namespace)
        for name, spec in pods.items():
            assert pss.violations(namespace_level, spec) == [], f"{namespace}/{name} at {namespace_level}"


def test_the_stack_s_own_namespaces_are_restricted_but_where_the_node_agents_run(shared_run):
    run = shared_run("gcp")  # production: the CNI agent on, in its own namespace
    for namespace in ("istio-system", "istio-ingress", "cert-manager", "external-dns"):
        assert level(run, namespace, "enforce") == "restricted", namespace
    assert level(run, "istio-node-agents", "enforce") == "privileged"
    assert {run.chart("cni").inputs["namespace"]} == {"istio-node-agents"}
    assert level(shared_run("dev"), "istio-system", "warn") == "restricted"  # no node agent


@pytest.mark.parametrize("stack", ["dev", "gcp", "aws", "ambient", "production", "cni"])
def test_the_control_plane_s_namespace_is_restricted_in_every_stack(shared_run, stack):
    """istiod, the dashboards and the stack's Jobs there meet restricted; the node agents never run there."""
    if stack == "production":
        run = shared_run("dev", profile="production")
    elif stack == "cni":
        run = shared_run("dev", mesh={**DEV_MESH, "cni": {"enabled": True}})
    else:
        run = shared_run(stack)
    labels = run.one(NAMESPACE, "istio-system").inputs["metadata"]["labels"]
    assert {v for k, v in labels.items() if not k.endswith("-version")} == {"restricted"}
    for chart in ("cni", "ztunnel"):
        if chart in run.charts():
            assert run.chart(chart).inputs["namespace"] == "istio-node-agents"


def test_the_node_agents_namespace_is_privileged_enforced_in_production_warned_in_dev(shared_run):
    """The only privileged namespace of the stack's own, labelled like the others (enforce, or warn and audit)."""
    assert shared_run("gcp").one(NAMESPACE, "istio-node-agents").inputs["metadata"]["labels"] == {
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/enforce-version": "v1.32",
        "pod-security.kubernetes.io/warn": "privileged",
        "pod-security.kubernetes.io/warn-version": "v1.32",
        "pod-security.kubernetes.io/audit": "privileged",
        "pod-security.kubernetes.io/audit-version": "v1.32",
    }
    assert shared_run("ambient").one(NAMESPACE, "istio-node-agents").inputs["metadata"]["labels"] == {
        "pod-security.kubernetes.io/warn": "privileged",
        "pod-security.kubernetes.io/warn-version": "v1.32",
        "pod-security.kubernetes.io/audit": "privileged",
        "pod-security.kubernetes.io/audit-version": "v1.32",
    }


def test_injected_namespaces_are_privileged_while_istio_init_needs_net_admin(shared_run):
    run = shared_run("dev")
    assert level(run, "apps", "warn") == "privileged"
    assert level(run, "demo", "warn") == "privileged"
    # The strictest level: the demo with its istio-init meets neither baseline nor restricted.
    demo = pods_by_namespace(run)["demo"]
    assert any("adds ['NET_ADMIN', 'NET_RAW']" in v for spec in demo.values() for v in pss.baseline_violations(spec))
    assert pss.baseline_violations(with_sidecar(run, RESTRICTED_APP, cni=False)) != []


def test_with_the_cni_node_agent_injected_namespaces_are_restricted_and_the_agents_namespace_privileged(shared_run):
    run = shared_run("dev", mesh={**DEV_MESH, "cni": {"enabled": True}})
    assert level(run, "apps", "warn") == "restricted"
    assert level(run, "demo", "warn") == "restricted"
    # The strictest level for the node agents' namespace: the CNI agent meets neither baseline nor restricted.
    assert level(run, "istio-node-agents", "warn") == "privileged"
    assert level(run, "istio-system", "warn") == "restricted"
    assert pss.baseline_violations(pods_by_namespace(run)["istio-node-agents"]["istio-cni-node"]) == [
        "hostPath volume cni-bin-dir",
        "hostPath volume cni-net-dir",
        "install-cni: adds ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN', 'SYS_PTRACE']",  # DAC_OVERRIDE: baseline allows it
    ]
    for name, spec in pods_by_namespace(run)["demo"].items():
        assert pss.restricted_violations(spec) == [], name
    assert pss.restricted_violations(with_sidecar(run, RESTRICTED_APP, cni=True)) == []


def test_ambient_namespaces_and_their_waypoints_are_restricted(shared_run):
    run = shared_run("ambient")
    for namespace, pods in pods_by_namespace(run).items():
        if run.one(NAMESPACE, namespace).inputs["metadata"]["labels"].get("istio.io/dataplane-mode") == "ambient":
            assert level(run, namespace) == "restricted"
            assert pods, namespace
            for name, spec in pods.items():
                assert pss.restricted_violations(spec) == [], f"{namespace}/{name}"


def test_production_enforces_and_dev_warns_and_audits(shared_run):
    # production installs the CNI agent, in its own namespace: the control plane's stays restricted.
    production = shared_run("dev", profile="production").one(NAMESPACE, "istio-ingress").inputs["metadata"]["labels"]
    assert production == {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.32",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.32",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "v1.32",
    }
    dev = shared_run("dev").one(NAMESPACE, "istio-system").inputs["metadata"]["labels"]
    assert dev == {
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.32",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "v1.32",
    }
    enforced = shared_run("dev", security={"podSecurity": "enforce"}).one(NAMESPACE, "apps")
    assert enforced.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert enforced.inputs["metadata"]["labels"]["istio-injection"] == "enabled"


def test_every_namespace_the_stack_creates_is_labelled(shared_run):
    for stack in ("dev", "gcp", "aws"):
        for namespace in shared_run(stack).of_type(NAMESPACE):
            labels = namespace.inputs["metadata"].get("labels") or {}
            assert "pod-security.kubernetes.io/audit" in labels, f"{stack}: {namespace.name}"


@pytest.mark.parametrize("value", ["strict", "restricted", "audit", ""])
def test_an_unknown_pod_security_setting_is_refused(run_stack, value):
    assert_refused(
        lambda: run_stack("dev", security={"podSecurity": value}), "security.podSecurity", ["'enforce'", "'warn'"]
    )


# --- the hardening itself, and that the checks would see it missing ---------------------------------------


def test_no_jaeger_prometheus_or_grafana_container_writes_its_root_or_escalates(shared_run):
    for stack in ("dev", "production"):
        run = shared_run("dev", profile="production") if stack == "production" else shared_run("dev")
        pods = dashboard_pods(run)
        for name in ("jaeger", "prometheus", "grafana"):
            for container in pss.containers(pods[name]):
                context = container["securityContext"]
                assert context.get("readOnlyRootFilesystem") is True, f"{stack}: {name}/{container['name']}"
                assert context.get("allowPrivilegeEscalation") is False, f"{stack}: {name}/{container['name']}"


def test_the_charts_defaults_would_not_meet_restricted():
    """What the checks catch when the hardening values are missing (the charts' own defaults)."""
    assert "jaeger: privilege escalation not disallowed" in pss.restricted_violations(pod(JAEGER_POD, ("jaeger", {})))
    assert "prometheus-server: capabilities not dropped" in pss.restricted_violations(
        pod(PROMETHEUS_POD, ("prometheus-server", {}))
    )
    grafana_with_init = pod(
        GRAFANA_POD, ("grafana", GRAFANA_CONTAINER), init=(("init-chown-data", GRAFANA_INIT_CHOWN),)
    )
    assert "init-chown-data: not runAsNonRoot" in pss.restricted_violations(grafana_with_init)
    assert "discovery: no RuntimeDefault or Localhost seccomp profile" in pss.restricted_violations(
        pod(None, ("discovery", ISTIOD_CONTAINER))
    )
    assert "istio-proxy: no RuntimeDefault or Localhost seccomp profile" in pss.restricted_violations(
        pod(GATEWAY_POD_DEFAULT, ("istio-proxy", GATEWAY_CONTAINER))
    )
    assert pss.baseline_violations(pod({"sysctls": [{"name": "net.ipv4.ip_forward", "value": "1"}]}, ("c", {}))) == [
        "sysctl net.ipv4.ip_forward"
    ]
    assert (
        pss.restricted_violations(pod(None, ("c", {}), volumes=[{"name": "h", "hostPath": {}}]))[0]
        == "hostPath volume h"
    )


def test_every_privileged_level_says_why():
    from settings.loader import load_settings
    from stacks import pod_security

    for raw in ({**harness.stack_config("dev")}, {**harness.stack_config("dev"), "profile": "production"}):
        for namespace, found in pod_security.namespace_levels(load_settings(raw)).items():
            assert (found.level == "privileged") == (found.reason is not None), namespace
