"""What the mocked engine answers: computed fields of resources and results of invokes.

Shared by the test fixture and scripts/benchmark.py. A real provider computes these; without them the
mocks return None and every input built on them silently vanishes (see ../shared/TESTING.md). The values are
shaped like the real ones, so the program's parsing of them is exercised.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from pulumi.runtime.mocks import MockResourceArgs

from tests.harness import InvokeResult

ACCOUNT = "111122223333"
GCP_ZONES = {
    # managed-zone name -> (dns name, id, visibility), in every project
    "example-com": ("example.com.", "4711", "public"),
    "internal-example": ("internal.example.", "4712", "private"),
}
AWS_ZONES = {
    # hosted-zone id -> (name, private)
    "Z0EXAMPLE1234": ("example.com.", False),
    "Z0PRIVATE5678": ("corp.example.", True),
}
OIDC_ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
GCP_PRIVATE_KEY_JSON = '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----fake"}'
GCP_PRIVATE_KEY = base64.b64encode(GCP_PRIVATE_KEY_JSON.encode()).decode()
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
# The local root CA's Secret as cert-manager writes it (kubernetes.io/tls), read back by the stack.
ROOT_CA_PEM = "-----BEGIN CERTIFICATE-----\nfake-root\n-----END CERTIFICATE-----\n"
ROOT_CA_KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nfake-root-key\n-----END EC PRIVATE KEY-----\n"
# The ambient kubeconfig every run sees (the `local` cloud refuses a context that does not look local): what
# `kind create cluster --name mesh` writes, a context `kind-mesh` on a loopback API server.
KIND_KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: kind-mesh
contexts:
  - name: kind-mesh
    context: {cluster: kind-mesh, user: kind-mesh}
clusters:
  - name: kind-mesh
    cluster: {server: "https://127.0.0.1:41913"}
users:
  - name: kind-mesh
    user: {}
"""


