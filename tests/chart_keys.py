"""The value keys this project may hand each pinned chart, each one read in that chart's own values.yaml /
values.schema.json / templates at the pinned tag.

Most of these charts accept unknown keys silently (only Istio's gateway chart refuses them), so a typo or a
key from another chart (Bitnami's `google.project`) would be a silent failure on a real cluster. The tests
walk every value the program passes and fail on any path not listed here: adding a key means reading the
chart first, then adding it here with where it was found.

Paths are dotted keys; `[]` stands for every item of a list of objects (lists of plain values are leaves);
`<name>` stands for one map key the project chooses itself (a dashboard's name), never for a key the chart or
the program reading it defines. A path ending in `.*` is a map the chart passes through untouched as labels
or annotations: nothing under it is a key of any schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


def resources(prefix: str) -> set[str]:
    """A container's requests and memory limit, the three numbers every profile sets (settings/profiles.py)."""
    return {f"{prefix}resources.requests.cpu", f"{prefix}resources.requests.memory", f"{prefix}resources.limits.memory"}


def locked_down(prefix: str) -> set[str]:
    """components/chart.py LOCKED_DOWN_CONTAINER as a Kubernetes core/v1 SecurityContext (allowPrivilegeEscalation,
    capabilities.drop, readOnlyRootFilesystem), under a chart key rendered as a container's securityContext."""
    return {f"{prefix}.allowPrivilegeEscalation", f"{prefix}.capabilities.drop", f"{prefix}.readOnlyRootFilesystem"}


def spread(prefix: str) -> set[str]:
    """Topology spread constraints as settings/profiles.py writes them: Kubernetes core/v1
    TopologySpreadConstraint fields maxSkew, topologyKey, whenUnsatisfiable, nodeTaintsPolicy, labelSelector
    (a LabelSelector, whose matchLabels is a free map of labels)."""
    items = f"{prefix}topologySpreadConstraints[]"
    fields = ("maxSkew", "topologyKey", "whenUnsatisfiable", "nodeTaintsPolicy", "labelSelector.matchLabels.*")
    return {f"{items}.{field}" for field in fields}


