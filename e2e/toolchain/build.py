"""Builds the e2e's binaries from the Go module proxy alone, each cached by the hash of its pins.

Stands in for nothing: this is the real Pulumi CLI, Kubernetes provider, etcd, Kubernetes control plane and
kwok, built by the ordinary `go` command from the wrapper modules beside this file (go.mod/go.sum pin every
module; the only sources are the module proxy and those wrappers). A piece's binaries land in
$E2E_CACHE/bin/<piece>-<hash>/, where the hash covers its go.mod, go.sum, main.go, its build recipe below and
the Go version, so a second run builds nothing. GOMODCACHE and GOCACHE live under $E2E_CACHE/go too.

Usage: python -m e2e.toolchain.build [piece ...]   (prints the bin directories, one a line)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


def required(piece: str, module: str) -> str:
    """The version a wrapper module's go.mod pins `module` at (the one place the e2e's Go pins are written)."""
    pattern = rf"^\s*(?:require\s+)?{re.escape(module)} (v\S+)"
    found = re.search(pattern, (HERE / piece / "go.mod").read_text(), re.M)
    if found is None:
        raise SystemExit(f"e2e: {HERE / piece / 'go.mod'} does not require {module}")
    return found.group(1)


# The versions the wrappers pin, stamped into the binaries the way the upstream release builds do
# (Kubernetes hack/lib/version.sh, pulumi .goreleaser.yml, pulumi-kubernetes Makefile): Helm's `kubeVersion`
# checks and `pulumi version` read them.
KUBERNETES_VERSION = required("kube", "k8s.io/kubernetes")
PULUMI_VERSION = required("pulumi", "github.com/pulumi/pulumi/pkg/v3")
# The provider module is served only at the 4.25.0 release commit, which go.mod names by a pseudo-version
# (docs/end-to-end.md).
PROVIDER_VERSION = "4.25.0"
PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4"
HELM_VERSION = required("helm", "helm.sh/helm/v3")


def _kube_ldflags() -> list[str]:
    major, minor = KUBERNETES_VERSION.lstrip("v").split(".")[:2]
    flags = ["-s", "-w"]
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {package}.gitVersion={KUBERNETES_VERSION}",
            f"-X {package}.gitMajor={major}",
            f"-X {package}.gitMinor={minor}",
            f"-X {package}.gitTreeState=clean",
            f"-X {package}.buildDate=1970-01-01T00:00:00Z",
        ]
    return flags


@dataclass(frozen=True)
class Piece:
    name: str
    packages: tuple[str, ...]
    ldflags: tuple[str, ...] = ("-s", "-w")
    tags: str = ""
    # Files copied out of a module in the module cache next to the binaries: (module, path in module, target).
    extra_files: tuple[tuple[str, str, str], ...] = field(default=())


PIECES = {
    p.name: p
    for p in (
        Piece(
            "kube",
            (
                "k8s.io/kubernetes/cmd/kube-apiserver",
                "k8s.io/kubernetes/cmd/kube-controller-manager",
                "k8s.io/kubernetes/cmd/kube-scheduler",
            ),
            tuple(_kube_ldflags()),
        ),
        Piece("etcd", (".",)),
        Piece(
            "kwok",
            ("sigs.k8s.io/kwok/cmd/kwok",),
            # Standalone kwok has no default stages ("no stages found"): the cluster passes these with --config.
            extra_files=tuple(
                ("sigs.k8s.io/kwok", f"kustomize/stage/{path}", f"stages/{Path(path).name}")
                for path in (
                    "node/fast/node-initialize.yaml",
                    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
                    "pod/fast/pod-ready.yaml",
                    "pod/fast/pod-complete.yaml",
                    "pod/fast/pod-delete.yaml",
                )
            ),
        ),
        Piece(
            "pulumi",
            ("github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",),
            ("-s", "-w", f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={PULUMI_VERSION}"),
            tags="osusergo,grpcnotrace",
        ),
        # helm and kubectl for the e2e's comparison with what a user would run instead (e2e/helm_comparison.py):
        # helm's own main from its module (a `tool` line in go.mod keeps it required), kubectl through a tiny main
        # (kubectl/main.go) at the k8s.io/kubectl version helm requires.
        Piece(
            "helm",
            ("helm.sh/helm/v3/cmd/helm", "./kubectl"),
            ("-s", "-w", f"-X helm.sh/helm/v3/internal/version.version={HELM_VERSION}"),
        ),
        Piece(
            "provider",
            (".",),
            ("-s", "-w", f"-X {PROVIDER_MODULE}/pkg/version.Version={PROVIDER_VERSION}"),
        ),
    )
}

BINARIES = {
    "kube": ("kube-apiserver", "kube-controller-manager", "kube-scheduler"),
    "etcd": ("etcd",),
    "kwok": ("kwok",),
    "pulumi": ("pulumi",),
    "provider": ("pulumi-resource-kubernetes",),
    "helm": ("helm", "kubectl"),
}


def cache_root() -> Path:
    return Path(os.environ.get("E2E_CACHE") or Path.home() / ".cache" / "service-mesh-e2e")


def go_env() -> dict[str, str]:
    root = cache_root()
    env = dict(os.environ)
    env.update(
        GOMODCACHE=str(root / "go" / "mod"),
        GOCACHE=str(root / "go" / "build"),
        GOFLAGS="-mod=readonly -buildvcs=false -trimpath",
        # The machine's own Go: never let a go.mod line fetch another toolchain.
        GOTOOLCHAIN="local",
    )
    return env


def require_go() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise SystemExit(
            "e2e: no `go` on PATH (nor /usr/local/go/bin/go): the e2e builds its toolchain from Go modules "
            "and cannot run without Go >= 1.26.6"
        )
    return go


def piece_hash(piece: Piece, go: str) -> str:
    digest = hashlib.sha256()
    go_version = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout
    digest.update(go_version.encode())
    digest.update(repr(piece).encode())
    for path in sorted((HERE / piece.name).rglob("*")):
        if path.suffix in (".mod", ".sum", ".go"):
            # The path under the piece's directory (a piece's own mains may sit in subdirectories).
            relative = path.relative_to(HERE / piece.name).as_posix()
            digest.update(relative.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def module_dir(go: str, module_dir_of: Path, module: str) -> Path:
    """Where a required module's files are, downloading it first (on a fresh machine `go list -m` would name no
    directory for a module no build has needed yet)."""
    out = subprocess.run(
        [go, "mod", "download", "-json", module],
        cwd=module_dir_of,
        env=go_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Path(json.loads(out)["Dir"])


def _write_provider_embeds(go: str, workdir: Path) -> None:
    """What upstream's generate.go does at release time: schema.json with the version stamped, both re-marshalled."""
    source = module_dir(go, workdir, PROVIDER_MODULE) / "cmd" / "pulumi-resource-kubernetes"
    schema = json.loads((source / "schema.json").read_text())
    schema["version"] = PROVIDER_VERSION
    (workdir / "schema-embed.json").write_text(json.dumps(schema))
    mapping = json.loads((source / "terraform-mapping.json").read_text())
    (workdir / "terraform-mapping-embed.json").write_text(json.dumps(mapping))


