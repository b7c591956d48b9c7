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
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from stacks.settings import KubernetesSettings, SettingsError

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
        return _parse(environ["KUBECONFIG"], f"$KUBECONFIG ({environ['KUBECONFIG']})", home, settings.context)
    default = home / ".kube" / "config"
    if not default.is_file():
        missing = "no kubeconfig: $KUBECONFIG is not set and ~/.kube/config does not exist"
        return KubeContext(str(default), problem=missing)
    return _parse(str(default), str(default), home, settings.context)


def _parse(path_or_contents: str, source: str, home: Path, context: str | None = None) -> KubeContext:
    path = Path(home, path_or_contents[2:]) if path_or_contents.startswith("~/") else Path(path_or_contents)
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