ISTIOD_KEYS = {
    "base.validationFailurePolicy",
    "meshConfig.accessLogFile",
    "meshConfig.extensionProviders[].name",
    "meshConfig.extensionProviders[].zipkin.service",
    "meshConfig.extensionProviders[].zipkin.port",
    "env.PILOT_ENABLE_ALPHA_GATEWAY_API",
    *resources(""),
    "autoscaleMin",
    "autoscaleMax",
    *spread(""),
    *resources("global.proxy."),
    "global.defaultPodDisruptionBudget.enabled",
    "revision",
    "revisionTags",
    "global.operatorManageWebhooks",
    # values.yaml `seccompProfile: {}` (rendered on the discovery container, templates/deployment.yaml) and
    # `global.proxy.seccompProfile: {}` (files/injection-template.yaml: istio-proxy and the init container).
    "seccompProfile.type",
    "global.proxy.seccompProfile.type",
    # values.yaml `gateways.seccompProfile: {}`, rendered on the proxy of every gateway istiod deploys
    # (files/waypoint.yaml, files/kube-gateway.yaml). The three seccomp keys are in values.yaml at 1.28.10, 1.29.6
    # and 1.31.0-rc.0 as well; the gateway chart's `securityContext` is in its values.schema.json at each.
    "gateways.seccompProfile.type",
    # Ambient and the CNI agent (read at 1.30.3 and 1.31.0-rc.0): `profile` resolves files/profile-ambient.yaml
    # (templates/zzz_profile.yaml); values.yaml `cni.enabled` is picked into the injector's values as
    # pilot.cni.enabled (templates/istiod-injector-configmap.yaml), read by files/injection-template.yaml;
    # `trustedZtunnelNamespace`, `trustedZtunnelName` (values.yaml) form CA_TRUSTED_NODE_ACCOUNTS in
    # templates/deployment.yaml; `global.waypoint.resources` (values.yaml) is read by files/waypoint.yaml.
    "profile",
    "cni.enabled",
    "trustedZtunnelNamespace",
    "trustedZtunnelName",
    *resources("global.waypoint."),
    # mirror.images: templates/deployment.yaml renders `<global.hub>/pilot:<tag>`, files/injection-template.yaml
    # and gateway-injection-template.yaml `<global.hub>/proxyv2:<tag>` (values.yaml global.hub).
    "global.hub",
    # A mesh across clusters (read at 1.30.3 and 1.31.0-rc.0): values.yaml `global.meshID`,
    # `global.multiCluster.clusterName` (CLUSTER_ID in templates/deployment.yaml), `global.network`; `podAnnotations`
    # (a free map on istiod's pods, templates/deployment.yaml); `global.enableReaderRBAC`, read by
    # templates/reader-clusterrole.yaml and reader-clusterrolebinding.yaml only (dig, default true);
    # `meshConfig.trustDomain`, a MeshConfig field (istio.io/api mesh/v1alpha1/config.proto) rendered into the mesh
    # ConfigMap with the rest of meshConfig (templates/configmap.yaml).
    "global.meshID",
    "global.multiCluster.clusterName",
    "global.network",
    "global.enableReaderRBAC",
    "podAnnotations.*",
    "meshConfig.trustDomain",
}
GATEWAY_KEYS = {
    "service.type",
    "service.annotations.*",
    "service.ports[].name",
    "service.ports[].port",
    "service.ports[].protocol",
    "service.ports[].targetPort",
    *resources(""),
    "autoscaling.enabled",
    "autoscaling.minReplicas",
    "autoscaling.maxReplicas",
    "podDisruptionBudget.minAvailable",
    *spread(""),
    "revision",
    # values.schema.json `securityContext` (object), rendered as the pod's securityContext in place of the
    # default sysctl (templates/deployment.yaml): core/v1 PodSecurityContext sysctls[] {name, value}, seccompProfile.
    "securityContext.sysctls[].name",
    "securityContext.sysctls[].value",
    "securityContext.seccompProfile.type",
    # values.yaml and values.schema.json `networkGateway` (1.30.3, 1.31.0-rc.0): the network label and
    # ISTIO_META_REQUESTED_NETWORK_VIEW (templates/deployment.yaml), the Service's networkGatewayPorts (service.yaml).
    "networkGateway",
}
# istio/istio manifests/charts/istio-cni (published as chart `cni`), read at 1.30.3 and 1.31.0-rc.0: values.yaml
# `resources`; templates/zzz_profile.yaml resolves `profile` and `global.platform` into files/profile-*.yaml;
# templates/zzy_descope_legacy.yaml copies `cni.*` to the top, so `cni.cniBinDir` is the values.yaml
# `cniBinDir` (read by templates/daemonset.yaml for the cni-bin-dir hostPath).
# mirror.images: `global.hub` (templates/daemonset.yaml of each; ztunnel's global.* flattened by zzz_profile.yaml)
CNI_KEYS = {*resources(""), "profile", "global.platform", "cni.cniBinDir", "global.hub"}
# manifests/charts/ztunnel, read at 1.30.3 and 1.31.0-rc.0: values.yaml `resources`, `resourceName` (names the
# DaemonSet and ServiceAccount), `podAnnotations` (a free map on the pods), `revision` (the istiod-<revision>
# CA_ADDRESS/XDS_ADDRESS in templates/daemonset.yaml), `istioNamespace` (values.yaml, default istio-system: the
# namespace in those two addresses); `global.platform` resolved by templates/zzz_profile.yaml.
ZTUNNEL_KEYS = {
    *resources(""),
    "resourceName",
    "podAnnotations.*",
    "revision",
    "istioNamespace",
    "global.platform",
    "global.hub",
}

