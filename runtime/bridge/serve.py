"""``runtime serve PLUGIN_DIR``: a plugin as a go-plugin plugin process.

AI Studio and the Microgateway launch it like a Go plugin built with the Go SDK
(PROTOCOL.md sections 2, 5, 6, 11):

* the magic cookie ``AI_STUDIO_PLUGIN=v1`` must be in the environment (else a readable
  message on stderr and exit status 1), ``PLUGIN_PROTOCOL_VERSIONS`` must offer 1,
  ``PLUGIN_CLIENT_CERT`` (AutoMTLS) is refused with a clear error (grpcio cannot
  negotiate go-plugin's P-521 certificate, grpc/grpc#41089; neither host uses it);
* the socket is a Unix socket ``plugin<digits>`` in ``PLUGIN_UNIX_SOCKET_DIR`` (else the
  temp directory), group ``PLUGIN_UNIX_SOCKET_GROUP`` (mode 0660) when set; with
  ``--network tcp`` it is ``127.0.0.1`` at the first free port of
  ``PLUGIN_MIN_PORT``..``PLUGIN_MAX_PORT`` (10000..25000);
* stdout carries exactly one line, ``1|1|unix|<socket>|grpc|``; anything written to
  stdout afterwards goes to ``plugin.GRPCStdio`` instead, and logs go to stderr as
  go-plugin (hclog) JSON lines;
* one gRPC server: ``grpc.health.v1.Health`` (``plugin`` SERVING), ``plugin.GRPCBroker``,
  ``plugin.GRPCController`` (Shutdown: the process exits within 2 s),
  ``plugin.GRPCStdio``, ``plugin.PluginService`` and
  ``config_provider.ConfigProviderService``;
* the plugin runs on the policy's tier (wasm unless the operator's policy says
  otherwise); ``Initialize`` passes the flat string map to every instance's
  ``initialize``, and takes the plugin ID and service broker ID from the reserved keys
  of either host (``_plugin_id``/``plugin_id``, ``_service_broker_id``/
  ``service_broker_id``); the runtime (studio/gateway) comes from ``PLUGIN_RUNTIME``,
  ``GATEWAY_MODE``, ``MICROGATEWAY_MODE`` as the Go SDK decides it;
* with a broker ID the plugin's service calls go to the host over the broker
  (runtime/broker/forwarding.py), dialled once and shared; without one, to the embedded
  services;
* SIGINT is ignored (as go-plugin plugins do), SIGTERM stops, and so does the death of
  the parent process (no orphans); the socket file is removed on every exit path.
"""

from __future__ import annotations

import grp
import logging
import os
import random
import signal
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from host_abi.errors import ErrorCode
from host_abi.hooks import HOOKS, HookSpec

from ..api import Runtime, RuntimeConfig
from ..broker.forwarding import ForwardingServices
from ..broker.services import OpError
from ..dispatch import PluginHost
from ..errors import ConfigError, PluginRuntimeError
from ..messages import message_class
from ..wire import (config_provider_pb2_grpc, grpc_broker_pb2_grpc, grpc_controller_pb2_grpc,
                    grpc_stdio_pb2_grpc, plugin_pb2, plugin_pb2_grpc)
from .goplugin import (APP_PROTOCOL_VERSION, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE,
                       MAX_MESSAGE_BYTES, BrokerServicer, BrokerUnavailable, ControllerServicer,
                       JsonLogFormatter, StdioServicer, handshake_line)
from .fastwire import from_envelope as fast_from_envelope
from .fastwire import to_envelope as fast_to_envelope
from .servicers import ConfigProviderServicer, PluginServiceServicer, _abort, _abort_internal

__all__ = ["serve", "ServeOptions", "COOKIE_MESSAGE", "AUTOMTLS_MESSAGE", "SHUTDOWN_GRACE_S"]

log = logging.getLogger("runtime.serve")

