"""external-dns reads the annotations the stack writes under the prefix the stack hands it, so a chart bump cannot
silently drop them: external-dns 0.22 (chart 1.22.0) changes the default prefix from `external-dns.alpha.kubernetes.io/`
to `external-dns.kubernetes.io/` with no fallback (kubernetes-sigs/external-dns v0.22.0 source/annotations). The
chart value `annotationPrefix` and the flag `--annotation-prefix` exist at the pinned chart 1.21.1 / v0.21.0."""

from __future__ import annotations

from typing import Any

from tests.test_dns import GCP, merged

PREFIX = "external-dns.alpha.kubernetes.io/"  # v0.21.0 source/annotations/annotations.go DefaultAnnotationPrefix


def annotation_keys(value: Any) -> set[str]:
    """Every annotation key under any `metadata.annotations` in `value`."""
    if isinstance(value, list):
        return set().union(*(annotation_keys(v) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found = (
        set((value.get("metadata") or {}).get("annotations") or {})
        if isinstance(value.get("metadata"), dict)
        else set()
    )
    return found.union(*(annotation_keys(v) for v in value.values()))


def test_the_chart_reads_the_prefix_every_written_annotation_has(run_stack):
    config = merged(
        GCP,
        cloud="local",
        gcp={"identity": "key"},
        dns={
            "enabled": True,
            "target": "ingress.example.net",
            "sources": ["service", "gateway-httproute", "gateway-tcproute"],
        },
        gatewayApi={"channel": "experimental", "tcpRoutes": True},
        mesh={"injectedNamespaces": ["shop"]},
        routes=[
            {"name": "shop", "namespace": "shop"},
            {"name": "db", "namespace": "shop", "kind": "tcp", "service": "pg", "port": 5432, "listenerPort": 5432},
        ],
    )
    run = run_stack(config)
    assert run.chart("external-dns").inputs["values"]["annotationPrefix"] == PREFIX
    written = {key for r in run.resources for key in annotation_keys(r.inputs) if "external-dns" in key}
    assert written == {f"{PREFIX}target", f"{PREFIX}hostname"}


def test_the_scan_sees_annotations_at_any_depth():
    found = annotation_keys(
        {"spec": {"template": {"metadata": {"annotations": {"a/b": "1"}}}}, "metadata": {"annotations": {"c": "2"}}}
    )
    assert found == {"a/b", "c"}
