"""The `local` cloud refuses a kube context that does not look like a cluster on this machine, unless the stack
names `kubernetes.context` itself (README, "Quick start: local"): a table of kubeconfigs the test writes, each run
through the whole program, refused ones before any resource is registered."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
import yaml

from settings.cloud import KubernetesSettings
from stacks.kube_context import read_context
from tests import fakes, harness
from tests.harness import assert_refused


def kubeconfig(context: str, server: str | None, *, current: str | None = None) -> str:
    """A kubeconfig with one context (and its cluster when `server` is given), current unless said otherwise."""
    cluster = f'\n  - name: {context}\n    cluster: {{server: "{server}"}}' if server is not None else ""
    return f"""\
apiVersion: v1
kind: Config
current-context: {current if current is not None else context}
contexts:
  - name: {context}
    context: {{cluster: {context}, user: {context}}}
clusters:{cluster or " []"}
users:
  - name: {context}
    user: {{}}
"""


# (current context, its API server): what each local tool writes, and loopback servers under any name.
ACCEPTED = [
    ("kind-mesh", "https://127.0.0.1:41913"),
    ("kind-kind", "https://10.11.12.13:6443"),  # kind on a remote Docker host: the name says kind
    ("k3d-mesh", "https://0.0.0.0:6550"),
    ("minikube", "https://192.168.49.2:8443"),
    ("docker-desktop", "https://kubernetes.docker.internal:6443"),
    ("rancher-desktop", "https://127.0.0.1:6443"),
    ("orbstack", "https://k8s.orb.local:26443"),
    ("e2e", "https://127.0.0.1:36443"),  # the end-to-end run's API server on loopback
    ("default", "https://[::1]:6443"),
    ("k3s", "https://0.0.0.0:6443"),  # the unspecified address connects to this machine
    ("dev", "https://localhost:6443"),
    ("kind-mesh", None),  # the cluster entry missing: judged by its name
]

# (current context, its API server, a word the refusal must show)
REFUSED = [
    ("gke_prod-project_europe-west1_prod", "https://34.76.1.2", "gke_prod-project_europe-west1_prod"),
    ("arn:aws:eks:eu-west-1:111122223333:cluster/prod", "https://ABC.gr7.eu-west-1.eks.amazonaws.com", "eks"),
    ("prod", "https://10.0.0.1:6443", "https://10.0.0.1:6443"),
    ("kindly-prod", "https://10.0.0.1:6443", "kindly-prod"),  # not `kind-`
    ("minikube-prod", "https://10.0.0.1:6443", "minikube-prod"),  # minikube's profile must be exactly minikube
    ("prod", "https://127.0.0.1.nip.io:6443", "127.0.0.1.nip.io"),  # resolves anywhere: not loopback by its name
    ("prod", "https://localhost.corp.example:6443", "localhost.corp.example"),  # a public name, not *.localhost
    ("prod", None, "its cluster is not in the kubeconfig"),
]


@pytest.mark.parametrize(("context", "server"), ACCEPTED)
def test_a_local_context_is_accepted(run_stack, context, server):
    run = run_stack("dev", kubeconfig=kubeconfig(context, server))
    assert run.of_type("kubernetes:helm.sh/v4:Chart")


@pytest.mark.parametrize(("context", "server", "word"), REFUSED)
def test_a_context_that_does_not_look_local_is_refused(run_stack, context, server, word):
    assert_refused(
        lambda: run_stack("dev", kubeconfig=kubeconfig(context, server)),
        "kubernetes.context",
        [
            f"current context {context!r}",
            word,
            "does not look like a cluster on this machine",
            "kubectl config current-context",  # how to confirm it
            "pulumi config set --path kubernetes.context",  # how to say it is meant
        ],
    )


def test_a_context_the_stack_names_is_accepted_wherever_it_points(run_stack):
    gke = "gke_prod-project_europe-west1_prod"
    run = run_stack("dev", kubeconfig=kubeconfig(gke, "https://34.76.1.2"), kubernetes={"context": gke})
    assert run.of_type("kubernetes:helm.sh/v4:Chart")


def test_no_kubeconfig_at_all_is_refused_saying_so(run_stack):
    assert_refused(
        lambda: run_stack("dev", kubeconfig=None),
        "kubernetes.context",
        ["cannot tell which cluster", "$KUBECONFIG is not set and ~/.kube/config does not exist"],
    )


def test_a_kubeconfig_without_a_current_context_is_refused(run_stack):
    assert_refused(
        lambda: run_stack("dev", kubeconfig=kubeconfig("kind-mesh", "https://127.0.0.1:41913", current="")),
        "kubernetes.context",
        ["has no current context"],
    )


def test_the_kubeconfig_the_stack_names_is_the_one_checked(run_stack, tmp_path):
    """kubernetes.kubeconfig wins over the ambient one, as it does for the provider, as a path or as contents."""
    remote = kubeconfig("prod", "https://10.0.0.1:6443")
    named = tmp_path / "kubeconfig"
    named.write_text(remote)
    for given in (str(named), remote):
        assert_refused(
            partial(run_stack, "dev", kubernetes={"kubeconfig": given}),
            "kubernetes.context",
            ["'prod'", "kubernetes.kubeconfig"],
        )
    local = tmp_path / "local"
    local.write_text(kubeconfig("kind-mesh", "https://127.0.0.1:41913"))
    ambient_remote = kubeconfig("prod", "https://10.0.0.1:6443")
    run = run_stack("dev", kubeconfig=ambient_remote, kubernetes={"kubeconfig": str(local)})
    assert run.of_type("kubernetes:helm.sh/v4:Chart")


def test_the_clouds_are_not_held_to_local_contexts(run_stack):
    run = run_stack("gcp", kubeconfig=kubeconfig("prod", "https://10.0.0.1:6443"), kubernetes={})
    assert run.of_type("kubernetes:helm.sh/v4:Chart")


def test_kubeconfig_env_is_read_before_the_home_directory(tmp_path: Path):
    """$KUBECONFIG as a path or as the contents (the Python SDK hands it to the provider as either)."""
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(kubeconfig("kind-home", "https://127.0.0.1:1"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text(kubeconfig("prod", "https://10.0.0.1:6443"))
    none = KubernetesSettings()
    assert read_context(none, {}, tmp_path).name == "kind-home"
    assert read_context(none, {"KUBECONFIG": str(elsewhere)}, tmp_path).name == "prod"
    assert read_context(none, {"KUBECONFIG": elsewhere.read_text()}, tmp_path).server == "https://10.0.0.1:6443"
    missing = read_context(none, {"KUBECONFIG": str(tmp_path / "missing")}, tmp_path)
    assert missing.name is None and missing.problem is not None


# $KUBECONFIG listing several files, merged as kubectl merges them (kubernetes.io, "Organizing Cluster Access Using
# kubeconfig Files": ignore empty filenames; the first file to set a value or map key wins; relative paths are
# relative to the file's directory; client-go clientcmd loader.go skips a missing file of the list).
LOCAL = kubeconfig("kind-mesh", "https://127.0.0.1:41913")
REMOTE = kubeconfig("prod", "https://10.0.0.1:6443")
NO_CURRENT = kubeconfig("kind-mesh", "https://127.0.0.1:41913", current="")
# prod's cluster entry again, pointing at loopback: the first file's entry must be kept
PROD_ON_LOOPBACK = kubeconfig("prod", "https://127.0.0.1:6443")

# (files in $KUBECONFIG order, None for one that does not exist; the merged current context; its server)
MERGED = [
    ([LOCAL, REMOTE], "kind-mesh", "https://127.0.0.1:41913"),
    ([REMOTE, LOCAL], "prod", "https://10.0.0.1:6443"),
    ([NO_CURRENT, REMOTE], "prod", "https://10.0.0.1:6443"),  # an empty current-context sets nothing
    ([None, LOCAL], "kind-mesh", "https://127.0.0.1:41913"),  # a missing file is skipped
    ([REMOTE, PROD_ON_LOOPBACK], "prod", "https://10.0.0.1:6443"),  # the first `prod` cluster wins
    ([PROD_ON_LOOPBACK, REMOTE], "prod", "https://127.0.0.1:6443"),
    (["current-context: prod\n", LOCAL, REMOTE], "prod", "https://10.0.0.1:6443"),  # a value alone sets it
]


def write_list(tmp_path: Path, files: list[str | None], separator: str = ":") -> str:
    paths = []
    for index, contents in enumerate(files):
        path = tmp_path / f"config-{index}"
        if contents is not None:
            path.write_text(contents)
        paths.append(str(path))
    return separator.join(paths)


@pytest.mark.parametrize(("files", "current", "server"), MERGED)
def test_a_kubeconfig_list_is_merged_as_kubectl_merges_it(tmp_path, files, current, server):
    context = read_context(KubernetesSettings(), {"KUBECONFIG": write_list(tmp_path, files)}, tmp_path)
    assert (context.problem, context.name, context.server) == (None, current, server)


def test_empty_names_and_repeats_in_the_list_are_skipped(tmp_path):
    listed = write_list(tmp_path, [REMOTE, LOCAL])
    first, second = listed.split(":")
    context = read_context(KubernetesSettings(), {"KUBECONFIG": f":{second}::{first}:{second}"}, tmp_path)
    assert context.name == "kind-mesh"


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ([None, None], "none of the files it lists exists"),
        ([LOCAL, "clusters: [unclosed\n"], "cannot read the kubeconfig"),
        ([LOCAL, "- a list\n"], "is not a kubeconfig"),
    ],
)
def test_a_list_kubectl_would_refuse_is_a_problem(tmp_path, files, problem):
    context = read_context(KubernetesSettings(), {"KUBECONFIG": write_list(tmp_path, files)}, tmp_path)
    assert context.name is None
    assert problem in (context.problem or "")


def test_relative_paths_are_resolved_against_their_own_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cluster_file = tmp_path / "a" / "config"
    cluster_file.write_text(
        "current-context: kind-mesh\n"
        "clusters:\n  - name: kind-mesh\n    cluster: {server: 'https://127.0.0.1:1', certificate-authority: ca.crt}\n"
    )
    user_file = tmp_path / "b" / "config"
    user_file.write_text(
        "users:\n  - name: me\n    user: {client-certificate: me.crt, client-key: /abs/me.key, tokenFile: t}\n"
    )
    merged = read_context(KubernetesSettings(), {"KUBECONFIG": f"{cluster_file}:{user_file}"}, tmp_path).merged
    document = yaml.safe_load(merged or "")
    assert document["clusters"][0]["cluster"]["certificate-authority"] == str(tmp_path / "a" / "ca.crt")
    assert document["users"][0]["user"] == {
        "client-certificate": str(tmp_path / "b" / "me.crt"),
        "client-key": "/abs/me.key",
        "tokenFile": str(tmp_path / "b" / "t"),
    }


def test_one_file_or_contents_is_not_merged(tmp_path):
    """The provider reads those itself: nothing to hand it."""
    path = tmp_path / "config"
    path.write_text(LOCAL)
    assert read_context(KubernetesSettings(), {"KUBECONFIG": str(path)}, tmp_path).merged is None
    assert read_context(KubernetesSettings(), {"KUBECONFIG": LOCAL}, tmp_path).merged is None


@contextmanager
def kubeconfig_env(value: str) -> Iterator[None]:
    """$KUBECONFIG as a laptop shell sets it, for the whole program run (HOME empty)."""
    saved = {name: os.environ.get(name) for name in ("HOME", "KUBECONFIG")}
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(HOME=home, KUBECONFIG=value)
        try:
            yield
        finally:
            for name, old in saved.items():
                if old is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = old


def run_with_kubeconfig_env(monkeypatch, value: str, stack: str = "dev") -> harness.Run:
    monkeypatch.setattr(harness, "ambient_kubeconfig", lambda _contents: kubeconfig_env(value))
    return harness.run_program(
        harness.stack_config(stack),
        computed=fakes.computed_fields,
        calls=fakes.invoke,
        resource_id=fakes.resource_id,
        dashboards=fakes.istio_dashboards,
        kubeconfig=None,
    )


@pytest.mark.parametrize("stack", ["dev", "gcp"])
def test_a_list_is_handed_to_the_providers_merged(monkeypatch, tmp_path, stack):
    """On every cloud: the provider would read the list as one path and fail."""
    run = run_with_kubeconfig_env(monkeypatch, write_list(tmp_path, [LOCAL, REMOTE]), stack)
    providers = run.of_type("pulumi:providers:kubernetes")
    assert {p.name for p in providers} == {"cluster", "cluster-adopting"}
    for provider in providers:
        handed = provider.inputs["kubeconfig"]
        document = yaml.safe_load(handed)
        assert document["current-context"] == "kind-mesh"
        assert {c["name"] for c in document["contexts"]} == {"kind-mesh", "prod"}
        assert harness.plain_occurrences(provider.raw_inputs, "kind-mesh") == [], "credentials: a secret"


def test_a_list_whose_merged_context_is_remote_is_refused(monkeypatch, tmp_path):
    assert_refused(
        lambda: run_with_kubeconfig_env(monkeypatch, write_list(tmp_path, [REMOTE, LOCAL])),
        "kubernetes.context",
        ["current context 'prod'", "https://10.0.0.1:6443", "does not look like a cluster on this machine"],
    )
