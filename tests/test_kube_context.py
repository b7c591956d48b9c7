"""The `local` cloud refuses a kube context that does not look like a cluster on this machine, unless the stack
names `kubernetes.context` itself (README, "Quick start: local"): a table of kubeconfigs the test writes, each run
through the whole program, refused ones before any resource is registered."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from stacks.kube_context import read_context
from stacks.settings import KubernetesSettings
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
