"""Test double for a volume provisioner: the loopback cluster has no storage, so a PersistentVolumeClaim (the
`production` profile's Prometheus and Grafana) would stay Pending and `up` would wait for it until its timeout.

While the e2e runs, a thread gives every Pending claim a hostPath PersistentVolume of its size, access modes and
storage class, pre-bound to it (claimRef); the controller manager's volume binder does the binding. When the claim
is deleted (a `destroy`), the volume is deleted too, as a dynamic provisioner's reclaim policy `Delete` has it: the
controller manager's hostPath deleter refuses any path outside /tmp, so the volume would stay, Failed, and every
later "nothing left behind" check would find it. Nothing is written anywhere: no container runs. What a real
provisioner does (zones, WaitForFirstConsumer) is untested.
"""

from __future__ import annotations

from typing import Any

from e2e.cluster import LoopbackCluster
from e2e.controller_double import ControllerDouble

# The annotation a dynamic provisioner writes on the volumes it made (the PV controller's own key).
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"


class VolumeDouble(ControllerDouble):
    name = "volume-double"

    def __init__(self, cluster: LoopbackCluster, interval: float = 1.0):
        super().__init__(cluster, interval)
        self.provisioned: list[str] = []

    def reconcile(self) -> None:
        for claim in self.cluster.get("/api/v1/persistentvolumeclaims")["items"]:
            if claim.get("status", {}).get("phase") == "Pending" and not claim["spec"].get("volumeName"):
                self._provision(claim)
        for volume in self.cluster.get("/api/v1/persistentvolumes")["items"]:
            provisioned = (volume["metadata"].get("annotations") or {}).get(PROVISIONED_BY) == self.name
            if provisioned and volume.get("status", {}).get("phase") in ("Released", "Failed"):
                self.cluster.request("DELETE", f"/api/v1/persistentvolumes/{volume['metadata']['name']}")

    def _provision(self, claim: dict[str, Any]) -> None:
        metadata, spec = claim["metadata"], claim["spec"]
        name = f"e2e-{metadata['namespace']}-{metadata['name']}"[:63]
        self.cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": name, "annotations": {PROVISIONED_BY: self.name}},
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