def build(name: str, log: Path | None = None) -> Path:
    """The bin directory of one piece, built unless its hash is cached."""
    go = require_go()
    piece = PIECES[name]
    target = cache_root() / "bin" / f"{name}-{piece_hash(piece, go)}"
    if (target / ".complete").exists():
        return target
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"e2e-build-{name}-") as scratch:
        workdir = Path(scratch) / "src"
        shutil.copytree(HERE / name, workdir)
        if name == "provider":
            _write_provider_embeds(go, workdir)
        out = Path(scratch) / "bin"
        out.mkdir()
        command = [go, "build", "-ldflags", " ".join(piece.ldflags), "-o", str(out) + "/"]
        if piece.tags:
            command += ["-tags", piece.tags]
        if piece.packages == (".",):
            command[-1] = str(out / BINARIES[name][0])
        command += list(piece.packages)
        result = subprocess.run(command, cwd=workdir, env=go_env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"e2e: building {name} failed:\n{result.stdout}{result.stderr}")
        for module, path, dest in piece.extra_files:
            (out / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(module_dir(go, workdir, module) / path, out / dest)
        seconds = time.monotonic() - started
        (out / ".complete").write_text(json.dumps({"piece": name, "seconds": round(seconds, 1)}) + "\n")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(out), target)
    print(f"e2e: built {name} in {seconds:.0f} s -> {target}", file=sys.stderr)
    return target


def build_all(names: list[str] | None = None) -> dict[str, Path]:
    return {name: build(name) for name in (names or list(PIECES))}


if __name__ == "__main__":
    for directory in build_all(sys.argv[1:] or None).values():
        print(directory)
