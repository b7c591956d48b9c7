"""The documents say what the code does: the settings table lists exactly the keys the settings models accept,
with their defaults; every version number written in them is one definitions/versions.py pins; the supported-versions
table is the one written from definitions/versions.py. Each reads whichever page holds the table (README.md or docs/),
so moving a section keeps the check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from definitions import versions
from e2e import mirror
from e2e.toolchain import build as toolchain
from scripts import versions_table
from settings.fields import Section
from settings.loader import SettingsError, load_settings
from settings.model import Settings

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").rglob("*.md")])
SETTINGS_HEADER = "| key | default | accepted |"


def existing_pages() -> list[Path]:
    return [page for page in PAGES if page.is_file()]


def settings_table() -> list[tuple[str, str]]:
    """(key cell, default cell) of every row of the one settings table, wherever it lives."""
    holding = [page for page in existing_pages() if SETTINGS_HEADER in page.read_text()]
    assert len(holding) == 1, f"the settings table must be written once, found in {holding}"
    lines = holding[0].read_text().split(SETTINGS_HEADER, 1)[1].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append((cells[0], cells[1]))
    return rows


def expand(key_cell: str) -> list[str]:
    """`a.{b,c}.d` / `e`, `f` -> every dotted key the cell names."""
    keys = []
    for token in re.findall(r"`([^`]+)`", key_cell):
        expanded = [""]
        for literal, group in re.findall(r"([^{]*)(?:\{([^}]*)\})?", token):
            options = group.split(",") if group else [""]
            expanded = [done + literal + option for done in expanded for option in options]
        keys += expanded
    return keys


def _section(annotation: Any) -> type[Section] | None:
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation
    found = [arg for arg in get_args(annotation) if isinstance(arg, type) and issubclass(arg, Section)]
    # A tuple of sections (routes, revisions, namespaces) is one list-valued key, documented as one row.
    return found[0] if found and type(None) in get_args(annotation) else None


def model_keys(model: type[BaseModel] = Settings, prefix: str = "", sections: bool = False) -> set[str]:
    """Every leaf key the settings accept (with `sections`, the keys of the optional sections themselves too)."""
    keys = set()
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        section = _section(field.annotation)
        keys |= model_keys(section, key + ".", sections) if section is not None else {key}
        if section is not None and sections:
            keys.add(key)
    return keys


def test_the_settings_table_lists_every_key_the_code_accepts_and_no_other():
    documented = {key for cell, _ in settings_table() for key in expand(cell)}
    assert sorted(model_keys() - documented) == [], "keys the code accepts but the table does not list"
    assert sorted(documented - model_keys(sections=True)) == [], "keys the table lists but the code refuses"


def _written(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value == ():
        return "[]"
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, dict) and not value:
        return "{}"
    if value == "":
        return '""'
    return str(value)


def single_literal_defaults() -> list[tuple[str, str]]:
    """The rows naming one key whose default is exactly one literal (`x`, not a `<placeholder>`): those the code
    can be asked for."""
    rows = []
    for key_cell, default_cell in settings_table():
        keys = expand(key_cell)
        literal = re.fullmatch(r"`([^`<]+)`", default_cell)
        if len(keys) == 1 and literal:
            rows.append((keys[0], literal.group(1)))
    return rows


# The optional sections exist only when given (their required keys filled, nothing else).
CLOUD_CONFIG = {
    "gcp": {"cloud": "gcp", "gcp": {"project": "gke-project"}},
    "aws": {"cloud": "aws", "aws": {"region": "eu-west-1", "clusterName": "mesh"}},
}
SECTION_CONFIG: dict[str, dict[str, Any]] = {
    "multicluster": {
        "multicluster": {
            "meshId": "mesh1",
            "clusters": [
                {"name": "a", "cloud": "gcp", "context": "a", "network": "a"},
                {"name": "b", "cloud": "aws", "context": "b", "network": "b"},
            ],
        }
    },
    "mirror": {
        "mirror": {
            "charts": {"repository": "https://mirror.internal.example/charts"},
            "gatewayApi": "https://mirror.internal.example/gateway-api",
            "istioDashboards": "https://mirror.internal.example/dashboards",
            "images": "registry.internal.example/mesh",
        }
    },
}
# Keys whose field is unset by default and resolved by a property: the value the program uses.
RESOLVED = {
    "istio.version": lambda settings: settings.istio.version,
    "gcp.dnsProject": lambda settings: "gcp.project" if settings.gcp.zone_project == settings.gcp.project else None,
}


def parsed_default(key: str) -> Any:
    base = {**CLOUD_CONFIG.get(key.split(".")[0], {}), "dns": {"domain": "mesh.example.com", "zone": {"create": True}}}
    settings = load_settings({**base, "tls": {"mode": "off"}} if key.split(".")[0] in CLOUD_CONFIG else {})
    if key.split(".")[0] in SECTION_CONFIG:
        settings = load_settings(SECTION_CONFIG[key.split(".")[0]])
    if key in RESOLVED:
        return RESOLVED[key](settings)
    value: Any = settings
    for part in key.split("."):
        value = getattr(value, next(n for n, f in type(value).model_fields.items() if (f.alias or n) == part))
    return value


def test_enough_defaults_are_written_as_literals_to_check():
    assert len(single_literal_defaults()) >= 25


@pytest.mark.parametrize(("key", "written"), single_literal_defaults())
def test_each_written_default_is_the_codes(key, written):
    assert _written(parsed_default(key)) == written


def pinned_versions() -> set[str]:
    """Every release number definitions/versions.py pins or accepts as a floor."""
    pinned = {versions.ISTIO_DEFAULT_VERSION, versions.GATEWAY_API_DEFAULT_VERSION}
    pinned |= {f"{a}.{b}.{p}" for (a, b), p in versions.ISTIO_FIRST_PATCH_WITH_FAILURE_POLICY.items()}
    pinned.add("v" + ".".join(map(str, versions.GATEWAY_API_MINIMUM)))
    pinned.add(versions.GKE_MANAGES_GATEWAY_API_FROM.split("-")[0])
    charts = (versions.EXTERNAL_DNS, versions.PROMETHEUS, versions.GRAFANA, versions.JAEGER, versions.KIALI)
    pinned |= {chart.version for chart in (*charts, versions.CERT_MANAGER)}
    pinned.add(versions.KIND_RELEASE)
    images = (versions.CERT_MANAGER_API_CHECK_IMAGE, versions.DEMO_IMAGE, versions.VERIFY_IMAGE)
    for image in (*images, versions.KIND_NODE_IMAGE, versions.K3S_IMAGE):
        tag = image.split("@")[0].rsplit(":", 1)[1]
        pinned |= set(re.findall(r"v?\d+\.\d+\.\d+", tag))
    # The e2e's toolchain (docs/end-to-end.md): the module versions its wrapper modules pin (go.mod marks the
    # tools' own modules indirect), the provider release the module proxy serves, and the fixture Istio release
    # of the runbook's next upgrade.
    for module in (ROOT / "e2e" / "toolchain").glob("*/go.mod"):
        pinned |= set(re.findall(r"[\w./-]+ (v\d+\.\d+\.\d+)(?: // indirect)?$", module.read_text(), re.M))
        pinned |= set(re.findall(r"^go (\d+\.\d+\.\d+)$", module.read_text(), re.M))  # the Go they need
    pinned |= {toolchain.PROVIDER_VERSION, mirror.NEXT_ISTIO_VERSION}
    # Newer upstream releases, not pins: definitions/versions.py PIN_STATUS and ISTIO_NEWEST_PATCH, from which the
    # supported-versions page is written.
    pinned |= {v for newest, read in versions.PIN_STATUS.values() for v in VERSION.findall(f"{newest} {read}")}
    pinned |= {f"{a}.{b}.{p}" for (a, b), p in versions.ISTIO_NEWEST_PATCH.items()}
    # The Python packages are pinned in the lock (requirements.lock), the one place they are.
    pinned |= set(re.findall(r"^[\w.-]+==(\d+\.\d+\.\d+)\b", (ROOT / "requirements.lock").read_text(), re.M))
    return pinned


# Release numbers the documents may write that are not pins, each for a reason.
EXAMPLE_VERSIONS = {
    "1.31.0": "the next Istio minor in the upgrade runbook's example",
}
VERSION = re.compile(r"(?<![\w.-])v?\d+\.\d+\.\d+(?![\w.])")


@pytest.mark.parametrize("page", existing_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_release_number_written_is_a_pin(page):
    written = set(VERSION.findall(page.read_text()))
    assert sorted(written - pinned_versions() - set(EXAMPLE_VERSIONS)) == []


@pytest.mark.parametrize("page", existing_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_kubernetes_floor_is_written_only_in_the_versions_table(page):
    """ "Kubernetes >= 1.32 (Istio 1.30's floor)" once stood beside an accepted Istio 1.28: the range is the table's."""
    if page.name == "supported-versions.md":
        return
    assert re.findall(r"Kubernetes\s*(?:>=|≥|at least)\s*1\.\d+", page.read_text()) == []


