"""The e2e's own pieces that its run only prints or relies on: the versions it reads from a mirror, the ratio to the
helm sequence, the scale curve, the cloud plugin doubles. (The e2e itself is the test of the rest.)"""

from __future__ import annotations

import pytest
import yaml
from pulumi.runtime.proto import provider_pb2

from e2e.cloud_provider import INVOKES, RESOURCES, CloudProvider
from e2e.helm_comparison import ratio_lines, version_in
from e2e.mirror import held_versions
from e2e.random_provider import plain, struct
from e2e.scale import curve, scaled_settings


def write_index(directory, entries: dict[str, list[str]]) -> None:
    (directory / "charts").mkdir()
    index = {"apiVersion": "v1", "entries": {c: [{"version": v} for v in vs] for c, vs in entries.items()}}
    (directory / "charts" / "index.yaml").write_text(yaml.safe_dump(index))


def test_held_versions_in_release_order_not_text_order(tmp_path):
    write_index(tmp_path, {"istiod": ["1.30.3", "1.9.0", "1.29.6", "1.30.3"], "cert-manager": ["v1.21.1"]})
    assert held_versions(tmp_path, "istiod") == ["1.9.0", "1.29.6", "1.30.3"]
    assert held_versions(tmp_path, "cert-manager") == ["v1.21.1"]
    assert held_versions(tmp_path, "ztunnel") == []


def test_helm_takes_the_pin_when_held_else_the_newest_held(tmp_path):
    write_index(tmp_path, {"istiod": ["1.29.6", "1.30.3"]})
    assert version_in(tmp_path, "istiod", "1.29.6") == "1.29.6"
    assert version_in(tmp_path, "istiod", "1.31.0") == "1.30.3"


def test_ratio_of_the_first_up_and_destroy_to_the_helm_sequence():
    timings = [
        ("helm sequence: install (kubectl apply + helm install --wait)", 16.0),
        ("helm sequence: uninstall", 2.0),
        ("up (dev, first)", 24.0),
        ("destroy (destroy)", 30.0),
        ("up (dev, first, PULUMI_SKIP_CHECKPOINTS)", 24.5),
        ("destroy (PULUMI_SKIP_CHECKPOINTS)", 29.9),
    ]
    up, destroy, fast_up, fast_destroy = ratio_lines(timings)
    assert up.endswith("= 1.50x (goal <= 1.5x: met)"), up
    assert destroy.endswith("= 15.00x (goal under 30 s: not met)"), destroy
    assert fast_up.endswith("= 1.53x (goal <= 1.5x: not met)"), fast_up
    assert fast_destroy.endswith("= 14.95x (goal under 30 s: met)"), fast_destroy


def test_ratio_says_when_a_side_was_not_run():
    lines = ratio_lines([("up (dev, first)", 24.0)])
    assert len(lines) == 4 and all("not measured" in line for line in lines), lines


def test_scale_curve_one_row_per_size_in_phase_order():
    timings = [
        ("scale 10: preview", 5.0),
        ("scale 10: up", 30.0),
        ("scale 10: no-op preview", 4.0),
        ("destroy (scale 10: destroy)", 20.0),
        ("scale 1: preview", 3.0),
    ]
    lines = curve(timings)
    assert lines[2].split() == ["e2e:", "1", "3.0", "-", "-", "-"]
    assert lines[3].split() == ["e2e:", "10", "5.0", "30.0", "4.0", "20.0"]


def test_scale_settings_one_route_per_injected_namespace():
    settings = scaled_settings(3)
    assert settings["mesh"]["injectedNamespaces"] == ["apps", "scale-0", "scale-1", "scale-2"]
    assert [(r["name"], r["namespace"]) for r in settings["routes"]] == [
        ("route-0", "scale-0"),
        ("route-1", "scale-1"),
        ("route-2", "scale-2"),
    ]


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_the_cloud_double_knows_every_cloud_resource_and_invoke_the_shipped_stack_uses(shared_run, cloud):
    run = shared_run(cloud)
    used = {r.type for r in run.resources if r.type.startswith(f"{cloud}:")}
    invoked = {token for token, _, _ in run.calls if token.startswith(f"{cloud}:")}
    assert used and used <= RESOURCES[cloud], used - RESOURCES[cloud]
    assert invoked and invoked <= INVOKES[cloud], invoked - INVOKES[cloud]


class Refused(Exception):
    pass


class RpcContext:
    def abort(self, code, message):
        raise Refused(message)


def test_the_cloud_double_refuses_what_it_does_not_know():
    double = CloudProvider("aws")
    bucket = "urn:pulumi:aws::service-mesh::aws:s3/bucket:Bucket::b"
    with pytest.raises(Refused, match="makes no aws:s3/bucket:Bucket"):
        double.Check(provider_pb2.CheckRequest(urn=bucket, news=struct({})), RpcContext())
    with pytest.raises(Refused, match="answers no gcp:dns/getManagedZone"):
        double.Invoke(provider_pb2.InvokeRequest(tok="gcp:dns/getManagedZone:getManagedZone"), RpcContext())


def test_the_cloud_double_computes_what_the_real_provider_does():
    double = CloudProvider("aws")
    key = "urn:pulumi:aws::service-mesh::aws:iam/accessKey:AccessKey::external-dns"
    made = double.Create(provider_pb2.CreateRequest(urn=key, properties=struct({"user": "external-dns"})), RpcContext())
    assert made.id == "AKIAIOSFODNN7EXAMPLE"
    assert plain(made.properties) == {"user": "external-dns", "secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