COOKIE_MESSAGE = (
    "This program is an AI Studio / Microgateway plugin and is not meant to be run by hand.\n"
    "The host (AI Studio or the Microgateway) launches it and speaks to it over gRPC; point the\n"
    "plugin's command at this program there. To try a plugin directly use `runtime call`.\n"
    f"(missing magic cookie: {MAGIC_COOKIE_KEY}={MAGIC_COOKIE_VALUE} is not in the environment)\n"
)
AUTOMTLS_MESSAGE = (
    "error: the host asked for go-plugin AutoMTLS (PLUGIN_CLIENT_CERT is set), which this "
    "plugin process does not support: grpcio cannot negotiate go-plugin's P-521 certificate "
    "(grpc/grpc#41089). AI Studio and the Microgateway do not use AutoMTLS; turn it off in "
    "the host's plugin client.\n"
)
#: How long a service call waits for the host's connection information of its broker ID.
#: The hosts send it before Initialize, so it is normally there; go-plugin's client waits
#: 5 s, but a plugin call has its own (shorter) deadline.
BROKER_WAIT_S = 1.0
#: The whole stop (server, sessions, plugin shutdown hooks) is bounded by this.
SHUTDOWN_GRACE_S = 1.0


@dataclass
class ServeOptions:
    plugin_dir: Path
    name: str | None = None
    policy: Path | None = None
    state_dir: Path | None = None
    ephemeral: bool = False
    fixtures: Path | None = None
    network: str = "unix"
    verbose: bool = False


@dataclass
class _Session:
    """What the host told us about itself."""

    plugin_id: int = 0
    broker_id: int = 0
    config_keys: list[str] = field(default_factory=list)


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def _fail(message: str) -> int:
    sys.stderr.write(message if message.endswith("\n") else message + "\n")
    sys.stderr.flush()
    return 1


def _int_env(environ: Mapping[str, str], key: str, default: int) -> int:
    raw = environ.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{key}={raw!r} is not an integer") from None


def check_environment(environ: Mapping[str, str]) -> str | None:
    """The reason this process must not start, or None (cookie, versions, AutoMTLS)."""
    if environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        return COOKIE_MESSAGE
    if environ.get("PLUGIN_CLIENT_CERT"):
        return AUTOMTLS_MESSAGE
    raw = environ.get("PLUGIN_PROTOCOL_VERSIONS", "").strip()
    if raw:
        offered = []
        for part in raw.split(","):
            try:
                offered.append(int(part))
            except ValueError:
                return f"error: PLUGIN_PROTOCOL_VERSIONS={raw!r} is not a list of integers\n"
        if APP_PROTOCOL_VERSION not in offered:
            return (f"error: incompatible plugin protocol: the host offers versions {offered}, "
                    f"this plugin speaks version {APP_PROTOCOL_VERSION}\n")
    return None


