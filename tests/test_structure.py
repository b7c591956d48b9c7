"""The tree reads one way: stacks -> settings -> definitions, and stacks -> components -> definitions. Per-cloud DNS
access, per-cloud stack builders, the platform; the loader over the settings model and each section's rules;
components usable with their Args alone. An import cycle, or an import against that direction, at module level or
inside a function, fails here. An import under `if TYPE_CHECKING:` is for annotations only: it is held to the
direction, but it runs nothing, so it is no edge of a cycle (the settings sections name the model in their rules'
annotations, and the model imports the sections)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness import PROJECT_DIR

PACKAGES = ("stacks", "settings", "components", "definitions")


def project_imports(path: Path, *, typing_only: bool = True) -> set[str]:
    """Every project module `path` imports, wherever the import statement stands (without the ones under
    `if TYPE_CHECKING:` when `typing_only` is false)."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    if not typing_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                skipped.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            if node.module in PACKAGES:  # `from stacks import versions`
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] in PACKAGES)
    return found


def import_graph(*, typing_only: bool = True) -> dict[str, set[str]]:
    graph = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_DIR / package).glob("*.py")):
            if path.stem != "__init__":
                graph[f"{package}.{path.stem}"] = project_imports(path, typing_only=typing_only)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> list[str]:
        if module in visiting:
            return [*visiting[visiting.index(module) :], module]
        if module in done or module not in graph:
            return []
        visiting.append(module)
        for imported in sorted(graph[module]):
            cycle = visit(imported)
            if cycle:
                return cycle
        visiting.pop()
        done.add(module)
        return []

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return []


def test_the_import_graph_has_no_cycle():
    assert find_cycle(import_graph(typing_only=False)) == []


def test_an_import_for_annotations_only_is_no_edge_of_a_cycle_but_a_runtime_one_is(tmp_path):
    typed = tmp_path / "typed.py"
    typed.write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from settings.model import Settings\n")
    assert project_imports(typed, typing_only=False) == set()
    assert project_imports(typed) == {"settings.model"}
    typed.write_text("from settings.model import Settings\n")
    assert project_imports(typed, typing_only=False) == {"settings.model"}


def test_a_cycle_would_be_found():
    assert find_cycle({"stacks.a": {"stacks.b"}, "stacks.b": {"stacks.a"}}) == ["stacks.a", "stacks.b", "stacks.a"]


def test_the_loader_reads_the_model_and_the_rules_and_no_section_reads_the_loader():
    graph = import_graph()
    assert {"settings.model", "settings.istio", "settings.dns", "settings.tls"} <= graph["settings.loader"]
    readers = {module for module, imported in graph.items() if "settings.loader" in imported}
    assert not {module for module in readers if module.startswith("settings.")}


def test_settings_import_nothing_of_the_stacks_or_components():
    graph = import_graph()
    settings = {m: i for m, i in graph.items() if m.startswith("settings.")}
    assert len(settings) > 10, "the settings package is not where it should be"
    assert imports_from("stacks", settings) == {}
    assert imports_from("components", settings) == {}


def test_local_reuses_each_clouds_dns_access_not_its_stack_builder():
    local = import_graph()["stacks.local"]
    assert {"stacks.gcp_dns", "stacks.aws_dns"} <= local
    assert not {"stacks.gcp", "stacks.aws"} & local


def imports_from(package: str, graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each module of the graph -> what it imports from `package`, for the modules that import any."""
    found = {module: {i for i in imported if i.split(".")[0] == package} for module, imported in graph.items()}
    return {module: imported for module, imported in found.items() if imported}


def test_components_import_nothing_from_the_stacks():
    graph = import_graph()
    components = {m: i for m, i in graph.items() if m.startswith("components.")}
    assert imports_from("stacks", components) == {}
    assert imports_from("settings", components) == {}


def test_definitions_import_nothing_of_the_project_but_definitions():
    graph = import_graph()
    definitions = {m: i for m, i in graph.items() if m.startswith("definitions.")}
    assert definitions, "no definitions package found"
    assert imports_from("stacks", definitions) == {}
    assert imports_from("settings", definitions) == {}
    assert imports_from("components", definitions) == {}


def test_an_import_against_the_direction_would_be_found():
    graph = {"components.istio": {"stacks.profiles", "definitions.sizing"}, "stacks.mesh": {"components.istio"}}
    assert imports_from("stacks", graph) == {"components.istio": {"stacks.profiles"}}
