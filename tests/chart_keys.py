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
    ("gateway", "1.30.3"): {"service.type", "service.annotations.*"},
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
