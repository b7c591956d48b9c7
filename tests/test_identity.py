"""external-dns' identity, in every mode of every cloud: external-dns waits for each grant it needs, and no
credential ever reaches an input or output in plain text."""

from __future__ import annotations

import json

import pytest

from tests import fakes
from tests.harness import plain_occurrences
from tests.test_dns import AWS, GCP, merged

NO_CLUSTER = {"clusterName": None}
# (case, config, stack, every type whose resources external-dns must wait for: the grants and the key's Secret)
IDENTITIES = [
    (
        "gcp workload-identity",
        GCP,
        (
            "gcp:projects/iAMMember:IAMMember",
            "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
            "gcp:serviceaccount/iAMMember:IAMMember",
        ),
    ),
    (
        "gcp key",
        merged(GCP, gcp={"identity": "key"}),
        (
            "gcp:projects/iAMMember:IAMMember",
            "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
            "kubernetes:core/v1:Secret",
        ),
    ),
    (
        "local gcp key",
        merged(GCP, cloud="local", gcp={"identity": "key"}, dns={"enabled": True, "target": "34.120.1.2"}),
        (
            "gcp:projects/iAMMember:IAMMember",
            "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
            "kubernetes:core/v1:Secret",
        ),
    ),
    ("aws irsa", AWS, ("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy")),
    (
        "aws pod-identity",
        merged(AWS, aws={"identity": "pod-identity"}),
        (
            "aws:iam/rolePolicy:RolePolicy",
            "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        ),
    ),
    (
        "aws access-key",
        merged(AWS, aws={"identity": "access-key", **NO_CLUSTER}),
        (
            "aws:iam/userPolicy:UserPolicy",
            "kubernetes:core/v1:Secret",
        ),
    ),
    (
        "local aws access-key",
        merged(
            AWS,
            cloud="local",
            aws={"identity": "access-key", **NO_CLUSTER},
            dns={"enabled": True, "target": "34.120.1.2"},
        ),
        (
            "aws:iam/userPolicy:UserPolicy",
            "kubernetes:core/v1:Secret",
        ),
    ),
]


def _without_nones(config: dict) -> dict:
    return {
        k: {kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v for k, v in config.items()
    }


@pytest.mark.parametrize(("case", "config", "grants"), IDENTITIES, ids=[case[0] for case in IDENTITIES])
def test_external_dns_waits_for_every_grant_of_its_identity(shared_run, case, config, grants):
    run = shared_run(_without_nones(config))
    chart = run.chart("external-dns")
    for type_ in grants:
        # Secrets of the dashboards live in istio-system; the credentials' Secret in external-dns' namespace.
        found = [
            r
            for r in run.of_type(type_)
            if r.inputs.get("metadata", {}).get("namespace", "external-dns") == "external-dns"
        ]
        assert found, type_
        for grant in found:
            assert chart.depends_on(grant), f"{case}: external-dns does not wait for {grant.name}"


def _secret(run, name: str):
    return next(r for r in run.of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == name)


OPENID = {
    "kiali": {
        "auth": "openid",
        "openid": {"issuerUri": "https://idp.example", "clientId": "kiali", "clientSecret": "s3cr3t-oidc"},
    }
}
# (case, config, secret config keys, the Secret that must hold the value, the value)
SECRETS = [
    ("gcp key", merged(GCP, gcp={"identity": "key"}), (), "cloud-dns-key", fakes.GCP_PRIVATE_KEY),
    (
        "aws access key",
        merged(AWS, aws={"identity": "access-key", **NO_CLUSTER}),
        (),
        "external-dns-aws-credentials",
        fakes.AWS_SECRET_ACCESS_KEY,
    ),
    (
        "local aws access key",
        merged(
            AWS,
            cloud="local",
            aws={"identity": "access-key", **NO_CLUSTER},
            dns={"enabled": True, "target": "34.120.1.2"},
        ),
        (),
        "external-dns-aws-credentials",
        fakes.AWS_SECRET_ACCESS_KEY,
    ),
    ("grafana admin password", {"cloud": "local"}, (), "grafana-admin", "generated-grafana-admin-password-" + "x" * 16),
    ("kiali signing key", {"cloud": "local"}, (), "kiali-signing-key", "generated-kiali-signing-key-" + "x" * 16),
    ("kiali openid client secret", {"cloud": "local", "dashboards": OPENID}, ("dashboards",), "kiali", "s3cr3t-oidc"),
]


@pytest.mark.parametrize(
    ("case", "config", "secret_keys", "holder", "value"), SECRETS, ids=[case[0] for case in SECRETS]
)
def test_a_credential_is_never_plain_in_any_input_or_output(shared_run, case, config, secret_keys, holder, value):
    run = shared_run(_without_nones(config), secret_keys=secret_keys)
    # It did reach the cluster, in the one Secret meant for it...
    assert value in json.dumps(_secret(run, holder).inputs), holder
    # ...and nowhere in plain text: no chart value, env, annotation, policy, component or stack output.
    leaks = [f"{r.type} {r.name}{path}" for r in run.resources for path in plain_occurrences(r.raw_inputs, value)]
    leaks += [
        f"outputs of {urn}{path}"
        for urn, outputs in run.component_outputs.items()
        for path in plain_occurrences(outputs, value)
    ]
    leaks += [f"stack output{path}" for path in plain_occurrences(run.raw_outputs, value)]
    assert leaks == []