# (chart, version) -> allowed key paths
VERIFIED_KEYS: dict[tuple[str, str], set[str]] = {
    # istio/istio 1.30.3 manifests/charts/base: templates/defaultrevision-validatingwebhookconfiguration.yaml
    # reads .Values.base.validationFailurePolicy (not declared in values.yaml).
    # templates/defaultrevision-validatingwebhookconfiguration.yaml reads .Values.defaultRevision (values.yaml:
    # `defaultRevision: "default"`; "default" points the validator at Service `istiod`, else `istiod-<rev>`).
    ("base", "1.30.3"): {"base.validationFailurePolicy", "defaultRevision"},
    # manifests/charts/istio-control/istio-discovery: validatingwebhookconfiguration.yaml reads
    # base.validationFailurePolicy; configmap.yaml deep-merges meshConfig into ConfigMap `istio`, read as the
    # MeshConfig proto (istio/api 1.30.3 mesh/v1alpha1/config.proto: access_log_file = 13,
    # extension_providers = 57; ExtensionProvider.name = 1, ZipkinTracingProvider service = 1, port = 2);
    # deployment.yaml renders the `env` map as container env vars, and PILOT_ENABLE_ALPHA_GATEWAY_API is
    # istio/istio 1.30.3 pilot/pkg/features/experimental.go EnableAlphaGatewayAPIName.
    # values.yaml (_internal_defaults_do_not_set): resources, autoscaleMin/autoscaleMax (read by
    # templates/autoscale.yaml, and by poddisruptionbudget.yaml with global.defaultPodDisruptionBudget.enabled),
    # topologySpreadConstraints (toYaml in templates/deployment.yaml), global.proxy.resources (read by
    # files/injection-template.yaml for istio-proxy and istio-init); `revision`, `revisionTags` (templates
    # suffix names with the revision; revision-tags-mwc.yaml / revision-tags-svc.yaml render one webhook and
    # Service per tag); `global.operatorManageWebhooks` drops mutatingwebhook.yaml and revision-tags-mwc.yaml.
    ("istiod", "1.30.3"): ISTIOD_KEYS,
    # manifests/charts/gateway: values.schema.json ($defs.values, additionalProperties: false at the top;
    # service.ports items: name, port, protocol, targetPort; service.annotations a free map).
    # resources.{requests,limits}.{cpu,memory}, autoscaling.{enabled,minReplicas,maxReplicas},
    # podDisruptionBudget.minAvailable and topologySpreadConstraints (array) are declared there too;
    # `revision` labels the pods istio.io/rev (templates/_helpers.tpl, gateway.sidecarInjectionLabels).
    ("gateway", "1.30.3"): GATEWAY_KEYS,
    # The canary minor: read at istio/istio 1.31.0-rc.0 (1.31.0 not yet tagged in the mirror), the same
    # templates and keys as 1.30.3 for everything set here (autoscale.yaml, poddisruptionbudget.yaml,
    # deployment.yaml, files/injection-template.yaml; gateway values.schema.json). The MeshConfig fields set
    # here are unchanged in istio/api 1.31.0-alpha.0 (the newest 1.31 tag in its mirror).
    ("base", "1.31.0"): {"base.validationFailurePolicy", "defaultRevision"},
    ("istiod", "1.31.0"): ISTIOD_KEYS,
    ("gateway", "1.31.0"): GATEWAY_KEYS,
    ("cni", "1.30.3"): CNI_KEYS,
    ("ztunnel", "1.30.3"): ZTUNNEL_KEYS,
    ("cni", "1.31.0"): CNI_KEYS,
    ("ztunnel", "1.31.0"): ZTUNNEL_KEYS,
    # The default since 1.31.4, whose tag cannot be read here: 1.31.0-rc.0 is the closest. Its values.yaml files
    # only add keys to 1.30.3's (base readerServiceAccount, gateway dnsPolicy/dnsConfig, ztunnel
    # terminationMessagePolicy), none of the keys above changes, and a patch release keeps values compatible.
    ("base", "1.31.4"): {"base.validationFailurePolicy", "defaultRevision"},
    ("istiod", "1.31.4"): ISTIOD_KEYS,
    ("gateway", "1.31.4"): GATEWAY_KEYS,
    ("cni", "1.31.4"): CNI_KEYS,
    ("ztunnel", "1.31.4"): ZTUNNEL_KEYS,
    # kubernetes-sigs/external-dns external-dns-helm-chart-1.21.1 charts/external-dns: values.yaml (schema allows
    # unknown keys); templates/deployment.yaml renders provider.name, sources, policy, registry, txtOwnerId,
    # domainFilters, logFormat, env, extraVolumes(Mounts) (Kubernetes EnvVar / Volume / VolumeMount objects),
    # and extraArgs as a map (`--key=value`, chart >= 1.17): the flags are external-dns v0.21.0
    # pkg/apis/externaldns/types.go (google-project, google-zone-visibility, aws-zone-type);
    # templates/serviceaccount.yaml renders serviceAccount.{create,name,annotations}.
    ("external-dns", "1.21.1"): {
        "provider.name",
        "sources",
        "policy",
        "registry",
        "txtOwnerId",
        "domainFilters",
        "logFormat",
        "extraArgs.google-project",
        "extraArgs.google-zone-visibility",
        "extraArgs.aws-zone-type",
        "env[].name",
        "env[].value",
        "env[].valueFrom.secretKeyRef.name",
        "env[].valueFrom.secretKeyRef.key",
        "extraVolumes[].name",
        "extraVolumes[].secret.secretName",
        "extraVolumeMounts[].name",
        "extraVolumeMounts[].mountPath",
        "extraVolumeMounts[].readOnly",
        "serviceAccount.create",
        "serviceAccount.name",
        "serviceAccount.annotations.*",
        *resources(""),  # values.yaml `resources: {}`, rendered on the external-dns container
        "image.repository",  # mirror.images: templates/_helpers.tpl external-dns.image
        # values.yaml `annotationPrefix` ([string, null]), templates/deployment.yaml `--annotation-prefix=`; the flag
        # is v0.21.0 pkg/apis/externaldns/types.go `annotation-prefix` (source/annotations SetAnnotationPrefix).
        "annotationPrefix",
    },
    # prometheus-community/helm-charts prometheus-29.27.0 charts/prometheus: values.yaml (subchart conditions
    # alertmanager/kube-state-metrics/prometheus-node-exporter/prometheus-pushgateway.enabled; server.*);
    # values.schema.json types them but allows unknown keys. resources is a Kubernetes ResourceRequirements.
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
        # templates/deploy.yaml: server.securityContext is the pod's (values.yaml sets runAsUser/runAsGroup/fsGroup
        # 65534 and runAsNonRoot), server.containerSecurityContext the server container's,
        # configmapReload.prometheus.containerSecurityContext the reloader's (both `{}` in values.yaml).
        "server.securityContext.seccompProfile.type",
        *locked_down("server.containerSecurityContext"),
        *locked_down("configmapReload.prometheus.containerSecurityContext"),
        # mirror.images: templates/deploy.yaml renders both containers' `<repository>:<tag>`
        "server.image.repository",
        "configmapReload.prometheus.image.repository",
    },
    # grafana-community/helm-charts grafana-12.11.1 charts/grafana: values.yaml; podLabels is read by
    # templates/deployment.yaml; grafana.ini is rendered as Grafana's ini (grafana/grafana conf/defaults.ini:
    # [server] root_url, [auth.anonymous] enabled). _config.tpl writes each datasources.<file> verbatim as a
    # provisioning file (grafana/grafana pkg/services/provisioning/datasources/types.go, configsV1 /
    # upsertDataSourceFromConfigV1: apiVersion, datasources[].{name,type,uid,url,access,isDefault,jsonData};
    # jsonData.timeInterval is the Prometheus datasource's scrape interval), and
    # dashboardProviders["dashboardproviders.yaml"] likewise (pkg/services/provisioning/dashboards/types.go
    # DashboardProviderConfigs: name, orgId, folder, type, disableDeletion, options; the file provider reads
    # options.path). templates/_pod.tpl mounts each dashboardsConfigMaps.<provider> ConfigMap at
    # /var/lib/grafana/dashboards/<provider>.
    ("grafana", "12.11.1"): {
        "service.port",
        "podLabels.*",
        "testFramework.enabled",
        "rbac.create",
        "admin.existingSecret",
        "admin.userKey",
        "admin.passwordKey",
        "grafana.ini.auth.anonymous.enabled",
        "grafana.ini.server.root_url",
        *resources(""),
        # templates/_pod.tpl: containerSecurityContext on the grafana container (values.yaml sets no escalation,
        # ALL dropped, RuntimeDefault), extraEmptyDirMounts[] {name, mountPath} as emptyDir volumes and mounts,
        # init-chown-data only `if and .Values.persistence.enabled .Values.initChownData.enabled`.
        "containerSecurityContext.readOnlyRootFilesystem",
        "extraEmptyDirMounts[].name",
        "extraEmptyDirMounts[].mountPath",
        "initChownData.enabled",
        "persistence.enabled",
        "persistence.size",
        # templates/pvc.yaml: spec.volumeName from a lookup of the live claim only `if persistence.lookupVolumeName`.
        "persistence.lookupVolumeName",
        # templates/deployment.yaml: `strategy` is toYaml of deploymentStrategy (a Deployment's strategy).
        "deploymentStrategy.type",
        "deploymentStrategy.rollingUpdate.maxSurge",
        "deploymentStrategy.rollingUpdate.maxUnavailable",
        "datasources.datasources.yaml.apiVersion",
        "datasources.datasources.yaml.datasources[].name",
        "datasources.datasources.yaml.datasources[].type",
        "datasources.datasources.yaml.datasources[].uid",
        "datasources.datasources.yaml.datasources[].url",
        "datasources.datasources.yaml.datasources[].access",
        "datasources.datasources.yaml.datasources[].isDefault",
        "datasources.datasources.yaml.datasources[].jsonData.timeInterval",
        "dashboardProviders.dashboardproviders.yaml.apiVersion",
        "dashboardProviders.dashboardproviders.yaml.providers[].name",
        "dashboardProviders.dashboardproviders.yaml.providers[].orgId",
        "dashboardProviders.dashboardproviders.yaml.providers[].folder",
        "dashboardProviders.dashboardproviders.yaml.providers[].type",
        "dashboardProviders.dashboardproviders.yaml.providers[].disableDeletion",
        "dashboardProviders.dashboardproviders.yaml.providers[].options.path",
        "dashboardsConfigMaps.<name>",
        # mirror.images: templates/_pod.tpl renders `<registry>/<repository>:<tag>` for the grafana container
        "image.registry",
    },
    # jaegertracing/helm-charts jaeger-4.11.1 charts/jaeger: templates/jaeger/jaeger-deploy.yaml reads
    # jaeger.podLabels and jaeger.resources.
    # jaeger.podSecurityContext (the pod's securityContext, values.yaml: runAsUser/runAsGroup/fsGroup 10001),
    # jaeger.securityContext (the container's, `{}`), jaeger.extraVolumes / extraVolumeMounts (core/v1 Volume
    # {name, emptyDir} and VolumeMount {name, mountPath}), all read by jaeger-deploy.yaml.
    ("jaeger", "4.11.1"): {
        "jaeger.podLabels.*",
        *resources("jaeger."),
        "jaeger.podSecurityContext.runAsNonRoot",
        "jaeger.podSecurityContext.seccompProfile.type",
        *locked_down("jaeger.securityContext"),
        "jaeger.extraVolumes[].name",
        "jaeger.extraVolumes[].emptyDir",
        "jaeger.extraVolumeMounts[].name",
        "jaeger.extraVolumeMounts[].mountPath",
        # mirror.images: templates/_helpers.tpl jaeger.image, bitnami common.images.image `<registry>/<repository>`
        "jaeger.image.registry",
    },
    # kiali/helm-charts v2.29.0 kiali-server: values.yaml; templates/configmap.yaml passes the values through as
    # Kiali's config, read by kiali/kiali v2.29.0 config/config.go: ExternalServices{grafana, prometheus,
    # tracing}; PrometheusConfig.url; GrafanaConfig{enabled, internal_url, external_url, auth, dashboards[]
    # {name, variables{namespace, service, workload}}}; TracingConfig{enabled, provider, use_grpc,
    # internal_url, external_url}; Auth{type, username, password}. _helpers.tpl resolves `secret:<name>:<key>`
    # in login_token.signing_key and external_services auth; the OpenID client secret is read from Secret
    # deployment.secret_name (`kiali`), key oidc-secret.
    ("kiali-server", "2.29.0"): {
        "auth.strategy",
        "auth.openid.client_id",
        "auth.openid.issuer_uri",
        "deployment.instance_name",
        # values.yaml (default true): a ClusterRole over every namespace (templates/role-viewer.yaml), else Roles
        # in the discovery_selectors' namespaces only.
        "deployment.cluster_wide_access",
        "deployment.pod_labels.*",
        # values.yaml (default true); templates/networkpolicy.yaml renders only when it is on
        "deployment.network_policy.enabled",
        "deployment.image_pull_policy",
        "deployment.image_name",  # mirror.images: templates/deployment.yaml `<image_name>:<image_version>`
        *resources("deployment."),
        "login_token.signing_key",
        "external_services.prometheus.url",
        "external_services.grafana.enabled",
        "external_services.grafana.internal_url",
        "external_services.grafana.external_url",
        "external_services.grafana.auth.type",
        "external_services.grafana.auth.username",
        "external_services.grafana.auth.password",
        "external_services.grafana.dashboards[].name",
        "external_services.grafana.dashboards[].variables.namespace",
        "external_services.grafana.dashboards[].variables.service",
        "external_services.grafana.dashboards[].variables.workload",
        "external_services.tracing.enabled",
        "external_services.tracing.provider",
        "external_services.tracing.use_grpc",
        "external_services.tracing.internal_url",
        "external_services.tracing.external_url",
    },
    # cert-manager/cert-manager v1.21.1 deploy/charts/cert-manager: values.yaml and values.schema.json declare each
    # (schema: additionalProperties false on every object used here); templates/crd-*.yaml read crds.enabled and
    # crds.keep; serviceaccount.yaml and _helpers.tpl read serviceAccount.{name,annotations}; deployment.yaml,
    # webhook-deployment.yaml, cainjector-deployment.yaml read replicaCount and resources; (webhook-,
    # cainjector-)poddisruptionbudget.yaml read podDisruptionBudget.enabled; the leader-election flag reads
    # global.leaderElection.namespace; startupapicheck-*.yaml are gated by startupapicheck.enabled.
    ("cert-manager", "v1.21.1"): {
        "crds.enabled",
        "crds.keep",
        "serviceAccount.name",
        "serviceAccount.annotations.*",
        "global.leaderElection.namespace",
        "replicaCount",
        "resources.requests.cpu",
        "resources.requests.memory",
        "resources.limits.memory",
        "podDisruptionBudget.enabled",
        "webhook.replicaCount",
        "webhook.resources.requests.cpu",
        "webhook.resources.requests.memory",
        "webhook.resources.limits.memory",
        "webhook.podDisruptionBudget.enabled",
        "cainjector.replicaCount",
        "cainjector.resources.requests.cpu",
        "cainjector.resources.requests.memory",
        "cainjector.resources.limits.memory",
        "cainjector.podDisruptionBudget.enabled",
        "startupapicheck.enabled",
        # mirror.images: values.yaml imageRegistry ("can include path prefixes"), read by _helpers.tpl
        # cert-manager.image for every component
        "imageRegistry",
    },
}


def leaf_paths(values: Any, prefix: str = "") -> Iterable[str]:
    """Every leaf's dotted path; the items of a list of objects are walked as `<list>[]`."""
    if isinstance(values, dict) and values:
        for key, value in values.items():
            yield from leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(values, list) and values and all(isinstance(v, dict) for v in values):
        for value in values:
            yield from leaf_paths(value, f"{prefix}[]")
    elif prefix:
        yield prefix


def _pattern(allowed: str) -> re.Pattern[str]:
    passthrough = allowed.endswith(".*")
    body = allowed[:-2] if passthrough else allowed
    regex = r"[^.\[\]]+".join(re.escape(part) for part in body.split("<name>"))
    return re.compile(regex + (r"(\..+)?" if passthrough else "") + "$")


def unverified_paths(chart: str, version: str, values: dict[str, Any]) -> list[str]:
    patterns = [_pattern(path) for path in VERIFIED_KEYS[(chart, version)]]
    seen = list(dict.fromkeys(leaf_paths(values)))
    return [path for path in seen if not any(p.match(path) for p in patterns)]
