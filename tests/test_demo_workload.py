"""The demo is a model workload users copy: non-root, read-only root filesystem, no privilege escalation, no
capabilities, seccomp RuntimeDefault, probes, requests and limits, an image pinned by tag and digest."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def pod(run_stack):
    return run_stack("dev").one("kubernetes:apps/v1:Deployment", "demo").inputs["spec"]["template"]["spec"]


def test_the_pod_runs_as_the_images_non_root_user(pod):
    # distroless/static:nonroot (go-httpbin Dockerfile.release at v2.25.0): uid and gid 65532
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["automountServiceAccountToken"] is False


def test_the_container_is_locked_down(pod):
    [container] = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_probes_and_resources(pod):
    [container] = pod["containers"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/status/200", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/status/200", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    assert container["resources"] == {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}


def test_the_image_is_pinned_by_tag_and_digest(pod):
    [container] = pod["containers"]
    assert re.fullmatch(r"[a-z0-9./-]+:[0-9][\w.-]*@sha256:[0-9a-f]{64}", container["image"]), container["image"]


def test_production_sizes_the_demo_too(run_stack):
    run = run_stack("dev", profile="production")
    [container] = run.one("kubernetes:apps/v1:Deployment", "demo").inputs["spec"]["template"]["spec"]["containers"]
    assert container["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
