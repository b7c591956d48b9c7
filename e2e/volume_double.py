"""Test double for a volume provisioner: the loopback cluster has no storage, so a PersistentVolumeClaim (the
`production` profile's Prometheus and Grafana) would stay Pending and `up` would wait for it until its timeout.

While the e2e runs, a thread gives every Pending claim a hostPath PersistentVolume of its size, access modes and
storage class, pre-bound to it (claimRef); the controller manager's volume binder does the binding. Nothing is
written anywhere: no container runs. What a real provisioner does (zones, WaitForFirstConsumer) is untested.
"""

from __future__ import annotations

from typing import Any

from e2e.cluster import LoopbackCluster
from e2e.controller_double import ControllerDouble


class VolumeDouble(ControllerDouble):
    name = "volume-double"

    def __init__(self, cluster: LoopbackCluster, interval: float = 1.0):
        super().__init__(cluster, interval)
        self.provisioned: list[str] = []

    def reconcile(self) -> None:
        for claim in self.cluster.get("/api/v1/persistentvolumeclaims")["items"]:
            if claim.get("status", {}).get("phase") == "Pending" and not claim["spec"].get("volumeName"):
                self._provision(claim)

    def _provision(self, claim: dict[str, Any]) -> None:
        metadata, spec = claim["metadata"], claim["spec"]
        name = f"e2e-{metadata['namespace']}-{metadata['name']}"[:63]
        self.cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": name},
                "spec": {
                    "capacity": {"storage": spec["resources"]["requests"]["storage"]},
                    "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                    "storageClassName": spec.get("storageClassName") or "",
                    "persistentVolumeReclaimPolicy": "Delete",
                    "hostPath": {"path": f"/e2e-volumes/{name}"},
                    "claimRef": {"namespace": metadata["namespace"], "name": metadata["name"], "uid": metadata["uid"]},
                },
            },
            manager="volume-double",
        )
        self.provisioned.append(f"{metadata['namespace']}/{metadata['name']}")
