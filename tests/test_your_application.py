"""docs/your-application.md, run as written: its workload meets the `restricted` Pod Security level with requests
and a memory limit, at the demo's pinned image; its `pulumi config set` commands make a route the dev stack
accepts, published at the URL the page prints; a route into a namespace outside the mesh is refused."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from definitions import versions
from tests import harness
from tests import pod_security_standards as pss
from tests.harness import assert_refused

PAGE = (Path(__file__).resolve().parent.parent / "docs" / "your-application.md").read_text()


def manifest() -> list[dict[str, Any]]:
    heredoc = re.search(r"kubectl apply -f - <<'EOF'\n(.*?)\nEOF\n", PAGE, re.S)
    assert heredoc is not None
    return [document for document in yaml.safe_load_all(heredoc.group(1)) if document]


def deployment() -> dict[str, Any]:
    return next(document for document in manifest() if document["kind"] == "Deployment")


def test_the_workload_meets_restricted_with_requests_and_a_memory_limit():
    pod = deployment()["spec"]["template"]["spec"]
    assert pss.violations("restricted", pod) == []
    for container in pod["containers"]:
        assert set(container["resources"]["requests"]) == {"cpu", "memory"}
        assert "memory" in container["resources"]["limits"]


def test_the_workload_runs_the_demos_pinned_image_behind_its_service():
    pod = deployment()["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert container["image"] == versions.DEMO_IMAGE
    service = next(document for document in manifest() if document["kind"] == "Service")
    assert service["metadata"]["namespace"] == deployment()["metadata"]["namespace"] == "apps"
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == container["ports"][0]["containerPort"] == 8080  # go-httpbin's port


def route_config() -> list[dict[str, Any]]:
    """The `pulumi config set --path 'routes[N].KEY' VALUE` lines of the page, as the stack config they write
    (with --path, Pulumi stores an integer value as a number)."""
    routes: dict[int, dict[str, Any]] = {}
    for line in re.findall(r"^pulumi config set --path .*$", PAGE, re.M):
        _, _, _, _, path, value = shlex.split(line.split("#")[0])
        entry = re.fullmatch(r"routes\[(\d+)\]\.(\w+)", path)
        assert entry is not None, path
        routes.setdefault(int(entry.group(1)), {})[entry.group(2)] = int(value) if value.isdigit() else value
    return [routes[i] for i in sorted(routes)]


def test_the_route_commands_publish_the_url_the_page_prints(shared_run):
    routes = route_config()
    assert routes == [{"name": "web", "namespace": "apps", "port": 80}]
    published = shared_run("dev", routes=routes).outputs["routes"]
    printed = re.search(r"pulumi stack output routes +# (\{.*\})", PAGE)
    assert printed is not None
    assert published["web"] == json.loads(printed.group(1))["web"] == "https://web.mesh.localhost/"


@pytest.mark.parametrize(
    ("route", "key", "words"),
    [
        ({"name": "web", "namespace": "elsewhere"}, "routes[0].namespace", ["not in mesh.injectedNamespaces"]),
        ({"name": "web", "namespace": "apps", "hostname": "web.example.org"}, "routes[0].hostname", ["outside"]),
    ],
)
def test_what_the_page_says_is_refused_is_refused(run_stack, route, key, words):
    assert_refused(lambda: run_stack("dev", routes=[route]), key, words)


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_same_route_publishes_on_a_cloud_stack(shared_run, stack):
    """Section 4: the cloud examples inject `apps` too, so the same commands publish web.<dns.domain>."""
    run = shared_run(stack, routes=route_config())
    domain = harness.stack_config(stack)["dns"]["domain"]
    assert run.outputs["routes"]["web"] == f"https://web.{domain}/"
    assert run.outputs["ingress"]["type"] == "LoadBalancer"