def test_the_supported_versions_table_is_written_from_the_code():
    page = versions_table.PAGE.read_text()
    assert versions_table.page_with_table(page) == page, "run `python -m scripts.versions_table`"


def test_the_shipped_range_is_istios_and_cert_managers_overlap():
    """Istio 1.30 supports 1.32-1.36 and cert-manager v1.21 1.33-1.36 (their own support tables)."""
    assert "**1.33 to 1.36**" in versions_table.table()


@pytest.mark.parametrize("image", [versions.KIND_NODE_IMAGE, versions.K3S_IMAGE])
def test_the_quick_start_clusters_run_a_kubernetes_the_stack_supports(image):
    supported = versions.kubernetes_range([versions.ISTIO_DEFAULT_VERSION], cert_manager=True)
    assert supported is not None
    major, minor = map(int, re.findall(r":v(\d+)\.(\d+)\.", image)[0])
    assert supported[0] <= (major, minor) <= supported[1]
    assert "@sha256:" in image


LINK = re.compile(r"\]\(([^)\s]+)\)")


def local_links(page: Path) -> list[Path]:
    """The pages and files a page links to inside the repository (web links and anchors alone left out)."""
    targets = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        targets.append((page.parent / target.split("#", 1)[0]).resolve())
    return targets


@pytest.mark.parametrize("page", existing_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_between_the_pages_resolves(page):
    assert [str(t) for t in local_links(page) if not t.exists()] == []


def test_every_page_is_reachable_from_the_front_page():
    seen, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        todo += [t for t in local_links(page) if t.suffix == ".md" and t.is_file()]
    assert sorted(str(p.relative_to(ROOT)) for p in set(existing_pages()) - seen) == []


def front_page() -> str:
    return (ROOT / "README.md").read_text()


def test_the_local_quick_start_creates_the_pinned_clusters():
    assert f"kind create cluster --name mesh --image {versions.KIND_NODE_IMAGE}" in front_page()
    assert f"k3d cluster create mesh --image {versions.K3S_IMAGE}" in front_page()
    assert f"kind]({'https://kind.sigs.k8s.io/'}) {versions.KIND_RELEASE}" in front_page()


def test_the_local_quick_start_reaches_the_demo_the_way_the_stack_says(shared_run):
    """The README's command is the `demo` output's command for the dev stack, whole, on one line."""
    printed = shared_run("dev").outputs["demo"]["curl"]
    assert "\n" not in printed
    assert f"```sh\n{printed}\n```" in front_page()
    assert "kill %1" not in front_page()  # the command stops its own port-forward


def test_the_outputs_paragraph_names_every_output(shared_run):
    """docs/settings.md, "Outputs": every top-level output a shipped stack exports (`cloud` was once left out)."""
    page = (ROOT / "docs" / "settings.md").read_text().split("## Outputs", 1)[1]
    exported = {key for stack in ("dev", "gcp", "aws", "ambient") for key in shared_run(stack).outputs}
    assert "cloud" in exported
    assert sorted(key for key in exported if f"`{key}`" not in page) == []


def test_grafanas_login_is_the_one_the_stack_writes(shared_run):
    secret = next(r for r in shared_run("dev").of_type("kubernetes:core/v1:Secret") if r.name == "grafana-admin")
    user = secret.inputs["stringData"]["admin-user"]
    assert (
        f"log in as the user\n  `{user}` (key `admin-user` of the Secret `grafana-admin`)"
        in (ROOT / "docs" / "dashboards.md").read_text()
    )


def test_the_versions_table_names_every_istio_chart():
    """Five Istio charts are installed (base, istiod, gateway, and cni, ztunnel with the node agents)."""
    row = next(line for line in versions_table.table().splitlines() if line.startswith("| Istio charts"))
    assert [chart for chart in ("base", "istiod", "gateway", "cni", "ztunnel") if f"`{chart}`" not in row] == []


def go_floor() -> str:
    """The newest `go` directive of the e2e's wrapper modules: with GOTOOLCHAIN=local, the oldest Go that builds
    them all."""
    written = [
        re.search(r"^go (\d+\.\d+(?:\.\d+)?)$", module.read_text(), re.M)
        for module in (ROOT / "e2e" / "toolchain").glob("*/go.mod")
    ]
    found = [match.group(1) for match in written if match]
    return max(found, key=lambda version: tuple(map(int, version.split("."))))


GO_FLOOR_WRITTEN = re.compile(r"\bGo\s*(?:>=|≥|at least)\s*(\d+\.\d+(?:\.\d+)?)", re.I)


def test_the_go_floor_written_is_the_toolchains():
    """e2e/toolchain/pulumi/go.mod says `go 1.26.6` and the build runs with GOTOOLCHAIN=local: "Go >= 1.26" was
    not enough. Every page and the scripts that name a floor name that one."""
    assert go_floor() == "1.26.6"
    assert 'GOTOOLCHAIN="local"' in (ROOT / "e2e" / "toolchain" / "build.py").read_text()
    texts = {str(p.relative_to(ROOT)): p.read_text() for p in [*existing_pages(), ROOT / ".ci" / "run"]}
    texts["e2e/toolchain/build.py"] = (ROOT / "e2e" / "toolchain" / "build.py").read_text()
    written = {(name, floor) for name, text in texts.items() for floor in GO_FLOOR_WRITTEN.findall(text)}
    assert {name for name, _ in written} >= {"README.md", "CONTRIBUTING.md", "docs/end-to-end.md", ".ci/run"}
    assert sorted((name, floor) for name, floor in written if floor != go_floor()) == []


README_SECTION_REFERENCE = re.compile(r'README, "([^"]+)"')


def test_every_readme_section_the_code_points_at_exists():
    """Comments and messages that send a reader to a README section (`README, "Quick start: local"`) name one that
    is there: sections move to docs/ and the pointers stayed behind."""
    headings = set(re.findall(r"^#+ (.+)$", front_page(), re.M))
    sources = [ROOT / "Pulumi.yaml", *ROOT.glob("Pulumi.*.yaml"), ROOT / ".ci" / "run", ROOT / "scripts" / "check"]
    sources += [ROOT / name for name in ("pyproject.toml", "requirements.txt", "requirements-dev.txt")]
    for directory in ("stacks", "settings", "components", "definitions", "scripts", "tests", "e2e", "incluster"):
        sources += (p for p in (ROOT / directory).rglob("*.py") if p != Path(__file__))
    pointers = {
        (str(p.relative_to(ROOT)), name) for p in sources for name in README_SECTION_REFERENCE.findall(p.read_text())
    }
    assert len(pointers) >= 3
    # "Quick start: AWS" names "Quick start: AWS (EKS)"; a pointer must not end mid-word.
    missing = [
        (path, name) for path, name in pointers if not any(re.match(re.escape(name) + r"(?!\w)", h) for h in headings)
    ]
    assert sorted(missing) == []


CONFIG_SET_PATH = re.compile(r"pulumi config set(?: -s \S+)?(?: --secret)?(?: -s \S+)? --path '?([\w.\[\]]+)")


def _sections_in(annotation: Any) -> list[type[Section]]:
    found = [annotation] if isinstance(annotation, type) and issubclass(annotation, Section) else []
    return found + [section for arg in get_args(annotation) for section in _sections_in(arg)]


def every_key(model: type[BaseModel] = Settings, prefix: str = "") -> set[str]:
    """Every key the settings accept at any depth, the entries of list-valued sections (`routes`) included."""
    keys = set()
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        keys.add(key)
        for section in _sections_in(field.annotation):
            keys |= every_key(section, key + ".")
    return keys


def test_every_key_a_page_sets_from_the_command_line_is_a_setting():
    """`pulumi config set --path KEY` in the pages: KEY (list indexes dropped) is a key the settings accept."""
    accepted = every_key()
    written = {
        (str(page.relative_to(ROOT)), key)
        for page in existing_pages()
        for key in CONFIG_SET_PATH.findall(page.read_text())
    }
    assert {key for _, key in written} >= {"mirror.images", "routes[0].name", "kubernetes.context"}
    unknown = [(page, key) for page, key in written if re.sub(r"\[\d+\]", "", key) not in accepted]
    assert sorted(unknown) == []


WHEN_UP_FAILS = ROOT / "docs" / "when-up-fails.md"


def test_the_refused_setting_shown_is_what_the_program_prints():
    """docs/when-up-fails.md, "A setting is refused": its example is the loader's own message for those values."""
    shown = re.search(r"```\n(invalid stack config:\n.*?)```", WHEN_UP_FAILS.read_text(), re.S)
    assert shown is not None
    with pytest.raises(SettingsError) as refused:
        load_settings({"profile": "big", "mesh": {"mtls": "strict"}})
    assert str(refused.value) + "\n" == shown.group(1)


@pytest.mark.parametrize(
    "quoted", ["which does not look like a cluster on this machine", "cannot tell which cluster it would install into"]
)
def test_the_guards_refusal_quoted_is_the_guards(quoted):
    """The local guard's words, as docs/when-up-fails.md quotes them, are in the guard's messages."""
    assert quoted in " ".join(WHEN_UP_FAILS.read_text().split())
    assert quoted in " ".join(path.read_text() for path in (ROOT / "stacks").rglob("*.py"))
