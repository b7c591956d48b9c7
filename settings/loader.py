"""Reading the stack's config: field validation of every section (settings/model.py and the section modules
beside it), then the rules that span sections (each in the module of the section it judges), all problems
reported at once before any resource is registered.

The dependency is one-way: this loader imports the model and the sections' rules; no section imports the loader.
"""

from __future__ import annotations

import difflib
import json
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from settings import dashboards, dns, gateway_api, istio, mesh, mirror, multicluster, routes, sizing, tls, verify
from settings.installed import InstalledIstio, read_installed
from settings.istio import installed_istio_problems
from settings.model import Settings
from settings.support import istio_support_problems

# Values that must come from `pulumi config set --secret`: (top-level key, path, how to read it from settings).
SECRET_VALUES = (
    ("dashboards", "dashboards.kiali.openid.clientSecret", lambda s: s.dashboards.kiali.openid),
    ("mirror", "mirror.charts.password", lambda s: s.mirror and s.mirror.charts.password),
)

# Keys that moved: the old path -> why, and what to set instead. Refused like any unknown key, with directions.
MOVED_KEYS: dict[tuple[str, ...], str] = {
    ("dashboards", "profile"): "moved to the top-level key `profile` (dev or production), which now sizes the whole "
    "stack, not only the dashboards; remove dashboards.profile and set `profile`",
}


def cross_section_problems(settings: Settings) -> list[str]:
    """The rules that span several sections, each in the module of the section it judges; each problem names
    the key to change."""
    problems: list[str] = []
    problems += gateway_api.tcp_routes_problems(settings)
    problems += gateway_api.platform_problems(settings)
    problems += mesh.namespace_problems(settings)
    problems += istio.istio_revision_problems(settings)
    problems += mesh.dataplane_problems(settings)
    problems += dns.dns_problems(settings)
    problems += dns.dns_target_problems(settings)
    problems += dashboards.dashboard_problems(settings)
    problems += routes.route_problems(settings)
    problems += sizing.sizing_problems(settings)
    problems += tls.tls_problems(settings)
    problems += verify.verify_problems(settings)
    problems += mirror.mirror_problems(settings)
    problems += multicluster.multicluster_problems(settings)
    return problems


class SettingsError(Exception):
    """Every problem found in the stack config, one per line, each naming its key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n" + "\n".join(f"  - {p}" for p in problems))


def load_settings(
    raw: dict[str, Any],
    secret_keys: frozenset[str] = frozenset(),
    installed: InstalledIstio | None = None,
    today: date | None = None,
) -> Settings:
    """Parse the project's config (top-level key -> value, objects as dicts or JSON strings).

    `secret_keys` are the top-level keys Pulumi holds encrypted; a secret value under any other key would sit
    in plain text in the stack's YAML, so it is refused. `installed` is what the previous `up` installed: the
    upgrade steps it makes unsafe are refused too (once the config is valid on its own). `today` (default: the
    machine's date) decides which Istio minors are past their end of support.
    """
    data = {key: _decode(value) for key, value in raw.items()}
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        raise SettingsError([_describe(e) for e in error.errors()]) from None
    problems = cross_section_problems(settings) + istio_support_problems(settings, today or date.today())
    for key, path, present in SECRET_VALUES:
        if present(settings) is not None and key not in secret_keys:
            problems.append(f"{path}: stored in plain text; set it with `pulumi config set --secret --path {path} ...`")
    if installed is not None and not problems:
        problems = installed_istio_problems(settings, installed)
    if problems:
        raise SettingsError(problems)
    return settings


def load_from_pulumi_config(project: str) -> Settings:
    """Read every `<project>:<key>` of the running stack, so unknown top-level keys are refused too."""
    from pulumi.runtime.config import CONFIG, get_config_env, get_config_secret_keys_env, is_config_secret

    prefix = f"{project}:"
    config = {**get_config_env(), **CONFIG.get()}
    raw = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
    secret = set(get_config_secret_keys_env())
    secret_keys = frozenset(key for key in raw if is_config_secret(prefix + key) or prefix + key in secret)
    return load_settings(raw, secret_keys, read_installed())


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _describe(error: ErrorDetails) -> str:
    loc = error["loc"]
    key = _dotted(loc)
    moved = MOVED_KEYS.get(tuple(str(part) for part in loc))
    if error["type"] == "extra_forbidden" and moved is not None:
        return f"{key}: {moved}"
    if error["type"] == "extra_forbidden":
        accepted = _keys_at(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), accepted, n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return f"{key}: unknown key{hint} (accepted: {', '.join(accepted)})"
    message = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if error["type"] != "value_error" and isinstance(given, (str, int, float, bool)):
        message += f" (got {given!r})"
    return f"{key}: {message}" if key else message


def _dotted(loc: tuple) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts)


def _keys_at(loc: tuple) -> list[str]:
    """The accepted camelCase keys of the section found by following `loc` from the root."""
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = next(f for name, f in model.model_fields.items() if (f.alias or name) == part)
        model = _section_type(field.annotation)
    return [field.alias or name for name, field in model.model_fields.items()]


def _section_type(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _section_type(arg)
        if found is not None:
            return found
    return None
