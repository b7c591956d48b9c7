"""The tree reads one way: settings -> stacks -> components -> definitions. Per-cloud DNS access, per-cloud stack
builders, the platform; the loader over the settings and the rules; components usable with their Args alone. An
import cycle, or an import against that direction, at module level or inside a function, fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness import PROJECT_DIR

PACKAGES = ("stacks", "components", "definitions")


def project_imports(path: Path) -> set[str]:
    """Every project module `path` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            if node.module in PACKAGES:  # `from stacks import versions`
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] in PACKAGES)
    return found


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_DIR / package).glob("*.py")):
            if path.stem != "__init__":
                graph[f"{package}.{path.stem}"] = project_imports(path)
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
    assert find_cycle(import_graph()) == []


def test_a_cycle_would_be_found():
    assert find_cycle({"stacks.a": {"stacks.b"}, "stacks.b": {"stacks.a"}}) == ["stacks.a", "stacks.b", "stacks.a"]


def test_the_rules_read_the_settings_and_never_the_loader():
    graph = import_graph()
    assert "stacks.settings" in graph["stacks.rules"]
    assert "stacks.loader" not in graph["stacks.rules"] and "stacks.rules" not in graph["stacks.settings"]


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


def test_definitions_import_nothing_of_the_project_but_definitions():
    graph = import_graph()
    definitions = {m: i for m, i in graph.items() if m.startswith("definitions.")}
    assert definitions, "no definitions package found"
    assert imports_from("stacks", definitions) == {}
    assert imports_from("components", definitions) == {}


def test_an_import_against_the_direction_would_be_found():
    graph = {"components.istio": {"stacks.profiles", "definitions.sizing"}, "stacks.mesh": {"components.istio"}}
    assert imports_from("stacks", graph) == {"components.istio": {"stacks.profiles"}}
