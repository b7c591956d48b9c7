"""The e2e's mesh across clusters: the shipped `Pulumi.multicluster.yaml` on two loopback clusters of its own (two
API servers on free ports, fresh, so nothing of the single-cluster scenarios is in them), in one stack.

The clusters' connection settings are replaced by the loopback ones (cloud `local`, each its kubeconfig, the API
server read from it), the east-west gateways' Services are not awaited (`pulumi.com/skipAwait`, through the
cluster's `eastWestAnnotations`): no load balancer controller runs here; and, with DNS on, each cluster names its
records' target (`dnsTarget`: a loopback cluster's ingress is a NodePort), and writes the zone with a
service-account key (a cluster outside GKE), made by the gcp plugin double; tls.mode acme becomes ca (Let's Encrypt
is not reachable offline), and each loopback cluster gets the volume and cert-manager doubles. Then checks that a
defect would make false: each cluster's external-dns writes only its own names under its own owner, with its key in
its own cluster, and its routes answer to those names; each cluster's issuing CA chains to the one exported ingress
root (`openssl verify`), with its own key, and its certificate covers its own names; each cluster's dashboards are
Ready and its verification reads them; its NetworkPolicies admit the east-west gateway; each istiod's values carry
its mesh ID, cluster name and network; both `cacerts` hold an intermediate that `openssl verify` chains to the same
root; each remote secret's kubeconfig, used as istiod uses it (its CA, its
token), authenticates to the OTHER API server as the reader, lists what istiod lists there and is refused Secrets;
what every cluster installs around the mesh from the shared settings (STRICT mTLS, the ingress gateway, the demo
under one Service name with an identity of its own, the verification Job completed, and one Job per other cluster
completed, planned to reach that cluster's demo); a no-op preview; a third cluster's preview that only creates;
destroy leaves nothing of the stack in either cluster.

What no test here can show (no istiod or Envoy runs: the fixture charts stand in for Istio's): that istiod reads
`cacerts` and the remote secrets, and that traffic crosses the east-west gateways. The verification Jobs complete
because kwok completes their pods, not because its script ran: the cross-cluster check itself is tested against a fake
mesh (tests/test_verify_script.py).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from e2e.cert_manager_double import CertManagerDouble
from e2e.cluster import LoopbackCluster
from e2e.context import Context
from e2e.controller_double import ControllerDouble
from e2e.mirror import held_settings
from e2e.pulumi_cli import PROJECT_DIR, PulumiStack, Result
from e2e.volume_double import VolumeDouble

PROJECT = "service-mesh"
STACK = "multicluster"
SYSTEM = "istio-system"
READER = "system:serviceaccount:istio-system:istio-reader-service-account"
TOKEN_SECRET = "istio-reader-service-account-istio-remote-secret-token"
# What istiod lists in a remote cluster (the reader's role), and what it must not read.
LISTED = ("/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices", "/api/v1/pods", "/api/v1/namespaces")
REFUSED = ("/api/v1/secrets", "/api/v1/namespaces/kube-system/secrets", "/api/v1/namespaces/istio-system/secrets")
# The namespaces every cluster gets besides the system one (the shipped example's mesh.injectedNamespaces, the demo's,
# the ingress gateway's, the CNI agent's).
APP_NAMESPACES = ("apps", "demo", "istio-ingress", "istio-node-agents", "external-dns", "cert-manager")
# The objects of the stack that destroy must remove (Istio's CRDs are kept by design: docs/teardown.md).
CLUSTER_SCOPED = (
    "/apis/rbac.authorization.k8s.io/v1/clusterroles/istio-reader-clusterrole-istio-system",
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/istio-reader-clusterrole-istio-system",
    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/istiod-default-validator",
    "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-sidecar-injector",
)


def shipped_config(context: Context, clusters: list[LoopbackCluster]) -> dict[str, Any]:
    shipped = yaml.safe_load((PROJECT_DIR / f"Pulumi.{STACK}.yaml").read_text())["config"]
    config = copy.deepcopy(shipped)
    mesh = config[f"{PROJECT}:multicluster"]
    for entry, cluster in zip(mesh["clusters"], clusters, strict=True):
        entry.pop("context", None)
        entry.pop("apiServer", None)
        entry.update(cloud="local", kubeconfig=str(cluster.kubeconfig))
        entry["eastWestAnnotations"] = {**entry.get("eastWestAnnotations", {}), "pulumi.com/skipAwait": "true"}
        if (config.get(f"{PROJECT}:dns") or {}).get("enabled"):
            entry["dnsTarget"] = dns_target(entry["name"])
    if (config.get(f"{PROJECT}:tls") or {}).get("mode") == "acme":
        # Let's Encrypt is not reachable offline (and the settings refuse acme with a mirror): the stack's own CA,
        # as the cloud stacks' scenario does (e2e/cloud_stacks.py).
        config[f"{PROJECT}:tls"] = {"mode": "ca"}
    config[f"{PROJECT}:mirror"] = context.mirror.settings()
    if not context.fixture:  # --mirror: the versions it holds where the pins moved past them
        config.update({f"{PROJECT}:{key}": value for key, value in held_settings(context.mirror.directory).items()})
    return config


def changes(result: Result) -> list[str]:
    return [f"{s['op']} {s['urn']}" for s in result.json().get("steps") or [] if s["op"] not in ("same", "read")]


def decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True)


def signed_by(root: str, certificate: str, key: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    """`openssl verify` of `certificate` against `root`, and whether `key` is the certificate's own."""
    with tempfile.TemporaryDirectory() as scratch:
        root_file, cert_file = Path(scratch, "root.pem"), Path(scratch, "cert.pem")
        root_file.write_text(root)
        cert_file.write_text(certificate)
        verified = openssl("verify", "-CAfile", str(root_file), str(cert_file))
        public = openssl("x509", "-in", str(cert_file), "-noout", "-pubkey").stdout
    own = subprocess.run(["openssl", "pkey", "-pubout"], input=key, capture_output=True, text=True).stdout
    return verified, public != "" and own == public


