"""The real Pulumi CLI against a local file backend, offline.

Every command runs with: a file backend and PULUMI_HOME in the run's temporary directory, the plugins found on
PATH (the provider built by e2e/toolchain and the random and tls test doubles; PULUMI_IGNORE_AMBIENT_PLUGINS unset),
PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true (a missing plugin is an error, never a download),
PULUMI_SKIP_UPDATE_CHECK=true, and the passphrase from $PULUMI_CONFIG_PASSPHRASE (a fixed throwaway one if
unset: the state lives and dies with the run). The program runs in e2e/language_host.py, passed as `--client`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Resource plugins no registry here serves, and the test doubles that stand in for them.
# Each plugin -> the call that serves it.
PLUGIN_DOUBLES = {
    "random": "from e2e.random_provider import main\nmain()",
    "tls": "from e2e.tls_provider import main\nmain()",
    "gcp": "from e2e.cloud_provider import main\nmain('gcp')",
    "aws": "from e2e.cloud_provider import main\nmain('aws')",
}
# The state this passphrase protects is a temporary directory deleted with the run.
THROWAWAY_PASSPHRASE = "e2e-loopback-only"


@dataclass
class Result:
    command: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


class CommandFailed(AssertionError):
    def __init__(self, result: Result):
        super().__init__(
            f"`{' '.join(result.command)}` exited {result.code} after {result.seconds:.0f} s\n"
            f"{tail_lines(result.output, 80)}"
        )
        self.result = result


def tail_lines(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


class PulumiStack:
    def __init__(self, directory: Path, stack: str, bin_dirs: list[Path], kubeconfig: Path, log: Path):
        self.directory = directory
        self.stack = stack
        self.work_dir = directory / "project"
        self.log = log
        plugins = directory / "plugins"
        plugins.mkdir(parents=True, exist_ok=True)
        # The doubles of the plugins the module proxy does not serve (e2e/random_provider.py, e2e/tls_provider.py,
        # e2e/cloud_provider.py).
        for plugin, call in PLUGIN_DOUBLES.items():
            shim = plugins / f"pulumi-resource-{plugin}"
            shim.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(PROJECT_DIR)!r})\n{call}\n")
            shim.chmod(0o755)
        path = os.pathsep.join([*(str(d) for d in bin_dirs), str(plugins), os.environ.get("PATH", "")])
        self.env = {
            **os.environ,
            "PATH": path,
            "KUBECONFIG": str(kubeconfig),
            "PULUMI_HOME": str(directory / "home"),
            "PULUMI_BACKEND_URL": f"file://{directory / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", THROWAWAY_PASSPHRASE),
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
            "NO_COLOR": "1",
            # The provider the module proxy serves (4.25.0, e2e/toolchain) predates the provider options
            # `enablePatchForce` and `upsertExistingObjects` the stack sets on its adopting provider
            # (stacks/mesh.py) and ignores them; it creates by server-side apply, i.e. always adopts. Its
            # environment switch stands in for `enablePatchForce`, so the `up` after a destroy can take over the
            # kept objects whose fields the destroyed stack's field manager still owns. Untested therefore: the
            # strict provider's AlreadyExists refusal and its apply conflicts.
            "PULUMI_K8S_ENABLE_PATCH_FORCE": "true",
            # pulumi-kubernetes writes the kubeconfig it is given to a new file in $TMPDIR at each Configure and
            # never removes it (docs/security.md, "Kubeconfig copies on disk"): kept in the run's directory.
            "TMPDIR": str(directory / "tmp"),
        }
        self.env.pop("PULUMI_IGNORE_AMBIENT_PLUGINS", None)
        (directory / "state").mkdir(parents=True, exist_ok=True)
        (directory / "tmp").mkdir(parents=True, exist_ok=True)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_DIR / "Pulumi.yaml", self.work_dir / "Pulumi.yaml")
        self.pulumi = shutil.which("pulumi", path=path) or "pulumi"
        self.traced = 0

    # -- stack and config --------------------------------------------------------------------------------------

    def init(self) -> None:
        self.cli("stack", "init", "--secrets-provider", "passphrase", program=False)

    def set_config(self, config: dict[str, Any]) -> None:
        """Replace the stack's settings (`Pulumi.<stack>.yaml`), keeping the passphrase salt `stack init` wrote."""
        path = self.work_dir / f"Pulumi.{self.stack}.yaml"
        current = yaml.safe_load(path.read_text()) if path.exists() else {}
        document = {key: value for key, value in (current or {}).items() if key != "config"}
        document["config"] = config
        path.write_text(yaml.safe_dump(document, sort_keys=False))

    # -- commands ----------------------------------------------------------------------------------------------

    def preview(self, *args: str, check: bool = True) -> Result:
        return self.cli("preview", "--json", *args, check=check)

    def up(self, *args: str, check: bool = True) -> Result:
        return self.cli("up", "--yes", "--skip-preview", *args, check=check)

    def destroy(self, *args: str, check: bool = True) -> Result:
        return self.cli("destroy", "--yes", "--skip-preview", *args, check=check)

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = self.cli("stack", "output", "--json", "--show-secrets", program=False).json()
        return result

    def resources(self) -> list[dict[str, Any]]:
        exported = self.cli("stack", "export", program=False).json()
        found: list[dict[str, Any]] = exported.get("deployment", {}).get("resources") or []
        return found

    def cli(self, *args: str, check: bool = True, program: bool = True) -> Result:
        return self.start(*args, program=program).wait(check=check)

    def start(self, *args: str, program: bool = True) -> Running:
        """The command started, not awaited: a scenario can signal it (an interrupted `up`) or run another beside it
        (two `up`s of one stack)."""
        command = [self.pulumi, *args, "--stack", self.stack, "--non-interactive"]
        traces = os.environ.get("E2E_OTEL_TRACES")
        if traces and program:
            # The CLI's own tracing (docs/end-to-end.md, "Where the time goes"): one file per command, in order.
            self.traced += 1
            command.append(f"--otel-traces=file://{Path(traces).resolve()}/{self.traced:03d}-{args[0]}.json")
        host = None
        if program:
            host = subprocess.Popen(
                [sys.executable, "-m", "e2e.language_host", str(PROJECT_DIR)],
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=self.log.open("ab"),
                text=True,
            )
            assert host.stdout is not None
            port = host.stdout.readline().strip()
            if not port.isdigit():
                host.kill()
                raise AssertionError(f"the language host did not start (see {self.log})")
            command.insert(2, f"--client=127.0.0.1:{port}")
        # Files, not pipes: a command left running while a scenario waits never blocks on a full pipe. Closed
        # by Running.wait.
        stdout = tempfile.TemporaryFile("w+")  # noqa: SIM115
        stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115
        process = subprocess.Popen(command, cwd=self.work_dir, env=self.env, stdout=stdout, stderr=stderr, text=True)
        return Running(command, process, host, self.log, time.monotonic(), stdout, stderr)


@dataclass
class Running:
    """A started CLI command and the language host serving its program (None for commands without one)."""

    command: list[str]
    process: subprocess.Popen[str]
    host: subprocess.Popen[str] | None
    log: Path
    started: float
    stdout_file: IO[str]
    stderr_file: IO[str]

    def wait(self, check: bool = True) -> Result:
        try:
            self.process.wait()
        finally:
            if self.host is not None:
                self.host.kill()
                self.host.wait()
        stdout, stderr = (read_and_close(file) for file in (self.stdout_file, self.stderr_file))
        seconds = time.monotonic() - self.started
        result = Result(self.command, self.process.returncode, stdout, stderr, seconds)
        with self.log.open("a") as log:
            log.write(f"\n$ {' '.join(self.command)}  # exit {result.code}, {result.seconds:.1f} s\n{result.output}\n")
        if check and result.code != 0:
            raise CommandFailed(result)
        return result


def read_and_close(file: IO[str]) -> str:
    with file:
        file.seek(0)
        return file.read()
