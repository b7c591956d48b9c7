"""Which cluster the `local` cloud would install into, read before anything is registered, and the guard that
refuses one that does not look like a cluster on this machine.

`local` takes whatever the kubeconfig's current context points at. One `kubectl config use-context` too many
and `pulumi up` would put Istio, cert-manager and the dashboards on a production cluster, so the `local` cloud
accepts only a context that looks local (a kind, k3d, minikube, Docker Desktop, Rancher Desktop or OrbStack
context name, or an API server on this machine), unless the stack names `kubernetes.context` itself.

The kubeconfig is found the way the program's Kubernetes provider finds it: `kubernetes.kubeconfig` (a path or
the contents), else `$KUBECONFIG` (the Python SDK hands it to the provider, which reads it as one path or as the
contents: pulumi-kubernetes v4.32 provider/pkg/provider/util.go, parseKubeconfigString), else ~/.kube/config
(client-go's default loading rules).

`$KUBECONFIG` may also list several files (`a:b`, the documented way to combine kubeconfigs), which the provider
would read as one path and fail on. They are merged here as kubectl merges them (kubernetes.io, "Organizing
Cluster Access Using kubeconfig Files", merging rules; client-go tools/clientcmd loader.go, Load): empty names and
missing files skipped, a file that cannot be read or parsed an error, the first file to set a value or a map key
(a cluster, context or user by name) wins, and relative paths in a file are relative to that file's directory.
The guard judges the merged current context, and the provider is handed the merged kubeconfig (a secret).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pulumi
import yaml

from settings.cloud import KubernetesSettings
from settings.loader import SettingsError

# The context names the local cluster tools write into the kubeconfig: kind (`kind-<cluster>`), k3d
# (`k3d-<cluster>`), minikube (the profile, `minikube` by default), Docker Desktop, Rancher Desktop, OrbStack.
LOCAL_CONTEXT_PREFIXES = ("kind-", "k3d-")
LOCAL_CONTEXT_NAMES = ("minikube", "docker-desktop", "rancher-desktop", "orbstack")


@dataclass(frozen=True)
class KubeContext:
    """The context the provider would use, and where it was read."""

    source: str  # the kubeconfig it was read from, as the error shows it
    name: str | None = None  # the current context; None when the kubeconfig has none
    server: str | None = None  # its cluster's API server; None when the cluster is not in the kubeconfig
    problem: str | None = None  # why no context could be read (no kubeconfig, unreadable, not YAML)
    # The merged kubeconfig when $KUBECONFIG lists several files (the provider cannot read such a list); None
    # when the provider reads the kubeconfig itself.
    merged: str | None = None


def read_context(
    settings: KubernetesSettings, environ: Mapping[str, str] | None = None, home: Path | None = None
) -> KubeContext:
    """The context the provider would use (`kubernetes.context`, else the kubeconfig's current one) and its
    cluster's server."""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    if settings.kubeconfig:
        return _parse(settings.kubeconfig, "kubernetes.kubeconfig", home, settings.context)
    if environ.get("KUBECONFIG"):
        value = environ["KUBECONFIG"]
        files = _listed_files(value)
        if files is not None:
            return _merge(files, f"$KUBECONFIG ({value})", home, settings.context)
        return _parse(value, f"$KUBECONFIG ({value})", home, settings.context)
    default = home / ".kube" / "config"
    if not default.is_file():
        missing = "no kubeconfig: $KUBECONFIG is not set and ~/.kube/config does not exist"
        return KubeContext(str(default), problem=missing)
    return _parse(str(default), str(default), home, settings.context)


def _listed_files(value: str) -> list[str] | None:
    """The files of a $KUBECONFIG that lists several (os.pathsep between them); None for one path or contents
    (contents span lines, a path never does)."""
    if "\n" in value or os.pathsep not in value:
        return None
    return list(dict.fromkeys(name for name in value.split(os.pathsep) if name))  # kubectl skips empty names


def _merge(files: list[str], source: str, home: Path, context: str | None = None) -> KubeContext:
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    found = []
    for name in files:
        path = _expand(name, home)
        if not path.is_file():
            continue  # kubectl ignores a missing file of the list
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as error:
            return KubeContext(source, problem=f"cannot read the kubeconfig {name}: {error}")
        if not isinstance(document, dict):
            return KubeContext(source, problem=f"{name} is not a kubeconfig")
        found.append(name)
        _merge_into(merged, document, path.resolve().parent)
    if not found:
        return KubeContext(source, problem="none of the files it lists exists")
    current = context or merged.get("current-context") or None
    text = yaml.safe_dump(merged, sort_keys=False)
    return KubeContext(source, name=current, server=_server(merged, current) if current else None, merged=text)


# Relative file references a kubeconfig entry may hold, resolved against the file's directory (client-go
# ResolveLocalPaths: a cluster's certificate-authority, a user's client-certificate, client-key and tokenFile).
RELATIVE_PATHS = {
    "clusters": ("cluster", ("certificate-authority",)),
    "users": ("user", ("client-certificate", "client-key", "tokenFile")),
}


def _merge_into(merged: dict[str, Any], document: dict[str, Any], directory: Path) -> None:
    """One more file of the list: it sets only what the files before it left unset."""
    for key, value in document.items():
        if key in ("clusters", "contexts", "users"):
            entries = merged.setdefault(key, [])
            taken = {entry.get("name") for entry in entries}
            for entry in value if isinstance(value, list) else []:
                if isinstance(entry, dict) and entry.get("name") not in taken:
                    entries.append(_resolved(key, entry, directory))
                    taken.add(entry.get("name"))
        elif key not in merged or merged[key] in (None, "", {}, []):
            merged[key] = value


def _resolved(key: str, entry: dict[str, Any], directory: Path) -> dict[str, Any]:
    field, names = RELATIVE_PATHS.get(key, ("", ()))
    body = entry.get(field)
    if not isinstance(body, dict):
        return entry
    resolved = {
        name: str(directory / value)
        if name in names and isinstance(value, str) and value and not Path(value).is_absolute()
        else value
        for name, value in body.items()
    }
    return {**entry, field: resolved}


def _expand(name: str, home: Path) -> Path:
    return Path(home, name[2:]) if name.startswith("~/") else Path(name)


def _parse(path_or_contents: str, source: str, home: Path, context: str | None = None) -> KubeContext:
    path = _expand(path_or_contents, home)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):  # contents given inline: too long for a path, or not one at all
        is_file = False
    try:
        text = path.read_text() if is_file else path_or_contents
    except OSError as error:
        return KubeContext(source, problem=f"cannot read the kubeconfig: {error}")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        document = None
    if not isinstance(document, dict):
        return KubeContext(source, problem="neither a kubeconfig file nor kubeconfig contents")
    name = context or document.get("current-context") or None
    return KubeContext(source, name=name, server=_server(document, name) if name else None)


