"""Istio revisions: one istiod chart per revision, the `default` tag on exactly one, namespaces following or
pinned, the gateway on the default, and the upgrade runbook (docs/upgrades.md) step by step, as edges and refusals.

Expected names and values are the ones read in istio/istio 1.30.3 manifests/charts (see components/istio.py).
"""

from __future__ import annotations

from typing import cast

import pulumi
import pytest

from components.chart import skip_service_await
from components.istio import default_tag_transform
from tests import fakes, harness
from tests.harness import assert_refused

CHART = "kubernetes:helm.sh/v4:Chart"
NAMESPACE = "kubernetes:core/v1:Namespace"
MWC = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration"
SERVICE = "kubernetes:core/v1:Service"

TWO = {
    "revisions": [{"name": "stable", "version": "1.30.3"}, {"name": "canary", "version": "1.31.0"}],
    "defaultRevision": "stable",
}
PINNED = ["apps", {"name": "payments", "revision": "canary"}]


def run(config: dict, previous: dict | None = None, stack: str = "test") -> harness.Run:
    """The dev stack with `config` over it; `previous`: the stack's outputs of its previous `up`."""

    def calls(token: str, args: dict) -> harness.InvokeResult:
        if token == "pulumi:pulumi:readStackOutputs" and previous is not None:
            return {"name": args["name"], "outputs": previous, "secretOutputNames": []}
        return fakes.invoke(token, args)

    return harness.run_program(
        {**harness.stack_config("dev"), **config},
        computed=fakes.computed_fields,
        calls=calls,
        resource_id=fakes.resource_id,
        stack=stack,
        dashboards=fakes.istio_dashboards,
        kubeconfig=fakes.KIND_KUBECONFIG,
    )


def istiods(result: harness.Run) -> dict[str, harness.Registration]:
    return {r.name: r for r in result.of_type(CHART) if r.inputs["chart"] == "istiod"}


def labels(result: harness.Run, namespace: str) -> dict:
    """The namespace's injection labels (its Pod Security labels are tests/test_security.py's)."""
    every = result.one(NAMESPACE, namespace).inputs["metadata"]["labels"]
    return {key: value for key, value in every.items() if not key.startswith("pod-security.kubernetes.io/")}


# --- one revision: the shorthand keeps what stacks installed before revisions -----------------------------


@pytest.fixture(scope="module")
def shorthand():
    return run({})


def test_shorthand_is_the_unrevisioned_istiod_as_before(shorthand):
    assert list(istiods(shorthand)) == ["istio-istiod"]
    istiod = shorthand.named("istio-istiod").inputs
    assert (istiod["name"], istiod["version"]) == ("istiod", "1.31.4")
    assert not {"revision", "revisionTags"} & set(istiod["values"])
    assert "operatorManageWebhooks" not in istiod["values"]["global"]
    assert tag_transforms(shorthand.named("istio-istiod")) == []


def test_shorthand_base_points_the_validator_at_istiod(shorthand):
    assert shorthand.chart("base").inputs["values"]["defaultRevision"] == "default"


def test_shorthand_gateway_has_no_revision_and_followers_use_istio_injection(shorthand):
    assert "revision" not in shorthand.chart("gateway").inputs["values"]
    assert labels(shorthand, "apps") == {"istio-injection": "enabled"}


def test_shorthand_outputs(shorthand):
    assert shorthand.outputs["istio"] == {
        "revisions": {"default": "1.31.4"},
        "defaultRevision": "default",
        "namespaces": {"apps": "default", "demo": "default"},
        "restart": {},
    }


def test_one_named_revision_holds_the_default_tag():
    result = run({"istio": {"revisions": [{"name": "stable", "version": "1.31.4"}]}})
    assert list(istiods(result)) == ["istio-istiod-stable"]
    values = result.named("istio-istiod-stable").inputs["values"]
    assert (values["revision"], values["revisionTags"]) == ("stable", ["default"])
    assert result.chart("base").inputs["values"]["defaultRevision"] == "stable"
    assert result.chart("gateway").inputs["values"]["revision"] == "stable"


# --- two revisions --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two():
    return run({"istio": TWO, "mesh": {"injectedNamespaces": PINNED}})


