"""Runs the real program (`__main__.py`) in-process under Pulumi's mocks and records every registration.

See ../shared/TESTING.md for why it is built this way: a recording monitor (the only place parents,
dependencies, providers and retain-on-delete are visible), state reset between runs, outputs read after the
run has drained, and mocks returning the computed fields the program consumes.
"""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack

from settings.loader import SettingsError
from stacks import istio_dashboards

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["name"]
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"


# An invoke's answer: its outputs, or (outputs, failures) for a data source that reports a failure the program
# can catch, as pulumi.runtime.mocks.Mocks.call allows.
InvokeResult = dict[str, Any] | tuple[dict[str, Any], list[tuple[str, str]]]
Invoke = Callable[[str, dict], InvokeResult]


@dataclass
class Registration:
    """One RegisterResource request, as the engine would receive it."""

    type: str
    name: str
    urn: str
    custom: bool
    remote: bool
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str
    providers: dict[str, str]
    retain_on_delete: bool
    additional_secret_outputs: list[str]
    transforms: list[Callable]
    inputs: dict[str, Any]
    raw_inputs: dict[str, Any]

    def depends_on(self, other: Registration) -> bool:
        every_dependency = set(self.dependencies)
        for urns in self.property_dependencies.values():
            every_dependency.update(urns)
        return other.urn in every_dependency


@dataclass
class Read:
    """One ReadResource request (`Resource.get`): what is read, by id, after what."""

    type: str
    name: str
    id: str
    dependencies: list[str]
    provider: str


class ProgramFailed(Exception):
    """The program raised; `registered` is what it had registered by then (must be nothing for bad config)."""

    def __init__(self, error: BaseException, registered: list[Registration]):
        super().__init__(str(error))
        self.error = error
        self.registered = registered


def assert_refused(program: Callable[[], object], key: str, words: list[str]) -> None:
    """`program` stops on one settings problem that names `key` and says `words`, before any resource."""
    with pytest.raises(ProgramFailed) as failure:
        program()
    assert failure.value.registered == []
    assert isinstance(failure.value.error, SettingsError)
    problems = failure.value.error.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{key}: "), problems[0]
    for word in words:
        assert word in problems[0], problems[0]


@dataclass
class Run:
    resources: list[Registration]
    outputs: dict[str, Any]
    raw_outputs: dict[str, Any]
    calls: list[tuple[str, dict, str]] = field(default_factory=list)  # invokes: token, args, provider
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # urn -> raw register_outputs
    reads: list[Read] = field(default_factory=list)  # `Resource.get`s

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Registration:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.resources if r.urn == urn)

    def charts(self) -> dict[str, Registration]:
        """Helm charts by chart name (base, istiod, gateway, external-dns, ...)."""
        return {r.inputs["chart"]: r for r in self.of_type("kubernetes:helm.sh/v4:Chart")}

    def chart(self, chart: str) -> Registration:
        return self.charts()[chart]


class Mocks(pulumi_mocks.Mocks):
    """Echoes inputs back as state, plus the computed fields the program reads."""

    def __init__(
        self,
        computed: Callable[[pulumi_mocks.MockResourceArgs], dict],
        calls: Invoke,
        resource_id: Callable[[pulumi_mocks.MockResourceArgs], str] = lambda args: f"{args.name}-id",
    ):
        self.computed = computed
        self.resource_id = resource_id
        self.answer = calls
        self.calls: list[tuple[str, dict, str]] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        state = {**args.inputs, **self.computed(args)}
        return self.resource_id(args), state

    def call(self, args: pulumi_mocks.MockCallArgs):
        # Engine built-ins (the stack reading its own previous outputs) are not cloud lookups: not recorded.
        if not args.token.startswith("pulumi:pulumi:"):
            self.calls.append((args.token, args.args, args.provider))
        return self.answer(args.token, args.args)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.reads: list[Read] = []
        self.stack_outputs: dict[str, Any] = {}
        self.component_outputs: dict[str, dict[str, Any]] = {}  # urn -> register_outputs of each component

    def ReadResource(self, request):
        self.reads.append(Read(request.type, request.name, request.id, list(request.dependencies), request.provider))
        return super().ReadResource(request)

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    custom=request.custom,
                    remote=request.remote,
                    parent=request.parent,
                    dependencies=list(request.dependencies),
                    property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                    provider=request.provider,
                    providers=dict(request.providers),
                    retain_on_delete=request.retainOnDelete,
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                    transforms=pulumi_mocks._resolve_callbacks(request.transforms),
                    inputs=reveal(raw),
                    raw_inputs=raw,
                )
            )
        return response

    def RegisterResourceOutputs(self, request):
        if request.urn.endswith("::pulumi:pulumi:Stack::" + request.urn.split("::")[-1]):
            self.stack_outputs = json_format.MessageToDict(request.outputs)
        else:
            self.component_outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


