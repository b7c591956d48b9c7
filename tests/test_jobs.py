"""Every Job the stack runs is bounded (its own deadline, a small retry), pinned (an image by digest), awaited
longer than its deadline (so the `up` reports the Job's reason, not a bare timeout) and run again by the next
`up` after a failure instead of failing it forever."""

from __future__ import annotations

import re

import pytest

JOB = "kubernetes:batch/v1:Job"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


@pytest.mark.parametrize("stack", ["dev", "gcp", "aws"])
def test_every_job_is_bounded_pinned_awaited_past_its_deadline_and_rerun(shared_run, stack):
    jobs = shared_run(stack).of_type(JOB)
    assert jobs
    for job in jobs:
        spec, annotations = job.inputs["spec"], job.inputs["metadata"]["annotations"]
        assert spec["backoffLimit"] <= 1, job.name
        assert 0 < spec["activeDeadlineSeconds"] <= 1800, job.name
        assert int(annotations["pulumi.com/timeoutSeconds"]) > spec["activeDeadlineSeconds"], job.name
        assert annotations["pulumi.com/replaceUnready"] == "true", job.name
        for container in spec["template"]["spec"]["containers"]:
            assert DIGEST.search(container["image"]), f"{job.name}: {container['image']}"
