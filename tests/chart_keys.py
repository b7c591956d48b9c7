"""The value keys this project may hand each pinned chart, each one read in that chart's own values.yaml /
values.schema.json / templates at the pinned tag.

Most of these charts accept unknown keys silently (only Istio's gateway chart refuses them), so a typo or a
key from another chart (Bitnami's `google.project`) would be a silent failure on a real cluster. The tests
walk every value the program passes and fail on any path not listed here: adding a key means reading the
chart first, then adding it here with where it was found.

A path ending in `.*` is a map whose contents are the chart's passthrough (annotations, env, the MeshConfig
API). Lists are leaves.
"""

from __future__ import annotations

from typing import Any, Iterable


def resources(prefix: str) -> set[str]:
    """A container's requests and memory limit, the three numbers every profile sets (stacks/profiles.py)."""
    return {f"{prefix}resources.requests.cpu", f"{prefix}resources.requests.memory", f"{prefix}resources.limits.memory"}


ISTIOD_KEYS = {
    "base.validationFailurePolicy",
    "meshConfig.*",
    "env.*",
    *resources(""),
    "autoscaleMin",
    "autoscaleMax",
    "topologySpreadConstraints",
    *resources("global.proxy."),
    "global.defaultPodDisruptionBudget.enabled",
    "revision",
    "revisionTags",
    "global.operatorManageWebhooks",
}
GATEWAY_KEYS = {
    "service.type",
    "service.annotations.*",
    "service.ports",
    *resources(""),
    "autoscaling.enabled",
    "autoscaling.minReplicas",
    "autoscaling.maxReplicas",
    "podDisruptionBudget.minAvailable",
    "topologySpreadConstraints",
    "revision",
}