def computed_fields(args: MockResourceArgs) -> dict[str, Any]:
    inputs = args.inputs
    if args.typ == "kubernetes:core/v1:Secret" and args.resource_id:  # a read (Secret.get)
        encoded = {
            k: base64.b64encode(v.encode()).decode()
            for k, v in (("tls.crt", ROOT_CA_PEM), ("tls.key", ROOT_CA_KEY_PEM), ("ca.crt", ROOT_CA_PEM))
        }
        return {"type": "kubernetes.io/tls", "data": encoded}
    if args.typ == "gcp:serviceaccount/account:Account":
        email = f"{inputs['accountId']}@{inputs['project']}.iam.gserviceaccount.com"
        return {"email": email, "name": f"projects/{inputs['project']}/serviceAccounts/{email}"}
    if args.typ == "gcp:serviceaccount/key:Key":
        return {"privateKey": GCP_PRIVATE_KEY}
    if args.typ == "gcp:dns/managedZone:ManagedZone":
        return {"managedZoneId": "9001", "nameServers": ["ns-cloud-a1.googledomains.com."]}
    if args.typ == "aws:iam/role:Role":
        return {"arn": f"arn:aws:iam::{ACCOUNT}:role/{args.name}-1234567", "name": f"{args.name}-1234567"}
    if args.typ == "aws:iam/user:User":
        return {"arn": f"arn:aws:iam::{ACCOUNT}:user/{args.name}-1234567", "name": f"{args.name}-1234567"}
    if args.typ == "aws:iam/accessKey:AccessKey":
        return {"secret": AWS_SECRET_ACCESS_KEY}
    if args.typ == "tls:index/privateKey:PrivateKey":
        return {"privateKeyPem": f"-----BEGIN RSA PRIVATE KEY-----\n{args.name}\n-----END RSA PRIVATE KEY-----\n"}
    if args.typ in ("tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"):
        return {"certPem": f"-----BEGIN CERTIFICATE-----\n{args.name}\n-----END CERTIFICATE-----\n"}
    if args.typ == "tls:index/certRequest:CertRequest":
        return {
            "certRequestPem": f"-----BEGIN CERTIFICATE REQUEST-----\n{args.name}\n-----END CERTIFICATE REQUEST-----\n"
        }
    if args.typ == "kubernetes:core/v1:Secret" and inputs.get("type") == "kubernetes.io/service-account-token":
        # What the token controller writes, returned by the provider's waitFor await.
        token, ca = f"token-of-{args.name}", f"ca-of-{args.name}"
        return {
            "data": {
                "token": base64.b64encode(token.encode()).decode(),
                "ca.crt": base64.b64encode(ca.encode()).decode(),
            }
        }
    if args.typ == "random:index/randomPassword:RandomPassword":
        return {"result": f"generated-{args.name}-" + "x" * 16}
    if args.typ == "kubernetes:batch/v1:Job":
        # What the provider returns once its await saw the Complete condition.
        return {"status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}}
    if args.typ == "aws:route53/zone:Zone":
        return {
            "zoneId": "Z0CREATED9999",
            "arn": "arn:aws:route53:::hostedzone/Z0CREATED9999",
            "nameServers": ["ns-1.awsdns-01.org"],
        }
    return {}


def resource_id(args: MockResourceArgs) -> str:
    if args.typ == "aws:iam/accessKey:AccessKey":
        return AWS_ACCESS_KEY_ID
    return f"{args.name}-id"


def invoke(token: str, args: dict) -> InvokeResult:
    if token == "pulumi:pulumi:readStackOutputs":  # the stack's own previous outputs: none, a first `up`
        return {"name": args["name"], "outputs": {}, "secretOutputNames": []}
    if token == "gcp:dns/getManagedZone:getManagedZone":
        return _gcp_zone(args["name"], args.get("project"))
    if token == "gcp:dns/getManagedZones:getManagedZones":
        return {"managedZones": [_gcp_zone(name, args.get("project")) for name in GCP_ZONES], "id": "zones"}
    if token == "aws:route53/getZone:getZone":
        if "zoneId" in args:
            zone_id = args["zoneId"]
        else:
            matches = [
                z
                for z, (name, private) in AWS_ZONES.items()
                if name.rstrip(".") == args["name"].rstrip(".") and private == args.get("privateZone", False)
            ]
            # terraform-provider-aws' aws_route53_zone errors, returned as the data source's failure (the
            # program can catch it), not as a broken RPC
            if not matches:
                return {}, [("name", "no matching Route 53 Hosted Zone found")]
            if len(matches) > 1:
                return {}, [("name", "multiple Route 53 Hosted Zones matched")]
            zone_id = matches[0]
        name, private = AWS_ZONES[zone_id]
        return {
            "zoneId": zone_id,
            "name": name,
            "privateZone": private,
            "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
            "nameServers": [f"ns-{zone_id[-4:]}.awsdns-00.com"],
            "id": zone_id,
        }
    if token == "aws:eks/getCluster:getCluster":
        return {"name": args["name"], "identities": [{"oidcs": [{"issuer": OIDC_ISSUER}]}], "id": args["name"]}
    if token == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
        host = args["url"].removeprefix("https://")
        return {"arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}", "url": host, "id": host}
    raise AssertionError(f"unexpected invoke {token}")


def _gcp_zone(name: str, project: str | None) -> dict[str, Any]:
    dns_name, zone_id, visibility = GCP_ZONES[name]
    return {
        "name": name,
        "dnsName": dns_name,
        "managedZoneId": zone_id,
        "visibility": visibility,
        "description": "",
        "nameServers": ["ns-cloud-b1.googledomains.com."],
        "project": project,
        "id": f"projects/{project}/managedZones/{name}",
    }


# The titles of Istio's dashboards (manifests/addons/dashboards/*.json at 1.30.3), which Kiali links by name.
ISTIO_DASHBOARD_TITLES = {
    "istio-extension-dashboard.json": "Istio Wasm Extension Dashboard",
    "istio-mesh-dashboard.gen.json": "Istio Mesh Dashboard",
    "istio-performance-dashboard.json": "Istio Performance Dashboard",
    "istio-service-dashboard.json": "Istio Service Dashboard",
    "istio-workload-dashboard.json": "Istio Workload Dashboard",
    "pilot-dashboard.gen.json": "Istio Control Plane Dashboard",
    "ztunnel-dashboard.gen.json": "Istio Ztunnel Dashboard",
}


def istio_dashboards(version: str, mirror: str | None = None) -> dict[str, str]:
    """A small stand-in for Istio's dashboard files at `version` (no network; the same whatever `mirror` they are
    read from): indented like the originals, each naming the version it came from, with the `datasource` variable
    Istio's dashboards use."""
    return {
        file: json.dumps(
            {
                "title": title,
                "description": f"from Istio {version}",
                "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
                "panels": [],
            },
            indent=2,
        )
        for file, title in ISTIO_DASHBOARD_TITLES.items()
    }
