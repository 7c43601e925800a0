"""``runtime bench`` row ``bridge/dispatch_overhead``: the time our dispatch spends inside
``runtime serve`` per ``ProcessPostAuth``, measured in the server.

The bench request (~1.5 KB) goes through our go-plugin client into ``runtime serve`` on
the bench plugin in measure mode (``RUNTIME_SERVE_MEASURE=1``); the server times each
unary RPC from the servicer's entry to its answer minus the plugin instance's own
``handle`` call (protobuf to envelope, pool, deadline, answer to protobuf) and logs
p50/p99 when the host shuts it down.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

__all__ = ["dispatch_overhead_rows"]

#: The goal of ``bridge/dispatch_overhead`` (p50, microseconds).
GOAL_US = 20.0


def dispatch_overhead_rows(n: int, plugin: Path, config: dict[str, str], request: dict[str, Any],
                           row: Callable[..., Any]) -> list[Any]:
    """One row (``row`` is bench.Row): p50 and p99 in microseconds, over ``n`` calls."""
    import sys

    from ..api import available_tiers
    from ..messages import from_envelope
    from ..wire import plugin_pb2
    from .client import PluginProcess

    tier = "wasm" if available_tiers()["wasm"] == "available" else "inprocess"
    req = from_envelope(request, plugin_pb2.EnrichedRequest)
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp:
        policy = Path(tmp) / "policy.json"
        policy.write_text(json.dumps({"version": 1, "defaults": {"tier": tier}}))
        cmd = [sys.executable, "-m", "runtime.cli.main", "serve", str(plugin), "--ephemeral",
               "--policy", str(policy)]
        proc = PluginProcess(cmd, extra_env={"RUNTIME_SERVE_MEASURE": "1"}, socket_dir=tmp,
                             cwd=os.getcwd())
        proc.start()
        try:
            stub = proc.plugin_service()
            if not stub.Initialize(plugin_pb2.InitRequest(config=config)).success:
                raise RuntimeError("the bench plugin refused its configuration")
            for _ in range(n):
                if not stub.ProcessPostAuth(req).modified:
                    raise AssertionError("the bench plugin did not rewrite the request")
        finally:
            proc.stop()
    record = next((r for r in proc.log_records() if r.get("@message") == "dispatch overhead"), None)
    if record is None:
        raise RuntimeError("runtime serve did not report its dispatch time: "
                           + "\n".join(proc.stderr_lines[-10:]))
    return [row("bridge/dispatch_overhead", "latency", "us", record["dispatch_p50_us"],
                record["dispatch_p99_us"], int(record["dispatch_n"]), goal=GOAL_US,
                note=f"inside runtime serve ({tier} tier): servicer entry to answer minus the "
                     "plugin's own handle call (ProcessPostAuth, ~1.5 KB)")]


def python_client_echo_row(n: int, request: dict[str, Any], row: Callable[..., Any]) -> Any:
    """``post_auth/bridge/grpc_echo`` timed in our Python go-plugin client, for machines
    without the Go client: the bench request into the bare grpcio echo plugin
    (go/grpc_echo.py) through the go-plugin handshake, one persistent channel."""
    import statistics
    import sys
    import time

    from ..messages import from_envelope
    from ..wire import plugin_pb2
    from .client import PluginProcess

    echo = Path(__file__).resolve().parents[2] / "go" / "grpc_echo.py"
    req = from_envelope(request, plugin_pb2.EnrichedRequest)
    with tempfile.TemporaryDirectory(prefix="bench-echo-") as tmp:
        proc = PluginProcess([sys.executable, str(echo)], socket_dir=tmp).start()
        try:
            stub = proc.plugin_service()
            call = stub.ProcessPostAuth
            for _ in range(min(200, n)):
                call(req)
            samples = []
            for _ in range(n):
                t0 = time.perf_counter_ns()
                if not call(req).modified:
                    raise AssertionError("the echo plugin did not answer modified=true")
                samples.append((time.perf_counter_ns() - t0) / 1000)
        finally:
            proc.stop()
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return row("post_auth/bridge/grpc_echo", "latency", "us", round(statistics.median(ordered), 2),
               round(p99, 2), n, note="no Go client here: timed in our Python go-plugin client "
               "(runtime/bridge/client.py) into the bare grpcio echo plugin (go/grpc_echo.py)")
