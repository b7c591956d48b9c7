"""A clone's tree stays clean: the shipped `Pulumi.dev.yaml`, tracked in git, carries the salt of the empty
passphrase, so the README's `pulumi stack select dev --create` and `pulumi up` with PULUMI_CONFIG_PASSPHRASE=''
write nothing into it (the CLI saves the stack's file only when its secrets provider changes: pulumi/pulumi
pkg/cmd/pulumi/stack/secrets.go). Without that line, the first command would write a salt of its own there.

A stack of its own (its own backend and project directory, a git repository holding `Pulumi.yaml` and
`Pulumi.dev.yaml` as committed), run on the loopback cluster once the main stack's scenarios have destroyed
theirs. The committed `Pulumi.dev.yaml` is the shipped one with the loopback mirror added (the cluster is
offline), committed before Pulumi runs.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import yaml

from e2e.context import Context
from e2e.pulumi_cli import PROJECT_DIR, PulumiStack
from e2e.scenarios import PROJECT, destroy_and_check, kept_crds, stack_namespaces
from e2e.toolchain import build as toolchain


def git(work_dir: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@localhost", *args]
    return subprocess.run(command, cwd=work_dir, capture_output=True, text=True, check=True).stdout


def clean_tree(context: Context) -> None:
    report = context.report
    bins = toolchain.build_all()  # cached by the run's start: < 1 s
    directory = context.stack.directory.parent / "clean-tree"
    stack = PulumiStack(
        directory, "dev", [bins["pulumi"], bins["provider"]], context.cluster.kubeconfig, context.stack.log
    )
    stack.env["PULUMI_CONFIG_PASSPHRASE"] = ""
    shipped = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    shipped["config"][f"{PROJECT}:mirror"] = context.mirror.settings()
    (stack.work_dir / "Pulumi.dev.yaml").write_text(yaml.safe_dump(shipped, sort_keys=False))
    git(stack.work_dir, "init", "--quiet")
    git(stack.work_dir, "add", "Pulumi.yaml", "Pulumi.dev.yaml")
    git(stack.work_dir, "commit", "--quiet", "-m", "the project as cloned")

    def clean(label: str) -> None:
        status = git(stack.work_dir, "status", "--porcelain")
        report.check(f"clean tree: nothing to commit after {label}", status == "", status)

    with report.step("clean tree: pulumi stack select dev --create"):
        stack.cli("stack", "select", "--create", program=False)
    clean("stack select --create")
    with report.step("clean tree: up"):
        stack.up()
    clean("up")
    # The state's secrets (Grafana's password, Kiali's signing key...) decrypt with the empty passphrase, and
    # with no other: the salt is the empty passphrase's.
    exported = stack.cli("stack", "export", "--show-secrets", check=False, program=False)
    report.check(
        "clean tree: the state's secrets decrypt with the empty passphrase", exported.code == 0, exported.output[-300:]
    )
    stack.env["PULUMI_CONFIG_PASSPHRASE"] = "not-the-one"
    wrong = stack.cli("stack", "export", "--show-secrets", check=False, program=False)
    report.check(
        "clean tree: another passphrase is refused", "incorrect passphrase" in wrong.output, wrong.output[-300:]
    )
    stack.env["PULUMI_CONFIG_PASSPHRASE"] = ""
    own = replace(context, stack=stack)  # the run's context, this scenario's stack in place of the main one
    destroy_and_check(own, "clean tree", stack_namespaces(own), kept_crds(own))
    clean("destroy")


SCENARIOS = {"clean-tree": clean_tree}
