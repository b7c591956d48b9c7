"""Environments that come and go: what the next `up` after a destroy takes back (the adopting provider, used
by the CRD installs only; a created zone found instead of duplicated), and the edges that give
`pulumi destroy` its order (Pulumi deletes in reverse dependency order)."""

from __future__ import annotations

import json

import pytest

from tests import fakes, test_dns
from tests.harness import Run, single_cluster_stacks
from tests.test_dns import AWS, GCP, merged
from tests.test_mesh import EVERYTHING

ADOPTING = "cluster-adopting"
NAMESPACE = "kubernetes:core/v1:Namespace"


@pytest.fixture
def shared(shared_run):
    """A shipped stack's name, "everything", or a config: one run per distinct one in the session (read-only)."""

    def run(config) -> Run:
        if config == "everything":
            return shared_run(EVERYTHING, secret_keys=("dashboards",))
        return shared_run(config)

    return run


# --- adoption: only the installs whose objects destroy keeps ---------------------------------------------


def adopters(run: Run) -> set[str]:
    ref = run.named(ADOPTING).urn + f"::{ADOPTING}-id"
    kubernetes = [r for r in run.resources if r.type.startswith("kubernetes:")]
    return {r.name for r in kubernetes if r.provider == ref or ref in r.providers.values()}


@pytest.mark.parametrize("config", [*single_cluster_stacks(), "everything"])
def test_only_the_kept_crd_installs_adopt_existing_objects(shared, config):
    # cert-manager: HTTPS is on in every one of these (tls ca on local, acme on the clouds); crds.keep.
    # Pulumi.gcp.yaml leaves the Gateway API CRDs to GKE (gatewayApi.install false): nothing of them to adopt.
    run = shared(config)
    gateway_api = {"gateway-api-standard"} if run.of_type("kubernetes:yaml/v2:ConfigFile") else set()
    assert gateway_api or config == "gcp"
    assert adopters(run) == {*gateway_api, "istio-base", "cert-manager"}


def test_without_cert_manager_only_the_mesh_crd_installs_adopt(shared_run):
    assert adopters(shared_run("dev", tls={"mode": "off"})) == {"gateway-api-standard", "istio-base"}


def test_gateway_api_crds_deleted_on_destroy_are_not_adopted(shared_run):
    run = shared_run("dev", gatewayApi={"retainOnDelete": False})
    assert adopters(run) == {"istio-base", "cert-manager"}
    assert run.named("gateway-api-standard").providers == {"kubernetes": run.named("cluster").urn + "::cluster-id"}


def test_no_gateway_api_install_leaves_istio_base_the_only_adopter(shared_run):
    assert adopters(shared_run("dev", gatewayApi={"install": False})) == {"istio-base", "cert-manager"}


def test_the_adopting_provider_upserts_and_the_other_stays_strict(shared_run):
    run = shared_run("dev", kubernetes={"context": "kind-mesh"})
    assert run.named(ADOPTING).inputs == {
        "context": "kind-mesh",
        "upsertExistingObjects": "true",
        "enablePatchForce": "true",
    }
    assert run.named("cluster").inputs == {"context": "kind-mesh"}


# --- zones: `dns.zone.create` finds the zone before creating one ------------------------------------------

CREATE_GCP = merged(GCP, dns={"zone": {"create": True}})
CREATE_AWS = merged(AWS, dns={"zone": {"create": True}})
GCP_ZONE = "gcp:dns/managedZone:ManagedZone"
AWS_ZONE = "aws:route53/zone:Zone"


def test_gcp_first_up_creates_the_zone_it_did_not_find(run_stack):
    run = run_stack(CREATE_GCP)
    assert run.one(GCP_ZONE).inputs["name"] == "mesh-example-com"
    assert run.one(GCP_ZONE).retain_on_delete
    assert [(token, args["project"]) for token, args, _ in run.calls] == [
        ("gcp:dns/getManagedZones:getManagedZones", "dns-project")
    ]


