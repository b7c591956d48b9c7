"""A Kubernetes cluster on loopback for the e2e: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
kwok with a few fake nodes, every one a real upstream binary (e2e/toolchain) on a free 127.0.0.1 port.

Stands in for a real cluster (kind, GKE, EKS) where no container can run. What that changes, and what it leaves
untested:
- Admission webhooks: the API server runs without the MutatingAdmissionWebhook and ValidatingAdmissionWebhook
  plugins (as envtest-style harnesses do), because no webhook server can answer and the stack's webhooks
  (Istio's validator and injectors, cert-manager's webhook) have failurePolicy Fail: with the plugins on, every
  object they match would be refused. The webhook configurations are still created, validated and diffed;
  what they would do (injection, Istio's validation of its own resources) is untested here.
  ValidatingAdmissionPolicy is in-process CEL and stays on: a bundle's policies are enforced.
- kwok fakes kubelets only: the scheduler binds pods to the fake nodes, kwok's stages mark them Running and
  Ready (pods owned by a Job: Succeeded), the controller manager runs Deployments, ReplicaSets, Jobs,
  namespace finalization and garbage collection. Readiness probes are never executed: Ready means scheduled.
- No load balancer controller: a LoadBalancer Service never gets an address, so the e2e stacks use NodePort
  (the `local` default) and nothing that awaits a load balancer's address is exercised.
- No controller writes custom resources' status: e2e/cert_manager_double.py plays cert-manager for the
  Certificates `up` awaits.

Logs of every process are in the cluster's directory, kept (and printed) when a run fails.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ADMIN_TOKEN_USER = "e2e-admin"
NODE_ANNOTATION = {"kwok.x-k8s.io/node": "fake"}
SERVICE_CIDR = "10.96.0.0/16"
NODE_COUNT = 3


CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
# Retries of an API call the API server answered 429 (Too Many Requests) with (request).
RETRIES = 10


class ClusterError(RuntimeError):
    """The cluster did not start (or stopped): the message names the process and its log."""


def die_with_parent() -> None:
    """Linux's PR_SET_PDEATHSIG: a cluster process gets SIGTERM when the e2e dies (killed by CI's time limit, say),
    so a killed run leaves no etcd or API server behind."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    command: list[str]


