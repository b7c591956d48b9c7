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

# (chart, version) -> allowed key paths
VERIFIED_KEYS: dict[tuple[str, str], set[str]] = {
    # istio/istio 1.30.3 manifests/charts/base: templates/defaultrevision-validatingwebhookconfiguration.yaml
    # reads .Values.base.validationFailurePolicy (not declared in values.yaml).
    ("base", "1.30.3"): {"base.validationFailurePolicy"},
    # manifests/charts/istio-control/istio-discovery: validatingwebhookconfiguration.yaml reads
    # base.validationFailurePolicy; configmap.yaml deep-merges meshConfig (MeshConfig API) into ConfigMap
    # `istio`; values are flat since 1.24 (deployment.yaml renders `env` as container env vars).
    ("istiod", "1.30.3"): {"base.validationFailurePolicy", "meshConfig.*", "env.*"},
    # manifests/charts/gateway: values.schema.json ($defs.values, additionalProperties: false at the top).
    ("gateway", "1.30.3"): {"service.type", "service.annotations.*", "service.ports"},
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
        "server.resources.*",
        "server.persistentVolume.enabled",
        "server.persistentVolume.size",
        "server.retention",
        "server.retentionSize",
    },
    # grafana-community/helm-charts grafana-12.11.1 charts/grafana: values.yaml; podLabels is read by
    # templates/deployment.yaml; _config.tpl reads datasources, dashboardProviders["dashboardproviders.yaml"]
    # and dashboards.<provider>.<name>.{gnetId,revision,datasource}.
    ("grafana", "12.11.1"): {
        "service.port",
        "podLabels.*",
        "testFramework.enabled",
        "rbac.create",
        "admin.existingSecret",
        "admin.userKey",
        "admin.passwordKey",
        "grafana.ini.*",
        "resources.*",
        "persistence.enabled",
        "persistence.size",
        "deploymentStrategy.type",
        "datasources.*",
        "dashboardProviders.*",
        "dashboards.*",
    },
    # jaegertracing/helm-charts jaeger-4.11.1 charts/jaeger: templates/jaeger/jaeger-deploy.yaml reads
    # jaeger.podLabels and jaeger.resources.
    ("jaeger", "4.11.1"): {"jaeger.podLabels.*", "jaeger.resources.*"},
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
        "deployment.resources.*",
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
