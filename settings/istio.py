"""`istio`: the control plane's revisions and releases, and the upgrade steps Istio supports between them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from definitions import versions
from definitions.addresses import UNREVISIONED
from settings import dataplane
from settings.fields import DNS_LABEL, Section
from settings.installed import InstalledIstio

if TYPE_CHECKING:
    from settings.model import Settings


def _istio_version(value: str) -> str:
    versions.check_istio_version(value)
    return value


IstioVersion = Annotated[str, AfterValidator(_istio_version)]


# A revision's istiod Service is `istiod-<revision>`, a DNS-1035 label of at most 63 characters
# (istio/istio 1.30.3 manifests/charts/istio-control/istio-discovery/templates/service.yaml).
REVISION_NAME_MAX = 63 - len("istiod-")


# The istiod chart names the `default` tag's Service `istiod-revision-tag-default` (templates/revision-tags-svc.yaml):
# a revision named `revision-tag-...` would render a Service of the same name.
_TAG_SERVICE_PREFIX = "revision-tag-"


def _revision_name(value: str) -> str:
    if "." in value:
        raise ValueError(
            f"{value!r} contains a dot: Istio revision names are DNS-1123 labels without dots (e.g. 1-31-0)"
        )
    if len(value) > REVISION_NAME_MAX or not DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a revision name: a DNS-1123 label (lower-case letters, digits and '-') of at most "
            f"{REVISION_NAME_MAX} characters, so that its Service istiod-<revision> is a valid name"
        )
    if value.startswith(_TAG_SERVICE_PREFIX):
        raise ValueError(f"{value!r} would name its Service like the default tag's (istiod-revision-tag-...)")
    return value


RevisionName = Annotated[str, AfterValidator(_revision_name)]


class IstioRevisionSettings(Section):
    """One istiod control plane: a revision name and the Istio release (= chart version) it runs."""

    name: RevisionName
    version: IstioVersion


class IstioSettings(Section):
    """The control plane: `version` alone (one revision), or `revisions` (one or two) and `defaultRevision`.

    `version: X` is the shorthand for `revisions: [{name: default, version: X}]`, `defaultRevision: default`:
    the revision `default` is the unrevisioned istiod (Pulumi resource `istio-istiod`, release `istiod`, no
    `revision` value), exactly what stacks installed before revisions existed, so their next `up` changes no
    control-plane object, and a second revision can be listed beside `default` later without touching it.
    """

    shorthand_version: IstioVersion | None = Field(
        None, alias="version", description="one revision, `default`, at this Istio release (the default: 1.31.4)"
    )
    revisions: tuple[IstioRevisionSettings, ...] | None = Field(
        None, description="one or two istiod revisions installed side by side (canary upgrades)"
    )
    default_revision: str | None = Field(
        None,
        description="the revision behind the `default` tag: istio-injection=enabled, validation, the ingress gateway",
    )
    access_logs: bool = Field(True, description="Envoy access logs to stdout (meshConfig.accessLogFile)")
    allow_unsupported: bool = Field(
        False,
        description="accept an Istio minor past its end of support as the only or the default revision (stacks/"
        "support.py): to stand up or keep the old side of an upgrade knowingly",
    )

    @property
    def installed(self) -> tuple[IstioRevisionSettings, ...]:
        if self.revisions is not None:
            return self.revisions
        version = self.shorthand_version or versions.ISTIO_DEFAULT_VERSION
        return (IstioRevisionSettings.model_validate({"name": UNREVISIONED, "version": version}),)

    @property
    def default(self) -> str:
        """The revision behind the `default` tag (settings/istio.py refuses a name that is not installed)."""
        if self.default_revision is not None:
            return self.default_revision
        return self.installed[0].name

    @property
    def version(self) -> str:
        """The default revision's Istio release (the gateway chart's version)."""
        return next((r.version for r in self.installed if r.name == self.default), self.installed[0].version)


# Istio supports a canary across at most two minor versions (1.x beside 1.x+2), and an in-place upgrade
# from the previous minor only (istio.io content/en/docs/setup/upgrade/canary and .../upgrade/in-place).
CANARY_MAX_MINORS = 2


IN_PLACE_MAX_MINORS = 1


def istio_revision_problems(settings: Settings) -> list[str]:
    """One or two revisions, distinct, within a supported canary distance, a default among them, pins to them."""
    istio = settings.istio
    problems = []
    if istio.revisions is not None and istio.shorthand_version is not None:
        problems.append("istio.version: give either istio.version (one revision) or istio.revisions, not both")
    if istio.revisions is None and istio.default_revision is not None:
        problems.append(
            "istio.defaultRevision: only with istio.revisions "
            f"(istio.version installs the one revision {UNREVISIONED!r})"
        )
    revisions = istio.installed
    names = [r.name for r in revisions]
    if not 1 <= len(revisions) <= 2:
        problems.append(f"istio.revisions: {len(revisions)} given; give one or two (the serving revision and a canary)")
    for kind, values in (("name", names), ("version", [r.version for r in revisions])):
        for value in sorted({v for v in values if values.count(v) > 1}):
            problems.append(f"istio.revisions: {kind} {value} is used twice; each revision needs its own {kind}")
    if istio.default_revision is None and len(revisions) > 1:
        problems.append(f"istio.defaultRevision: required with two revisions; one of {', '.join(names)}")
    elif istio.default_revision is not None and istio.default_revision not in names:
        problems.append(
            f"istio.defaultRevision: {istio.default_revision!r} is not one of the revisions ({', '.join(names)})"
        )
    minors = sorted(versions.parse_istio_version(r.version)[:2] for r in revisions)
    if len(minors) == 2 and (minors[0][0] != minors[1][0] or minors[1][1] - minors[0][1] > CANARY_MAX_MINORS):
        apart = " and ".join(r.version for r in revisions)
        problems.append(
            f"istio.revisions: {apart} are more than {CANARY_MAX_MINORS} minor versions apart; Istio supports a "
            f"canary across at most {CANARY_MAX_MINORS} minors: upgrade in smaller steps"
        )
    for index, namespace in enumerate(settings.mesh.namespaces):
        key = f"mesh.injectedNamespaces[{index}].revision"
        if namespace.revision == UNREVISIONED:
            problems.append(
                f"{key}: {UNREVISIONED!r} is the unrevisioned istiod, reached only through the default tag "
                "(istio.io/rev=default); list the namespace by name to follow the default revision"
            )
        elif namespace.revision is not None and namespace.revision not in names:
            problems.append(f"{key}: {namespace.revision!r} is not one of istio.revisions ({', '.join(names)})")
    return problems


def installed_istio_problems(settings: Settings, installed: InstalledIstio) -> list[str]:
    """Steps that are unsafe from what the previous `up` installed (the stack's own outputs, settings/installed.py).

    Each runbook step is one `up`: a step that does two of them at once, or an in-place jump Istio does not
    support, is refused here.
    """
    istio = settings.istio
    problems = []
    names = [r.name for r in istio.installed]
    for index, revision in enumerate(istio.installed):
        before = installed.revisions.get(revision.name)
        if before is None:
            continue
        (old_major, old_minor, _), (new_major, new_minor, _) = map(
            versions.parse_istio_version, (before, revision.version)
        )
        if old_major != new_major or abs(new_minor - old_minor) > IN_PLACE_MAX_MINORS:
            key = "istio.version" if istio.revisions is None else f"istio.revisions[{index}].version"
            problems.append(
                f"{key}: revision {revision.name!r} runs {before}; "
                f"an in-place change to {revision.version} is more than "
                f"{IN_PLACE_MAX_MINORS} minor version; add a canary revision at {revision.version} instead"
            )
    if installed.default not in names:
        problems.append(
            f"istio.revisions: {installed.default!r} is still the default revision (installed); move "
            "istio.defaultRevision in one up, then remove the revision in the next"
        )
    for namespace, pinned in sorted(installed.namespaces.items()):
        if pinned not in names and pinned != installed.default:
            problems.append(
                f"istio.revisions: {pinned!r} is still pinned by namespace {namespace} (installed); pin it to another "
                "revision and restart its workloads in one up, then remove the revision in the next"
            )
    if istio.default != installed.default and istio.default not in installed.revisions:
        problems.append(
            f"istio.defaultRevision: {istio.default!r} is not installed yet; add it in one up and move the default "
            "in the next (the default tag, the validator and the gateway would point at an istiod not yet serving)"
        )
    return problems + node_agent_problems(settings, installed)


def node_agent_problems(settings: Settings, installed: InstalledIstio) -> list[str]:
    """istio-cni and ztunnel have no canary: they follow the default revision in place, after the control plane,
    and a node agent at 1.x works with control planes 1.x and 1.x+1 only (istio.io ambient upgrade runbook). So
    the default revision may move at most one minor ahead of the running agents, and never behind them."""
    if installed.node_agents is None or not dataplane.cni_installed(settings):
        return []
    istio = settings.istio
    (old_major, old_minor, _), (new_major, new_minor, _) = map(
        versions.parse_istio_version, (installed.node_agents, istio.version)
    )
    if old_major == new_major and 0 <= new_minor - old_minor <= IN_PLACE_MAX_MINORS:
        return []
    if istio.revisions is None:
        key = "istio.version"
    elif istio.default != installed.default:
        key = "istio.defaultRevision"
    else:
        key = f"istio.revisions[{[r.name for r in istio.installed].index(istio.default)}].version"
    where = (
        "ahead of the default revision's control plane"
        if (new_major, new_minor) < (old_major, old_minor)
        else f"more than {IN_PLACE_MAX_MINORS} minor behind it"
    )
    return [
        f"{key}: istio-cni and ztunnel run {installed.node_agents} and follow the default revision in place (no "
        f"canary); moving it to {istio.version} would leave them {where} until they are upgraded; move the "
        f"default revision one minor at a time, never below the agents' {old_major}.{old_minor}"
    ]
