"""Waits for a cert-manager Certificate to be Ready, and when it is not, says why and what to run: run by the
certificate's wait Job during `pulumi up`.

pulumi-kubernetes' generic await (`waitFor: condition=Ready`) never treats Ready=False as an error, so a DNS-01
challenge that cannot succeed (no permission on the zone, the wrong zone) would make `up` wait out its whole
timeout and say only "timed out". This script fails as soon as cert-manager gives up (the Certificate's
Issuing condition False with reason Failed, or a Challenge `invalid` or `errored`), or at its own bounded wait,
and prints the Certificate's and its Challenges' reasons with the `kubectl describe` commands; the Job's pod
ends with that text as its termination message, which pulumi-kubernetes puts in the `up`'s error.

Standard library only: it runs in the same pinned Python image as the verification, from a ConfigMap.

    python certificate_wait.py config.json
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

READY, WAITING, FAILED = "ready", "waiting", "failed"
# Challenge states from which cert-manager does not retry (acme.cert-manager.io/v1 ChallengeStatus.state).
FINAL_CHALLENGE_STATES = ("invalid", "errored")


@dataclass(frozen=True)
class Verdict:
    state: str
    lines: list[str]


def condition(resource: dict[str, Any], kind: str) -> dict[str, Any]:
    for found in (resource.get("status") or {}).get("conditions") or []:
        if found.get("type") == kind:
            return found
    return {}


def describe(condition_: dict[str, Any]) -> str:
    if not condition_:
        return "not reported yet"
    return f"{condition_.get('status')} ({condition_.get('reason', '')}: {condition_.get('message', '')})"


def judge(certificate: dict[str, Any], challenges: list[dict[str, Any]], dns_names: list[str]) -> Verdict:
    """What the Certificate and the Challenges for its names say now."""
    ready, issuing = condition(certificate, "Ready"), condition(certificate, "Issuing")
    if ready.get("status") == "True":
        return Verdict(READY, [f"Ready: {describe(ready)}"])
    lines = [f"Ready: {describe(ready)}", f"Issuing: {describe(issuing)}"]
    ours = [c for c in challenges if (c.get("spec") or {}).get("dnsName") in {n.removeprefix("*.") for n in dns_names}]
    final = False
    for challenge in ours:
        status = challenge.get("status") or {}
        state = status.get("state", "pending")
        final = final or state in FINAL_CHALLENGE_STATES
        lines.append(f"Challenge {challenge['metadata']['name']}: {state}: {status.get('reason', '')}")
    failed = (issuing.get("status") == "False" and issuing.get("reason") == "Failed") or final
    return Verdict(FAILED if failed else WAITING, lines)


def hints(namespace: str, name: str) -> list[str]:
    return [
        "See why:",
        f"  kubectl -n {namespace} describe certificate {name}",
        f"  kubectl -n {namespace} describe challenges",
        "Fix the cause (the DNS identity's permission on the zone, dns.zone, tls.email), then run `pulumi up` again:",
        "it runs this check again.",
    ]


def in_cluster_url() -> str:
    """The API server as the kubelet tells every pod (the `kubernetes` Service's environment variables)."""
    host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    return "https://" + (f"[{host}]" if ":" in host else host) + ":" + port


class Api:
    """GETs against the Kubernetes API with the pod's service-account token; `url` only to test it."""

    def __init__(self, config: dict[str, Any]):
        self.url = (config.get("url") or in_cluster_url()).rstrip("/")
        self.token_file = config.get("tokenFile")
        context = None
        if self.url.startswith("https://"):
            context = ssl.create_default_context(cafile=config.get("caFile"))
        self.context = context
        self.timeout = config.get("requestSeconds", 10)

    def get(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self.url + path)
        if self.token_file:
            with open(self.token_file) as token:
                request.add_header("Authorization", f"Bearer {token.read().strip()}")
        with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as response:
            return json.loads(response.read())


def wait(
    config: dict[str, Any],
    api: Api,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    namespace, name = config["namespace"], config["certificate"]
    certificate_path = f"/apis/cert-manager.io/v1/namespaces/{namespace}/certificates/{name}"
    challenges_path = f"/apis/acme.cert-manager.io/v1/namespaces/{namespace}/challenges"
    deadline = clock() + config["waitSeconds"]
    verdict = Verdict(WAITING, ["Certificate not read yet"])
    while True:
        try:
            certificate = api.get(certificate_path)
            challenges = api.get(challenges_path).get("items", []) if config.get("acme") else []
            verdict = judge(certificate, challenges, (certificate.get("spec") or {}).get("dnsNames") or [])
        except (urllib.error.URLError, OSError, ValueError) as error:
            verdict = Verdict(WAITING, [f"reading the Certificate: {error}"])
        if verdict.state == READY:
            print(f"PASS certificate {namespace}/{name} is Ready")
            return 0
        if verdict.state == FAILED or clock() >= deadline:
            why = "cert-manager gave up" if verdict.state == FAILED else f"not Ready after {config['waitSeconds']} s"
            report = [f"FAIL certificate {namespace}/{name}: {why}", *verdict.lines, *hints(namespace, name)]
            print("\n".join(report))
            return 1
        sleep(config["intervalSeconds"])


def main(argv: list[str]) -> int:
    with open(argv[1]) as file:
        config = json.load(file)
    return wait(config, Api(config["api"]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