def test_each_revision_is_an_istiod_release_with_its_revision_and_version(two):
    charts = {
        name: (r.inputs["name"], r.inputs["version"], r.inputs["values"]["revision"])
        for name, r in istiods(two).items()
    }
    assert charts == {
        "istio-istiod-stable": ("istiod-stable", "1.30.3", "stable"),
        "istio-istiod-canary": ("istiod-canary", "1.31.0", "canary"),
    }


def test_object_names_never_collide(two):
    """istiod suffixes every object with its `revision`; only the tag's objects are named after the tag, so
    distinct revision values and one release listing `default` mean no two charts render the same object."""
    values = [r.inputs["values"] for r in istiods(two).values()]
    assert len({v.get("revision", "") for v in values}) == len(values)
    assert [v["revision"] for v in values if "default" in v.get("revisionTags", [])] == ["stable"]


def test_both_revisions_get_the_failure_policy_and_the_mesh_config(two):
    for registration in istiods(two).values():
        assert registration.inputs["values"]["base"] == {"validationFailurePolicy": "Fail"}
        assert registration.inputs["values"]["meshConfig"]["accessLogFile"] == "/dev/stdout"


def test_base_is_the_newest_version_and_names_the_default(two):
    base = two.chart("base").inputs
    assert base["version"] == "1.31.0"
    assert base["values"] == {"base": {"validationFailurePolicy": "Fail"}, "defaultRevision": "stable"}


def test_gateway_follows_the_default_revision(two):
    gateway = two.chart("gateway")
    assert gateway.inputs["values"]["revision"] == "stable"
    assert gateway.inputs["version"] == "1.30.3"
    assert gateway.depends_on(two.named("istio-istiod-stable"))
    assert not gateway.depends_on(two.named("istio-istiod-canary"))


def test_pinned_namespace_carries_only_the_revision_label(two):
    assert labels(two, "payments") == {"istio.io/rev": "canary"}
    assert labels(two, "apps") == {"istio-injection": "enabled"}


def test_each_namespace_waits_for_its_injector(two):
    assert two.one(NAMESPACE, "payments").depends_on(two.named("istio-istiod-canary"))
    assert not two.one(NAMESPACE, "payments").depends_on(two.named("istio-istiod-stable"))
    assert two.one(NAMESPACE, "apps").depends_on(two.named("istio-istiod-stable"))


def test_revisions_install_in_parallel_after_base_and_the_crds(two):
    stable, canary = two.named("istio-istiod-stable"), two.named("istio-istiod-canary")
    crds = two.one("kubernetes:yaml/v2:ConfigFile")
    for istiod in (stable, canary):
        assert istiod.depends_on(two.chart("base")) and istiod.depends_on(crds)
    assert not stable.depends_on(canary) and not canary.depends_on(stable)


def test_two_revisions_keep_the_critical_path_at_three_installs(two):
    from scripts.benchmark import critical_path

    assert len(critical_path(two)) == 3


def tag_transforms(chart: harness.Registration) -> list:
    """A chart's transforms besides the one every chart carries (components/chart.py skip_service_await)."""
    return [transform for transform in chart.transforms if transform is not skip_service_await]


def test_only_the_tag_holder_carries_the_tag_transform(two):
    assert len(tag_transforms(two.named("istio-istiod-stable"))) == 1
    assert tag_transforms(two.named("istio-istiod-canary")) == []


def test_two_revision_outputs(two):
    assert two.outputs["istio"] == {
        "revisions": {"stable": "1.30.3", "canary": "1.31.0"},
        "defaultRevision": "stable",
        "namespaces": {"apps": "stable", "payments": "canary", "demo": "stable"},
        "restart": {},
    }


# --- the default tag transform --------------------------------------------------------------------------


def _transform_args(type_: str, name: str) -> pulumi.ResourceTransformArgs:
    return pulumi.ResourceTransformArgs(
        custom=True, type_=type_, name=name, props={"metadata": {"name": name}}, opts=pulumi.ResourceOptions()
    )


