"""A minimal go-plugin plugin in Python for the process tier's output tests: after the
handshake it writes a go-plugin JSON log line and a ``[ERROR]`` text line to stderr, and
serves ``plugin.GRPCStdio`` (as go-plugin 1.2+ servers do) carrying one stdout line."""

from __future__ import annotations

import json
import sys
import tempfile
import threading
from concurrent import futures
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import grpc  # noqa: E402
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # noqa: E402

from runtime.wire import grpc_controller_pb2, grpc_stdio_pb2, plugin_pb2  # noqa: E402


def main() -> None:
    path = tempfile.mkdtemp(prefix="plugin", dir=None) + "/sock"
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    checker = health.HealthServicer()
    checker.set("plugin", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    done = threading.Event()

    def stdio(request: object, context: grpc.ServicerContext):  # type: ignore[no-untyped-def]
        yield grpc_stdio_pb2.StdioData(channel=grpc_stdio_pb2.StdioData.STDOUT, data=b"printed after the handshake\n")
        done.wait()

    def shutdown(request: object, context: grpc.ServicerContext) -> grpc_controller_pb2.Empty:
        done.set()
        return grpc_controller_pb2.Empty()

    def initialize(request: object, context: grpc.ServicerContext) -> plugin_pb2.InitResponse:
        return plugin_pb2.InitResponse(success=True)

    def post_auth(request: plugin_pb2.EnrichedRequest, context: grpc.ServicerContext) -> plugin_pb2.PluginResponse:
        return plugin_pb2.PluginResponse(modified=True, headers={"x-fake": "1"})

    h = grpc.unary_unary_rpc_method_handler
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("plugin.GRPCStdio", {"StreamStdio": grpc.unary_stream_rpc_method_handler(
            stdio, lambda b: b, grpc_stdio_pb2.StdioData.SerializeToString)}),
        grpc.method_handlers_generic_handler("plugin.GRPCController", {"Shutdown": h(
            shutdown, grpc_controller_pb2.Empty.FromString, grpc_controller_pb2.Empty.SerializeToString)}),
        grpc.method_handlers_generic_handler("plugin.PluginService", {
            "Initialize": h(initialize, plugin_pb2.InitRequest.FromString, plugin_pb2.InitResponse.SerializeToString),
            "ProcessPostAuth": h(post_auth, plugin_pb2.EnrichedRequest.FromString,
                                 plugin_pb2.PluginResponse.SerializeToString)}),
    ))
    server.add_insecure_port(f"unix:{path}")
    server.start()
    print(f"1|1|unix|{path}|grpc|", flush=True)
    print(json.dumps({"@level": "warn", "@message": "json warning", "@timestamp": "2026-01-01T00:00:00.000000Z",
                      "component": "fake"}), file=sys.stderr, flush=True)
    print("[ERROR] text error", file=sys.stderr, flush=True)
    done.wait()
    server.stop(None)


if __name__ == "__main__":
    main()
