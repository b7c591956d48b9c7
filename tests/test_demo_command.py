"""The `demo` output's command, pasted into a shell: run by `sh -c` exactly as printed, against a stand-in for
`kubectl port-forward` that starts listening only after a delay (as the real one does once it has reached the
pod) and answers as httpbin's /headers would. The real curl makes the requests.

No kubelet runs here (nor in the e2e's simulated nodes), so the real port-forward is not exercised: only the
command's own logic is, which is what broke when it was pasted (issue 25: curl ran before the port-forward
listened, `-s` hid the failure, the port-forward was left behind).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# Stands in for `kubectl ... port-forward svc/... LOCAL:REMOTE`: listens on LOCAL after DELAY seconds, answers
# GET /headers with STATUS and an httpbin-like echo, and writes `stopped` to MARKER when terminated.
FAKE_KUBECTL = textwrap.dedent(
    """\
    import http.server, os, signal, sys, time
    local = int(sys.argv[-1].split(":")[0])
    marker = os.environ["MARKER"]
    def stop(*_):
        open(marker, "w").write("stopped")
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    open(marker, "w").write("started")
    time.sleep(float(os.environ["DELAY"]))
    class Headers(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (
                '{"headers": {\\n  "Host": ["' + self.headers["Host"] + '"],\\n'
                '  "X-B3-Traceid": ["4bf92f3577b34da6"],\\n'
                '  "X-Forwarded-Client-Cert": ["By=spiffe://cluster.local/ns/demo/sa/default"]\\n}}\\n'
            ).encode()
            self.send_response(int(os.environ["STATUS"]))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    http.server.HTTPServer(("127.0.0.1", local), Headers).serve_forever()
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def paste(command: str, tmp_path: Path, *, status: int = 200, delay: float = 1.5) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(f"#!{sys.executable}\n{FAKE_KUBECTL}")
    kubectl.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "MARKER": str(tmp_path / "port-forward"),
        "DELAY": str(delay),
        "STATUS": str(status),
    }
    return subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=60, check=False)


def stopped(tmp_path: Path) -> bool:
    marker = tmp_path / "port-forward"
    for _ in range(20):  # the port-forward's TERM handler runs after the shell returned
        if marker.read_text() == "stopped":
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def plain_http(shared_run) -> tuple[str, int]:
    """dev with TLS off (plain HTTP through the port-forward), its local port moved to a free one."""
    command = shared_run("dev", tls={"mode": "off"}).outputs["demo"]["curl"]
    port = free_port()
    return command.replace("8080", str(port)), port


needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="the command runs the real curl")


@needs_curl
def test_pasted_it_waits_for_the_port_forward_and_shows_the_mesh_headers(plain_http, tmp_path):
    command, port = plain_http
    result = paste(command, tmp_path, delay=1.5)
    assert result.returncode == 0, result.stderr
    assert "X-B3-Traceid" in result.stdout
    assert "X-Forwarded-Client-Cert" in result.stdout
    assert "Host" not in result.stdout  # grep keeps only the two lines that show the mesh
    assert stopped(tmp_path)
    assert not listening(port)


@needs_curl
def test_pasted_it_fails_loudly_and_still_stops_the_port_forward(plain_http, tmp_path):
    command, port = plain_http
    result = paste(command, tmp_path, status=404, delay=0.5)
    assert result.returncode != 0
    assert "404" in result.stderr  # curl's reason, not hidden
    assert stopped(tmp_path)
    assert not listening(port)


def test_the_command_shape(shared_run):
    """dev (HTTPS with the stack's CA): the root is written before anything starts; the port-forward is the only
    command in the background, inside a subshell whose exit stops it; curl fails on an error status, shows its
    reason and retries a refused connection."""
    command = shared_run("dev").outputs["demo"]["curl"]
    write, _, rest = command.partition(" && ")
    assert write == "pulumi stack output tls --json | jq -r .rootCertificate > mesh-root-ca.pem"
    assert rest.startswith("(kubectl -n istio-ingress port-forward svc/istio-ingressgateway 8443:443 >/dev/null & ")
    assert rest.endswith(")")
    assert len(re.findall(r"(?<!&)&(?!&)", command)) == 1  # one job in the background: the port-forward
    assert 'trap "kill $!" EXIT;' in rest
    curl = rest.split("; ", 1)[1]
    assert curl.startswith("curl --fail ")
    assert "--retry-connrefused" in curl
    assert not re.search(r" -s\b| --silent\b", command)


def test_a_load_balancer_needs_no_port_forward(shared_run):
    command = shared_run("gcp", demo={"enabled": True}).outputs["demo"]["curl"]
    assert command.startswith("curl --fail ")
    assert "port-forward" not in command
    assert "&" not in command