@dataclass
class LoopbackCluster:
    directory: Path
    bin_dirs: dict[str, Path]
    processes: list[Process] = field(default_factory=list)
    api_port: int = 0
    token: str = "e2e-admin-token"

    @property
    def kubeconfig(self) -> Path:
        return self.directory / "kubeconfig"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    def binary(self, piece: str, name: str) -> str:
        return str(self.bin_dirs[piece] / name)

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        pki = self.directory / "pki"
        pki.mkdir(exist_ok=True)
        openssl("genrsa", "-out", str(pki / "sa.key"), "2048")
        openssl("rsa", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub"))
        (pki / "tokens.csv").write_text(f"{self.token},{ADMIN_TOKEN_USER},e2e-admin-uid,system:masters\n")

        etcd_client, etcd_peer = free_port(), free_port()
        self._spawn(
            "etcd",
            [
                self.binary("etcd", "etcd"),
                f"--data-dir={self.directory / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{etcd_client}",
                f"--advertise-client-urls=http://127.0.0.1:{etcd_client}",
                f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
                f"--initial-cluster=default=http://127.0.0.1:{etcd_peer}",
                "--unsafe-no-fsync",
                "--quota-backend-bytes=4294967296",
            ],
        )
        self._wait(f"http://127.0.0.1:{etcd_client}/health", "etcd", 60)

        self.api_port = free_port()
        self._spawn(
            "kube-apiserver",
            [
                self.binary("kube", "kube-apiserver"),
                f"--etcd-servers=http://127.0.0.1:{etcd_client}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.api_port}",
                f"--cert-dir={pki}",  # a self-signed serving certificate for 127.0.0.1 and localhost
                f"--token-auth-file={pki / 'tokens.csv'}",
                "--authorization-mode=RBAC",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                # No webhook server can answer on a cluster without containers (see the module docstring).
                "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
                "--allow-privileged=true",
                "--enable-priority-and-fairness=false",
                "--profiling=false",
            ],
        )
        self._wait(f"{self.server}/readyz", "kube-apiserver", 120, token=self.token)
        self._write_kubeconfig()

        kubeconfig = f"--kubeconfig={self.kubeconfig}"
        self._spawn(
            "kube-controller-manager",
            [
                self.binary("kube", "kube-controller-manager"),
                kubeconfig,
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                f"--root-ca-file={pki / 'apiserver.crt'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--leader-elect=false",
                # Quick enough for a test: namespaces finalize and Deployments roll in seconds.
                "--concurrent-deployment-syncs=10",
                "--concurrent-namespace-syncs=10",
            ],
        )
        self._spawn(
            "kube-scheduler",
            [
                self.binary("kube", "kube-scheduler"),
                kubeconfig,
                f"--authentication-kubeconfig={self.kubeconfig}",
                f"--authorization-kubeconfig={self.kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                "--leader-elect=false",
            ],
        )
        kwok_dir = self.bin_dirs["kwok"]
        stages = sorted(str(p) for p in (kwok_dir / "stages").glob("*.yaml"))
        self._spawn(
            "kwok",
            [
                self.binary("kwok", "kwok"),
                kubeconfig,
                *[f"--config={stage}" for stage in stages],
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                "--node-ip=127.0.0.1",
                "--node-lease-duration-seconds=40",
                f"--server-address=127.0.0.1:{free_port()}",
            ],
        )
        for index in range(NODE_COUNT):
            self.apply(fake_node(f"kwok-node-{index}", zone=f"zone-{index % 2}"))
        self._wait_nodes_ready()

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in reversed(self.processes):
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()
        self.processes.clear()

    def check_alive(self) -> None:
        for process in self.processes:
            code = process.popen.poll()
            if code is not None:
                raise ClusterError(f"{process.name} exited with {code}; log: {process.log}\n{tail(process.log)}")

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} ({p.log}) =====\n{tail(p.log, 60)}" for p in self.processes)

    def _spawn(self, name: str, command: list[str], mode: str = "wb") -> None:
        log = self.directory / f"{name}.log"
        handle = log.open(mode)
        popen = subprocess.Popen(
            command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent
        )
        self.processes.append(Process(name, popen, log, command))

    # -- faults: one process stopped, and started again with the same flags and data ---------------------------

    def stop_process(self, name: str) -> list[str]:
        """Stops one of the cluster's processes (an API server outage, a kwok restart); returns its command."""
        process = next(p for p in self.processes if p.name == name)
        process.popen.terminate()
        try:
            process.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:  # the API server drains its watches for a minute: an outage is abrupt
            process.popen.kill()
            process.popen.wait()
        self.processes.remove(process)
        return process.command

    def start_process(self, name: str, command: list[str]) -> None:
        """Starts a stopped process again (its log appended), and waits for the API server when it is that."""
        self._spawn(name, command, mode="ab")
        if name == "kube-apiserver":
            self._wait(f"{self.server}/readyz", name, 120, token=self.token)

    def kwok_stages(self) -> list[Path]:
        """The stages kwok runs with (its --config files)."""
        command = next(p.command for p in self.processes if p.name == "kwok")
        return [Path(arg.split("=", 1)[1]) for arg in command if arg.startswith("--config=")]

    def restart_kwok(self, stages: list[Path]) -> None:
        """kwok reads its stages at start only: a fault that holds pods un-ready or fails them restarts it with
        `stages`, every other flag unchanged."""
        command = [arg for arg in self.stop_process("kwok") if not arg.startswith("--config=")]
        # A kwok manages the nodes whose lease it holds: the stopped one's leases would keep the new one off the
        # nodes (and their pods) until they expire (--node-lease-duration-seconds).
        for lease in self.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases")["items"]:
            name = lease["metadata"]["name"]
            self.request("DELETE", f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}")
        self.start_process("kwok", [*command, *[f"--config={stage}" for stage in stages]])

    def _wait(self, url: str, name: str, seconds: float, token: str | None = None) -> None:
        deadline = time.monotonic() + seconds
        last = ""
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                request = urllib.request.Request(url)
                if token:
                    request.add_header("Authorization", f"Bearer {token}")
                with urllib.request.urlopen(request, timeout=5, context=insecure()) as response:
                    if response.status == 200:
                        return
            except OSError as error:
                last = str(error)
            time.sleep(0.5)
        raise ClusterError(f"{name} not ready after {seconds:.0f} s ({last}); log: {self.directory / name}.log")

    def _wait_nodes_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.check_alive()
            nodes = self.get("/api/v1/nodes")["items"]
            ready = [n for n in nodes if condition(n, "Ready") == "True"]
            if len(ready) == NODE_COUNT:
                return
            time.sleep(1)
        raise ClusterError(f"kwok did not make {NODE_COUNT} nodes Ready in {seconds:.0f} s")

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "e2e", "cluster": {"server": self.server, "insecure-skip-tls-verify": True}}],
            "users": [{"name": ADMIN_TOKEN_USER, "user": {"token": self.token}}],
            "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": ADMIN_TOKEN_USER}}],
            "current-context": "e2e",
        }
        self.kubeconfig.write_text(json.dumps(config, indent=2))

    # -- a small client --------------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        """One API call. A 429 (the API server's `storage is (re)initializing` while a new CRD's watch cache fills,
        with a Retry-After) is retried as client-go retries it, up to RETRIES times."""
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(RETRIES + 1):
            request = urllib.request.Request(self.server + path, data=data, method=method)
            request.add_header("Authorization", f"Bearer {self.token}")
            if data is not None:
                request.add_header("Content-Type", content_type)
            try:
                with urllib.request.urlopen(request, timeout=30, context=insecure()) as response:
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                if error.code != 429 or attempt == RETRIES:
                    raise
                time.sleep(min(float(error.headers.get("Retry-After") or 1), 5))
        raise AssertionError("unreachable")

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def get_or_none(self, path: str) -> Any:
        try:
            return self.get(path)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def requeue_stuck_crd_deletions(self) -> list[str]:
        """Touch every CRD whose deletion the API server has given up on until its next resync, so it retries now.

        Deleting a CRD makes the API server rebuild the CRD's storage; its finalizer then lists the instances and,
        if the new watch cache is still initializing, fails ("storage is (re)initializing", the condition
        Terminating/InstanceDeletionFailed). Its retry finds the CRD changed (that condition), takes the conflict
        for "we'll get called again" and drops the key, and a change of that condition alone never requeues it:
        the deletion waits for the informer's resync, up to 5 minutes (k8s.io/apiextensions-apiserver v0.37.1
        pkg/controller/finalizer/crd_finalizer.go, sync and updateCustomResourceDefinition). Seen in this e2e on
        a CRD deleted 21 s after it was made. Any other change requeues it: an annotation. Returns their names."""
        stuck = [
            crd["metadata"]["name"]
            for crd in self.get(CRDS)["items"]
            if crd["metadata"].get("deletionTimestamp")
            and any(
                c["type"] == "Terminating" and c.get("reason") == "InstanceDeletionFailed"
                for c in crd.get("status", {}).get("conditions", [])
            )
        ]
        for name in stuck:
            patch = {"metadata": {"annotations": {"e2e.service-mesh/requeued": str(time.time())}}}
            self.request("PATCH", f"{CRDS}/{name}", patch, "application/merge-patch+json")
        return stuck

    def crd_names(self) -> set[str]:
        return {crd["metadata"]["name"] for crd in self.get(CRDS)["items"]}

    def await_crds_deleted(self, names: set[str], seconds: float) -> bool:
        """Until none of `names` is left (deletions already issued), requeuing those the API server dropped
        (requeue_stuck_crd_deletions); whether they went within `seconds`."""
        deadline = time.monotonic() + seconds
        while names & self.crd_names():
            if time.monotonic() >= deadline:
                return False
            requeued = self.requeue_stuck_crd_deletions()
            if requeued:
                print(f"e2e: CRD deletions requeued: {', '.join(requeued)}", flush=True)
            time.sleep(2)
        return True

    def apply(self, obj: dict[str, Any], manager: str = "e2e") -> Any:
        """Server-side apply of one cluster-scoped or namespaced object."""
        api = obj["apiVersion"]
        prefix = "/api/v1" if api == "v1" else f"/apis/{api}"
        plural = obj["kind"].lower() + "s"
        namespace = obj["metadata"].get("namespace")
        scope = f"/namespaces/{namespace}" if namespace else ""
        path = f"{prefix}{scope}/{plural}/{obj['metadata']['name']}?fieldManager={manager}&force=true"
        return self.request("PATCH", path, obj, "application/apply-patch+yaml")


def fake_node(name: str, zone: str) -> dict[str, Any]:
    """A Node kwok manages (the annotation); kwok's node-initialize stage gives it its status (Ready, and an
    allocatable of 1k CPUs and 1Ti: room for every pod of the stack). Labels the charts and spreads select on."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": dict(NODE_ANNOTATION),
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/zone": zone,
                "type": "kwok",
            },
        },
    }


def condition(obj: dict[str, Any], kind: str) -> str | None:
    for item in obj.get("status", {}).get("conditions") or []:
        if item.get("type") == kind:
            return str(item.get("status"))
    return None


def insecure() -> ssl.SSLContext:
    """The API server's certificate is self-signed for this run, on loopback only."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def environment_for(cluster: LoopbackCluster) -> dict[str, str]:
    env = dict(os.environ)
    env["KUBECONFIG"] = str(cluster.kubeconfig)
    return env