def as_istiod(kubeconfig: dict[str, Any], path: str) -> tuple[int, Any]:
    """GET `path` with the kubeconfig's server, CA and token, verifying the server's certificate as client-go does."""
    cluster = kubeconfig["clusters"][0]["cluster"]
    token = kubeconfig["users"][0]["user"]["token"]
    tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    request = urllib.request.Request(cluster["server"] + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=15, context=tls) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def whoami(kubeconfig: dict[str, Any]) -> str | None:
    cluster = kubeconfig["clusters"][0]["cluster"]
    tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}).encode()
    request = urllib.request.Request(
        cluster["server"] + "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {kubeconfig['users'][0]['user']['token']}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=15, context=tls) as response:
        username: str | None = json.loads(response.read())["status"]["userInfo"]["username"]
        return username


def check_values(context: Context, name: str, network: str, cluster: LoopbackCluster) -> None:
    report = context.report
    values = json.loads(cluster.get(f"/api/v1/namespaces/{SYSTEM}/configmaps/values")["data"]["merged-values"])
    found = (values["global"]["meshID"], values["global"]["multiCluster"]["clusterName"], values["global"]["network"])
    report.check(f"{name}: istiod values carry mesh1, {name}, {network}", found == ("mesh1", name, network), found)
    labels = cluster.get(f"/api/v1/namespaces/{SYSTEM}")["metadata"].get("labels") or {}
    report.check(
        f"{name}: {SYSTEM} labelled with its network", labels.get("topology.istio.io/network") == network, labels
    )
    service = cluster.get(f"/api/v1/namespaces/{SYSTEM}/services/istio-eastwestgateway")
    ports = sorted(p["port"] for p in service["spec"]["ports"])
    report.check(
        f"{name}: east-west gateway Service on 15443, labelled {network}",
        15443 in ports and service["metadata"]["labels"].get("topology.istio.io/network") == network,
        (ports, service["metadata"]["labels"]),
    )
    gateway = cluster.get(f"/apis/networking.istio.io/v1/namespaces/{SYSTEM}/gateways/cross-network-gateway")
    server = gateway["spec"]["servers"][0]
    report.check(
        f"{name}: cross-network Gateway AUTO_PASSTHROUGH on 15443",
        (server["port"]["number"], server["tls"]["mode"], server["hosts"]) == (15443, "AUTO_PASSTHROUGH", ["*.local"]),
        server,
    )


def dns_target(name: str) -> str:
    """A name for the cluster's records to point at (a NodePort ingress has no public address; nothing resolves it)."""
    return f"{name}-ingress.example.net"


def check_dns(context: Context, config: dict[str, Any], name: str, cluster: LoopbackCluster) -> None:
    """This cluster's external-dns: its own names (`<route>.<name>.<domain>`), its own TXT owner, its key Secret here,
    its routes answering to those names and its Gateway naming its target."""
    report = context.report
    dns = config.get(f"{PROJECT}:dns") or {}
    if not dns.get("enabled"):
        return
    domain = dns["domain"]
    deployment = cluster.get_or_none("/apis/apps/v1/namespaces/external-dns/deployments/external-dns")
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"] if deployment else []
    filters = [a.split("=", 1)[1] for a in args if a.startswith("--domain-filter=")]
    owners = [a.split("=", 1)[1] for a in args if a.startswith("--txt-owner-id=")]
    report.check(f"{name}: external-dns writes only {name}.{domain}", filters == [f"{name}.{domain}"], args)
    report.check(
        f"{name}: external-dns owns its records as {PROJECT}-{STACK}-{name}",
        owners == [f"{PROJECT}-{STACK}-{name}"],
        owners,
    )
    ready = (deployment or {}).get("status", {}).get("readyReplicas")
    report.check(f"{name}: external-dns Ready", bool(ready), ready)
    key = cluster.get_or_none("/api/v1/namespaces/external-dns/secrets/cloud-dns-key")
    report.check(
        f"{name}: its service-account key in its own cluster",
        key is not None and bool(key.get("data")),
        key and list(key.get("data", {})),
    )
    route = cluster.get_or_none("/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes/demo")
    hostnames = (route or {}).get("spec", {}).get("hostnames")
    report.check(
        f"{name}: the demo answers to demo.{domain} and its own demo.{name}.{domain}",
        hostnames == [f"demo.{domain}", f"demo.{name}.{domain}"],
        hostnames,
    )
    gateway = cluster.get("/apis/gateway.networking.k8s.io/v1/namespaces/istio-ingress/gateways/mesh-gateway")
    target = (gateway["metadata"].get("annotations") or {}).get("external-dns.alpha.kubernetes.io/target")
    report.check(f"{name}: its records point at its own target", target == dns_target(name), target)


def check_apps(context: Context, name: str, cluster: LoopbackCluster, others: list[str]) -> None:
    """What the cluster installs around the mesh from the shared settings, and its verification's plan."""
    report = context.report
    policy = cluster.get(f"/apis/security.istio.io/v1/namespaces/{SYSTEM}/peerauthentications/default")
    report.check(f"{name}: STRICT mTLS mesh-wide", policy["spec"] == {"mtls": {"mode": "STRICT"}}, policy["spec"])
    ingress = cluster.get_or_none("/api/v1/namespaces/istio-ingress/services/istio-ingressgateway")
    report.check(f"{name}: its own ingress gateway", ingress is not None, ingress)
    deployment = cluster.get("/apis/apps/v1/namespaces/demo/deployments/httpbin")
    account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    report.check(f"{name}: the demo runs as httpbin-{name}", account == f"httpbin-{name}", account)
    service = cluster.get_or_none("/api/v1/namespaces/demo/services/httpbin")
    report.check(f"{name}: the demo's Service is httpbin.demo, as in every cluster", service is not None, service)
    jobs = cluster.get(f"/apis/batch/v1/namespaces/{SYSTEM}/jobs?labelSelector=app%3Dmesh-verify")["items"]
    configs = {}
    for job in jobs:
        config_map = cluster.get(f"/api/v1/namespaces/{SYSTEM}/configmaps/{job['metadata']['name']}")
        configs[job["metadata"]["name"]] = json.loads(config_map["data"]["config.json"])
    done = {job["metadata"]["name"] for job in jobs if (job.get("status") or {}).get("succeeded")}
    own = [job for job, config in configs.items() if "demo-through-gateway" in config["checks"]]
    report.check(f"{name}: its verification Job completed", len(own) == 1 and set(own) <= done, sorted(configs))
    # Its own dashboards: the checks that read them ask this cluster's Jaeger and Prometheus.
    dashboards = {check for job in own for check in configs[job]["checks"]} & {
        "trace-in-jaeger",
        "prometheus-sees-demo",
    }
    backends = {
        job: (configs[job].get("jaeger", {}).get("url"), configs[job].get("prometheus", {}).get("url")) for job in own
    }
    local = all(url is None or ".istio-system.svc.cluster.local:" in url for pair in backends.values() for url in pair)
    report.check(
        f"{name}: its verification reads its own Jaeger and Prometheus",
        dashboards == {"trace-in-jaeger", "prometheus-sees-demo"} and local,
        backends,
    )
    # NetworkPolicies (production): the east-west gateway open on 15443 and its health port, the demo open to it.
    east_west = cluster.get_or_none(f"/apis/networking.k8s.io/v1/namespaces/{SYSTEM}/networkpolicies/allow-eastwest")
    ports = [p["port"] for rule in (east_west or {}).get("spec", {}).get("ingress", []) for p in rule["ports"]]
    report.check(
        f"{name}: a NetworkPolicy admits 15443 and 15021 to the east-west gateway", ports == [15443, 15021], ports
    )
    demo = cluster.get_or_none("/apis/networking.k8s.io/v1/namespaces/demo/networkpolicies/allow-demo")
    sources = [
        peer.get("podSelector", {}).get("matchLabels", {}).get("app")
        for rule in (demo or {}).get("spec", {}).get("ingress", [])
        for peer in rule.get("from", [])
    ]
    report.check(
        f"{name}: the demo's NetworkPolicy admits the east-west gateway", "istio-eastwestgateway" in sources, sources
    )
    deployments = cluster.get(f"/apis/apps/v1/namespaces/{SYSTEM}/deployments")["items"]
    names = {d["metadata"]["name"] for d in deployments if (d.get("status") or {}).get("readyReplicas")}
    report.check(
        f"{name}: its own Prometheus, Grafana, Jaeger and Kiali Ready",
        {"grafana", "jaeger", "kiali"} <= names and any(n.startswith("prometheus") for n in names),
        sorted(names),
    )
    # One Job per other cluster, requesting that cluster's demo through this cluster's gateway.
    for other in others:
        wanted = {other: f"spiffe://cluster.local/ns/demo/sa/httpbin-{other}"}
        pair = [
            job
            for job, config in configs.items()
            if config["checks"] == ["demo-across-clusters"] and config["acrossClusters"]["clusters"] == wanted
        ]
        report.check(
            f"{name}: a Job requests {other}'s demo and expects its identity over mTLS, and completed",
            len(pair) == 1 and set(pair) <= done,
            {job: configs[job]["checks"] for job in configs},
        )


def check_cacerts(context: Context, clusters: dict[str, LoopbackCluster]) -> None:
    report = context.report
    files = {name: decoded(c.get(f"/api/v1/namespaces/{SYSTEM}/secrets/cacerts")) for name, c in clusters.items()}
    roots = {f["root-cert.pem"] for f in files.values()}
    report.check("cacerts: one root in every cluster", len(roots) == 1, len(roots))
    intermediates = {f["ca-cert.pem"] for f in files.values()}
    report.check("cacerts: each cluster its own intermediate", len(intermediates) == len(files), len(intermediates))
    for name, pem in files.items():
        verified, own_key = signed_by(next(iter(roots)), pem["ca-cert.pem"], pem["ca-key.pem"])
        report.check(
            f"{name}: cacerts' intermediate chains to the root (openssl verify)", verified.returncode == 0, verified
        )
        constraints = subprocess.run(
            ["openssl", "x509", "-noout", "-ext", "basicConstraints"],
            input=pem["ca-cert.pem"],
            capture_output=True,
            text=True,
        ).stdout
        report.check(f"{name}: the intermediate is a CA", "CA:TRUE" in constraints, constraints)
        report.check(f"{name}: ca-key.pem is the intermediate's key", own_key)
        chain = pem["cert-chain.pem"] == pem["ca-cert.pem"] + pem["root-cert.pem"]
        report.check(f"{name}: cert-chain.pem is the intermediate then the root", chain)
        cluster = clusters[name]
        deployment = cluster.get(f"/apis/apps/v1/namespaces/{SYSTEM}/deployments/istiod")
        annotations = deployment["spec"]["template"]["metadata"].get("annotations") or {}
        digest = hashlib.sha256((pem["ca-cert.pem"] + pem["cert-chain.pem"]).encode()).hexdigest()
        report.check(
            f"{name}: istiod's pods carry the certificates' digest (a new intermediate restarts istiod)",
            annotations.get("servicemesh.dev/cacerts-sha256") == digest,
            annotations,
        )


def check_ingress_ca(
    context: Context, config: dict[str, Any], stack: PulumiStack, clusters: dict[str, LoopbackCluster]
) -> None:
    """tls.mode ca: each cluster's cert-manager signs with its own intermediate of the one ingress root the stack
    exports (chained, checked with `openssl verify`), holds its key and never the root's, and orders a certificate
    for *.<domain> and its own *.<cluster>.<domain>."""
    report = context.report
    if (config.get(f"{PROJECT}:tls") or {}).get("mode") != "ca":
        return
    domain = config[f"{PROJECT}:dns"]["domain"]
    root = (stack.outputs().get("tls") or {}).get("rootCertificate") or ""
    report.check("tls: the stack exports one ingress root", "BEGIN CERTIFICATE" in root, root[:80])
    intermediates = set()
    for name, cluster in clusters.items():
        files = decoded(cluster.get("/api/v1/namespaces/cert-manager/secrets/mesh-issuing-ca"))
        intermediates.add(files["tls.crt"])
        verified, own_key = signed_by(root, files["tls.crt"], files["tls.key"])
        report.check(
            f"{name}: its issuing CA chains to the ingress root (openssl verify)", verified.returncode == 0, verified
        )
        report.check(f"{name}: the issuing CA's key is its own", own_key)
        report.check(f"{name}: ca.crt is the ingress root", files.get("ca.crt") == root)
        issuer = cluster.get("/apis/cert-manager.io/v1/clusterissuers/mesh-ca")
        report.check(
            f"{name}: the ClusterIssuer signs with it",
            issuer["spec"] == {"ca": {"secretName": "mesh-issuing-ca"}},
            issuer["spec"],
        )
        certificate = cluster.get("/apis/cert-manager.io/v1/namespaces/istio-ingress/certificates/mesh-wildcard")
        names = certificate["spec"]["dnsNames"]
        wanted = [f"*.{domain}", f"*.{name}.{domain}"]
        report.check(f"{name}: its certificate covers {', '.join(wanted)}", names == wanted, names)
    report.check("tls: each cluster its own issuing CA", len(intermediates) == len(clusters), len(intermediates))


def check_remote_secrets(context: Context, clusters: dict[str, LoopbackCluster]) -> None:
    report = context.report
    for reading, reader_cluster in clusters.items():
        for read, read_cluster in clusters.items():
            if read == reading:
                continue
            label = f"{reading} reads {read}"
            secret = reader_cluster.get(f"/api/v1/namespaces/{SYSTEM}/secrets/istio-remote-secret-{read}")
            meta = secret["metadata"]
            report.check(
                f"{label}: remote secret labelled and annotated as istiod looks for it",
                (meta.get("labels") or {}).get("istio/multiCluster") == "true"
                and (meta.get("annotations") or {}).get("networking.istio.io/cluster") == read,
                meta,
            )
            kubeconfig = yaml.safe_load(decoded(secret)[read])
            server = kubeconfig["clusters"][0]["cluster"]["server"]
            report.check(f"{label}: kubeconfig points at {read}'s API server", server == read_cluster.server, server)
            identity = whoami(kubeconfig)
            report.check(f"{label}: authenticates to {read} as the reader", identity == READER, identity)
            for path in LISTED:
                code, body = as_istiod(kubeconfig, path + "?limit=5")
                report.check(f"{label}: can list {path}", code == 200 and body is not None, code)
            for path in REFUSED:
                code, _ = as_istiod(kubeconfig, path + "?limit=5")
                report.check(f"{label}: refused {path}", code == 403, code)
            own = copy.deepcopy(kubeconfig)
            own["clusters"][0]["cluster"]["server"] = reader_cluster.server
            own["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
                decoded(reader_cluster.get(f"/api/v1/namespaces/{SYSTEM}/secrets/{TOKEN_SECRET}"))["ca.crt"].encode()
            ).decode()
            code, _ = as_istiod(own, "/api/v1/namespaces")
            report.check(f"{label}: the token is {read}'s, not valid on {reading}", code == 401, code)


def check_state_keeps_secrets(context: Context, stack: PulumiStack, clusters: dict[str, LoopbackCluster]) -> None:
    """No private key and no reader token in plain text in the stack's state (the file backend's checkpoint)."""
    state = json.dumps(stack.resources())
    tokens = [decoded(c.get(f"/api/v1/namespaces/{SYSTEM}/secrets/{TOKEN_SECRET}"))["token"] for c in clusters.values()]
    plain = ["a private key"] if "PRIVATE KEY" in state else []
    plain += [f"the reader token of {name}" for name, token in zip(clusters, tokens, strict=True) if token in state]
    context.report.check("multicluster: no private key or reader token in plain text in the state", plain == [], plain)


def check_third_cluster_only_adds(
    context: Context, stack: PulumiStack, config: dict[str, Any], third: LoopbackCluster
) -> None:
    """One more entry in `clusters` (a third API server): its preview only adds, among it the remote secrets between
    it and the two clusters already there. Previewed, never applied: the stack goes back to its two clusters."""
    with context.report.step("multicluster: third cluster start"):
        third.start()
    bigger = copy.deepcopy(config)
    entry: dict[str, Any] = {"name": "asia", "cloud": "local", "kubeconfig": str(third.kubeconfig), "network": "asia"}
    entry["eastWestAnnotations"] = {"pulumi.com/skipAwait": "true"}
    if (config.get(f"{PROJECT}:dns") or {}).get("enabled"):
        entry["dnsTarget"] = dns_target("asia")
    bigger[f"{PROJECT}:multicluster"]["clusters"].append(entry)
    stack.set_config(bigger)
    try:
        with context.report.step("multicluster: preview with a third cluster"):
            preview = stack.preview()
    finally:
        stack.set_config(config)
        third.stop()
    steps = [s for s in preview.json().get("steps") or [] if s["op"] not in ("same", "read")]
    ops = {s["op"] for s in steps}
    names = {s["urn"].split("::")[-1] for s in steps}
    pairs = {"europe-reads-asia", "asia-reads-europe", "us-reads-asia", "asia-reads-us"}
    across = {f"{a}-across-{b}" for a, b in (("europe", "asia"), ("us", "asia"), ("asia", "europe"), ("asia", "us"))}
    context.report.check(
        "multicluster: a third cluster's preview only creates (no existing Job renamed)",
        ops == {"create"},
        sorted({f"{s['op']} {s['urn'].split('::')[-1]}" for s in steps if s["op"] != "create"})[:10],
    )
    context.report.check(
        "multicluster: a third cluster brings its control plane, a remote secret and a Job across each way",
        {"asia-istio-istiod", *pairs, *across} <= names,
        sorted(names)[:20],
    )


def check_nothing_left(context: Context, clusters: dict[str, LoopbackCluster]) -> None:
    report = context.report
    for name, cluster in clusters.items():
        left = [path for path in CLUSTER_SCOPED if cluster.get_or_none(path) is not None]
        left += [
            f"namespace {namespace}"
            for namespace in (SYSTEM, *APP_NAMESPACES)
            if cluster.get_or_none(f"/api/v1/namespaces/{namespace}") is not None
        ]
        remote = cluster.get("/api/v1/secrets?labelSelector=istio%2FmultiCluster%3Dtrue")["items"]
        left += [item["metadata"]["name"] for item in remote]
        report.check(f"{name}: destroy left nothing of the stack", left == [], left)


def multicluster(context: Context) -> None:
    report = context.report
    base = context.cluster.directory.parent
    bins = context.cluster.bin_dirs
    loops = [LoopbackCluster(base / f"cluster-{index}", bins) for index in range(2)]
    third = LoopbackCluster(base / "cluster-third", bins)
    doubles: list[ControllerDouble] = []
    try:
        with report.step("multicluster: two clusters start"):
            for loop in loops:
                loop.start()
                # What the clusters lack for the example (production, tls): volumes for the dashboards' claims,
                # cert-manager's issuing (e2e/volume_double.py, e2e/cert_manager_double.py).
                doubles += [VolumeDouble(loop).start(), CertManagerDouble(loop).start()]
        stack = PulumiStack(
            base / "pulumi-multicluster",
            STACK,
            [bins["pulumi"], bins["provider"]],
            loops[0].kubeconfig,
            base / "pulumi-multicluster.log",
        )
        stack.init()
        config = shipped_config(context, loops)
        stack.set_config(config)
        entries = config[f"{PROJECT}:multicluster"]["clusters"]
        clusters = {entry["name"]: loop for entry, loop in zip(entries, loops, strict=True)}
        with report.step("multicluster: preview"):
            preview = stack.preview()
        planned = [s for s in preview.json().get("steps") or [] if s["op"] != "same"]
        report.check(
            "multicluster: the first preview only creates",
            planned != [] and {s["op"] for s in planned} == {"create"},
            {s["op"] for s in planned},
        )
        with report.step("multicluster: up"):
            stack.up()
        for entry in entries:
            check_values(context, entry["name"], entry["network"], clusters[entry["name"]])
        for entry in entries:
            check_apps(context, entry["name"], clusters[entry["name"]], [n for n in clusters if n != entry["name"]])
            check_dns(context, config, entry["name"], clusters[entry["name"]])
        check_cacerts(context, clusters)
        check_ingress_ca(context, config, stack, clusters)
        check_remote_secrets(context, clusters)
        check_state_keeps_secrets(context, stack, clusters)
        with report.step("multicluster: preview --expect-no-changes"):
            again = stack.preview("--expect-no-changes", check=False)
        report.check(
            "multicluster: no-op preview",
            again.code == 0 and not changes(again),
            changes(again) or again.output[-2000:],
        )
        check_third_cluster_only_adds(context, stack, config, third)
        with report.step("multicluster: destroy"):
            stack.destroy()
        check_nothing_left(context, clusters)
    finally:
        for double in doubles:
            double.stop()
        for loop in [*loops, third]:
            loop.stop()