@pytest.mark.parametrize(
    ("type_", "child", "old_child"),
    [
        (MWC, "istio-istiod-canary:istio-revision-tag-default", "istio-istiod-stable:istio-revision-tag-default"),
        (
            SERVICE,
            "istio-istiod-canary:istio-system/istiod-revision-tag-default",
            "istio-istiod-stable:istio-system/istiod-revision-tag-default",
        ),
    ],
)
def test_tag_objects_are_aliased_to_the_losing_chart(type_, child, old_child):
    losing_chart = cast(pulumi.Resource, object())  # only compared by identity
    transform = default_tag_transform("istio-istiod-canary", "istio-system", {"istio-istiod-stable": losing_chart})
    result = transform(_transform_args(type_, child))
    assert isinstance(result, pulumi.ResourceTransformResult)
    assert result.opts is not None
    [alias] = result.opts.aliases or []
    assert isinstance(alias, pulumi.Alias)
    assert (alias.name, alias.parent) == (old_child, losing_chart)
    assert result.props == {"metadata": {"name": child}}


@pytest.mark.parametrize(
    ("type_", "child"),
    [
        (SERVICE, "istio-istiod-canary:istio-system/istiod-canary"),
        (MWC, "istio-istiod-canary:istio-sidecar-injector-canary"),
        (SERVICE, "istio-istiod-canary:istio-revision-tag-default"),  # right name, wrong kind
    ],
)
def test_other_objects_are_left_alone(type_, child):
    transform = default_tag_transform(
        "istio-istiod-canary", "istio-system", {"istio-istiod-stable": cast(pulumi.Resource, object())}
    )
    assert transform(_transform_args(type_, child)) is None


def test_registered_transform_aliases_the_other_named_revision():
    result = run({"istio": {**TWO, "defaultRevision": "canary"}})
    [transform] = tag_transforms(result.named("istio-istiod-canary"))
    [alias] = transform(_transform_args(MWC, "istio-istiod-canary:istio-revision-tag-default")).opts.aliases
    assert alias.name == "istio-istiod-stable:istio-revision-tag-default"
    assert alias.parent._name == "istio-istiod-stable"


# --- the runbook, one `up` per step (docs/upgrades.md) ------------------------------------------

OLD = {"name": "default", "version": "1.30.3"}
NEW = {"name": "canary", "version": "1.31.0"}
STEP_0_OUTPUTS = {
    "versions": {"istio": "1.30.3"},
    "injectedNamespaces": ["apps", "payments", "demo"],
}  # deployed from main
STEP_1 = {
    "istio": {"revisions": [OLD, NEW], "defaultRevision": "default"},
    "mesh": {"injectedNamespaces": ["apps", "payments"]},
}
STEP_2 = {
    "istio": STEP_1["istio"],
    "mesh": {"injectedNamespaces": ["apps", {"name": "payments", "revision": "canary"}]},
}
STEP_3 = {"istio": {"revisions": [OLD, NEW], "defaultRevision": "canary"}, "mesh": STEP_2["mesh"]}
STEP_4 = {"istio": {"revisions": [NEW]}, "mesh": STEP_2["mesh"]}


def outputs_after(step: dict) -> dict:
    return run(step).outputs


def test_step_1_adds_a_revision_without_touching_the_first():
    # Step 0 as deployed: 1.30.3, out of support today, kept knowingly until step 1 lists the way out.
    before = run(
        {"istio": {"version": "1.30.3", "allowUnsupported": True}, "mesh": {"injectedNamespaces": ["apps", "payments"]}}
    )
    after = run(STEP_1, previous=STEP_0_OUTPUTS)
    assert after.named("istio-istiod").inputs == before.named("istio-istiod").inputs
    assert after.chart("gateway").inputs == before.chart("gateway").inputs
    canary = after.named("istio-istiod-canary")
    assert canary.inputs["values"]["revision"] == "canary" and "revisionTags" not in canary.inputs["values"]
    assert not canary.depends_on(after.named("istio-istiod"))
    assert after.chart("base").inputs["version"] == "1.31.0"
    assert after.outputs["istio"]["restart"] == {}