def reveal(value: Any) -> Any:
    """The plain value, with secrets unwrapped (use `secret_paths` to see which were secret)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return reveal(value.get("value"))
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def plain_occurrences(value: Any, needle: str, path: str = "") -> list[str]:
    """Paths where `needle` appears outside a secret wrapper."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return []
        found = []
        for k, v in value.items():
            found += plain_occurrences(v, needle, f"{path}.{k}")
        return found
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in plain_occurrences(v, needle, f"{path}[{i}]")]
    return [path] if isinstance(value, str) and needle in value else []


def stack_config(stack: str) -> dict[str, Any]:
    """The project's config of a shipped `Pulumi.<stack>.yaml`, keyed without the project prefix."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()) or {}
    prefix = f"{PROJECT}:"
    return {k[len(prefix) :]: v for k, v in (document.get("config") or {}).items() if k.startswith(prefix)}


def shipped_stacks() -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in PROJECT_DIR.glob("Pulumi.*.yaml"))


def single_cluster_stacks() -> list[str]:
    """The shipped stacks of one cluster: what a `multicluster` stack installs is tested in test_multicluster.py."""
    return [stack for stack in shipped_stacks() if "multicluster" not in stack_config(stack)]


@contextmanager
def ambient_kubeconfig(contents: str | None) -> Iterator[None]:
    """The kubeconfig the program finds as `pulumi up` would on a laptop: ~/.kube/config holding `contents`
    (none at all with None), $KUBECONFIG unset; never the kubeconfig of the machine running the tests."""
    saved = {name: os.environ.get(name) for name in ("HOME", "KUBECONFIG")}
    with tempfile.TemporaryDirectory() as home:
        if contents is not None:
            Path(home, ".kube").mkdir()
            Path(home, ".kube", "config").write_text(contents)
        os.environ["HOME"] = home
        os.environ.pop("KUBECONFIG", None)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def run_main() -> None:
    """The program, as `pulumi up` runs it: the project directory's `__main__.py`."""
    runpy.run_path(str(PROJECT_DIR), run_name="__main__")


def run_program(
    config: dict[str, Any],
    *,
    computed: Callable[[pulumi_mocks.MockResourceArgs], dict],
    calls: Invoke,
    resource_id: Callable[[pulumi_mocks.MockResourceArgs], str] = lambda args: f"{args.name}-id",
    stack: str = "test",
    secret_keys: tuple[str, ...] = (),
    preview: bool = False,
    dashboards: istio_dashboards.DashboardSource,
    kubeconfig: str | None,
) -> Run:
    """Run `__main__.py` with `config` (top-level key -> value) and return what it registered; `kubeconfig` is
    the ambient kubeconfig's contents (None: there is none)."""
    mocks = Mocks(computed, calls, resource_id)
    monitor = RecordingMonitor(mocks)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.ROOT.set(None)
    try:
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
        # set_mocks registers a root stack of its own; run_in_stack makes the one the program's exports go to.
        runtime_settings.ROOT.set(None)
        runtime_settings.SETTINGS.outputs.clear()
        set_all_config(
            {f"{PROJECT}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in config.items()},
            [f"{PROJECT}:{k}" for k in secret_keys],
        )
        with istio_dashboards.use_source(dashboards), ambient_kubeconfig(kubeconfig):
            loop.run_until_complete(run_in_stack(run_main))
    except Exception as error:
        raise ProgramFailed(error, monitor.registrations) from error
    finally:
        pending = asyncio.all_tasks(loop)
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)
        set_all_config({}, [])
        runtime_settings.ROOT.set(None)
    return Run(
        monitor.registrations,
        reveal(monitor.stack_outputs),
        monitor.stack_outputs,
        mocks.calls,
        component_outputs=monitor.component_outputs,
        reads=monitor.reads,
    )
