"""Stands in for `pulumi-language-python`, which the Go module proxy does not serve (no version of
github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 is listed or accepted).

It serves the locked Python SDK's own language runtime (pulumi.automation's LanguageServer, the one every
Automation API inline program runs in) on a free loopback port, and runs the project's `__main__.py` in it;
the e2e passes that address to the real CLI as `--client`, which the CLI supports for exactly this. One
process per CLI command, so no Python state survives from one command to the next, as with the real host.
What differs from the real host: dependency installation and virtualenv selection (the e2e runs in the
project's venv already), and the `pulumi-language-python-exec` wrapper.

Usage: python -m e2e.language_host PROJECT_DIR   (prints the port, serves until killed)
"""

from __future__ import annotations

import runpy
import sys
from concurrent import futures
from pathlib import Path

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import language_pb2_grpc


def main() -> None:
    project = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(project))

    def program() -> None:
        runpy.run_path(str(project / "__main__.py"), run_name="__main__")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=_GRPC_CHANNEL_OPTIONS)
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageServer(program), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