def test_step_2_pins_a_namespace_and_says_what_to_restart():
    result = run({**STEP_2, "kubernetes": {"context": "kind-mesh"}}, previous=outputs_after(STEP_1))
    assert labels(result, "payments") == {"istio.io/rev": "canary"}
    assert result.one(NAMESPACE, "payments").depends_on(result.named("istio-istiod-canary"))
    assert result.outputs["istio"]["restart"] == {
        "payments": "kubectl --context kind-mesh -n payments rollout restart deployment"
    }


def test_step_3_moves_gateway_tag_and_validation_together_while_the_old_istiod_serves():
    result = run(STEP_3, previous=outputs_after(STEP_2))
    old, canary = result.named("istio-istiod"), result.named("istio-istiod-canary")
    assert canary.inputs["values"]["revisionTags"] == ["default"]
    assert result.chart("base").inputs["values"]["defaultRevision"] == "canary"
    gateway = result.chart("gateway")
    assert (gateway.inputs["values"]["revision"], gateway.inputs["version"]) == ("canary", "1.31.0")
    assert gateway.depends_on(canary)
    # The old istiod keeps running (its pods serve the proxies injected before) but stops injecting.
    assert old.inputs["values"]["global"]["operatorManageWebhooks"] is True
    assert "revision" not in old.inputs["values"]
    assert labels(result, "apps") == {"istio-injection": "enabled"}
    assert result.one(NAMESPACE, "apps").depends_on(canary)
    assert result.one("kubernetes:security.istio.io/v1:PeerAuthentication").depends_on(canary)
    assert result.outputs["istio"]["restart"] == {
        "apps": "kubectl -n apps rollout restart deployment",
        "demo": "kubectl -n demo rollout restart deployment",
    }


def test_step_4_removes_the_old_revision():
    result = run(STEP_4, previous=outputs_after(STEP_3))
    assert list(istiods(result)) == ["istio-istiod-canary"]
    assert result.chart("base").inputs["values"]["defaultRevision"] == "canary"
    assert result.outputs["istio"]["restart"] == {}


def test_in_place_change_of_one_minor_restarts_the_revisions_namespaces():
    previous = outputs_after(STEP_4)
    step = {**STEP_4, "istio": {"revisions": [{"name": "canary", "version": "1.32.0"}]}}
    result = run(step, previous=previous)
    assert result.named("istio-istiod-canary").inputs["version"] == "1.32.0"
    assert sorted(result.outputs["istio"]["restart"]) == ["apps", "demo", "payments"]


# --- refusals -------------------------------------------------------------------------------------------

# (config, the key named in the error, words the message must contain)
BAD_INPUTS = [
    (
        {
            "istio": {
                "revisions": [{"name": f"r{i}", "version": f"1.31.{2 + i}"} for i in range(3)],
                "defaultRevision": "r0",
            }
        },
        "istio.revisions",
        ["3 given", "one or two"],
    ),
    ({"istio": {"revisions": []}}, "istio.revisions", ["0 given"]),
    (
        {
            "istio": {
                "revisions": [{"name": "stable", "version": "1.30.3"}, {"name": "stable", "version": "1.31.0"}],
                "defaultRevision": "stable",
            }
        },
        "istio.revisions",
        ["name stable is used twice"],
    ),
    (
        {
            "istio": {
                "revisions": [{"name": "a", "version": "1.31.4"}, {"name": "b", "version": "1.31.4"}],
                "defaultRevision": "a",
            }
        },
        "istio.revisions",
        ["version 1.31.4 is used twice"],
    ),
    (
        {"istio": {**TWO, "defaultRevision": "beta"}},
        "istio.defaultRevision",
        ["'beta' is not one of the revisions (stable, canary)"],
    ),
    ({"istio": {"revisions": TWO["revisions"]}}, "istio.defaultRevision", ["required with two revisions"]),
    ({"istio": {"defaultRevision": "default"}}, "istio.defaultRevision", ["only with istio.revisions"]),
    ({"istio": {**TWO, "version": "1.30.3"}}, "istio.version", ["either", "not both"]),
    (
        {"istio": TWO, "mesh": {"injectedNamespaces": ["apps", {"name": "payments", "revision": "beta"}]}},
        "mesh.injectedNamespaces[1].revision",
        ["'beta' is not one of istio.revisions (stable, canary)"],
    ),
    (
        {"mesh": {"injectedNamespaces": [{"name": "payments", "revision": "default"}]}},
        "mesh.injectedNamespaces[0].revision",
        ["unrevisioned", "list the namespace by name"],
    ),
    (
        {"mesh": {"injectedNamespaces": [{"name": "payments", "rev": "canary"}]}},
        "mesh.injectedNamespaces[0].rev",
        ["unknown key", "revision"],
    ),
    (
        {
            "istio": {
                "revisions": [{"name": "old", "version": "1.29.6"}, {"name": "new", "version": "1.32.0"}],
                "defaultRevision": "old",
            }
        },
        "istio.revisions",
        ["more than 2 minor versions apart"],
    ),
    (
        {"istio": {"revisions": [{"name": "1.31.0", "version": "1.31.0"}]}},
        "istio.revisions[0].name",
        ["contains a dot"],
    ),
    (
        {"istio": {"revisions": [{"name": "r" * 57, "version": "1.31.0"}]}},
        "istio.revisions[0].name",
        ["at most 56 characters"],
    ),
    (
        {"istio": {"revisions": [{"name": "revision-tag-x", "version": "1.31.0"}]}},
        "istio.revisions[0].name",
        ["istiod-revision-tag"],
    ),
    (
        {"istio": {"revisions": [{"name": "stable", "version": "1.30.2"}]}},
        "istio.revisions[0].version",
        ["validationFailurePolicy"],
    ),
]