def test_gcp_second_up_reuses_the_zone_it_created(run_stack, monkeypatch):
    # after the first up (or a destroy, which keeps it), the project holds the zone
    monkeypatch.setitem(fakes.GCP_ZONES, "mesh-example-com", ("mesh.example.com.", "4713", "public"))
    run = run_stack(CREATE_GCP)
    assert run.of_type(GCP_ZONE) == []
    admin = run.one("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember").inputs
    assert (admin["managedZone"], admin["project"]) == ("mesh-example-com", "dns-project")
    assert run.outputs["dns"]["zone"] == {"name": "mesh-example-com", "id": "4713"}
    assert run.outputs["dns"]["nameServers"] == ["ns-cloud-b1.googledomains.com."]


def test_gcp_fresh_stack_reuses_the_public_zone_of_the_domain_under_any_name(run_stack, monkeypatch):
    monkeypatch.setitem(fakes.GCP_ZONES, "mesh-zone", ("mesh.example.com.", "4714", "public"))
    run = run_stack(CREATE_GCP)
    assert run.of_type(GCP_ZONE) == []
    assert run.outputs["dns"]["zone"] == {"name": "mesh-zone", "id": "4714"}


def test_gcp_private_zone_of_the_same_domain_is_not_reused(run_stack, monkeypatch):
    monkeypatch.setitem(fakes.GCP_ZONES, "mesh-private", ("mesh.example.com.", "4715", "private"))
    run = run_stack(CREATE_GCP)
    assert run.one(GCP_ZONE).inputs["visibility"] == "public"


def test_aws_first_up_creates_the_zone_it_did_not_find(run_stack):
    run = run_stack(CREATE_AWS)
    assert run.one(AWS_ZONE).inputs["name"] == "mesh.example.com"
    assert run.one(AWS_ZONE).retain_on_delete
    lookups = [args for token, args, _ in run.calls if token == "aws:route53/getZone:getZone"]
    assert lookups == [{"name": "mesh.example.com", "privateZone": False}]


def test_aws_second_up_reuses_the_zone_it_created(run_stack, monkeypatch):
    monkeypatch.setitem(fakes.AWS_ZONES, "Z0MESH4242", ("mesh.example.com.", False))
    run = run_stack(CREATE_AWS)
    assert run.of_type(AWS_ZONE) == []
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"][0]["Resource"] == ["arn:aws:route53:::hostedzone/Z0MESH4242"]
    assert run.outputs["dns"]["zone"] == {"name": "mesh.example.com", "id": "Z0MESH4242"}
    assert run.outputs["dns"]["nameServers"] == ["ns-4242.awsdns-00.com"]


def test_aws_private_zone_of_the_same_name_is_not_reused(run_stack, monkeypatch):
    monkeypatch.setitem(fakes.AWS_ZONES, "Z0MESHPRIV", ("mesh.example.com.", True))
    assert run_stack(CREATE_AWS).one(AWS_ZONE).inputs["name"] == "mesh.example.com"


ZONE_LOOKUP_REFUSALS = [
    (
        "gcp: two public zones already serve the domain",
        "gcp",
        {"mesh-a": ("mesh.example.com.", "4716", "public"), "mesh-b": ("mesh.example.com.", "4717", "public")},
        CREATE_GCP,
        "dns.zone.create",
        "already has 2 public zones for mesh.example.com (mesh-a, mesh-b)",
    ),
    (
        "gcp: the named zone serves another domain",
        "gcp",
        {"mesh-example-com": ("other.example.com.", "4718", "public")},
        CREATE_GCP,
        "dns.zone.name",
        "is the public zone other.example.com, not the public zone of mesh.example.com",
    ),
    (
        "gcp: the domain's zone has another name than the one asked for",
        "gcp",
        {"mesh-zone": ("mesh.example.com.", "4719", "public")},
        merged(GCP, dns={"zone": {"create": True, "name": "mesh-new"}}),
        "dns.zone.name",
        "is mesh-zone, not mesh-new",
    ),
    (
        "aws: two public hosted zones of the name",
        "aws",
        {"Z0MESHONE": ("mesh.example.com.", False), "Z0MESHTWO": ("mesh.example.com.", False)},
        CREATE_AWS,
        "dns.zone.create",
        "several public hosted zones named mesh.example.com",
    ),
]


