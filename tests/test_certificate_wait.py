"""The certificate's wait: Ready passes, cert-manager giving up fails at once, a certificate still pending fails
at the wait's bound, each failure naming cert-manager's reasons and the `kubectl describe` commands. Run against
a fake API server on 127.0.0.1 playing cert-manager's objects; and the Job that runs it, bounded and re-run."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from incluster import certificate_wait
from stacks.tls import WAIT_SCRIPT

NAMESPACE, NAME = "istio-ingress", "mesh-wildcard"
WILDCARD = {"spec": {"dnsNames": ["*.mesh.example.com"]}}


def certificate(ready: str, issuing: tuple[str, str] | None = None, message: str = "") -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": ready, "reason": "DoesNotExist", "message": message}]
    if issuing is not None:
        conditions.append(
            {"type": "Issuing", "status": issuing[0], "reason": issuing[1], "message": "the order failed"}
        )
    return {**WILDCARD, "status": {"conditions": conditions}}


def challenge(state: str, reason: str, dns_name: str = "mesh.example.com") -> dict[str, Any]:
    return {
        "metadata": {"name": f"mesh-wildcard-1-{state}"},
        "spec": {"dnsName": dns_name, "wildcard": True},
        "status": {"state": state, "reason": reason},
    }


class FakeApi(ThreadingHTTPServer):
    daemon_threads = True
    certificate: dict[str, Any]
    challenges: list[dict[str, Any]]
    authorizations: list[str]


class Handler(BaseHTTPRequestHandler):
    server: FakeApi

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.authorizations.append(self.headers.get("Authorization", ""))
        if self.path == f"/apis/cert-manager.io/v1/namespaces/{NAMESPACE}/certificates/{NAME}":
            body: Any = self.server.certificate
        elif self.path == f"/apis/acme.cert-manager.io/v1/namespaces/{NAMESPACE}/challenges":
            body = {"items": self.server.challenges}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    server = FakeApi(("127.0.0.1", 0), Handler)
    server.certificate, server.challenges, server.authorizations = certificate("False"), [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def config(server: FakeApi, token_file: str | None = None, wait_seconds: float = 0.3) -> dict[str, Any]:
    return {
        "namespace": NAMESPACE,
        "certificate": NAME,
        "acme": True,
        "waitSeconds": wait_seconds,
        "intervalSeconds": 0.05,
        "api": {"url": f"http://127.0.0.1:{server.server_address[1]}", "tokenFile": token_file},
    }


def run_script(tmp_path, cfg: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    return subprocess.run(
        [sys.executable, str(WAIT_SCRIPT), str(path)], capture_output=True, text=True, timeout=30, check=False
    )


def test_a_ready_certificate_passes_with_the_pods_token(api, tmp_path):
    api.certificate = certificate("True")
    token = tmp_path / "token"
    token.write_text("sa-token\n")
    result = run_script(tmp_path, config(api, str(token)))
    assert result.returncode == 0, result.stdout
    assert "PASS certificate istio-ingress/mesh-wildcard is Ready" in result.stdout
    assert api.authorizations[0] == "Bearer sa-token"


def test_a_challenge_cert_manager_gave_up_on_fails_at_once_with_its_reason(api, tmp_path):
    api.challenges = [challenge("errored", "Error presenting challenge: googleapi: Error 403: Forbidden")]
    result = run_script(tmp_path, config(api, wait_seconds=60))
    assert result.returncode == 1
    assert "FAIL certificate istio-ingress/mesh-wildcard: cert-manager gave up" in result.stdout
    assert (
        "Challenge mesh-wildcard-1-errored: errored: Error presenting challenge: googleapi: Error 403" in result.stdout
    )
    assert "kubectl -n istio-ingress describe certificate mesh-wildcard" in result.stdout
    assert "kubectl -n istio-ingress describe challenges" in result.stdout


def test_a_failed_issuance_fails_at_once(api, tmp_path):
    api.certificate = certificate("False", ("False", "Failed"))
    result = run_script(tmp_path, config(api, wait_seconds=60))
    assert result.returncode == 1
    assert "Issuing: False (Failed: the order failed)" in result.stdout


def test_a_pending_challenge_fails_at_the_bound_with_its_state(api, tmp_path):
    api.challenges = [challenge("pending", "Waiting for DNS-01 challenge propagation: DNS record not yet propagated")]
    result = run_script(tmp_path, config(api, wait_seconds=0.3))
    assert result.returncode == 1
    assert "not Ready after 0.3 s" in result.stdout
    assert "Challenge mesh-wildcard-1-pending: pending: Waiting for DNS-01 challenge propagation" in result.stdout


def test_challenges_for_other_names_are_not_reported():
    verdict = certificate_wait.judge(
        certificate("False"),
        [challenge("invalid", "another certificate's", "other.example.org")],
        ["*.mesh.example.com"],
    )
    assert verdict.state == certificate_wait.WAITING
    assert not [line for line in verdict.lines if "other" in line]


def test_in_the_cluster_the_api_server_is_read_from_the_kubelets_environment(monkeypatch):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    assert certificate_wait.Api({}).url == "https://10.96.0.1:443"
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    assert certificate_wait.Api({}).url == "https://[fd00::1]:443"


def test_an_unreachable_api_waits_then_fails_naming_the_error(tmp_path):
    cfg = {
        "namespace": NAMESPACE,
        "certificate": NAME,
        "acme": False,
        "waitSeconds": 0.2,
        "intervalSeconds": 0.05,
        "api": {"url": "http://127.0.0.1:9", "requestSeconds": 0.5},
    }
    result = run_script(tmp_path, cfg)
    assert result.returncode == 1
    assert "reading the Certificate:" in result.stdout


# --- the Job ------------------------------------------------------------------------------------------------

JOB = ("kubernetes:batch/v1:Job", "certificate-wait")


@pytest.mark.parametrize(("stack", "wait"), [("dev", 120), ("gcp", 480)])
def test_the_wait_is_bounded_and_rerun_after_a_failure(shared_run, stack, wait):
    job = shared_run(stack).one(*JOB).inputs
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["activeDeadlineSeconds"] == wait + 60
    assert job["metadata"]["annotations"] == {
        "pulumi.com/replaceUnready": "true",
        "pulumi.com/timeoutSeconds": str(wait + 120),
    }
    config_map = json.loads(
        shared_run(stack).one("kubernetes:core/v1:ConfigMap", "certificate-wait").inputs["data"]["config.json"]
    )
    assert config_map["waitSeconds"] == wait
    assert config_map["api"] == {
        "tokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "caFile": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    }


def test_the_wait_reads_only_its_certificate_and_the_challenges(shared_run):
    run = shared_run("gcp")
    role = run.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "certificate-wait").inputs
    assert role["metadata"]["namespace"] == "istio-ingress"
    assert role["rules"] == [
        {
            "apiGroups": ["cert-manager.io"],
            "resources": ["certificates"],
            "resourceNames": ["mesh-wildcard"],
            "verbs": ["get"],
        },
        {"apiGroups": ["acme.cert-manager.io"], "resources": ["challenges"], "verbs": ["list"]},
    ]
    pod = run.one(*JOB).inputs["spec"]["template"]["spec"]
    assert pod["containers"][0]["terminationMessagePolicy"] == "FallbackToLogsOnError"


def test_a_new_certificate_is_waited_for_anew_and_an_unchanged_one_shows_no_diff(shared_run):
    name = shared_run("dev").one(*JOB).inputs["metadata"]["name"]
    assert name.startswith("certificate-wait-")
    assert shared_run("dev", routes=[]).one(*JOB).inputs["metadata"]["name"] == name  # nothing of the certificate
    assert shared_run("dev", dns={"domain": "mesh.test"}).one(*JOB).inputs["metadata"]["name"] != name
