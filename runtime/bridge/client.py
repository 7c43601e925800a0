"""The host side of go-plugin, in Python: launch a plugin command, handshake, connect.

What go-plugin's Go client does for AI Studio and the Microgateway (PROTOCOL.md 2.1-2.7):

.. code-block:: python

    with PluginProcess(["runtime", "serve", "examples/request_enricher"]) as proc:
        proc.health_check()                          # grpc.health.v1, service "plugin"
        broker_id = proc.serve_on_broker(add_fn)     # our services back to the plugin
        stub = proc.plugin_service()                 # plugin.PluginService stub
        stub.Initialize(InitRequest(config={...}))
    # leaving: closes the broker, GRPCController/Shutdown, waits 2 s, then kills

Launch with the handshake environment (cookie, protocol versions, port range, socket
directory), read exactly one handshake line from stdout (60 s by default), dial the Unix
socket (or TCP address), open ``GRPCBroker/StartStream`` at once and keep it open, and
offer brokered servers by ID (``ConnInfo`` down the stream). Reusable by a process
backend that runs go-plugin binaries.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, Mapping, Sequence

import grpc
from google.protobuf import empty_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ..wire import (config_provider_pb2_grpc, grpc_broker_pb2, grpc_broker_pb2_grpc,
                    grpc_controller_pb2, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc,
                    plugin_pb2_grpc)
from .goplugin import (APP_PROTOCOL_VERSION, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, Handshake,
                       HandshakeError, channel_options, parse_handshake)

__all__ = ["PluginProcess", "PluginStartError", "handshake_env", "KILL_GRACE_S"]

log = logging.getLogger("runtime.bridge.client")

#: go-plugin's Kill(): wait this long after the controller's Shutdown, then SIGKILL.
KILL_GRACE_S = 2.0


class PluginStartError(RuntimeError):
    """The plugin did not start: no or a bad handshake, exit before it, no connection."""


def handshake_env(socket_dir: str | None = None, *, min_port: int = 10000,
                  max_port: int = 25000) -> dict[str, str]:
    """The environment go-plugin's client adds for AI Studio's handshake."""
    env = {MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE,
           "PLUGIN_PROTOCOL_VERSIONS": str(APP_PROTOCOL_VERSION),
           "PLUGIN_MIN_PORT": str(min_port), "PLUGIN_MAX_PORT": str(max_port)}
    if socket_dir:
        env["PLUGIN_UNIX_SOCKET_DIR"] = socket_dir
    return env


class _BrokeredServer:
    def __init__(self, broker_id: int, server: grpc.Server, path: str) -> None:
        self.id = broker_id
        self.server = server
        self.path = path


class PluginProcess:
    """One launched plugin process and the gRPC connection to it."""

    def __init__(self, command: Sequence[str], *, env: Mapping[str, str] | None = None,
                 extra_env: Mapping[str, str] | None = None, cwd: str | None = None,
                 start_timeout_s: float = 60.0, socket_dir: str | None = None,
                 kill_grace_s: float = KILL_GRACE_S) -> None:
        self.command = list(command)
        self._base_env = dict(os.environ if env is None else env)
        self._extra_env = dict(extra_env or {})
        self.cwd = cwd
        self.start_timeout_s = start_timeout_s
        self.socket_dir = socket_dir
        self.kill_grace_s = kill_grace_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.handshake: Handshake | None = None
        self.channel: grpc.Channel | None = None
        self.stderr_lines: list[str] = []
        self.stdout_after_handshake: list[bytes] = []
        self._broker_dir: str | None = None
        self._broker_requests: "queue.Queue[grpc_broker_pb2.ConnInfo | None]" = queue.Queue()
        self._broker_call: Any = None
        self._readers: list[threading.Thread] = []
        self._brokered: list[_BrokeredServer] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.exit_seconds: float | None = None  # how long the process took to exit on stop

    # -- start --------------------------------------------------------------------------------
    def start(self) -> "PluginProcess":
        env = {**self._base_env, **handshake_env(self.socket_dir), **self._extra_env}
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=self.cwd)
        lines: "queue.Queue[bytes | None]" = queue.Queue()
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(lines,), daemon=True, name="plugin-stdout"),
            threading.Thread(target=self._read_stderr, daemon=True, name="plugin-stderr")]
        for t in self._readers:
            t.start()
        try:
            first = lines.get(timeout=self.start_timeout_s)
        except queue.Empty:
            self._kill()
            raise PluginStartError(f"timeout while waiting for the plugin to start "
                                   f"({self.start_timeout_s:.0f} s){self._stderr_tail()}") from None
        if first is None:
            code = self.proc.wait()
            raise PluginStartError(f"plugin exited before we could connect (status {code})"
                                   f"{self._stderr_tail()}")
        try:
            self.handshake = parse_handshake(first.decode("utf-8", "replace"))
        except HandshakeError as exc:
            self._kill()
            raise PluginStartError(str(exc)) from None
        if self.handshake.server_cert and len(self.handshake.server_cert) > 50:
            self._kill()
            raise PluginStartError("the plugin answered with an AutoMTLS certificate, which this "
                                   "client does not support (grpc/grpc#41089)")
        self.channel = grpc.insecure_channel(self.handshake.target, options=channel_options())
        try:
            grpc.channel_ready_future(self.channel).result(timeout=10)
        except grpc.FutureTimeoutError:
            self.stop()
            raise PluginStartError(f"cannot connect to {self.handshake.target}") from None
        stub = grpc_broker_pb2_grpc.GRPCBrokerStub(self.channel)
        self._broker_call = stub.StartStream(iter(self._broker_requests.get, None))
        threading.Thread(target=self._drain_broker, daemon=True, name="broker-stream").start()
        return self

    def _read_stdout(self, lines: "queue.Queue[bytes | None]") -> None:
        assert self.proc is not None and self.proc.stdout is not None
        first = True
        for line in self.proc.stdout:
            if first:
                lines.put(line)
                first = False
            else:
                self.stdout_after_handshake.append(line)
        if first:
            lines.put(None)
        self.proc.stdout.close()

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if len(self.stderr_lines) < 10_000:
                self.stderr_lines.append(line)
        self.proc.stderr.close()

    def _stderr_tail(self) -> str:
        time.sleep(0.05)
        tail = "\n".join(self.stderr_lines[-20:])
        return f"; plugin stderr:\n{tail}" if tail else ""

    def _drain_broker(self) -> None:
        try:
            for _info in self._broker_call:
                pass  # the reverse direction (plugin-offered services) is unused by the hosts
        except grpc.RpcError:
            pass

    def log_records(self) -> list[dict[str, Any]]:
        """The plugin's stderr lines that are go-plugin JSON log records."""
        out = []
        for line in list(self.stderr_lines):
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict) and "@message" in doc:
                out.append(doc)
        return out

    # -- services -----------------------------------------------------------------------------
    def _ch(self) -> grpc.Channel:
        if self.channel is None:
            raise PluginStartError("the plugin is not started")
        return self.channel

    def plugin_service(self) -> plugin_pb2_grpc.PluginServiceStub:
        return plugin_pb2_grpc.PluginServiceStub(self._ch())

    def config_provider(self) -> config_provider_pb2_grpc.ConfigProviderServiceStub:
        return config_provider_pb2_grpc.ConfigProviderServiceStub(self._ch())

    def health_check(self, service: str = "plugin", timeout_s: float = 5.0) -> int:
        """The serving status of ``service`` (1 = SERVING)."""
        stub = health_pb2_grpc.HealthStub(self._ch())
        return int(stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout_s).status)

    def stdio(self, timeout_s: float | None = None) -> Any:
        """``GRPCStdio/StreamStdio``: the plugin's stdout/stderr after the handshake (an
        iterator of ``StdioData``; ``cancel()`` ends it)."""
        return grpc_stdio_pb2_grpc.GRPCStdioStub(self._ch()).StreamStdio(empty_pb2.Empty(),
                                                                          timeout=timeout_s)

    def next_broker_id(self) -> int:
        return next(self._ids)

    def serve_on_broker(self, register: Callable[[grpc.Server], None],
                        broker_id: int | None = None, announce: bool = True) -> int:
        """Serve a new gRPC server (``register`` adds its services) on a Unix socket and
        send its ``ConnInfo`` down the broker stream; returns the broker ID."""
        bid = self.next_broker_id() if broker_id is None else broker_id
        with self._lock:
            if self._broker_dir is None:
                self._broker_dir = tempfile.mkdtemp(prefix="plugin-broker-")
        path = os.path.join(self._broker_dir, f"broker{bid}")
        server = grpc.server(ThreadPoolExecutor(max_workers=16, thread_name_prefix=f"broker{bid}"),
                             options=channel_options())
        register(server)
        if not server.add_insecure_port(f"unix:{path}"):
            raise RuntimeError(f"cannot bind the broker socket {path}")
        server.start()
        with self._lock:
            self._brokered.append(_BrokeredServer(bid, server, path))
        if announce:
            self._broker_requests.put(grpc_broker_pb2.ConnInfo(service_id=bid, network="unix", address=path))
        return bid

    # -- stop ---------------------------------------------------------------------------------
    def stop(self) -> int | None:
        """go-plugin's Kill(): close the broker stream, GRPCController/Shutdown, wait the
        grace period, then SIGKILL. Returns the exit status."""
        if self.proc is None:
            return None
        started = time.monotonic()
        self._broker_requests.put(None)
        if self.channel is not None and self.proc.poll() is None:
            try:
                grpc_controller_pb2_grpc.GRPCControllerStub(self.channel).Shutdown(
                    grpc_controller_pb2.Empty(), timeout=1.0)
            except grpc.RpcError:
                pass  # ignored, as go-plugin does
        code = self._wait_or_kill(started)
        self._close_transport()
        return code

    def _wait_or_kill(self, started: float) -> int:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=max(0.0, self.kill_grace_s - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            log.warning("plugin %s did not exit within %.1f s; killing it", self.command,
                        self.kill_grace_s)
            self.proc.kill()
            code = self.proc.wait()
        if self.exit_seconds is None:
            self.exit_seconds = time.monotonic() - started
        return code

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_transport()

    def _close_transport(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            for t in self._readers:  # the pipes reach end of file once the process is gone
                t.join(timeout=2.0)
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        with self._lock:
            servers, self._brokered = self._brokered, []
        for b in servers:
            b.server.stop(0)
        if self._broker_dir is not None:
            shutil.rmtree(self._broker_dir, ignore_errors=True)
            self._broker_dir = None

    def __enter__(self) -> "PluginProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