@pytest.mark.parametrize(
    ("config", "key", "words"), BAD_INPUTS, ids=[case[1] + ":" + str(i) for i, case in enumerate(BAD_INPUTS)]
)
def test_bad_revisions_are_refused_before_any_resource(config, key, words):
    assert_refused(lambda: run(config), key, words)


# (previous outputs, config, key, words): each refused step is safe only as two `up`s.
UNSAFE_STEPS = [
    (STEP_0_OUTPUTS, {"istio": {"version": "1.32.0"}}, "istio.version", ["runs 1.30.3", "more than 1 minor", "canary"]),
    (
        {"istio": {"revisions": {"stable": "1.30.3"}, "defaultRevision": "stable"}},
        {"istio": {"revisions": [{"name": "stable", "version": "1.32.0"}]}},
        "istio.revisions[0].version",
        ["runs 1.30.3"],
    ),
    (
        STEP_0_OUTPUTS,
        {"istio": {"revisions": [OLD, NEW], "defaultRevision": "canary"}},
        "istio.defaultRevision",
        ["not installed yet"],
    ),
    (
        {"istio": {"revisions": {"default": "1.30.3", "canary": "1.31.0"}, "defaultRevision": "default"}},
        STEP_4,
        "istio.revisions",
        ["'default' is still the default revision", "move istio.defaultRevision"],
    ),
    (
        {
            "istio": {
                "revisions": {"default": "1.30.3", "canary": "1.31.0"},
                "defaultRevision": "canary",
                "namespaces": {"apps": "canary", "payments": "default"},
            }
        },
        STEP_4,
        "istio.revisions",
        ["'default' is still pinned by namespace payments"],
    ),
]


@pytest.mark.parametrize(
    ("previous", "config", "key", "words"),
    UNSAFE_STEPS,
    ids=[case[2] + ":" + str(i) for i, case in enumerate(UNSAFE_STEPS)],
)
def test_unsafe_steps_are_refused_from_the_previous_outputs(previous, config, key, words):
    assert_refused(lambda: run(config, previous=previous), key, words)


@pytest.mark.parametrize("config", [case[1] for case in UNSAFE_STEPS])
def test_the_same_configs_install_on_a_new_stack(config):
    assert run(config).of_type(CHART)


def test_in_place_upgrade_of_a_stack_deployed_before_revisions_restarts_its_namespaces():
    result = run({"istio": {"version": "1.31.0"}}, previous=STEP_0_OUTPUTS)
    assert result.named("istio-istiod").inputs["version"] == "1.31.0"
    assert sorted(result.outputs["istio"]["restart"]) == ["apps", "demo"]