# (chart, version) -> allowed key paths
VERIFIED_KEYS: dict[tuple[str, str], set[str]] = {
    # istio/istio 1.30.3 manifests/charts/base: templates/defaultrevision-validatingwebhookconfiguration.yaml
    # reads .Values.base.validationFailurePolicy (not declared in values.yaml).
    # templates/defaultrevision-validatingwebhookconfiguration.yaml reads .Values.defaultRevision (values.yaml:
    # `defaultRevision: "default"`; "default" points the validator at Service `istiod`, else `istiod-<rev>`).
    ("base", "1.30.3"): {"base.validationFailurePolicy", "defaultRevision"},
    # manifests/charts/istio-control/istio-discovery: validatingwebhookconfiguration.yaml reads
    # base.validationFailurePolicy; configmap.yaml deep-merges meshConfig (MeshConfig API) into ConfigMap
    # `istio`; values are flat since 1.24 (deployment.yaml renders `env` as container env vars).
    # values.yaml (_internal_defaults_do_not_set): resources, autoscaleMin/autoscaleMax (read by
    # templates/autoscale.yaml, and by poddisruptionbudget.yaml with global.defaultPodDisruptionBudget.enabled),
    # topologySpreadConstraints (toYaml in templates/deployment.yaml), global.proxy.resources (read by
    # files/injection-template.yaml for istio-proxy and istio-init); `revision`, `revisionTags` (templates
    # suffix names with the revision; revision-tags-mwc.yaml / revision-tags-svc.yaml render one webhook and
    # Service per tag); `global.operatorManageWebhooks` drops mutatingwebhook.yaml and revision-tags-mwc.yaml.
    ("istiod", "1.30.3"): ISTIOD_KEYS,
    # manifests/charts/gateway: values.schema.json ($defs.values, additionalProperties: false at the top).
    # resources.{requests,limits}.{cpu,memory}, autoscaling.{enabled,minReplicas,maxReplicas},
    # podDisruptionBudget.minAvailable and topologySpreadConstraints (array) are declared there too;
    # `revision` labels the pods istio.io/rev (templates/_helpers.tpl, gateway.sidecarInjectionLabels).
    ("gateway", "1.30.3"): GATEWAY_KEYS,
    # The canary minor: read at istio/istio 1.31.0-rc.0 (1.31.0 not yet tagged in the mirror), the same
    # templates and keys as 1.30.3 for everything set here (autoscale.yaml, poddisruptionbudget.yaml,
    # deployment.yaml, files/injection-template.yaml; gateway values.schema.json).
    ("base", "1.31.0"): {"base.validationFailurePolicy", "defaultRevision"},
    ("istiod", "1.31.0"): ISTIOD_KEYS,
    ("gateway", "1.31.0"): GATEWAY_KEYS,
    # kubernetes-sigs/external-dns external-dns-helm-chart-1.21.1 charts/external-dns: values.yaml (schema allows
    # unknown keys); templates/deployment.yaml renders provider.name, sources, policy, registry, txtOwnerId,
    # domainFilters, logFormat, env, extraVolumes(Mounts), and extraArgs as a map (`--key=value`, chart >= 1.17);
    # templates/serviceaccount.yaml renders serviceAccount.{create,name,annotations}.
    ("external-dns", "1.21.1"): {
        "provider.name",
        "sources",
        "policy",
        "registry",
        "txtOwnerId",
        "domainFilters",
        "logFormat",
        "extraArgs.*",
        "env",
        "extraVolumes",
        "extraVolumeMounts",
        "serviceAccount.create",
        "serviceAccount.name",
        "serviceAccount.annotations.*",
        *resources(""),  # values.yaml `resources: {}`, rendered on the external-dns container
    },
    # prometheus-community/helm-charts prometheus-29.27.0 charts/prometheus: values.yaml (subchart conditions
    # alertmanager/kube-state-metrics/prometheus-node-exporter/prometheus-pushgateway.enabled; server.*);
    # values.schema.json types them but allows unknown keys.
    ("prometheus", "29.27.0"): {
        "alertmanager.enabled",
        "prometheus-pushgateway.enabled",
        "kube-state-metrics.enabled",
        "prometheus-node-exporter.enabled",
        "server.service.servicePort",
        "server.podLabels.*",
        "server.global.scrape_interval",
        *resources("server."),
        # configmapReload.prometheus.resources: the config reloader container in templates/deploy.yaml
        *resources("configmapReload.prometheus."),
        "server.persistentVolume.enabled",
        "server.persistentVolume.size",
        "server.retention",
        "server.retentionSize",
    },
    # grafana-community/helm-charts grafana-12.11.1 charts/grafana: values.yaml; podLabels is read by
    # templates/deployment.yaml; _config.tpl reads datasources, dashboardProviders["dashboardproviders.yaml"]
    # templates/_pod.tpl mounts each dashboardsConfigMaps.<provider> ConfigMap at
    # /var/lib/grafana/dashboards/<provider> and renders initChownData.resources on init-chown-data.
    ("grafana", "12.11.1"): {
        "service.port",
        "podLabels.*",
        "testFramework.enabled",
        "rbac.create",
        "admin.existingSecret",
        "admin.userKey",
        "admin.passwordKey",
        "grafana.ini.*",
        *resources(""),
        *resources("initChownData."),
        "persistence.enabled",
        "persistence.size",
        "deploymentStrategy.type",
        "datasources.*",
        "dashboardProviders.*",
        "dashboardsConfigMaps.*",
    },
    # jaegertracing/helm-charts jaeger-4.11.1 charts/jaeger: templates/jaeger/jaeger-deploy.yaml reads
    # jaeger.podLabels and jaeger.resources.
    ("jaeger", "4.11.1"): {"jaeger.podLabels.*", *resources("jaeger.")},
    # kiali/helm-charts v2.29.0 kiali-server: values.yaml; templates/configmap.yaml passes the values through as
    # Kiali's config (external_services.* is Kiali's own schema, kiali/kiali v2.29.0 config/config.go);
    # _helpers.tpl resolves `secret:<name>:<key>` in login_token.signing_key and external_services auth;
    # the OpenID client secret is read from Secret deployment.secret_name (`kiali`), key oidc-secret.
    ("kiali-server", "2.29.0"): {
        "auth.strategy",
        "auth.openid.client_id",
        "auth.openid.issuer_uri",
        "deployment.instance_name",
        "deployment.pod_labels.*",
        "deployment.image_pull_policy",
        *resources("deployment."),
        "login_token.signing_key",
        "external_services.*",
    },
}


def leaf_paths(values: Any, prefix: str = "") -> Iterable[str]:
    if isinstance(values, dict) and values:
        for key, value in values.items():
            yield from leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix


def unverified_paths(chart: str, version: str, values: dict[str, Any]) -> list[str]:
    allowed = VERIFIED_KEYS[(chart, version)]
    opaque = tuple(path[:-1] for path in allowed if path.endswith(".*"))
    return [
        path
        for path in leaf_paths(values)
        if path not in allowed and not path.startswith(opaque) and f"{path}.*" not in allowed
    ]
