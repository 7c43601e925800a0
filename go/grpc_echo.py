"""A bare grpcio go-plugin plugin that only echoes: the baseline of the go-plugin bench rows.

It speaks AI Studio's go-plugin handshake (magic cookie, one ``1|1|unix|<socket>|grpc|``
line on stdout), serves ``grpc.health.v1.Health`` and two ``plugin.PluginService`` RPCs:
``Initialize`` (success) and ``ProcessPostAuth`` (answers the request's headers and body
back, ``modified=true``), and ``plugin.GRPCController/Shutdown``. Nothing else: no
dispatch, no plugin, no broker. ``runtime bench``
launches it through the Go host (go/host) for ``post_auth/bridge/grpc_echo``.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from concurrent import futures
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc  # noqa: E402
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # noqa: E402

from runtime.wire import grpc_controller_pb2, plugin_pb2  # noqa: E402


def main() -> int:
    if os.environ.get("AI_STUDIO_PLUGIN") != "v1":
        print("This is a go-plugin plugin: a host launches it.", file=sys.stderr)
        return 1
    directory = tempfile.mkdtemp(prefix="grpc-echo-")
    path = os.path.join(directory, "plugin.sock")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    checker = health.HealthServicer()
    checker.set("plugin", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)

    def initialize(request: plugin_pb2.InitRequest, context: grpc.ServicerContext) -> plugin_pb2.InitResponse:
        return plugin_pb2.InitResponse(success=True)

    def post_auth(request: plugin_pb2.EnrichedRequest, context: grpc.ServicerContext) -> plugin_pb2.PluginResponse:
        return plugin_pb2.PluginResponse(modified=True, headers=request.request.headers,
                                         body=request.request.body)

    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("plugin.PluginService", {
        "Initialize": grpc.unary_unary_rpc_method_handler(
            initialize, plugin_pb2.InitRequest.FromString, plugin_pb2.InitResponse.SerializeToString),
        "ProcessPostAuth": grpc.unary_unary_rpc_method_handler(
            post_auth, plugin_pb2.EnrichedRequest.FromString, plugin_pb2.PluginResponse.SerializeToString),
    }),))
    done = threading.Event()

    def shutdown(request: grpc_controller_pb2.Empty, context: grpc.ServicerContext) -> grpc_controller_pb2.Empty:
        done.set()  # go-plugin's Kill asks the controller first
        return grpc_controller_pb2.Empty()

    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("plugin.GRPCController", {
        "Shutdown": grpc.unary_unary_rpc_method_handler(
            shutdown, grpc_controller_pb2.Empty.FromString, grpc_controller_pb2.Empty.SerializeToString),
    }),))
    server.add_insecure_port(f"unix:{path}")
    server.start()
    sys.stdout.write(f"1|1|unix|{path}|grpc|\n")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        done.wait()
    finally:
        server.stop(None)
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