@pytest.mark.parametrize(
    ("case", "cloud", "zones", "config", "key", "words"), ZONE_LOOKUP_REFUSALS, ids=[c[0] for c in ZONE_LOOKUP_REFUSALS]
)
def test_an_ambiguous_zone_stops_the_run_before_any_cloud_or_cluster_object(
    run_stack, monkeypatch, case, cloud, zones, config, key, words
):
    for name, zone in zones.items():
        monkeypatch.setitem(fakes.GCP_ZONES if cloud == "gcp" else fakes.AWS_ZONES, name, zone)
    # the same check as the other zone-lookup refusals: nothing but the providers registered
    test_dns.test_zone_lookup_problems_stop_before_any_cloud_or_cluster_object(run_stack, case, config, key, words)


# --- destroy order ------------------------------------------------------------------------------------------


def reaches(run: Run, source, target) -> bool:
    """Whether `source` depends on `target` through recorded edges (depends_on and property dependencies):
    Pulumi deletes `source` before `target`. An edge to a Helm chart orders `source` against every object the
    chart renders too: the engine expands a dependency on a component into dependencies on its descendants
    (pulumi/pulumi pkg/resource/graph/dependency_graph.go, NewDependencyGraph, edgeKindComponent)."""
    seen: set[str] = set()
    todo = [source]
    while todo:
        current = todo.pop()
        edges = set(current.dependencies).union(*current.property_dependencies.values())
        if target.urn in edges:
            return True
        for urn in edges - seen:
            seen.add(urn)
            todo.append(run.by_urn(urn))
    return False


def custom_resources(run: Run, group: str):
    return [
        r
        for r in run.resources
        if r.type.startswith("kubernetes:") and r.type.split(":")[1].split("/")[0].endswith(group)
    ]


ORDER_CONFIGS = [
    "everything",
    *single_cluster_stacks(),
    {
        "cloud": "local",
        "gatewayApi": {"channel": "experimental", "tcpRoutes": True},
        "dns": {"domain": "mesh.localhost"},
        "mesh": {"injectedNamespaces": ["db"]},
        "routes": [{"name": "pg", "namespace": "db", "kind": "tcp", "port": 5432, "listenerPort": 5432}],
    },
]


@pytest.mark.parametrize("config", ORDER_CONFIGS, ids=["everything", *single_cluster_stacks(), "tcp-route"])
def test_custom_resources_go_before_their_crds_and_controller_and_namespaces_after_their_contents(shared, config):
    run = shared(config)
    base, istiod = run.named("istio-base"), run.named("istio-istiod")
    # Pulumi.gcp.yaml leaves the Gateway API CRDs to GKE (gatewayApi.install false): no bundle to wait for.
    bundles = run.of_type("kubernetes:yaml/v2:ConfigFile")
    assert bundles or config == "gcp"
    istio = custom_resources(run, "istio.io")
    gateway = custom_resources(run, "gateway.networking.k8s.io")
    assert istio and (gateway or config in ("aws", "gcp"))
    for resource in istio:
        assert reaches(run, resource, base) and reaches(run, resource, istiod), resource.name
    # Istio is the Gateway API controller here (GatewayClass `istio`).
    for resource in gateway:
        assert all(reaches(run, resource, bundle) for bundle in bundles), resource.name
        assert reaches(run, resource, istiod), resource.name

    namespaces = {r.inputs["metadata"]["name"]: r for r in run.of_type(NAMESPACE)}
    contents = [
        r
        for r in run.resources
        if r.type.startswith("kubernetes:")
        and r.type != NAMESPACE
        and (r.inputs.get("namespace") or (r.inputs.get("metadata") or {}).get("namespace"))
    ]
    assert len(contents) >= 6
    for resource in contents:
        namespace = resource.inputs.get("namespace") or resource.inputs["metadata"]["namespace"]
        assert namespace in namespaces, f"{resource.name}: namespace {namespace} is not the stack's"
        assert reaches(run, resource, namespaces[namespace]), resource.name


