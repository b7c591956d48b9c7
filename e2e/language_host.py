"""Stands in for `pulumi-language-python`, which the Go module proxy does not serve (no version of
github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 is listed or accepted).

It serves the locked Python SDK's own language runtime (pulumi.automation's LanguageServer, the one every
Automation API inline program runs in) on a free loopback port, and runs the project's `__main__.py` in it;
the e2e passes that address to the real CLI as `--client`, which the CLI supports for exactly this. One
process per CLI command, so no Python state survives from one command to the next, as with the real host.
What differs from the real host: dependency installation and virtualenv selection (the e2e runs in the
project's venv already), and the `pulumi-language-python-exec` wrapper.

With E2E_AWAIT_TIMEOUT_SECONDS set, every workload and Service (Deployment, StatefulSet, DaemonSet, Service, the
charts' children included) gets that create and update timeout (a `customTimeouts` resource option, which the
provider's awaits take instead of their 10-minute default and which no diff sees): the fault scenarios
(e2e/faults.py) see a workload that never becomes Ready fail in seconds, not minutes.

Usage: python -m e2e.language_host PROJECT_DIR   (prints the port, serves until killed)
"""

from __future__ import annotations

import os
import runpy
import sys
from concurrent import futures
from pathlib import Path

import grpc
import pulumi
from pulumi.automation._server import LanguageServer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import language_pb2_grpc


def main() -> None:
    project = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(project))

    def program() -> None:
        timeout = os.environ.get("E2E_AWAIT_TIMEOUT_SECONDS")
        if timeout:
            pulumi.runtime.register_resource_transform(workload_timeouts(f"{int(timeout)}s"))
        runpy.run_path(str(project / "__main__.py"), run_name="__main__")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=_GRPC_CHANNEL_OPTIONS)
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageServer(program), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    server.wait_for_termination()


AWAITED = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    # A Service with a selector is awaited until a ready pod backs it: an un-ready workload holds it too.
    "kubernetes:core/v1:Service",
)


def workload_timeouts(timeout: str) -> pulumi.ResourceTransform:
    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ not in AWAITED:
            return None
        timeouts = pulumi.CustomTimeouts(create=timeout, update=timeout)
        return pulumi.ResourceTransformResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(custom_timeouts=timeouts))
        )

    return transform


if __name__ == "__main__":
    main()
