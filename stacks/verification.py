"""The verification after every `up`: which checks apply to this stack, the check script's config, the Job's
name (a hash of everything the checks read), the Job after everything it checks, and its output."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi

from components.chart import prefixed
from components.verification import CA_KEY, MOUNT_PATH, MeshVerification, MeshVerificationArgs
from definitions import addresses, versions
from definitions.mirror import image_or_mirrored
from settings import dataplane, profiles
from settings.model import Settings
from settings.routes import DEMO_PORT, DEMO_SERVICE
from stacks.mesh import Mesh
from stacks.mirror import chart_mirror
from stacks.observability import Observability
from stacks.routes import Published, demo_account
from stacks.tls import Tls

SCRIPT = Path(__file__).resolve().parent.parent / "incluster" / "verify_mesh.py"
JOB_PREFIX = "mesh-verify"
# httpbin's echo of the request headers: X-Forwarded-Client-Cert and X-B3-Traceid as the demo's pod saw them.
DEMO_PATH = "/headers"
POLL_INTERVAL_SECONDS = 5
REQUEST_TIMEOUT_SECONDS = 5


# The check of a mesh across clusters, a Job of its own per ordered pair of clusters (verify_across).
ACROSS_CHECK = "demo-across-clusters"


def checks(settings: Settings) -> list[str]:
    """The checks this stack (or this cluster of a mesh across clusters) runs, in the order the script runs them;
    each exactly when what it checks exists."""
    planned = []
    if settings.demo.enabled:
        mtls = "mtls-ztunnel-to-demo" if demo_ambient(settings) else "mtls-gateway-to-demo"
        planned += ["demo-through-gateway", mtls]
        if traced_to_jaeger(settings):
            planned.append("trace-in-jaeger")
        if settings.dashboards.prometheus.enabled:
            planned.append("prometheus-sees-demo")
        if settings.mesh.mtls == "STRICT":
            planned.append("plaintext-refused")
    if redirected_route(settings) is not None:
        planned.append("https-redirect")
    planned += [f"route-{route.namespace}/{route.name}" for route in checked_routes(settings)]
    return planned


def trust_domain(settings: Settings) -> str:
    return settings.multicluster.trust_domain if settings.multicluster is not None else addresses.TRUST_DOMAIN


def demo_ambient(settings: Settings) -> bool:
    """In ambient no proxy sits at the backend: no X-Forwarded-Client-Cert reaches it (istio/istio#54995); the
    mTLS evidence is ztunnel's own report of the connection (settings/mesh.py requires Prometheus for it)."""
    return dataplane.namespace_dataplane(settings, settings.demo.namespace) == "ambient"


def traced_to_jaeger(settings: Settings) -> bool:
    tracing = settings.mesh.tracing
    return settings.dashboards.jaeger.enabled and tracing.enabled and tracing.zipkin_address is None


def checked_routes(settings: Settings):
    """The configured HTTP routes (the demo's has checks of its own; a TCP route has no Host to route on)."""
    return [route for route in settings.routes if route.kind != "tcp"]


def redirected_route(settings: Settings):
    """The published route whose plain-HTTP request must be redirected to https: the demo's, else the first
    checked route's; none with TLS off (HTTP is then served, not redirected)."""
    if gateway_trust(settings) is None:
        return None
    demo = [r for r in settings.published_routes if settings.demo.enabled and r.namespace == settings.demo.namespace]
    return next(iter(demo or checked_routes(settings)), None)


def gateway_trust(settings: Settings) -> str | None:
    """How the checks trust the gateway's certificate; None when TLS is off (plain HTTP on port 80).

    ca: the stack's root CA, mounted from the Job's ConfigMap. acme with the production server: the image's
    system trust store. acme staging and secret: the chain is not verified (staging's roots are in no trust
    store; a user's Secret may come from any CA the stack does not know), the traffic still goes over HTTPS
    with the hostname as SNI, and the log says the certificate was not verified.
    """
    mode = settings.tls_mode
    if mode == "off" or settings.dns.domain is None:
        return None
    if mode == "ca":
        return "ca"
    if mode == "acme" and settings.tls.server == "production":
        return "system"
    return "unverified"


def script_config(settings: Settings) -> dict[str, Any]:
    verify = settings.verify
    trust = gateway_trust(settings)
    if trust is None:
        gateway: dict[str, Any] = {"url": addresses.ingress_gateway(settings.ingress.namespace).url}
    else:
        # The HTTP listener only redirects (301) once HTTPS is on: the checks use the HTTPS listener.
        https = addresses.ServiceAddress(
            addresses.INGRESS_RELEASE, settings.ingress.namespace, addresses.INGRESS_HTTPS_PORT
        )
        gateway = {"url": f"https://{https.host}:{https.port}", "trust": trust}
        if trust == "ca":
            gateway["caFile"] = f"{MOUNT_PATH}/{CA_KEY}"
    config: dict[str, Any] = {
        "checks": checks(settings),
        "gateway": gateway,
        "waits": {
            "readySeconds": verify.ready_wait_seconds,
            "traceSeconds": verify.trace_wait_seconds,
            "metricsSeconds": verify.metrics_wait_seconds,
            "intervalSeconds": POLL_INTERVAL_SECONDS,
            "requestSeconds": REQUEST_TIMEOUT_SECONDS,
        },
    }
    planned = set(config["checks"])
    if settings.demo.enabled:
        demo = next(r for r in settings.published_routes if r.name == "demo" and r.namespace == settings.demo.namespace)
        config["demo"] = {
            "host": settings.hostname(demo),
            "path": DEMO_PATH,
            # The gateway chart's ServiceAccount is named after the release (manifests/charts/gateway
            # _helpers.tpl, gateway.serviceAccountName, at 1.30.3).
            "gatewayIdentity": addresses.spiffe_id(
                settings.ingress.namespace, addresses.INGRESS_RELEASE, trust_domain(settings)
            ),
        }
    if "mtls-ztunnel-to-demo" in planned:
        config["ztunnel"] = {
            "url": addresses.prometheus().url,
            "workload": DEMO_SERVICE,
            "namespace": settings.demo.namespace,
            # ztunnel's pods, named after its DaemonSet (components/node_agents.py), as Kiali selects them.
            "pods": "ztunnel-.*",
        }
    if "plaintext-refused" in planned:
        demo_service = addresses.ServiceAddress(DEMO_SERVICE, settings.demo.namespace, DEMO_PORT)
        config["plaintext"] = {"url": demo_service.url + DEMO_PATH}
    if "https-redirect" in planned:
        route = redirected_route(settings)
        assert route is not None
        config["redirect"] = {
            # The HTTP listener, in plain text.
            "url": addresses.ingress_gateway(settings.ingress.namespace).url,
            "host": settings.hostname(route),
            "path": DEMO_PATH if settings.demo.enabled and route.namespace == settings.demo.namespace else route.path,
        }
    if "trace-in-jaeger" in planned:
        config["jaeger"] = {"url": addresses.jaeger_query_ui().url}
    if "prometheus-sees-demo" in planned:
        config["prometheus"] = {
            "url": addresses.prometheus().url,
            "workload": DEMO_SERVICE,
            "namespace": settings.demo.namespace,
        }
    routes = checked_routes(settings)
    if routes:
        config["routes"] = [
            {
                "name": f"{route.namespace}/{route.name}",
                "host": settings.hostname(route),
                "path": route.path,
                "service": f"{route.service_name}.{route.namespace}:{route.port}",
            }
            for route in routes
        ]
    return config


def across_config(settings: Settings, other: str) -> dict[str, Any]:
    """The config of the Job in one cluster (`settings`: its own) that reaches `other`'s demo.

    One Service name in every cluster: Istio merges its endpoints across the mesh, the other networks' behind their
    east-west gateways, and the gateway balances over all of them. Each cluster's demo has its own ServiceAccount,
    so the identity the answering sidecar puts in X-Forwarded-Client-Cert (`By=`) names its cluster; `URI=` is the
    gateway's, the client of that mTLS hop. One Job per ordered pair, so a cluster added to the mesh adds Jobs and
    changes none (docs/multicluster.md)."""
    own = script_config(settings)
    identity = addresses.spiffe_id(settings.demo.namespace, demo_account(other), trust_domain(settings))
    return {
        "checks": [ACROSS_CHECK],
        "gateway": own["gateway"],
        "waits": own["waits"],
        "acrossClusters": {
            "demo": own["demo"],
            "clusters": {other: identity},
        },
    }


# Settings left out of the Job's name (see job_name).
HASH_EXCLUDES: dict[str, Any] = {
    "kubernetes": True,
    "dashboards": {"kiali": {"openid"}},
    "mirror": True,
    "multicluster": {"clusters": {"__all__": {"kubeconfig"}}},
}


def verify_image(settings: Settings) -> str:
    return image_or_mirrored(versions.VERIFY_IMAGE, chart_mirror(settings.mirror))


def job_name(settings: Settings, script: str, config: str) -> str:
    """`mesh-verify-<hash>`: a new name, so a new run, whenever the script, its config, the image or any
    setting changes (verify.runId among them); the same name, so no diff, otherwise.

    The whole settings are hashed, not only the ones the checks name: an Istio version or a mesh policy
    changes what the checks exercise. The kubeconfig (it may be a file's contents; in a mesh across clusters,
    each cluster's), the OpenID client secret and the mirror (its credentials; the images it moves are hashed as
    images) are left out.
    """
    inputs = {
        "script": script,
        "config": config,
        "image": verify_image(settings),
        "demoImage": image_or_mirrored(versions.DEMO_IMAGE, chart_mirror(settings.mirror)),
        "charts": [ref.version for ref in (versions.PROMETHEUS, versions.JAEGER)],
        "settings": settings.model_dump(mode="json", exclude=HASH_EXCLUDES),
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    return f"{JOB_PREFIX}-{digest[:10]}"


def exercised(mesh: Mesh, published: Published) -> list[pulumi.Resource]:
    """What every verification Job of a cluster runs after: istiod, the ingress gateway, the mesh policy, the routes
    and the demo, the shared Gateway."""
    wait_for: list[pulumi.Resource] = [mesh.control_plane.istiod, mesh.ingress.chart, mesh.policy, *published.resources]
    if mesh.gateway is not None:
        wait_for.append(mesh.gateway)
    return wait_for


def verify_mesh(
    settings: Settings,
    mesh: Mesh,
    observability: Observability | None,
    published: Published | None,
    tls: Tls | None = None,
) -> MeshVerification | None:
    """The verification Job of a cluster, after everything its checks exercise."""
    if not settings.verify_enabled or published is None:
        return None
    config = script_config(settings)
    wait_for = exercised(mesh, published)
    charts = observability.dashboards.charts if observability else {}
    wait_for += [charts[dashboard] for dashboard in ("jaeger", "prometheus") if dashboard in config]
    certificate_waits, ca_certificate = gateway_certificate(config, tls)
    wait_for += certificate_waits
    return verification_job("verification", settings, settings, mesh, config, wait_for, ca_certificate)


def gateway_certificate(
    config: dict[str, Any], tls: Tls | None
) -> tuple[list[pulumi.Resource], pulumi.Output[str] | None]:
    """What a Job over HTTPS waits for (the certificate Ready: acme, ca) and, on ca, the root it verifies with."""
    if tls is None or config["gateway"].get("trust") is None:
        return [], None
    if config["gateway"]["trust"] != "ca":
        return list(tls.ready), None
    assert tls.certificate is not None and tls.certificate.root_certificate is not None
    # Unknown only on a first preview, before the root exists; the Job runs after it is Ready.
    return list(tls.ready), tls.certificate.root_certificate.apply(lambda pem: pem or "")


def verification_job(
    name: str,
    settings: Settings,
    hashed: Settings,
    mesh: Mesh,
    config: dict[str, Any],
    wait_for: list[pulumi.Resource],
    ca_certificate: pulumi.Output[str] | None = None,
) -> MeshVerification:
    """The Job (and its script and config) in the cluster of `mesh`, named by a hash of `hashed` (job_name)."""
    script = SCRIPT.read_text()
    config_json = json.dumps(config, indent=2, sort_keys=True)
    return MeshVerification(
        prefixed(mesh.cluster, name),
        MeshVerificationArgs(
            namespace=mesh.control_plane.namespace.metadata.name,
            job_name=job_name(hashed, script, config_json),
            image=verify_image(settings),
            script=script,
            config=config_json,
            deadline_seconds=settings.verify.deadline_seconds,
            resources=profiles.sizing(settings).verification,
            wait_for=wait_for,
            ca_certificate=ca_certificate,
        ),
        opts=pulumi.ResourceOptions(providers=[mesh.provider]),
    )


def verify_across(
    settings: Settings,
    mesh: Mesh,
    published: Published,
    other: str,
    pair: Settings,
    after: Sequence[pulumi.Resource],
    tls: Tls | None = None,
) -> MeshVerification:
    """In a mesh across clusters, the Job in this cluster (`settings`, `mesh`: its own) that reaches `other`'s demo
    through this cluster's gateway (across_config); `pair`: the settings its name hashes, the mesh reduced to the
    two clusters (so a third cluster renames nothing); `after`: what it crosses (the other demo, the east-west
    gateways, this cluster's remote secret for `other`)."""
    config = across_config(settings, other)
    certificate_waits, ca_certificate = gateway_certificate(config, tls)
    wait_for = [*exercised(mesh, published), *after, *certificate_waits]
    return verification_job(f"across-{other}", settings, pair, mesh, config, wait_for, ca_certificate)


def export_verification(settings: Settings, verification: MeshVerification | None) -> None:
    pulumi.export("verification", verification_output(settings, verification))


def verification_output(
    settings: Settings, verification: MeshVerification | None, planned: list[str] | None = None
) -> dict[str, Any] | None:
    """What is known of the run: the checks, the Job, how to read its log. Each check reads `passed` once the
    Job completed (a failed check fails the Job and the `up`); it is unknown in a preview."""
    if verification is None:
        return None
    context = f" --context {settings.kubernetes.context}" if settings.kubernetes.context else ""
    job = verification.job

    def results(status: Any) -> dict[str, str]:
        completed = bool(status is not None and status.succeeded)
        outcome = "passed" if completed else "not completed"
        # A route whose backend is missing is a warning, not a failure: only the log tells them apart.
        return {
            check: outcome + (" (or warned: see the log)" if completed and check.startswith("route-") else "")
            for check in (planned if planned is not None else checks(settings))
        }

    name = job.metadata.apply(lambda metadata: metadata.name)
    return {
        "job": name,
        "namespace": addresses.ISTIO_NAMESPACE,
        "checks": job.status.apply(results),
        "log": name.apply(lambda job_name: f"kubectl{context} -n {addresses.ISTIO_NAMESPACE} logs job/{job_name}"),
        "rerun": "pulumi config set --path verify.runId <any new value> && pulumi up",
    }