TWO_REVISIONS = {
    "istio": {
        "revisions": [{"name": "stable", "version": "1.30.3"}, {"name": "canary", "version": "1.31.0"}],
        "defaultRevision": "stable",
    },
    "mesh": {"injectedNamespaces": ["apps", {"name": "payments", "revision": "canary"}]},
}


def test_with_two_istio_revisions_base_stays_the_only_istio_adopter(shared_run):
    run = shared_run("dev", **TWO_REVISIONS)
    assert adopters(run) == {"gateway-api-standard", "istio-base", "cert-manager"}
    assert {"istio-istiod-stable", "istio-istiod-canary"} <= {r.name for r in run.resources}


@pytest.mark.parametrize(
    ("config", "default_istiod"), [("everything", "istio-istiod"), ("two-revisions", "istio-istiod-stable")]
)
def test_nothing_istiods_webhooks_act_on_outlives_their_istiod(shared, shared_run, config, default_istiod):
    """istiod's sidecar injector and validators (failurePolicy Fail) and base's default validator call an istiod
    Service: every object they validate or inject is deleted before that istiod's chart."""
    run = shared_run("dev", **TWO_REVISIONS) if config == "two-revisions" else shared(config)
    default = run.named(default_istiod)
    injected = {}
    for namespace in run.of_type(NAMESPACE):
        labels = namespace.inputs["metadata"].get("labels") or {}
        if labels.get("istio-injection") == "enabled":
            injected[namespace.name] = default  # the default tag injects these
        elif "istio.io/rev" in labels:
            injected[namespace.name] = run.named(f"istio-istiod-{labels['istio.io/rev']}")
    # the gateway chart's pods are injected too, by the default revision
    pods = [run.chart("gateway"), run.one("kubernetes:apps/v1:Deployment", "demo")]
    validated = custom_resources(run, "istio.io")
    assert len(injected) >= 2 and len(validated) >= 2
    for name, injector in injected.items():
        assert reaches(run, run.one(NAMESPACE, name), injector), name
    for resource in [*pods, *validated]:
        assert reaches(run, resource, default), resource.name


# --- what destroy keeps, and how to remove it ------------------------------------------------------------

ISTIO_CRDS = (
    "kubectl --context kind-mesh delete crd -l app.kubernetes.io/part-of=istio,app.kubernetes.io/instance=istio-base"
)
GATEWAY_API_CRDS = (
    "kubectl --context kind-mesh delete -f "
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml"
)

# cert-manager v1.21.1 deploy/charts/cert-manager/templates/_helpers.tpl, cert-manager.crd-labels
CERT_MANAGER_CRDS = (
    "kubectl --context kind-mesh delete crd -l "
    "app.kubernetes.io/name=cert-manager,app.kubernetes.io/instance=cert-manager,app.kubernetes.io/component=crds"
)


def test_kept_objects_and_their_removal_are_outputs(shared_run):
    run = shared_run("dev", kubernetes={"context": "kind-mesh"})
    assert run.outputs["keptOnDestroy"] == {
        "istioCrds": ISTIO_CRDS,
        "gatewayApiCrds": GATEWAY_API_CRDS,
        "certManagerCrds": CERT_MANAGER_CRDS,
    }


def test_crds_deleted_on_destroy_need_no_removal(shared_run):
    run = shared_run("dev", gatewayApi={"retainOnDelete": False}, tls={"mode": "off"})
    assert set(run.outputs["keptOnDestroy"]) == {"istioCrds"}


def test_a_zone_the_stack_creates_is_kept_with_its_removal(run_stack):
    gcp = run_stack(CREATE_GCP).outputs["keptOnDestroy"]["dnsZone"]
    assert gcp == "gcloud dns managed-zones delete mesh-example-com --project dns-project"
    assert (
        run_stack(CREATE_AWS).outputs["keptOnDestroy"]["dnsZone"] == "aws route53 delete-hosted-zone --id Z0CREATED9999"
    )
    # a zone the stack only looked up is not the stack's to remove
    assert "dnsZone" not in run_stack(GCP).outputs["keptOnDestroy"]