def _server(document: dict[str, Any], context_name: str) -> str | None:
    context = _named(document.get("contexts"), context_name).get("context") or {}
    cluster = _named(document.get("clusters"), context.get("cluster")).get("cluster") or {}
    server = cluster.get("server")
    return server if isinstance(server, str) else None


def _named(entries: Any, name: Any) -> dict[str, Any]:
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry
    return {}


def looks_local(context: KubeContext) -> bool:
    """A context name a local cluster tool writes, or an API server on this machine."""
    name = context.name or ""
    if name.startswith(LOCAL_CONTEXT_PREFIXES) or name in LOCAL_CONTEXT_NAMES:
        return True
    return context.server is not None and _on_this_machine(context.server)


def _on_this_machine(server: str) -> bool:
    host = urlsplit(server if "//" in server else f"//{server}").hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    # k3d writes https://0.0.0.0:<port>: connecting to the unspecified address reaches this machine.
    return address.is_loopback or address.is_unspecified


def local_context_problem(settings: KubernetesSettings, context: KubeContext) -> str | None:
    """Why `local` must not run against this context; None when it may (it looks local, or the stack named it)."""
    if settings.context is not None:
        return None
    if context.name is not None and looks_local(context):
        return None
    confirm = (
        "see it with `kubectl config current-context` and `kubectl cluster-info`; switch to your local cluster "
        "(`kubectl config use-context kind-mesh`), or, if you mean this cluster, name it: "
        "`pulumi config set --path kubernetes.context <context>`"
    )
    accepted = (
        f"a context named {', '.join(p + '*' for p in LOCAL_CONTEXT_PREFIXES)}, {', '.join(LOCAL_CONTEXT_NAMES)}, "
        "or with an API server on loopback"
    )
    if context.problem is not None:
        unknown = f"cloud local cannot tell which cluster it would install into ({context.problem})"
        return f"kubernetes.context: {unknown}; {confirm}"
    if context.name is None:
        return f"kubernetes.context: the kubeconfig {context.source} has no current context; {confirm}"
    where = f"API server {context.server}" if context.server else "its cluster is not in the kubeconfig"
    return (
        f"kubernetes.context: cloud local would install into the current context {context.name!r} ({where}, "
        f"from {context.source}), which does not look like a cluster on this machine ({accepted}); {confirm}"
    )


def check_local_context(settings: KubernetesSettings) -> None:
    """Refuse, before anything is registered, a `local` stack aimed at a cluster that does not look local."""
    problem = local_context_problem(settings, read_context(settings))
    if problem is not None:
        raise SettingsError([problem])


def provider_kubeconfig(settings: KubernetesSettings) -> pulumi.Input[str] | None:
    """The kubeconfig the Kubernetes provider is given: `kubernetes.kubeconfig`, else the merged one when
    $KUBECONFIG lists several files (a secret: it holds the users' credentials), else None (the provider reads
    $KUBECONFIG or ~/.kube/config itself)."""
    if settings.kubeconfig:
        return settings.kubeconfig
    merged = read_context(settings).merged
    return pulumi.Output.secret(merged) if merged is not None else None


# The Istio platform a local cluster tool's context name says (k3d writes `k3d-<cluster>`, minikube its profile
# `minikube`); kind, and any other name, take the charts' defaults.
PLATFORM_BY_CONTEXT_PREFIX = {"k3d-": "k3d"}
PLATFORM_BY_CONTEXT_NAME = {"minikube": "minikube"}


def detected_platform(settings: KubernetesSettings, context: KubeContext) -> str | None:
    """The node agents' platform for the context the stack installs into (`kubernetes.context`, else the current
    one), when its name says it; None otherwise (kind's, k3s', microk8s' names say nothing reliable)."""
    name = settings.context or context.name or ""
    for prefix, platform in PLATFORM_BY_CONTEXT_PREFIX.items():
        if name.startswith(prefix):
            return platform
    return PLATFORM_BY_CONTEXT_NAME.get(name)
