"""The process tier: go-plugin executables (the Go SDK's plugins) as plugins of this runtime.

A plugin directory whose manifest has ``sandbox.command`` (instead of ``sandbox.entry``)
names a go-plugin executable with AI Studio's handshake. Each instance of such a plugin is
one child process, driven the way AI Studio and the Microgateway drive it (PROTOCOL.md
sections 2 and 5):

* launch with the magic cookie ``AI_STUDIO_PLUGIN=v1``, ``PLUGIN_PROTOCOL_VERSIONS=1``,
  ``PLUGIN_RUNTIME`` set to the plugin's runtime, a private directory for its Unix socket
  (``PLUGIN_UNIX_SOCKET_DIR`` and ``TMPDIR``), in its own process group, working directory
  the plugin directory; read the handshake line, connect, check ``grpc.health.v1.Health``
  (service ``plugin`` SERVING);
* ``plugin.GRPCStdio``: what the plugin prints after the handshake (go-plugin 1.2 and
  later stream it there) and its stderr (hclog JSON or text) reach the plugin's log;
* the host side of ``plugin.GRPCBroker``: broker ID 1 is a gRPC server of ours carrying
  ``AIStudioManagementService`` and ``MicrogatewayManagementService`` (the KV RPCs) and
  ``PluginEventService`` (Publish, Subscribe), each call turned into the ABI op
  (``kv.read``, ``events.publish``, ...) and answered by the runtime's service broker with
  the plugin's effective permissions, exactly as for a Python plugin;
* ``Initialize`` with the flattened configuration plus the host's reserved keys
  (``_service_broker_id`` under the gateway runtime; ``service_broker_id`` and
  ``has_service_api`` under studio), then the session loop (``OpenSession`` with 30 s
  long polls, renewed on ``TIMEOUT``);
* every hook is the PluginService (or ConfigProviderService) RPC of the same name; the
  envelope is converted to the protobuf message and back (:mod:`runtime.messages`); the two
  server-streaming RPCs emit chunks as they arrive; ``UNIMPLEMENTED`` gets the Go SDK's
  neutral answer; calls carry the hook's deadline as a gRPC deadline;
* a process that dies is restarted (a watcher relaunches it and replays ``Initialize``; a
  call finding it dead restarts it first; a death during a call is ``SANDBOX_BROKEN`` and
  the dispatcher replaces the instance);
* closing: ``CloseSession{reason: "unload"}``, the broker stream closed,
  ``GRPCController/Shutdown``, then a grace period (2 s) before SIGKILL to the process
  group; the socket directory is removed. A host that dies without closing takes its
  plugins with it (Linux ``PR_SET_PDEATHSIG``), and the next process backend removes the
  socket directories such hosts left behind.

The process tier is **not a sandbox**: the executable is native code with the operator's
privileges (no memory cap, no clock or random control). Use it for plugins the operator
trusts, such as existing Go SDK plugins.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from concurrent import futures
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import grpc
from google.protobuf import empty_pb2
from google.protobuf.message import Message

from host_abi.envelope import (EnvelopeError, decode_answer, decode_request, encode_args,
                               encode_err, encode_ok)
from host_abi.errors import ErrorCode
from host_abi.hooks import HOOKS, HookSpec, hook_by_number
from host_abi.ops import OPS_BY_NAME

from ..errors import AbiViolation, DeadlineExceeded, LoadError, SandboxBroken
from ..bridge.goplugin import (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, HandshakeError, channel_options,
                               parse_handshake)
from ..manifest import Manifest, load_manifest
from ..messages import from_envelope, message_class, to_envelope
from ..wire import (ai_studio_management_pb2, ai_studio_management_pb2_grpc, grpc_broker_pb2,
                    grpc_broker_pb2_grpc, grpc_controller_pb2, grpc_controller_pb2_grpc, grpc_stdio_pb2,
                    microgateway_management_pb2, microgateway_management_pb2_grpc,
                    plugin_events_pb2, plugin_events_pb2_grpc, plugin_pb2)
from .base import Backend, HostCall, Instance, PluginSource

__all__ = ["ProcessBackend", "GRACE_S", "START_TIMEOUT_S"]

log = logging.getLogger("runtime.process")

#: How long a plugin has to print its handshake line (go-plugin's default is 1 minute).
START_TIMEOUT_S = 30.0
#: Between the controller's Shutdown and SIGKILL (go-plugin's Kill waits 2 s).
GRACE_S = 2.0
#: The broker ID our services are offered on (go-plugin's first NextId()).
BROKER_ID = 1
SESSION_TIMEOUT_MS = 30_000
_OPTIONS = channel_options()

_INSTANCE_START, _INITIALIZE, _SHUTDOWN, _ON_EVENT = 0, 1, 3, 42
_STREAM_EMIT = OPS_BY_NAME["stream.emit"].number
#: Hooks a go-plugin plugin always serves (the rest follow the manifest's hook types).
_ALWAYS = frozenset({1, 3, 17, 20, 24, 25, 36, 37, _ON_EVENT})
_LEVELS = {"trace": "trace", "debug": "debug", "info": "info", "warn": "warn", "warning": "warn",
           "error": "error"}

_live: "weakref.WeakSet[_Process]" = weakref.WeakSet()
_LINUX = sys.platform.startswith("linux")


#: Runs in a small launcher process: ask for SIGKILL when the parent goes away, check the
#: parent is still the one that started us, then become the plugin (execv keeps the request).
_LAUNCHER = ("import ctypes, os, sys\n"
             "ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)\n"
             "if os.getppid() != int(sys.argv[1]): os._exit(1)\n"
             "try:\n"
             "    os.execv(sys.argv[2], sys.argv[2:])\n"
             "except OSError as exc:\n"
             "    sys.stderr.write(f'cannot run {sys.argv[2]}: {exc}\\n'); os._exit(127)\n")


class _Spawner:
    """Starts every plugin process from one long-lived thread.

    On Linux each child asks the kernel for SIGKILL when its parent goes away
    (``PR_SET_PDEATHSIG``), so a host that dies without closing (even by SIGKILL) leaves
    no plugin behind. The kernel ties that signal to the *thread* that forked the child,
    hence one thread that lives as long as the process forks them all. The request is
    made by a tiny launcher that then execs the plugin: running Python code between fork
    and exec (``preexec_fn``) is not safe in a process that runs gRPC's threads.
    """

    def __init__(self) -> None:
        self._inbox: "queue.SimpleQueue[tuple[list[str], dict[str, Any], list[Any], threading.Event]]" = \
            queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def popen(self, argv: list[str], **kwargs: Any) -> "subprocess.Popen[bytes]":
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="goplugin-spawner")
                self._thread.start()
        result: list[Any] = []
        done = threading.Event()
        self._inbox.put((argv, kwargs, result, done))
        done.wait()
        if isinstance(result[0], BaseException):
            raise result[0]
        return result[0]  # type: ignore[no-any-return]

    def _run(self) -> None:
        while True:
            argv, kwargs, result, done = self._inbox.get()
            if _LINUX and sys.executable:
                argv = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), *argv]
            try:
                result.append(subprocess.Popen(argv, **kwargs))
            except BaseException as exc:  # handed to the caller
                result.append(exc)
            done.set()


_SPAWNER = _Spawner()
_DIR_PREFIX = "gps-plugin-"


def sweep_stale_dirs() -> int:
    """Remove the socket directories of hosts that died without closing (their name
    carries the host's pid); returns how many were removed."""
    removed = 0
    base = Path(tempfile.gettempdir())
    for path in base.glob(f"{_DIR_PREFIX}*-*"):
        pid_text = path.name[len(_DIR_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue  # that host is alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # alive, another user's
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _kill_all() -> None:
    for proc in list(_live):
        proc.kill_now()


atexit.register(_kill_all)


class ProcessBackend(Backend):
    """Runs go-plugin executables, one child process per instance."""

    tier = "process"
    #: Calls are bounded by gRPC deadlines in the caller's thread (see runtime.dispatch).
    enforces_limits = True

    def __init__(self) -> None:
        sweep_stale_dirs()
        self._manifests: dict[str, Manifest] = {}
        self._instances: "weakref.WeakSet[ProcessInstance]" = weakref.WeakSet()
        #: Event subscriptions of every instance, by subscription id (events reach any
        #: instance of the plugin through on_event and are routed here).
        self.subscriptions: dict[str, "queue.SimpleQueue[dict[str, Any] | None]"] = {}
        self.lock = threading.Lock()

    def prepare(self, source: PluginSource) -> None:
        manifest = load_manifest(source.directory)
        if not manifest.command:
            raise LoadError(f"{manifest.path}: the process tier runs go-plugin executables; this "
                            "plugin has no sandbox.command (a Python plugin runs on the wasm or "
                            "inprocess tier)", code=ErrorCode.TIER_UNAVAILABLE, plugin=source.identity)
        self._manifests[source.identity] = manifest

    def instantiate(self, source: PluginSource, host_call: HostCall, **limits: Any) -> Instance:
        manifest = self._manifests.get(source.identity)
        if manifest is None:
            self.prepare(source)
            manifest = self._manifests[source.identity]
        instance = ProcessInstance(self, source, manifest, host_call)
        self._instances.add(instance)
        return instance

    def close(self) -> None:
        """Close every instance still open, in parallel (each may take the grace period)."""
        threads = [threading.Thread(target=i.close, daemon=True) for i in list(self._instances)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _announced_hooks(manifest: Manifest) -> list[int]:
    types = set(manifest.hook_types)
    return sorted(_ALWAYS | {h.number for h in HOOKS
                             if h.hook_type in types and h.answered_by == "guest"})


class ProcessInstance:
    """One go-plugin process (relaunched when it dies) behind the ABI's handle/close."""

    def __init__(self, backend: ProcessBackend, source: PluginSource, manifest: Manifest,
                 host_call: HostCall) -> None:
        self.backend = backend
        self.source = source
        self.manifest = manifest
        self.host_call = host_call
        self.runtime = "studio"
        self.init_config: dict[str, str] | None = None
        self.proc: _Process | None = None
        self.restarts = 0
        self._lock = threading.RLock()
        self._closed = False
        self._last_restart = 0.0
        self._restart_delay = 0.2

    # -- the ABI side -----------------------------------------------------------------------
    def handle(self, hook: int, payload: str, timeout_ms: int | None = None) -> str:
        timeout_s = None if timeout_ms is None else timeout_ms / 1000
        try:
            msg = decode_request(payload)
        except EnvelopeError as exc:
            return encode_err(exc.code, exc.message)
        if hook == _INSTANCE_START:
            return self._instance_start(msg)
        if hook == _ON_EVENT:
            return self._on_event(msg)
        spec = hook_by_number(hook)
        if spec is None or spec.service is None or spec.rpc is None:
            return encode_err(ErrorCode.UNKNOWN_HOOK, f"hook number {hook} has no go-plugin RPC")
        if hook == _INITIALIZE:
            config = msg.get("config") or {}
            self.init_config = {str(k): str(v) for k, v in dict(config).items()}
        proc = self._alive(spec)
        if hook == _INITIALIZE:
            return self._initialize(proc, timeout_s)
        return self._rpc(proc, spec, msg, timeout_s)

    def _instance_start(self, msg: Mapping[str, Any]) -> str:
        runtime = msg.get("runtime")
        if runtime in ("studio", "gateway"):
            self.runtime = str(runtime)
        with self._lock:
            if self.proc is None:
                self.proc = self._launch()
        m = self.manifest
        return encode_ok({"abi": 1, "sdk": "go-plugin", "name": m.name, "version": m.version,
                          "description": m.description, "capabilities": ["go-plugin"],
                          "hooks": _announced_hooks(m)})

    def _launch(self) -> "_Process":
        return _Process(self, self.manifest.command, self.runtime)

    def _alive(self, spec: HookSpec) -> "_Process":
        """The running process; a dead one is restarted (and re-initialised) first."""
        with self._lock:
            if self._closed:
                raise SandboxBroken("the instance is closed", plugin=self.source.identity,
                                    hook=spec.name)
            proc = self.proc
            if proc is not None and proc.alive():
                return proc
            return self._restart(proc, f"before {spec.name}")

    def _restart(self, old: "_Process | None", why: str) -> "_Process":
        with self._lock:
            if self._closed:
                raise SandboxBroken("the instance is closed", plugin=self.source.identity)
            if old is not None and old is not self.proc and self.proc is not None and self.proc.alive():
                return self.proc  # someone else restarted it already
            if old is not None:
                log.warning("go-plugin %s exited (%s); restarting it (%s)", self.source.identity,
                            old.exit_description(), why)
                old.close(graceful=False)
            self.restarts += 1
            proc = self.proc = self._launch()
            if self.init_config is not None:
                answer = self._initialize(proc, None)
                ok, value = decode_answer(answer)
                if not ok or not value.get("success"):
                    raise SandboxBroken(f"the restarted plugin refused initialize: {value}",
                                        plugin=self.source.identity)
            return proc

    def watch_exit(self, proc: "_Process") -> None:
        """Called by the process's watcher thread when the process exits by itself."""
        if self._closed or proc.closing or proc.no_restart:
            return
        # back off while the plugin keeps dying soon after each start (0.2 s up to 30 s)
        now = time.monotonic()
        quick = now - self._last_restart < 10.0
        self._restart_delay = min(30.0, self._restart_delay * 2) if quick else 0.2
        time.sleep(self._restart_delay)
        if self._closed or proc.no_restart:
            return
        self._last_restart = time.monotonic()
        try:
            self._restart(proc, "watcher")
        except Exception as exc:  # the next call tries again and reports
            log.warning("restarting go-plugin %s failed: %s", self.source.identity, exc)

    def _initialize(self, proc: "_Process", timeout_s: float | None) -> str:
        config = dict(self.init_config or {})
        if self.runtime == "gateway":
            config["_service_broker_id"] = str(BROKER_ID)
        else:
            config["service_broker_id"] = str(BROKER_ID)
            config["has_service_api"] = "true"
        spec = hook_by_number(_INITIALIZE)
        assert spec is not None
        answer = self._rpc(proc, spec, {"config": config}, timeout_s)
        ok, value = decode_answer(answer)
        if ok and value.get("success"):
            proc.start_sessions()
        return answer

    def _method(self, proc: "_Process", spec: HookSpec) -> tuple[Callable[..., Any], type[Message]]:
        found = proc.methods.get(spec.number)
        if found is None:
            req_cls, resp_cls = message_class(spec.request), message_class(spec.response)
            assert req_cls is not None and resp_cls is not None
            path = f"/{spec.service}/{spec.rpc}"
            kind = proc.channel.unary_stream if spec.streaming else proc.channel.unary_unary
            found = proc.methods[spec.number] = (
                kind(path, request_serializer=req_cls.SerializeToString,
                     response_deserializer=resp_cls.FromString), req_cls)
        return found

    def _rpc(self, proc: "_Process", spec: HookSpec, msg: Mapping[str, Any],
             timeout_s: float | None) -> str:
        method, req_cls = self._method(proc, spec)
        try:
            request = from_envelope(msg, req_cls)
        except AbiViolation as exc:
            return encode_err(ErrorCode.INVALID_ARGUMENT, f"the request does not fit {spec.request}: "
                              f"{exc.message}", hook=spec.name)
        try:
            if not spec.streaming:
                return encode_ok(to_envelope(method(request, timeout=timeout_s)))
            call = method(request, timeout=timeout_s)
            for chunk in call:
                answer = self.host_call(_STREAM_EMIT, encode_args({"chunk": to_envelope(chunk)}))
                ok, value = decode_answer(answer)
                if not ok or value.get("cancel"):
                    call.cancel()  # the consumer went away
                    break
            return encode_ok({})
        except grpc.RpcError as exc:
            return self._rpc_error(proc, spec, exc, timeout_s)

    def _rpc_error(self, proc: "_Process", spec: HookSpec, exc: grpc.RpcError,
                   timeout_s: float | None) -> str:
        code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
        details = exc.details() if hasattr(exc, "details") else str(exc)
        if code == grpc.StatusCode.UNIMPLEMENTED:
            if spec.default_answer is not None:
                return encode_ok(dict(spec.default_answer))
            return encode_err(ErrorCode.CAPABILITY_MISSING, f"the go-plugin does not implement "
                              f"{spec.rpc}", hook=spec.name)
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            raise DeadlineExceeded(f"no answer within {(timeout_s or 0) * 1000:.0f} ms",
                                   plugin=self.source.identity, hook=spec.name)
        if proc.wait_exit(0.3):
            proc.no_restart = True  # the dispatcher replaces this instance
            raise SandboxBroken(f"the go-plugin process {proc.exit_description()} during {spec.name}",
                                plugin=self.source.identity, hook=spec.name)
        return encode_err(ErrorCode.PLUGIN_RAISED, f"{spec.rpc} failed: {code.name}: {details}",
                          hook=spec.name)

    def _on_event(self, msg: Mapping[str, Any]) -> str:
        sub = self.backend.subscriptions.get(str(msg.get("subscription_id", "")))
        if sub is not None:
            sub.put(dict(msg))
        return encode_ok({})

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            proc, self.proc = self.proc, None
        if proc is not None:
            proc.close(graceful=True)

    # -- the host services, offered on the broker -------------------------------------------
    def op(self, name: str, args: Mapping[str, Any]) -> tuple[bool, Any]:
        return decode_answer(self.host_call(OPS_BY_NAME[name].number, encode_args(args)))


class _Process:
    """One launched go-plugin executable with its connection, broker and session loop."""

    def __init__(self, owner: ProcessInstance, command: tuple[str, ...], runtime: str) -> None:
        self.owner = owner
        self.identity = owner.source.identity
        self.closing = False
        self.no_restart = False
        self.methods: dict[int, tuple[Callable[..., Any], type[Message]]] = {}
        self.dir = tempfile.mkdtemp(prefix=f"{_DIR_PREFIX}{os.getpid()}-")
        self._broker_out: "queue.SimpleQueue[grpc_broker_pb2.ConnInfo | None]" = queue.SimpleQueue()
        self._session_thread: threading.Thread | None = None
        self._stderr_tail: list[str] = []
        self.server: grpc.Server | None = None
        env = dict(os.environ)
        env.update({MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE, "PLUGIN_PROTOCOL_VERSIONS": "1",
                    "PLUGIN_MIN_PORT": "10000", "PLUGIN_MAX_PORT": "25000",
                    "PLUGIN_UNIX_SOCKET_DIR": self.dir, "TMPDIR": self.dir,
                    "PLUGIN_RUNTIME": runtime})
        env.pop("PLUGIN_CLIENT_CERT", None)
        try:
            self.popen = _SPAWNER.popen(list(command), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        cwd=str(owner.source.directory), env=env,
                                        start_new_session=True)
        except OSError as exc:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise LoadError(f"cannot start {command[0]}: {exc}", plugin=self.identity) from None
        _live.add(self)
        try:
            self._connect()
        except BaseException:
            self.close(graceful=False)
            raise

    # -- start ------------------------------------------------------------------------------
    def _connect(self) -> None:
        lines: "queue.SimpleQueue[str | None]" = queue.SimpleQueue()
        threading.Thread(target=self._read_stdout, args=(lines,), daemon=True,
                         name=f"goplugin-stdout-{self.identity}").start()
        threading.Thread(target=self._read_stderr, daemon=True,
                         name=f"goplugin-stderr-{self.identity}").start()
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            raise LoadError(f"the go-plugin printed no handshake line within {START_TIMEOUT_S:.0f} s",
                            plugin=self.identity) from None
        if line is None:
            self.popen.wait(timeout=5)
            time.sleep(0.05)  # let the stderr reader catch the last lines
            raise LoadError(f"the go-plugin {self.exit_description()} before its handshake"
                            + self._stderr_hint(), plugin=self.identity)
        target = self._parse_handshake(line)
        self.channel = grpc.insecure_channel(target, options=_OPTIONS)
        try:
            grpc.channel_ready_future(self.channel).result(timeout=10)
        except grpc.FutureTimeoutError:
            raise LoadError(f"cannot connect to the go-plugin at {target}", plugin=self.identity) from None
        self._check_health()
        self._start_broker()
        threading.Thread(target=self._pump_stdio, daemon=True, name=f"goplugin-stdio-{self.identity}").start()
        threading.Thread(target=self._watch, daemon=True, name=f"goplugin-watch-{self.identity}").start()

    def _parse_handshake(self, line: str) -> str:
        try:
            handshake = parse_handshake(line)
        except HandshakeError as exc:
            raise LoadError(f"the go-plugin's handshake line is refused: {exc}", plugin=self.identity) from None
        if len(handshake.server_cert) > 50:
            raise LoadError("the go-plugin asks for AutoMTLS, which the process tier does not use",
                            plugin=self.identity)
        return handshake.target

    def _check_health(self) -> None:
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        try:
            answer = health_pb2_grpc.HealthStub(self.channel).Check(
                health_pb2.HealthCheckRequest(service="plugin"), timeout=5)
        except grpc.RpcError as exc:
            raise LoadError(f"the go-plugin's health check failed: {exc.code().name}: {exc.details()}",
                            plugin=self.identity) from None
        if answer.status != health_pb2.HealthCheckResponse.SERVING:
            raise LoadError(f"the go-plugin's health check answered "
                            f"{health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)}",
                            plugin=self.identity)

    def _start_broker(self) -> None:
        """Serve our services on broker ID 1 and announce it on GRPCBroker.StartStream."""
        path = os.path.join(self.dir, "broker-1.sock")
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=16,
                                                        thread_name_prefix=f"goplugin-broker-{self.identity}"),
                             options=_OPTIONS)
        services = _HostServices(self.owner)
        ai_studio_management_pb2_grpc.add_AIStudioManagementServiceServicer_to_server(
            _StudioServicer(services), server)
        microgateway_management_pb2_grpc.add_MicrogatewayManagementServiceServicer_to_server(
            _GatewayServicer(services), server)
        plugin_events_pb2_grpc.add_PluginEventServiceServicer_to_server(_EventServicer(services), server)
        server.add_insecure_port(f"unix:{path}")
        server.start()
        self.server = server

        def outgoing() -> Iterator[grpc_broker_pb2.ConnInfo]:
            while True:
                item = self._broker_out.get()
                if item is None:
                    return
                yield item

        stub = grpc_broker_pb2_grpc.GRPCBrokerStub(self.channel)
        self._broker_stream = stub.StartStream(outgoing())
        self._broker_out.put(grpc_broker_pb2.ConnInfo(service_id=BROKER_ID, network="unix", address=path))

        def incoming() -> None:
            try:
                for info in self._broker_stream:  # the plugin offers nothing we dial
                    log.debug("go-plugin %s offered broker id %d", self.identity, info.service_id)
            except grpc.RpcError:
                pass

        threading.Thread(target=incoming, daemon=True, name=f"goplugin-brokerin-{self.identity}").start()

    # -- output -----------------------------------------------------------------------------
    def _read_stdout(self, lines: "queue.SimpleQueue[str | None]") -> None:
        assert self.popen.stdout is not None
        first = True
        with self.popen.stdout:
            for raw in self.popen.stdout:
                text = raw.decode("utf-8", "replace").rstrip("\n")
                if first:
                    lines.put(text)
                    first = False
                else:
                    self._log("debug", text, {"stream": "stdout"})
        if first:
            lines.put(None)

    def _read_stderr(self) -> None:
        assert self.popen.stderr is not None
        with self.popen.stderr:
            self._read_stderr_lines(self.popen.stderr)

    def _read_stderr_lines(self, stream: Any) -> None:
        for raw in stream:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            if not text:
                continue
            self._stderr_tail = (self._stderr_tail + [text])[-5:]
            level, message, fields = "debug", text, {"stream": "stderr"}
            if text.startswith("{"):
                try:
                    entry = json.loads(text)
                except ValueError:
                    entry = None
                if isinstance(entry, dict) and "@message" in entry:
                    level = _LEVELS.get(str(entry.get("@level", "debug")).lower(), "debug")
                    message = str(entry["@message"])
                    fields.update({k: str(v) for k, v in entry.items() if not k.startswith("@")})
            else:
                for name in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR"):
                    if text.startswith(f"[{name}]"):
                        level, message = _LEVELS[name.lower()], text[len(name) + 2:].lstrip()
                        break
                if text.startswith(("panic: ", "fatal error: ")):
                    level = "error"
            self._log(level, message, fields)

    def _log(self, level: str, message: str, fields: dict[str, str]) -> None:
        if level in ("trace", "debug"):
            log.debug("go-plugin %s: %s", self.identity, message)
            return
        try:
            self.owner.op("log", {"level": level, "message": message, "fields": fields})
        except Exception:
            log.info("go-plugin %s: %s", self.identity, message)

    def _pump_stdio(self) -> None:
        """``GRPCStdio/StreamStdio``: what a go-plugin (1.2 and later) writes to stdout and
        stderr after the handshake, into the plugin's log (UNIMPLEMENTED: nothing to do)."""
        stream = self.channel.unary_stream(
            "/plugin.GRPCStdio/StreamStdio", request_serializer=empty_pb2.Empty.SerializeToString,
            response_deserializer=grpc_stdio_pb2.StdioData.FromString)(empty_pb2.Empty())
        self._stdio = stream
        try:
            for data in stream:
                name = "stdout" if data.channel == grpc_stdio_pb2.StdioData.STDOUT else "stderr"
                for line in data.data.decode("utf-8", "replace").splitlines():
                    if line:
                        self._log("info" if name == "stdout" else "warn", line, {"stream": name})
        except grpc.RpcError:
            pass

    def _stderr_hint(self) -> str:
        return ("; its stderr ended with: " + " | ".join(self._stderr_tail)) if self._stderr_tail else ""

    # -- sessions ---------------------------------------------------------------------------
    def start_sessions(self) -> None:
        if self._session_thread is None:
            self._session_thread = threading.Thread(target=self._session_loop, daemon=True,
                                                    name=f"goplugin-session-{self.identity}")
            self._session_thread.start()

    def _session_loop(self) -> None:
        open_session = self.channel.unary_unary(
            "/plugin.PluginService/OpenSession",
            request_serializer=plugin_pb2.OpenSessionRequest.SerializeToString,
            response_deserializer=plugin_pb2.OpenSessionResponse.FromString)
        while not self.closing:
            try:
                answer = open_session(plugin_pb2.OpenSessionRequest(
                    service_broker_id=BROKER_ID, timeout_ms=SESSION_TIMEOUT_MS),
                    timeout=SESSION_TIMEOUT_MS / 1000 + 10)
            except grpc.RpcError:
                if self.closing or not self.alive():
                    return
                time.sleep(1.0)
                continue
            if answer.close_reason == plugin_pb2.OpenSessionResponse.EXPLICIT_CLOSE:
                return
            if answer.close_reason != plugin_pb2.OpenSessionResponse.TIMEOUT:
                time.sleep(1.0)

    # -- state and stop ---------------------------------------------------------------------
    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_exit(self, timeout_s: float) -> bool:
        try:
            self.popen.wait(timeout=timeout_s)
            return True
        except subprocess.TimeoutExpired:
            return False

    def exit_description(self) -> str:
        code = self.popen.poll()
        if code is None:
            return "is running"
        if code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with status {code}"

    def _watch(self) -> None:
        self.popen.wait()
        if not self.closing:
            self.owner.watch_exit(self)

    def close(self, graceful: bool) -> None:
        """go-plugin's Kill: end the session, the broker, the controller's Shutdown, a grace
        period, then SIGKILL to the process group. Idempotent."""
        if self.closing:
            return
        self.closing = True
        channel = getattr(self, "channel", None)
        if graceful and channel is not None and self.alive():
            try:
                channel.unary_unary(
                    "/plugin.PluginService/CloseSession",
                    request_serializer=plugin_pb2.CloseSessionRequest.SerializeToString,
                    response_deserializer=plugin_pb2.CloseSessionResponse.FromString,
                )(plugin_pb2.CloseSessionRequest(reason="unload"), timeout=GRACE_S)
            except grpc.RpcError:
                pass
        self._broker_out.put(None)
        stdio = getattr(self, "_stdio", None)
        if stdio is not None:
            stdio.cancel()
        if channel is not None and self.alive():
            try:
                grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(
                    grpc_controller_pb2.Empty(), timeout=GRACE_S)
            except grpc.RpcError:
                pass
        if channel is not None:
            channel.close()
        if not self.wait_exit(GRACE_S if graceful else 0.2):
            log.warning("go-plugin %s did not exit within %.1f s of shutdown; killing it",
                        self.identity, GRACE_S if graceful else 0.2)
        self.kill_now()
        if self.server is not None:
            self.server.stop(grace=None)
        shutil.rmtree(self.dir, ignore_errors=True)
        _live.discard(self)

    def kill_now(self) -> None:
        """SIGKILL the process group (the plugin and anything it started) and reap it."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


# -- the host services a go-plugin reaches through the broker -------------------------------
def _abort(context: grpc.ServicerContext, err: Mapping[str, Any]) -> None:
    code = {"NOT_FOUND": grpc.StatusCode.NOT_FOUND, "PERMISSION_DENIED": grpc.StatusCode.PERMISSION_DENIED,
            "INVALID_ARGUMENT": grpc.StatusCode.INVALID_ARGUMENT,
            "LIMIT_EXCEEDED": grpc.StatusCode.RESOURCE_EXHAUSTED,
            "QUOTA_EXCEEDED": grpc.StatusCode.RESOURCE_EXHAUSTED,
            "WRONG_RUNTIME": grpc.StatusCode.FAILED_PRECONDITION,
            "UNSUPPORTED_EMBEDDED": grpc.StatusCode.UNIMPLEMENTED}.get(str(err.get("code")),
                                                                      grpc.StatusCode.INTERNAL)
    context.abort(code, f"{err.get('code')}: {err.get('message')}")


class _HostServices:
    """KV and events for one plugin process, answered by the runtime's service broker."""

    def __init__(self, owner: ProcessInstance) -> None:
        self.owner = owner

    def call(self, context: grpc.ServicerContext, op: str, args: Mapping[str, Any]) -> Any:
        ok, value = self.owner.op(op, args)
        if not ok:
            _abort(context, value)
        return value

    def kv_read(self, request: Any, context: grpc.ServicerContext) -> bytes:
        return bytes(str(self.call(context, "kv.read", {"key": request.key})["value"]), "latin-1")

    def kv_write(self, request: Any, context: grpc.ServicerContext) -> bool:
        args: dict[str, Any] = {"key": request.key, "value": request.value.decode("latin-1")}
        if request.HasField("expire_at"):
            ttl = request.expire_at.ToMicroseconds() / 1e6 - time.time()
            args["ttl_seconds"] = max(1, int(ttl + 0.999))
        return bool(self.call(context, "kv.write", args)["created"])

    def kv_delete(self, request: Any, context: grpc.ServicerContext) -> bool:
        return bool(self.call(context, "kv.delete", {"key": request.key})["deleted"])


class _StudioServicer(ai_studio_management_pb2_grpc.AIStudioManagementServiceServicer):
    def __init__(self, services: _HostServices) -> None:
        self.s = services

    def ReadPluginKV(self, request: Any, context: grpc.ServicerContext) -> Any:
        return ai_studio_management_pb2.ReadPluginKVResponse(value=self.s.kv_read(request, context))

    def WritePluginKV(self, request: Any, context: grpc.ServicerContext) -> Any:
        return ai_studio_management_pb2.WritePluginKVResponse(created=self.s.kv_write(request, context))

    def DeletePluginKV(self, request: Any, context: grpc.ServicerContext) -> Any:
        return ai_studio_management_pb2.DeletePluginKVResponse(deleted=self.s.kv_delete(request, context))


class _GatewayServicer(microgateway_management_pb2_grpc.MicrogatewayManagementServiceServicer):
    def __init__(self, services: _HostServices) -> None:
        self.s = services

    def ReadPluginKV(self, request: Any, context: grpc.ServicerContext) -> Any:
        return microgateway_management_pb2.ReadPluginKVResponse(value=self.s.kv_read(request, context))

    def WritePluginKV(self, request: Any, context: grpc.ServicerContext) -> Any:
        return microgateway_management_pb2.WritePluginKVResponse(created=self.s.kv_write(request, context))

    def DeletePluginKV(self, request: Any, context: grpc.ServicerContext) -> Any:
        return microgateway_management_pb2.DeletePluginKVResponse(deleted=self.s.kv_delete(request, context))


class _EventServicer(plugin_events_pb2_grpc.PluginEventServiceServicer):
    def __init__(self, services: _HostServices) -> None:
        self.s = services

    def Publish(self, request: Any, context: grpc.ServicerContext) -> Any:
        if not request.topic:
            return plugin_events_pb2.PublishResponse(success=False, error_message="topic is required")
        direction = request.direction if request.direction in (0, 1, 2) else 0
        ok, value = self.s.owner.op("events.publish", {
            "topic": request.topic, "payload": request.payload.decode("latin-1"), "direction": direction})
        if not ok:
            return plugin_events_pb2.PublishResponse(success=False,
                                                     error_message=f"{value['code']}: {value['message']}")
        return plugin_events_pb2.PublishResponse(success=True, event_id=str(value["event_id"]))

    def Subscribe(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        if request.subscribe_all:
            value = self.s.call(context, "events.subscribe_all", {})
        elif request.topic:
            value = self.s.call(context, "events.subscribe", {"topic": request.topic})
        else:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "topic or subscribe_all is required")
        sub_id = str(value["subscription_id"])
        inbox: "queue.SimpleQueue[dict[str, Any] | None]" = queue.SimpleQueue()
        backend = self.s.owner.backend
        backend.subscriptions[sub_id] = inbox
        context.add_callback(lambda: inbox.put(None))
        try:
            while context.is_active():
                event = inbox.get()
                if event is None:
                    return
                yield plugin_events_pb2.EventMessage(
                    id=str(event.get("id", "")), topic=str(event.get("topic", "")),
                    origin=str(event.get("origin", "")), direction=int(event.get("direction", 0)),
                    payload=str(event.get("payload", "")).encode("latin-1"))
        finally:
            backend.subscriptions.pop(sub_id, None)
            self.s.owner.op("events.unsubscribe", {"subscription_id": sub_id})
