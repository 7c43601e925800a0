"""The wasm tier: each plugin instance is a CPython guest in a WebAssembly sandbox.

A plugin is built once into a component (:mod:`runtime.build`, cached), compiled by
wasmtime once (cached as a ``.cwasm``, loaded with ``deserialize_file``), and each
instance is a fresh wasmtime ``Store`` instantiated from that snapshot (~0.5 ms).

* **CPU**: epoch interruption. One thread per backend increments the engine's epoch
  every ``tick_ms``; before each call the store's deadline is set to the call's
  timeout in ticks, so a runaway guest traps in the caller's own thread within
  ``timeout + tick_ms``. No worker thread is needed and none is abandoned.
* **Memory**: ``Store.set_limits(memory_size=...)`` caps the guest's linear memory; a
  guest that hits the cap sees ``MemoryError`` (or traps).
* **Authority**: the guest gets WASI with nothing granted (no files, no environment,
  no network; stdout/stderr discarded; clocks and random are wasmtime's) and one host
  import, ``call(op, payload)``, which goes to the ``host_call`` the instance was
  created with.

Traps are mapped to runtime errors (see :func:`classify_trap`); after any trap the
instance is unusable and every later call raises :class:`SandboxBroken`: replace it.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from host_abi import ABI_VERSION
from host_abi.envelope import encode_err
from host_abi.errors import ErrorCode
from host_abi.limits import DEFAULT_MEMORY_LIMIT_BYTES

from ..build import BuildResult, EngineSettings, build_plugin, compile_component, wit_names
from ..errors import (DeadlineExceeded, LoadError, MemoryExceeded, PluginRuntimeError,
                      SandboxBroken, TierUnavailable)
from .base import Backend, HostCall, PluginSource

try:
    from wasmtime import Engine, ExitTrap, Store, WasiConfig, WasmtimeError
    from wasmtime.component import Component, ExportIndex, Func, Linker
except ImportError:  # pragma: no cover - the 'wasm' extra is not installed
    Engine = None  # type: ignore[assignment,misc]

__all__ = ["WasmBackend", "WasmInstance", "classify_trap", "DEFAULT_TICK_MS"]

log = logging.getLogger("runtime.backends.wasm")

#: Epoch period: deadlines fire between ``timeout`` and ``timeout + tick``.
DEFAULT_TICK_MS = 10
#: A deadline (in ticks) that never fires: 2**48 ticks of 10 ms is ~89,000 years.
_NO_DEADLINE = 1 << 48
_ERR_PREFIX = '{"v":1,"err":'
#: Signs of memory exhaustion in a trap's message and wasm backtrace.
_MEMORY_MARKERS = ("handle_alloc_error", "alloc_error", "out of memory", "memory allocation of",
                   "MemoryError", "PyErr_NoMemory", "capacity overflow")


# --------------------------------------------------------------------------- traps


def classify_trap(error: BaseException, *, timeout_ms: int | None = None,
                  elapsed_ms: float | None = None, plugin: str | None = None) -> PluginRuntimeError:
    """The runtime error for a trap raised by a guest call.

    wasmtime's C API gives no trap code for component calls (the error is a
    ``wasmtime_error_t``, not a ``wasm_trap_t``), so the kind is read from the message,
    whose last line is wasmtime's trap description:

    * ``wasm trap: interrupt`` (epoch deadline reached) -> DeadlineExceeded;
    * an allocation failure in the backtrace or message -> MemoryExceeded;
    * a WASI ``exit`` -> SandboxBroken naming the exit code;
    * anything else (``unreachable`` from an abort, stack overflow, an exception that
      escaped the export) -> SandboxBroken with wasmtime's text as the traceback.
    """
    text = str(error)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    cause = lines[-1] if lines else type(error).__name__
    took = f" (stopped after {elapsed_ms:.0f} ms)" if elapsed_ms is not None else ""
    if "wasm trap: interrupt" in text or "all fuel consumed" in text:
        limit = f"{timeout_ms} ms" if timeout_ms is not None else "its deadline"
        return DeadlineExceeded(f"the plugin did not answer within {limit}{took}", plugin=plugin)
    if any(marker in text for marker in _MEMORY_MARKERS):
        return MemoryExceeded(f"the plugin ran out of memory: {cause}", plugin=plugin, traceback=text)
    if Engine is not None and isinstance(error, ExitTrap):
        return SandboxBroken(f"the plugin exited the sandbox with code {error.code}", plugin=plugin)
    return SandboxBroken(f"the sandbox trapped: {cause}", plugin=plugin, traceback=text)


# --------------------------------------------------------------------------- epoch ticker


class _EpochTicker:
    """One thread per engine that increments its epoch every ``tick_ms``."""

    def __init__(self, engine: "Engine", tick_ms: int) -> None:
        self._engine = engine
        self._period = tick_ms / 1000
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="wasm-epoch-ticker",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        engine, period, stop = self._engine, self._period, self._stop
        while not stop.wait(period):
            engine.increment_epoch()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)


# --------------------------------------------------------------------------- calling


class _StockCaller:
    """Calls the guest's ``handle`` through wasmtime-py's stock component API.

    Kept alone so a faster caller (a cached, typed ctypes/cffi call on wasmtime's C
    API) can replace it without touching the rest: ``caller(store, hook, payload) -> str``.
    """

    __slots__ = ("_func",)

    def __init__(self, func: "Func") -> None:
        self._func = func

    def __call__(self, store: "Store", hook: int, payload: str) -> str:
        return self._func(store, hook, payload)  # type: ignore[no-any-return]


CallerFactory = Callable[["Func"], Callable[["Store", int, str], str]]


# --------------------------------------------------------------------------- prepared plugin


@dataclass
class _Prepared:
    build: BuildResult
    component: "Component"
    handle_index: "ExportIndex"
    abi_index: "ExportIndex"
    load_seconds: float


def _new_store(engine: "Engine", memory_limit_bytes: int | None) -> "Store":
    """The one place a Store for a guest is made: WASI is always set before instantiation.

    Instantiating a WASI-importing component in a store without ``set_wasi`` aborts
    the whole host process (a Rust panic in wasmtime's C API), so no other code path
    may create a guest store.
    """
    store = Store(engine)
    wasi = WasiConfig()  # nothing granted: no preopens, no env, no args, output discarded
    store.set_wasi(wasi)
    store._gps_wasi_set = True  # type: ignore[attr-defined]  # checked before instantiation
    if memory_limit_bytes is not None:
        store.set_limits(memory_size=int(memory_limit_bytes))
    # The deadline must be set before instantiation, or instantiation itself traps.
    store.set_epoch_deadline(_NO_DEADLINE)
    return store


class WasmBackend(Backend):
    """Runs plugins as componentize-py CPython guests in wasmtime.

    Args:
        memory_limit_bytes: default linear-memory cap of an instance (per-instance
            override: ``instantiate(..., memory_limit_bytes=...)``).
        tick_ms: epoch period; deadlines fire within ``timeout_ms + tick_ms``.
        cache_dir: build cache root (default: :func:`runtime.build.default_cache_dir`).
        engine_settings: wasmtime settings (default :class:`EngineSettings`).
        progress: called with a stage name before slow build stages.
        default_timeout_ms: deadline of calls made without one (None: none). A backstop
            for callers that enforce deadlines themselves, e.g. from a worker thread.
        caller_factory: makes the per-instance caller of ``handle`` (default: stock API).
    """

    tier = "wasm"
    #: Instances enforce deadlines (``handle(..., timeout_ms=)``) and memory limits
    #: (``instantiate(..., memory_limit_bytes=)``) themselves, in the caller's thread.
    enforces_limits = True

    def __init__(self, *, memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT_BYTES,
                 tick_ms: int = DEFAULT_TICK_MS, cache_dir: str | Path | None = None,
                 engine_settings: EngineSettings | None = None,
                 progress: Callable[[str], None] | None = None,
                 default_timeout_ms: int | None = None,
                 caller_factory: CallerFactory | None = None) -> None:
        if Engine is None:
            raise TierUnavailable("the wasm tier needs wasmtime (install the 'wasm' extra)")
        if tick_ms < 1:
            raise ValueError("tick_ms must be at least 1")
        self.memory_limit_bytes = memory_limit_bytes
        self.tick_ms = tick_ms
        self.cache_dir = cache_dir
        self.engine_settings = engine_settings or EngineSettings()
        self.progress = progress
        self.default_timeout_ms = default_timeout_ms
        self._caller_factory: CallerFactory = caller_factory or _StockCaller
        self.engine = self.engine_settings.engine()
        self._names = wit_names()
        self._tls = threading.local()
        self.linker = self._make_linker()
        self._ticker = _EpochTicker(self.engine, tick_ms)
        self._prepared: dict[str, _Prepared] = {}
        self._lock = threading.Lock()
        self._closed = False

    # -- the host import ------------------------------------------------------------------
    def _make_linker(self) -> "Linker":
        linker = Linker(self.engine)
        linker.add_wasip2()
        tls = self._tls

        def call(_store: Any, op: int, payload: str) -> str:
            # Never raise: an exception here traps the guest and poisons the instance.
            try:
                host_call = getattr(tls, "host_call", None)
                if host_call is None:
                    return encode_err(ErrorCode.INTERNAL, "host call outside a hook call")
                answer = host_call(op, payload)
                if type(answer) is not str:
                    return encode_err(ErrorCode.INTERNAL,
                                      f"the host answered {type(answer).__name__}, not an envelope")
                return answer
            except BaseException as exc:  # noqa: BLE001
                try:
                    log.exception("the host failed while serving op %s", op)
                    return encode_err(ErrorCode.INTERNAL,
                                      f"the host failed: {type(exc).__name__}: {exc}")
                except BaseException:  # noqa: BLE001
                    return '{"v":1,"err":{"code":"INTERNAL","message":"the host failed"}}'

        with linker.root() as root:
            with root.add_instance(self._names.host_interface) as host:
                host.add_func("call", call)
        return linker

    # -- plugins ----------------------------------------------------------------------------
    def prepare(self, source: PluginSource) -> None:
        """Build (or find cached) and load the plugin's compiled component.

        Raises:
            LoadError: the build failed, the component does not load, or it speaks
                another ABI version.
        """
        self._check_open()
        prepared = self._load(source)  # builds may take seconds: not under the lock
        with self._lock:
            self._prepared[source.identity] = prepared

    def _load(self, source: PluginSource) -> _Prepared:
        build = build_plugin(source.directory, cache_dir=self.cache_dir, progress=self.progress,
                             engine_settings=self.engine_settings, engine=self.engine)
        started = time.perf_counter()
        try:
            component = Component.deserialize_file(self.engine, str(build.cwasm_path))
        except WasmtimeError as exc:  # stale or foreign artifact: compile it again
            log.warning("recompiling %s: %s", build.cwasm_path, exc)
            try:
                compile_component(build.wasm_path, build.cwasm_path, self.engine)
                component = Component.deserialize_file(self.engine, str(build.cwasm_path))
            except WasmtimeError as exc2:
                raise LoadError(f"the compiled component {build.cwasm_path} does not load: {exc2}",
                                plugin=source.identity) from None
        load_seconds = time.perf_counter() - started
        guest = component.get_export_index(self._names.guest_interface)
        handle = component.get_export_index("handle", guest) if guest is not None else None
        abi = component.get_export_index("abi-version", guest) if guest is not None else None
        if handle is None or abi is None:
            raise LoadError(f"{build.wasm_path} does not export {self._names.guest_interface} "
                            "with handle and abi-version", code=ErrorCode.ABI_VERSION_MISMATCH,
                            plugin=source.identity)
        prepared = _Prepared(build, component, handle, abi, load_seconds)
        probe = WasmInstance(self, prepared, lambda op, payload: encode_err(
            ErrorCode.INTERNAL, "no host calls while probing"), self.memory_limit_bytes, source.identity)
        try:
            version = probe.abi_version()
        finally:
            probe.close()
        if version != ABI_VERSION:
            raise LoadError(f"the component speaks ABI version {version}; this host speaks {ABI_VERSION}",
                            code=ErrorCode.ABI_VERSION_MISMATCH, plugin=source.identity)
        return prepared

    def build_result(self, identity: str) -> BuildResult | None:
        """The build behind a prepared plugin (paths, key, whether it came from the cache)."""
        prepared = self._prepared.get(identity)
        return prepared.build if prepared is not None else None

    def instantiate(self, source: PluginSource, host_call: HostCall, *,
                    memory_limit_bytes: int | None = None) -> "WasmInstance":
        """A new instance of a prepared plugin (prepared now if it was not).

        ``memory_limit_bytes`` caps this instance's linear memory (default: the
        backend's ``memory_limit_bytes``).

        Raises:
            LoadError: instantiation failed (e.g. the limit is below the snapshot's size).
        """
        self._check_open()
        prepared = self._prepared.get(source.identity)
        if prepared is None:
            self.prepare(source)
            prepared = self._prepared[source.identity]
        limit = memory_limit_bytes if memory_limit_bytes is not None else self.memory_limit_bytes
        instance = WasmInstance(self, prepared, host_call, limit, source.identity)
        self._ticker.ensure_started()
        return instance

    def _check_open(self) -> None:
        if self._closed:
            raise LoadError("the wasm backend is closed")

    def close(self) -> None:
        """Stop the epoch thread and drop the loaded components (instances must be closed first)."""
        if self._closed:
            return
        self._closed = True
        self._ticker.stop()
        with self._lock:
            prepared, self._prepared = list(self._prepared.values()), {}
        for p in prepared:  # live instances keep their own reference to the code
            p.component.close()


class WasmInstance:
    """One guest instance in its own Store. One call at a time (the pool guarantees it)."""

    __slots__ = ("_backend", "_store", "_caller", "_abi_func", "_host_call", "_tls", "_tick_ms",
                 "_default_timeout_ms", "_state_lock", "_busy", "plugin", "broken", "closed", "memory_limit_bytes")

    def __init__(self, backend: WasmBackend, prepared: _Prepared, host_call: HostCall,
                 memory_limit_bytes: int | None, plugin: str) -> None:
        self._backend = backend
        self._host_call = host_call
        self._tls = backend._tls
        self._tick_ms = backend.tick_ms
        self._default_timeout_ms = backend.default_timeout_ms
        self.plugin = plugin
        self.broken: PluginRuntimeError | None = None
        self.closed = False
        self.memory_limit_bytes = memory_limit_bytes
        # close() from another thread while a call runs must not free the store under it:
        # the call's own thread frees it when the call ends.
        self._state_lock = threading.Lock()
        self._busy = False
        store = _new_store(backend.engine, memory_limit_bytes)
        assert getattr(store, "_gps_wasi_set", False), "a guest store must have WASI set"
        try:
            instance = backend.linker.instantiate(store, prepared.component)
        except WasmtimeError as exc:
            store.close()
            text = str(exc)
            if "memory" in text and ("limit" in text or "exceeds" in text):
                raise LoadError(f"the plugin's snapshot does not fit its memory limit of "
                                f"{memory_limit_bytes} bytes: {text.strip().splitlines()[-1]}",
                                code=ErrorCode.LOAD_FAILED, plugin=plugin) from None
            raise LoadError(f"instantiating the component failed: {text}", plugin=plugin) from None
        handle = instance.get_func(store, prepared.handle_index)
        abi = instance.get_func(store, prepared.abi_index)
        assert handle is not None and abi is not None
        self._store = store
        self._caller = backend._caller_factory(handle)
        self._abi_func = abi

    def abi_version(self) -> int:
        """The ABI version the guest was built for."""
        self._enter()
        try:
            return int(self._abi_func(self._store))
        except WasmtimeError as exc:
            self.broken = classify_trap(exc, plugin=self.plugin)
            raise self.broken from None
        finally:
            self._leave()

    def _enter(self) -> None:
        with self._state_lock:
            if self.closed:
                raise SandboxBroken("the instance is closed", plugin=self.plugin)
            if self.broken is not None:
                raise SandboxBroken(f"the instance is unusable after an earlier failure "
                                    f"({self.broken.code}): replace it", plugin=self.plugin)
            if self._busy:
                raise SandboxBroken("the instance is already running a call", plugin=self.plugin)
            self._busy = True

    def _leave(self) -> None:
        with self._state_lock:
            self._busy = False
            if self.closed:
                self._release()

    def handle(self, hook: int, payload: str, timeout_ms: int | None = None) -> str:
        """Run a hook in the caller's thread; returns the answer envelope.

        ``timeout_ms`` (None: the backend's ``default_timeout_ms``, by default no
        deadline) stops the guest by epoch interruption within ``timeout_ms + tick_ms``.

        Raises:
            DeadlineExceeded: the deadline was reached (the instance is now unusable).
            MemoryExceeded: the guest hit its memory limit (the instance is now unusable).
            SandboxBroken: any other trap, or the instance was already unusable.
        """
        self._enter()
        store = self._store
        if timeout_ms is None:
            timeout_ms = self._default_timeout_ms
        if timeout_ms is None:
            store.set_epoch_deadline(_NO_DEADLINE)
        else:
            store.set_epoch_deadline(max(1, math.ceil(timeout_ms / self._tick_ms)) + 1)
        tls = self._tls
        outer = getattr(tls, "host_call", None)
        tls.host_call = self._host_call
        started = time.perf_counter()
        try:
            answer = self._caller(store, hook, payload)
        except WasmtimeError as exc:
            self.broken = classify_trap(exc, timeout_ms=timeout_ms,
                                        elapsed_ms=(time.perf_counter() - started) * 1000,
                                        plugin=self.plugin)
            raise self.broken from None
        finally:
            tls.host_call = outer
            self._leave()
        if answer.startswith(_ERR_PREFIX):
            self._check_memory_answer(answer)
        return answer

    def _check_memory_answer(self, answer: str) -> None:
        """A guest that answered MemoryError hit its limit: its memory never shrinks, retire it."""
        try:
            err = json.loads(answer).get("err") or {}
        except ValueError:
            return
        code, message = err.get("code"), str(err.get("message", ""))
        if code == "MEMORY_EXCEEDED" or (code == "PLUGIN_RAISED" and message.startswith("MemoryError")):
            limit = f" of {self.memory_limit_bytes} bytes" if self.memory_limit_bytes else ""
            self.broken = MemoryExceeded(f"the plugin ran out of memory (limit{limit}): {message}",
                                         plugin=self.plugin, hook=err.get("hook"),
                                         traceback=err.get("traceback"), where=err.get("where"))
            raise self.broken

    def close(self) -> None:
        """Release the store and everything in it; idempotent.

        Called while a call runs in another thread, it only marks the instance closed;
        that call frees the store when it returns (a call without a deadline that never
        returns keeps its store: give untrusted calls a deadline).
        """
        with self._state_lock:
            if self.closed:
                return
            self.closed = True
            if not self._busy:
                self._release()

    def _release(self) -> None:
        store = getattr(self, "_store", None)
        if store is not None:
            del self._store, self._caller, self._abi_func
            store.close()