class _TimedInstance:
    """An instance whose ``handle`` calls add their time to the probe's guest time."""

    def __init__(self, inner: Any, probe: "_DispatchProbe") -> None:
        self._inner = inner
        self._probe = probe

    def handle(self, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter_ns()
        try:
            return self._inner.handle(*args, **kwargs)
        finally:
            self._probe._guest_ns += time.perf_counter_ns() - t0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _DispatchProbe:
    """Measure mode (``RUNTIME_SERVE_MEASURE=1``, used by ``runtime bench``): the time each
    unary RPC spends in our dispatch inside this server, i.e. from the servicer's entry to
    its answer minus the plugin instance's own ``handle`` call. Sequential callers only."""

    def __init__(self, host: PluginHost) -> None:
        self.samples_ns: list[int] = []
        self._guest_ns = 0
        for slot in list(host._idle):
            slot.instance = _TimedInstance(slot.instance, self)

    def start(self) -> int:
        self._guest_ns = 0
        return time.perf_counter_ns()

    def stop(self, t0: int) -> None:
        if len(self.samples_ns) < 1_000_000:
            self.samples_ns.append(time.perf_counter_ns() - t0 - self._guest_ns)

    def report(self) -> None:
        if not self.samples_ns:
            return
        ordered = sorted(self.samples_ns)
        p50 = ordered[len(ordered) // 2] / 1000
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] / 1000
        log.info("dispatch overhead", extra={"plugin_fields": {
            "dispatch_p50_us": round(p50, 2), "dispatch_p99_us": round(p99, 2),
            "dispatch_n": len(ordered)}})


class ServePluginServicer(PluginServiceServicer):
    """PluginService as the Go SDK answers it: Initialize with the reserved keys,
    sessions naming the host's plugin ID, Shutdown closing the session."""

    def __init__(self, host: PluginHost, runtime: Runtime, broker: BrokerServicer) -> None:
        super().__init__(host)
        self.runtime = runtime
        self.broker = broker
        self.session = _Session()
        self.forwarding: ForwardingServices | None = None
        self._lock = threading.Lock()
        self.probe: _DispatchProbe | None = None

    def _unary(self, spec: HookSpec, cls: type[Message], request: Message,
               context: grpc.ServicerContext) -> Message:
        probe = self.probe
        t0 = probe.start() if probe is not None else 0
        if self.forwarding is None and spec.number in _BROKER_ID_HOOKS:
            self._request_broker(request)
        try:
            answer, _ = self.host.call_or_fail_answer(spec, fast_to_envelope(request))
            return self._convert(spec, answer, cls)[0]
        except PluginRuntimeError as exc:
            _abort(context, exc)
        except Exception as exc:  # a bug of the runtime: never hang the caller
            _abort_internal(context, spec, exc)
        finally:
            if probe is not None:
                probe.stop(t0)

    def _convert(self, spec: HookSpec, answer: dict[str, Any], cls: type[Message]) -> tuple[Message, bool]:
        try:  # the common case on the fast path; any failure takes the reference path
            return fast_from_envelope(answer, cls), False
        except PluginRuntimeError:
            return super()._convert(spec, answer, cls)

    def _stream(self, spec: HookSpec, cls: type[Message], request: Message,
                context: grpc.ServicerContext) -> Iterator[Message]:
        if self.forwarding is None and spec.number in _BROKER_ID_HOOKS:
            self._request_broker(request)
        # The Go SDK ends a streaming RPC the plugin lacks with a gRPC error (PROTOCOL.md 3.2).
        if spec.number not in self.host.info.hooks:
            context.abort(grpc.StatusCode.UNIMPLEMENTED,
                          f"CAPABILITY_MISSING: plugin {self.host.identity} does not implement "
                          f"{' or '.join(spec.capabilities)}")
        yield from super()._stream(spec, cls, request, context)

    def _request_broker(self, request: Message) -> None:
        """A broker ID carried by the request (Studio's Call, PortalCall, scheduled task,
        edge payload, agent message, resource listing) is used only while no broker is known
        yet: the Go SDK keeps the first client it made, so the long-lived broker serves
        everything once it is there."""
        broker_id = int(getattr(request, "service_broker_id", 0) or 0)
        if broker_id:
            self._use_broker(0, broker_id)

    def _channel(self) -> grpc.Channel:
        try:
            return self.broker.channel(self.session.broker_id, BROKER_WAIT_S)
        except BrokerUnavailable as exc:
            raise OpError(ErrorCode.SERVICE_UNAVAILABLE, f"the host's services are unreachable: {exc}") from None

    def _use_broker(self, plugin_id: int, broker_id: int) -> None:
        with self._lock:
            if plugin_id:
                self.session.plugin_id = plugin_id
            if not broker_id or broker_id == self.session.broker_id and self.forwarding is not None:
                if self.forwarding is not None and plugin_id:
                    self.forwarding.plugin_id = plugin_id
                return
            self.session.broker_id = broker_id
            if self.forwarding is None:
                self.forwarding = ForwardingServices(self._channel, self.session.plugin_id,
                                                     self.host.settings.runtime,
                                                     deliver=self.host.deliver_event)
                self.runtime.broker.remote = self.forwarding
                log.info("host services: %s over broker id %d (plugin id %d)",
                         "AIStudioManagementService" if self.host.settings.runtime == "studio"
                         else "MicrogatewayManagementService", broker_id, self.session.plugin_id)
            self.forwarding.plugin_id = self.session.plugin_id

    def Initialize(self, request: plugin_pb2.InitRequest, context: grpc.ServicerContext) -> plugin_pb2.InitResponse:
        config = dict(request.config)
        plugin_id = _id(config.get("_plugin_id") or config.get("plugin_id"))
        broker_id = _id(config.get("_service_broker_id") or config.get("service_broker_id"))
        self.session.config_keys = sorted(config)
        self._use_broker(plugin_id, broker_id)
        try:
            self.host.reinitialize(config)
        except PluginRuntimeError as exc:
            log.error("initialize failed: %s", exc.message)
            return plugin_pb2.InitResponse(success=False, error_message=exc.message)
        except Exception as exc:  # never a crash of the server
            log.exception("initialize failed inside the runtime")
            return plugin_pb2.InitResponse(success=False, error_message=f"{type(exc).__name__}: {exc}")
        log.info("initialized (plugin id %d, broker id %d, runtime %s, %d config keys)",
                 plugin_id, broker_id, self.host.settings.runtime, len(config))
        return plugin_pb2.InitResponse(success=True)

    def OpenSession(self, request: plugin_pb2.OpenSessionRequest,
                    context: grpc.ServicerContext) -> plugin_pb2.OpenSessionResponse:
        """Blocks until ``timeout_ms`` (TIMEOUT) or CloseSession (EXPLICIT_CLOSE); the
        session is ``session-<plugin_id>-<broker_id>`` and the first one fires
        ``on_session_ready`` in the background, as the Go SDK does."""
        self._use_broker(int(request.plugin_id), int(request.service_broker_id))
        session_id = f"session-{self.session.plugin_id}-{self.session.broker_id}"
        timeout_ms = int(request.timeout_ms) if request.timeout_ms > 0 else 30_000
        # a host that goes away releases the parked call
        closed = self.host.open_session(session_id, timeout_ms / 1000, alive=context.is_active)
        reason = (plugin_pb2.OpenSessionResponse.EXPLICIT_CLOSE if closed
                  else plugin_pb2.OpenSessionResponse.TIMEOUT)
        return plugin_pb2.OpenSessionResponse(success=True, session_id=session_id, close_reason=reason)

    def Shutdown(self, request: plugin_pb2.ShutdownRequest,
                 context: grpc.ServicerContext) -> plugin_pb2.ShutdownResponse:
        try:
            super().CloseSession(plugin_pb2.CloseSessionRequest(reason="shutdown"), context)  # type: ignore[misc]
            super().Shutdown(request, context)  # type: ignore[misc]
        except Exception as exc:  # the Go SDK answers success whatever the cleanup did
            log.warning("plugin shutdown: %s", exc)
        if self.forwarding is not None:
            self.forwarding.close()
        return plugin_pb2.ShutdownResponse(success=True)


#: Hooks whose request may carry a service broker ID (PROTOCOL.md 5.5).
_BROKER_ID_HOOKS = frozenset(
    h.number for h in HOOKS if h.rpc and h.service == "plugin.PluginService"
    and message_class(h.request) is not None
    and "service_broker_id" in message_class(h.request).DESCRIPTOR.fields_by_name  # type: ignore[union-attr]
    and h.name != "open_session")



def _load(rt: Runtime, options: ServeOptions) -> PluginHost:
    """Load the plugin. Its configuration arrives later, with the host's ``Initialize``
    (the host checked it against the schema it read with ``GetConfigSchema``), so a
    schema that requires fields must not stop the load: the policy's configuration is
    checked when it is complete, and ``Initialize`` replaces it."""
    try:
        return rt.load(options.plugin_dir, name=options.name)
    except ConfigError:
        pass
    log.info("the plugin's configuration is incomplete until the host's Initialize")
    return rt.load(options.plugin_dir, name=options.name, check_config=False)


def _id(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        value = int(raw.strip())
    except ValueError:
        log.warning("ignoring a reserved id that is not a number: %r", raw)
        return 0
    return value if 0 <= value < 2**32 else 0


def _socket_path(environ: Mapping[str, str]) -> str:
    directory = environ.get("PLUGIN_UNIX_SOCKET_DIR") or tempfile.gettempdir()
    os.makedirs(directory, exist_ok=True)
    for _ in range(100):
        path = os.path.join(directory, f"plugin{random.randrange(10**8, 10**9)}")
        if not os.path.exists(path):
            return path
    raise RuntimeError(f"no free socket name in {directory}")


def _chgrp(path: str, group: str) -> None:
    try:
        gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        raise RuntimeError(f"PLUGIN_UNIX_SOCKET_GROUP={group!r}: no such group") from None
    os.chown(path, -1, gid)
    os.chmod(path, 0o660)


class _Stdout:
    """fd 1 becomes a pipe whose bytes go to GRPCStdio; the handshake gets the real one."""

    def __init__(self, stdio: StdioServicer) -> None:
        sys.stdout.flush()
        self.real = os.dup(1)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 1)
        os.close(write_end)
        self._read_end = read_end
        self._stdio = stdio
        threading.Thread(target=self._pump, daemon=True, name="stdout-pipe").start()

    def _pump(self) -> None:
        while True:
            try:
                data = os.read(self._read_end, 65536)
            except OSError:
                return
            if not data:
                return
            self._stdio.feed(1, data)

    def handshake(self, line: str) -> None:
        os.write(self.real, line.encode("ascii"))


def serve(options: ServeOptions, environ: Mapping[str, str] | None = None) -> int:
    """Run the plugin process; returns the exit status (only on refusal or failure:
    a clean stop leaves with ``os._exit(0)`` so no stray thread can hold the process)."""
    env = os.environ if environ is None else environ
    refusal = check_environment(env)
    if refusal is not None:
        return _fail(refusal)
    _setup_logging(options.verbose)
    stdio = StdioServicer()
    out = _Stdout(stdio)  # from here on nothing but the handshake reaches the real stdout
    parent = os.getppid()
    try:
        min_port = _int_env(env, "PLUGIN_MIN_PORT", 10000)
        max_port = _int_env(env, "PLUGIN_MAX_PORT", 25000)
        if options.network == "tcp" and not 0 < min_port <= max_port < 65536:
            raise ValueError(f"PLUGIN_MIN_PORT..PLUGIN_MAX_PORT ({min_port}..{max_port}) is not a port range")
    except ValueError as exc:
        return _fail(f"error: {exc}")

    try:
        rt = Runtime(RuntimeConfig(policy=options.policy, state_dir=options.state_dir,
                                   ephemeral=options.ephemeral, fixtures=options.fixtures))
        host = _load(rt, options)
    except PluginRuntimeError as exc:
        log.error("cannot load the plugin: %s", exc)
        return 1
    except (OSError, ValueError) as exc:
        log.error("cannot load the plugin: %s", exc)
        return 1
    log.info("plugin %s loaded on the %s tier, %s runtime", host.identity, host.settings.tier,
             host.settings.runtime)
    if env.get("PLUGIN_MULTIPLEX_GRPC"):
        log.warning("PLUGIN_MULTIPLEX_GRPC is set but broker multiplexing is not supported: the "
                    "handshake line has no multiplexing field and brokered connections use their "
                    "own sockets (neither AI Studio nor the Microgateway multiplexes)")

    stop = threading.Event()
    reason: list[str] = []

    def request_stop(why: str) -> None:
        if not reason:
            reason.append(why)
        stop.set()

    broker = BrokerServicer()
    servicer = ServePluginServicer(host, rt, broker)
    if env.get("RUNTIME_SERVE_MEASURE") == "1":
        servicer.probe = _DispatchProbe(host)
    server = grpc.server(ThreadPoolExecutor(max_workers=32, thread_name_prefix="serve"),
                         options=[("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                                  ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                                  ("grpc.so_reuseport", 0)])
    plugin_pb2_grpc.add_PluginServiceServicer_to_server(servicer, server)
    config_provider_pb2_grpc.add_ConfigProviderServiceServicer_to_server(ConfigProviderServicer(host), server)
    grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(broker, server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(
        ControllerServicer(lambda: request_stop("controller shutdown")), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(stdio, server)
    health_servicer = health.HealthServicer()
    health_servicer.set("plugin", health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)

    sock_path: str | None = None
    try:
        if options.network == "unix":
            sock_path = _socket_path(env)
            if not server.add_insecure_port(f"unix:{sock_path}"):
                raise RuntimeError(f"cannot bind {sock_path}")
            group = env.get("PLUGIN_UNIX_SOCKET_GROUP")
            if group:
                _chgrp(sock_path, group)
            address = sock_path
        else:
            address = ""
            for port in range(min_port, max_port + 1):
                probe = socket.socket()
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                finally:
                    probe.close()
                try:
                    if server.add_insecure_port(f"127.0.0.1:{port}"):
                        address = f"127.0.0.1:{port}"
                        break
                except RuntimeError:
                    continue
            if not address:
                raise RuntimeError(f"no free port in {min_port}..{max_port}")
        server.start()
    except (RuntimeError, OSError, KeyError) as exc:
        log.error("cannot listen: %s", exc)
        if sock_path and os.path.exists(sock_path):
            os.unlink(sock_path)
        rt.close()
        return 1

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the host's Ctrl-C is for the host
    signal.signal(signal.SIGTERM, lambda *_: request_stop("SIGTERM"))

    def watch_parent() -> None:
        while not stop.wait(0.25):
            if os.getppid() != parent:
                request_stop("the host process went away")

    threading.Thread(target=watch_parent, daemon=True, name="parent-watch").start()
    out.handshake(handshake_line(options.network, address))
    log.debug("serving on %s %s", options.network, address)

    while not stop.wait(0.5):
        pass
    if sock_path:  # first: a kill during the rest of the stop leaves no stale socket
        try:
            os.unlink(sock_path)
        except FileNotFoundError:
            pass
    log.info("stopping (%s)", reason[0] if reason else "stop")
    if servicer.probe is not None:
        servicer.probe.report()
    health_servicer.enter_graceful_shutdown()
    done = threading.Event()

    def cleanup() -> None:
        try:
            if servicer.forwarding is not None:
                servicer.forwarding.close()
            broker.close()
            stdio.close()
            server.stop(0.3).wait(0.5)
            rt.close()
        except Exception:
            log.exception("cleanup failed")
        finally:
            done.set()

    threading.Thread(target=cleanup, daemon=True, name="cleanup").start()
    if not done.wait(SHUTDOWN_GRACE_S):
        log.warning("the plugin did not stop within %.1f s; exiting anyway", SHUTDOWN_GRACE_S)
    if sock_path:
        try:
            os.unlink(sock_path)
        except FileNotFoundError:
            pass
    sys.stderr.flush()
    os._exit(0)


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - thin wrapper
    """``python -m runtime.bridge.serve PLUGIN_DIR`` (what ``runtime package`` files run)."""
    import argparse
    ap = argparse.ArgumentParser(prog="runtime serve")
    ap.add_argument("plugin_dir", type=Path)
    ap.add_argument("--name")
    ap.add_argument("--policy", type=Path)
    ap.add_argument("--state-dir", type=Path)
    ap.add_argument("--ephemeral", action="store_true")
    ap.add_argument("--fixtures", type=Path)
    ap.add_argument("--network", choices=["unix", "tcp"], default="unix")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    sys.exit(serve(ServeOptions(a.plugin_dir, a.name, a.policy, a.state_dir, a.ephemeral,
                                a.fixtures, a.network, a.verbose)))


if __name__ == "__main__":  # pragma: no cover
    main()
