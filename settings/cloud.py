"""Where the cluster runs: `cloud`, `kubernetes` (which kubeconfig and context), and the `gcp` / `aws` sections."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from settings.fields import Section

_GCP_PROJECT = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")


_AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def _gcp_project(value: str) -> str:
    if not _GCP_PROJECT.match(value):
        raise ValueError(f"{value!r} is not a GCP project id (6-30 lower-case letters, digits and '-')")
    return value


def _aws_region(value: str) -> str:
    if not _AWS_REGION.match(value):
        raise ValueError(f"{value!r} is not an AWS region, e.g. eu-west-1")
    return value


GcpProject = Annotated[str, AfterValidator(_gcp_project)]


AwsRegion = Annotated[str, AfterValidator(_aws_region)]


Cloud = Literal["local", "gcp", "aws"]


class KubernetesSettings(Section):
    """Which cluster to talk to. Neither set: the ambient kubeconfig and its current context."""

    kubeconfig: str | None = Field(None, description="path to a kubeconfig file, or its contents")
    context: str | None = Field(None, description="kubeconfig context to use")


class GcpSettings(Section):
    """Google Cloud: the cluster's project, and where the DNS zone lives."""

    project: GcpProject = Field(description="the GKE cluster's project (holds the DNS service account)")
    dns_project: GcpProject | None = Field(None, description="project of the managed zone; default: project")
    identity: Literal["workload-identity", "key"] = Field(
        "workload-identity", description="key: a service-account key in the Secret cloud-dns-key"
    )
    zone_visibility: Literal["public", "private"] = "public"

    @property
    def zone_project(self) -> str:
        return self.dns_project or self.project


class AwsSettings(Section):
    region: AwsRegion
    cluster_name: str | None = Field(None, description="the EKS cluster (irsa: its OIDC issuer; pod-identity)")
    oidc_issuer_url: str | None = Field(None, description="irsa without a cluster lookup: the issuer URL")
    identity: Literal["irsa", "pod-identity", "access-key"] = "irsa"
    zone_type: Literal["public", "private"] = "public"

    @model_validator(mode="after")
    def _issuer_is_https(self) -> AwsSettings:
        if self.oidc_issuer_url is not None and not self.oidc_issuer_url.startswith("https://"):
            raise ValueError(f"oidcIssuerUrl {self.oidc_issuer_url!r} must be an https:// URL")
        return self
