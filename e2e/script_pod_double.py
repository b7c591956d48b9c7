"""Test double for a kubelet running one of the stack's script Jobs (the certificate wait, incluster/): kwok runs no
container, so a Job's pod would otherwise succeed without its script ever running.

While a fault scenario needs the script's real verdict (e2e/faults.py, "the certificate cannot be issued"), kwok
runs with the stage e2e/fixtures/kwok/script-pod-held.yaml, which gives the pods of `app` label `label` an IP and
leaves them Pending, where no other stage touches them; this thread then runs each such pod's script from its
ConfigMap, as the pod would: against the API server, with a token of the pod's own service account (a
TokenRequest: the Job's Role is what lets it read), and ends the pod as the kubelet would: Succeeded or Failed with
the script's output as its container's termination message (`FallbackToLogsOnError`), which the Job controller
and the provider then read. The Python that runs it is the e2e's, not the pinned image's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from e2e.cluster import LoopbackCluster
from e2e.controller_double import ControllerDouble

# The kubelet keeps at most this much of a termination message (the API's limit for one container).
MESSAGE_BYTES = 4096


class ScriptPodDouble(ControllerDouble):
    name = "script-pod-double"

    def __init__(self, cluster: LoopbackCluster, label: str, interval: float = 1.0):
        super().__init__(cluster, interval)
        self.label = label
        self.ran: list[str] = []

    def reconcile(self) -> None:
        pods = self.cluster.get(f"/api/v1/pods?labelSelector=app%3D{self.label}")["items"]
        for pod in pods:
            status = pod.get("status") or {}
            if status.get("phase") == "Pending" and status.get("podIP") and pod["metadata"]["uid"] not in self.ran:
                self.ran.append(pod["metadata"]["uid"])
                self._run(pod)

    def _run(self, pod: dict[str, Any]) -> None:
        namespace, spec = pod["metadata"]["namespace"], pod["spec"]
        container = spec["containers"][0]
        config_map = next(v["configMap"]["name"] for v in spec["volumes"] if "configMap" in v)
        data = self.cluster.get(f"/api/v1/namespaces/{namespace}/configmaps/{config_map}")["data"]
        token = self.cluster.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{spec['serviceAccountName']}/token",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}},
        )["status"]["token"]
        with tempfile.TemporaryDirectory() as scratch:
            directory = Path(scratch)
            for key, value in data.items():
                (directory / key).write_text(value)
            (directory / "token").write_text(token)
            script = next(key for key in data if key.endswith(".py"))
            config_key = next(key for key in data if key.endswith(".json"))
            config = json.loads(data[config_key])
            config["api"] = {
                "url": self.cluster.server,
                "tokenFile": str(directory / "token"),
                "caFile": str(self.cluster.directory / "pki" / "apiserver.crt"),
            }
            (directory / config_key).write_text(json.dumps(config))
            done = subprocess.run(
                [sys.executable, str(directory / script), str(directory / config_key)],
                capture_output=True,
                text=True,
                timeout=config.get("waitSeconds", 120) + 30,
            )
        output = (done.stdout + done.stderr)[-MESSAGE_BYTES:]
        terminated = {
            "exitCode": done.returncode,
            "reason": "Completed" if done.returncode == 0 else "Error",
            "message": output,
            "startedAt": pod["metadata"]["creationTimestamp"],
            "finishedAt": pod["metadata"]["creationTimestamp"],
        }
        # The conditions a kubelet sets on a pod whose containers ended: the provider's pod checks read them.
        conditions = [
            {"type": kind, "status": "False", "reason": "PodCompleted" if done.returncode == 0 else "PodFailed"}
            for kind in ("Ready", "ContainersReady")
        ]
        status = {
            "status": {
                "phase": "Succeeded" if done.returncode == 0 else "Failed",
                "conditions": [{"type": "PodScheduled", "status": "True"}, *conditions],
                "containerStatuses": [
                    {
                        "name": container["name"],
                        "image": container["image"],
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "state": {"terminated": terminated},
                    }
                ],
            }
        }
        self.cluster.request(
            "PATCH",
            f"/api/v1/namespaces/{namespace}/pods/{pod['metadata']['name']}/status",
            status,
            "application/merge-patch+json",
        )
