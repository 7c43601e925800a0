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
  no network; stdout/stderr discarded) and one host import, ``call(op, payload)``,
  which goes to the ``host_call`` the instance was created with.
* **Clocks and random**: the WASI wall clock, monotonic clock and random functions are
  replaced on the linker by host functions that follow each store's
  :class:`GuestEnv` (clock real/coarse/frozen, random real/seeded; host_abi/ABI.md,
  "Clocks and randomness").

Traps are mapped to runtime errors (see :func:`classify_trap`); after any trap the
instance is unusable and every later call raises :class:`SandboxBroken`: replace it.
"""

from __future__ import annotations

import ctypes
import json
import logging
import math
import os
import random as _random_module
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
from ..manifest import CLOCK_MODES, DEFAULT_CLOCK, DEFAULT_RANDOM, RANDOM_MODES
from .base import Backend, HostCall, PluginSource
from .wasm_fast import resolve_boundary

try:
    from wasmtime import Engine, ExitTrap, Store, WasiConfig, WasmtimeError
    from wasmtime.component import Component, ExportIndex, Func, Linker, Record
    from wasmtime import _ffi as _wt_ffi  # clock and random host functions (ctypes)
    from wasmtime._value import _unintern as _wt_unintern  # a store's data from its context
except ImportError:  # pragma: no cover - the 'wasm' extra is not installed
    Engine = None  # type: ignore[assignment,misc]

__all__ = ["WasmBackend", "WasmInstance", "classify_trap", "DEFAULT_TICK_MS", "GuestEnv",
           "check_wasi_names", "WASI_VERSION"]

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


# --------------------------------------------------------------------------- clocks and random

#: The WASI version wasmtime registers (``add_wasip2``). The clock and random functions
#: are replaced under exactly these names: a guest's older 0.2.x imports link to them.
#: An older name here would be ignored silently and a newer one breaks instantiation,
#: so :func:`check_wasi_names` verifies it when a backend starts.
WASI_VERSION = "0.2.12"
#: The WASI functions the host replaces, by interface (the monotonic clock's
#: ``subscribe-*``, what ``time.sleep`` and ``select`` wait on, are replaced too, by
#: :func:`_shadow_sleep`, so that a wait never outlasts the call's deadline).
SHADOWED_WASI: tuple[tuple[str, tuple[str, ...]], ...] = (
    (f"wasi:clocks/wall-clock@{WASI_VERSION}", ("now", "resolution")),
    (f"wasi:clocks/monotonic-clock@{WASI_VERSION}", ("now", "resolution")),
    (f"wasi:random/random@{WASI_VERSION}", ("get-random-bytes", "get-random-u64")),
)
#: A component that hands out wasmtime's own monotonic-clock pollables: the host's
#: replacement of ``subscribe-duration``/``subscribe-instant`` asks it for a pollable
#: that is ready no later than the call's deadline (a Python host function cannot make
#: a WASI pollable itself). It re-exports the import through a core function, as
#: wasmtime refuses a bare re-export of an imported function.
_SLEEP_COMPONENT_WAT = f"""
(component
  (import "wasi:io/poll@{WASI_VERSION}" (instance $poll (export "pollable" (type (sub resource)))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@{WASI_VERSION}" (instance $clock
    (export "pollable" (type (eq $pollable)))
    (export "subscribe-duration" (func (param "when" u64) (result (own 0))))))
  (core func $lowered (canon lower (func $clock "subscribe-duration")))
  (core module $m
    (import "" "sub" (func $sub (param i64) (result i32)))
    (func (export "sub") (param i64) (result i32) local.get 0 call $sub))
  (core instance $i (instantiate $m (with "" (instance (export "sub" (func $lowered))))))
  (func $lifted (param "when" u64) (result (own $pollable)) (canon lift (core func $i "sub")))
  (export "subscribe-duration" (func $lifted)))
"""
_MS = 1_000_000
_NS = 1_000_000_000
#: Largest ``get-random-bytes`` request served (CPython asks for 256 bytes at most);
#: a larger one traps rather than make the host allocate for it.
MAX_RANDOM_BYTES = 1 << 20
_HOST_RES_NS = {name: max(1, round(time.get_clock_info(name).resolution * _NS))
                for name in ("time", "monotonic")}
_wasi_names_checked = False


class GuestEnv:
    """What one store's guest sees of time and randomness; the store's data.

    * clock ``real``: the host's wall clock, and a monotonic clock counting from the
      store's creation (wasmtime's own base, which ``sleep`` waits against), in ns;
      ``coarse``: both rounded down to 1 ms; ``frozen``: both read once, rounded down to
      1 ms, when each hook call starts (:meth:`begin_call`) and constant during it.
      Resolution: 1 ms, or the host clock's for ``real``.
    * random ``real``: ``os.urandom``; ``seeded``: a ``random.Random(seed)`` stream of
      this store only (``seed`` None: a seed drawn from ``os.urandom``).
    """

    __slots__ = ("clock", "random", "seed", "mono_base", "frozen_wall", "frozen_mono",
                 "wall_res_ns", "mono_res_ns", "_rng", "deadline_ns", "sleeper")

    def __init__(self, clock: str = DEFAULT_CLOCK, random: str = DEFAULT_RANDOM,
                 seed: int | None = None) -> None:
        if clock not in CLOCK_MODES:
            raise ValueError(f"clock must be one of {CLOCK_MODES}, not {clock!r}")
        if random not in RANDOM_MODES:
            raise ValueError(f"random must be one of {RANDOM_MODES}, not {random!r}")
        self.clock, self.random, self.seed = clock, random, seed
        self.wall_res_ns = _HOST_RES_NS["time"] if clock == "real" else _MS
        self.mono_res_ns = _HOST_RES_NS["monotonic"] if clock == "real" else _MS
        self._rng: _random_module.Random | None = None
        if random == "seeded":
            self._rng = _random_module.Random(
                seed if seed is not None else int.from_bytes(os.urandom(32), "little"))
        self.frozen_wall = self.frozen_mono = 0
        #: The running call's deadline (host ``time.monotonic_ns()``; 0: none): no WASI
        #: wait the guest starts outlasts it.
        self.deadline_ns = 0
        #: Makes wasmtime's pollables for the guest's waits: ``(store, ns) -> pollable``
        #: (set by the backend when the store is made).
        self.sleeper: Callable[[Any, int], Any] | None = None
        self.start()

    def start(self) -> None:
        """Count the monotonic clock from now (call it when the store's WASI is set)."""
        self.mono_base = time.monotonic_ns()
        self.begin_call()

    def begin_call(self) -> None:
        """A hook call starts: a frozen clock takes its reading for the call."""
        if self.clock == "frozen":
            t = time.time_ns()
            self.frozen_wall = t - t % _MS
            t = time.monotonic_ns() - self.mono_base
            self.frozen_mono = t - t % _MS

    def wall_ns(self) -> int:
        """Nanoseconds since the Unix epoch, as the guest sees them."""
        clock = self.clock
        if clock == "real":
            return time.time_ns()
        if clock == "coarse":
            t = time.time_ns()
            return t - t % _MS
        return self.frozen_wall

    def mono_ns(self) -> int:
        """Nanoseconds since the store was created, as the guest sees them."""
        clock = self.clock
        if clock == "frozen":
            return self.frozen_mono
        t = time.monotonic_ns() - self.mono_base
        return t if clock == "real" else t - t % _MS

    def random_bytes(self, n: int) -> bytes:
        if n > MAX_RANDOM_BYTES:
            raise ValueError(f"get-random-bytes({n}) asks for more than {MAX_RANDOM_BYTES} bytes")
        rng = self._rng
        return os.urandom(n) if rng is None else rng.randbytes(n)

    def random_u64(self) -> int:
        rng = self._rng
        return int.from_bytes(os.urandom(8), "little") if rng is None else rng.getrandbits(64)

    def __repr__(self) -> str:
        seed = f", seed={self.seed}" if self._rng is not None and self.seed is not None else ""
        return f"GuestEnv(clock={self.clock!r}, random={self.random!r}{seed})"


def _env_of(context: Any) -> GuestEnv:
    """The GuestEnv of the store calling a host function (its store data)."""
    data: Any = _wt_ffi.wasmtime_context_get_data(context)  # c_void_p: an int, or None
    env = _wt_unintern(data) if data else None
    if type(env) is not GuestEnv:
        raise LookupError("a guest store without its clock and random settings "
                          "(guest stores must come from _new_store)")
    return env


def check_wasi_names(engine: "Engine") -> None:
    """Fail loudly unless wasmtime defines every function :data:`SHADOWED_WASI` names.

    A scratch linker with WASI and no shadowing must refuse each of them as "defined
    twice"; a name wasmtime does not define would be accepted, and the guest would keep
    wasmtime's clock and random. Runs once per process (~1 ms).

    Raises:
        TierUnavailable: naming the version wasmtime registers, when it can be found.
    """
    global _wasi_names_checked
    if _wasi_names_checked:
        return
    missing = [f"{iface}#{name}" for iface, names in SHADOWED_WASI for name in names
               if not _wasi_defines(engine, iface, name)]
    if missing:
        iface = SHADOWED_WASI[0][0].rsplit("@", 1)[0]
        found = next((f"0.2.{minor}" for minor in range(100)
                      if _wasi_defines(engine, f"{iface}@0.2.{minor}", "now")), None)
        actual = f"WASI {found}" if found else "an unknown WASI version"
        raise TierUnavailable(
            f"wasmtime {_wt_version()} registers {actual}, but the wasm tier replaces the "
            f"clock and random functions of WASI {WASI_VERSION} ({', '.join(missing)} not "
            "found): set WASI_VERSION in runtime/backends/wasm.py to wasmtime's version")
    _wasi_names_checked = True


def _wasi_defines(engine: "Engine", iface: str, name: str) -> bool:
    linker = Linker(engine)
    try:
        linker.add_wasip2()
        with linker.root() as root:
            with root.add_instance(iface) as inst:
                inst.add_func(name, lambda _store: None)
    except WasmtimeError as exc:
        return "defined twice" in str(exc)
    finally:
        linker.close()
    return False


def _wt_version() -> str:
    try:
        from importlib.metadata import version
        return version("wasmtime")
    except Exception:  # noqa: BLE001 - only for a message
        return "(unknown version)"


def _shadow_wasi(linker: "Linker", keep: list[Any]) -> None:
    """Replace the WASI clock and random functions on ``linker`` (after ``add_wasip2``).

    Each replacement reads the calling store's :class:`GuestEnv`. They are ctypes
    callbacks that write wasmtime's values directly: a guest clock read costs ~7 µs,
    against ~29 µs through ``add_func``'s generic conversion and 0.3 µs for wasmtime's
    own (host_abi/ABI.md 15.1). ``keep`` holds them alive as long as the linker. When
    wasmtime-py's internals are not as expected, typed Python functions through the
    stock ``add_func`` are used instead.
    """
    funcs: dict[str, Callable[..., Any]] = {
        "now": lambda env: divmod(env.wall_ns(), _NS),
        "resolution": lambda env: (0, env.wall_res_ns),
        "mono.now": lambda env: env.mono_ns(),
        "mono.resolution": lambda env: env.mono_res_ns,
        "get-random-bytes": lambda env, n: env.random_bytes(n),
        "get-random-u64": lambda env: env.random_u64(),
    }
    fast = _USE_CTYPES_HOST_FUNCS and _ctypes_layout_ok()
    linker.allow_shadowing = True
    with linker.root() as root:
        for iface, names in SHADOWED_WASI:
            mono = "monotonic-clock" in iface
            with root.add_instance(iface) as inst:
                for name in names:
                    fn = funcs[f"mono.{name}" if mono else name]
                    kind = ("u64" if mono or name == "get-random-u64" else
                            "bytes" if name == "get-random-bytes" else "datetime")
                    if fast:
                        callback = _ctypes_host_func(kind, fn)
                        keep.append(callback)
                        _add_raw_func(inst, name, callback)
                    else:
                        inst.add_func(name, _stock_host_func(kind, fn))
    linker.allow_shadowing = False


def _shadow_sleep(linker: "Linker") -> None:
    """Replace ``subscribe-duration`` and ``subscribe-instant`` of the monotonic clock.

    A guest blocked in a WASI wait (``time.sleep``, ``select``) is in wasmtime's host
    code, where the epoch deadline cannot reach it: the caller's thread would be held
    for as long as the guest asked. A wait that ends before the running call's deadline
    is wasmtime's own; one that would outlast it ends at the deadline, and the guest
    resumes into an expired epoch deadline: DEADLINE_EXCEEDED on time, as for a loop.
    Waits in calls without a deadline are left as asked.
    """
    def wait_for(store: Any, env: GuestEnv, duration_ns: int) -> Any:
        duration_ns = max(0, duration_ns)
        sleeper = env.sleeper
        if sleeper is None:
            raise RuntimeError("a guest store without its sleep helper")
        deadline = env.deadline_ns
        if deadline:
            remaining = deadline - time.monotonic_ns()
            if duration_ns > remaining:
                # The wait would outlast the call: wait here until the deadline (this
                # thread holds no lock and the GIL is released), then let the guest
                # resume into an epoch deadline that has already passed, so it traps
                # with DEADLINE_EXCEEDED at its next instruction, on time.
                if remaining > 0:
                    time.sleep(remaining / _NS)
                _wt_ffi.wasmtime_context_set_epoch_deadline(store._context(), 0)
                return sleeper(store, 0)
        return sleeper(store, duration_ns)

    def subscribe_duration(store: Any, when: int) -> Any:
        return wait_for(store, _env_of(store._context()), when)

    def subscribe_instant(store: Any, when: int) -> Any:
        env = _env_of(store._context())
        return wait_for(store, env, when - env.mono_ns())

    linker.allow_shadowing = True
    with linker.root() as root:
        with root.add_instance(f"wasi:clocks/monotonic-clock@{WASI_VERSION}") as inst:
            inst.add_func("subscribe-duration", subscribe_duration)
            inst.add_func("subscribe-instant", subscribe_instant)
    linker.allow_shadowing = False


class _Sleeper:
    """Makes wasmtime's monotonic-clock pollables in one store, through a helper
    instance made on the store's first wait."""

    __slots__ = ("_backend", "_func")

    def __init__(self, backend: "WasmBackend") -> None:
        self._backend = backend
        self._func: Any = None

    def __call__(self, store: Any, duration_ns: int) -> Any:
        func = self._func
        if func is None:
            backend = self._backend
            instance = backend._sleep_linker.instantiate(store, backend._sleep_component)
            func = self._func = instance.get_func(store, backend._sleep_export)
        return func(store, duration_ns)


#: False: register the stock typed Python functions instead (tests compare both).
_USE_CTYPES_HOST_FUNCS = True


def _stock_host_func(kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    if kind == "datetime":
        def wall(store: Any) -> Record:
            seconds, nanoseconds = fn(_env_of(store._context()))
            record: Any = Record()
            record.seconds, record.nanoseconds = seconds, nanoseconds
            return record  # type: ignore[no-any-return]
        return wall
    if kind == "bytes":
        def random_bytes(store: Any, n: int) -> bytes:
            return bytes(fn(_env_of(store._context()), n))
        return random_bytes

    def u64(store: Any) -> int:
        return int(fn(_env_of(store._context())))
    return u64


def _ctypes_layout_ok() -> bool:
    try:
        val = _wt_ffi.wasmtime_component_val_t
        return (val.of.offset > 0 and ctypes.sizeof(val) > val.of.offset
                and callable(_wt_ffi.wasmtime_component_linker_instance_add_func)
                and callable(_wt_ffi.wasmtime_component_valrecord_new_uninit)
                and callable(_wt_ffi.wasmtime_component_vallist_new_uninit))
    except AttributeError:
        log.warning("wasmtime-py internals differ: clock and random use the stock add_func")
        return False


def _ctypes_host_func(kind: str, fn: Callable[..., Any]) -> Any:
    """A ``wasmtime_component_func_callback_t`` running ``fn(env, *args)``.

    Never raises into wasmtime: a failure becomes a wasmtime error (the guest traps).
    """
    ffi = _wt_ffi
    u8, u32, u64 = (ffi.WASMTIME_COMPONENT_U8.value, ffi.WASMTIME_COMPONENT_U32.value,
                    ffi.WASMTIME_COMPONENT_U64.value)
    list_kind, record_kind = ffi.WASMTIME_COMPONENT_LIST.value, ffi.WASMTIME_COMPONENT_RECORD.value
    size, offset = ctypes.sizeof(ffi.wasmtime_component_val_t), ffi.wasmtime_component_val_t.of.offset
    names = [(ctypes.c_ubyte * len(n)).from_buffer_copy(n) for n in (b"seconds", b"nanoseconds")]
    get_data: Callable[[Any], Any] = ffi.wasmtime_context_get_data
    unintern: Callable[[Any], Any] = _wt_unintern
    byref, memmove = ctypes.byref, ctypes.memmove

    def env_of(context: Any) -> GuestEnv:
        data = get_data(context)
        env = unintern(data) if data else None
        return env if type(env) is GuestEnv else _env_of(context)

    def callback(_data: Any, context: Any, _ty: Any, args: Any, _nargs: int, results: Any,
                 _nresults: int) -> int:
        try:
            env = env_of(context)
            out = results[0]
            if kind == "u64":
                out.of.u64 = fn(env)
                out.kind = u64
            elif kind == "datetime":
                seconds, nanoseconds = fn(env)
                record = ffi.wasmtime_component_valrecord_t()
                ffi.wasmtime_component_valrecord_new_uninit(record, 2)
                first, second = record.data[0], record.data[1]
                ffi.wasm_byte_vec_new(byref(first.name), 7, names[0])
                first.val.kind, first.val.of.u64 = u64, seconds
                ffi.wasm_byte_vec_new(byref(second.name), 11, names[1])
                second.val.kind, second.val.of.u32 = u32, nanoseconds
                out.of.record = record
                out.kind = record_kind
            else:
                data = fn(env, args[0].of.u64)
                n = len(data)
                values = ffi.wasmtime_component_vallist_t()
                ffi.wasmtime_component_vallist_new_uninit(values, n)
                if n:  # n values of kind u8: the kind byte, then the byte at the union
                    raw = bytearray(size * n)
                    raw[0::size] = bytes((u8,)) * n
                    raw[offset::size] = data
                    memmove(values.data, (ctypes.c_char * len(raw)).from_buffer(raw), len(raw))
                out.of.list = values
                out.kind = list_kind
            return 0
        except BaseException as exc:  # noqa: BLE001 - a raise here would be lost by ctypes
            try:
                log.error("WASI %s host function failed: %s: %s", kind, type(exc).__name__, exc)
                message = ctypes.create_string_buffer(
                    f"host {kind} function failed: {type(exc).__name__}: {exc}".encode())
                return ctypes.cast(ffi.wasmtime_error_new(message), ctypes.c_void_p).value or 0
            except BaseException:  # noqa: BLE001
                return ctypes.cast(ffi.wasmtime_error_new(ctypes.create_string_buffer(b"host failed")),
                                   ctypes.c_void_p).value or 0

    return ffi.wasmtime_component_func_callback_t(callback)


_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(lambda _data: None)


def _add_raw_func(inst: Any, name: str, callback: Any) -> None:
    encoded = name.encode()
    err = _wt_ffi.wasmtime_component_linker_instance_add_func(
        inst.ptr(), ctypes.create_string_buffer(encoded), len(encoded), callback, None, _NO_FINALIZER)
    if err:
        raise WasmtimeError._from_ptr(err)


# --------------------------------------------------------------------------- prepared plugin


@dataclass
class _Prepared:
    build: BuildResult
    component: "Component"
    handle_index: "ExportIndex"
    abi_index: "ExportIndex"
    load_seconds: float
    #: Whether an instance has answered abi-version with this host's ABI version.
    abi_checked: bool = False


def _new_store(engine: "Engine", memory_limit_bytes: int | None, env: GuestEnv) -> "Store":
    """The one place a Store for a guest is made: WASI is always set before instantiation.

    Instantiating a WASI-importing component in a store without ``set_wasi`` aborts
    the whole host process (a Rust panic in wasmtime's C API), so no other code path
    may create a guest store. ``env`` (the store's data) is what the guest's clock and
    random functions follow.
    """
    store = Store(engine, data=env)
    wasi = WasiConfig()  # nothing granted: no preopens, no env, no args, output discarded
    store.set_wasi(wasi)
    env.start()  # the monotonic clock counts from here, as wasmtime's own (sleep) does
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
        caller_factory: makes the per-instance caller of ``handle`` (default: the boundary's).
        boundary: how calls cross into and out of the guest: ``fast`` (default; typed
            calls on wasmtime's C API, :mod:`runtime.backends.wasm_fast`), ``stock``
            (wasmtime-py's component API), or ``cffi``/``ctypes`` (the fast one over that
            FFI). None: ``$GPS_WASM_BOUNDARY``, else ``fast``. ``self.boundary`` tells
            which is in use: ``cffi``, ``ctypes`` or ``stock``.
        clock, random, random_seed: what instances see of time and randomness unless
            ``instantiate`` says otherwise (:class:`GuestEnv`).

    Raises:
        TierUnavailable: wasmtime is missing, or its WASI version is not the one whose
            clock and random functions this backend replaces (:func:`check_wasi_names`).
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
                 caller_factory: CallerFactory | None = None,
                 boundary: str | None = None,
                 clock: str = DEFAULT_CLOCK, random: str = DEFAULT_RANDOM,
                 random_seed: int | None = None) -> None:
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
        self._caller_factory: CallerFactory | None = caller_factory
        self._fast = resolve_boundary(boundary)  # None: the stock component API
        self.boundary = self._fast.ffi if self._fast is not None else "stock"
        self.engine = self.engine_settings.engine()
        self._names = wit_names()
        self._tls = threading.local()
        GuestEnv(clock, random, random_seed)  # checks the modes
        self.clock, self.random, self.random_seed = clock, random, random_seed
        check_wasi_names(self.engine)
        self._host_funcs: list[Any] = []  # ctypes callbacks the linker calls: kept alive
        self.linker = self._make_linker()
        # wasmtime's own WASI, unshadowed: the sleep helper's pollables come from it
        self._sleep_component = Component(self.engine, _SLEEP_COMPONENT_WAT)
        sleep_export = self._sleep_component.get_export_index("subscribe-duration")
        assert sleep_export is not None, "the sleep helper exports subscribe-duration"
        self._sleep_export: ExportIndex = sleep_export
        self._sleep_linker = Linker(self.engine)
        self._sleep_linker.add_wasip2()
        self._ticker = _EpochTicker(self.engine, tick_ms)
        self._prepared: dict[str, _Prepared] = {}
        self._lock = threading.Lock()
        self._closed = False

    # -- the host import ------------------------------------------------------------------
    def _make_linker(self) -> "Linker":
        linker = Linker(self.engine)
        linker.add_wasip2()
        _shadow_wasi(linker, self._host_funcs)
        _shadow_sleep(linker)
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
                if self._fast is not None:  # a typed trampoline, same routing as ``call``
                    self._fast.define_host_call(host, "call", lambda op, payload: call(None, op, payload))
                else:
                    host.add_func("call", call)
        return linker

    def _callers(self, handle: "Func", abi: "Func", store: "Store",
                 component: "Component") -> tuple[Any, Any]:
        """The callers of an instance's ``handle`` and ``abi-version``, bound to its store."""
        if self._fast is not None:
            try:  # the exports' types are checked once per component
                fast_abi = self._fast.u32_caller(abi, store, component)
                if self._caller_factory is not None:
                    return self._caller_factory(handle), fast_abi
                return self._fast.handle_caller(handle, store, component), fast_abi
            except TypeError as exc:  # not the ABI's signatures: let the stock API try
                log.warning("using the stock wasm boundary for this instance: %s", exc)
        return (self._caller_factory or _StockCaller)(handle), abi

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
        # The ABI version is asked of the first instance, before any hook runs on it
        # (see instantiate): a separate probe instance would cost a whole instantiation.
        return _Prepared(build, component, handle, abi, load_seconds)

    def build_result(self, identity: str) -> BuildResult | None:
        """The build behind a prepared plugin (paths, key, whether it came from the cache)."""
        prepared = self._prepared.get(identity)
        return prepared.build if prepared is not None else None

    def instantiate(self, source: PluginSource, host_call: HostCall, *,
                    memory_limit_bytes: int | None = None, clock: str | None = None,
                    random: str | None = None, random_seed: int | None = None) -> "WasmInstance":
        """A new instance of a prepared plugin (prepared now if it was not).

        ``memory_limit_bytes`` caps this instance's linear memory (default: the
        backend's ``memory_limit_bytes``). ``clock`` ("real", "coarse", "frozen"),
        ``random`` ("real", "seeded") and ``random_seed`` set what the instance sees of
        time and randomness (defaults: the backend's); every instance has its own
        random state, the same for two instances only when given the same seed.

        Raises:
            LoadError: instantiation failed (e.g. the limit is below the snapshot's size).
        """
        self._check_open()
        prepared = self._prepared.get(source.identity)
        if prepared is None:
            self.prepare(source)
            prepared = self._prepared[source.identity]
        limit = memory_limit_bytes if memory_limit_bytes is not None else self.memory_limit_bytes
        env = self.guest_env(clock, random, random_seed)
        instance = WasmInstance(self, prepared, host_call, limit, source.identity, env)
        if not prepared.abi_checked:
            try:
                version = instance.abi_version()
            except BaseException:
                instance.close()
                raise
            if version != ABI_VERSION:
                instance.close()
                raise LoadError(f"the component speaks ABI version {version}; this host speaks "
                                f"{ABI_VERSION}", code=ErrorCode.ABI_VERSION_MISMATCH,
                                plugin=source.identity)
            prepared.abi_checked = True
        self._ticker.ensure_started()
        return instance

    def guest_env(self, clock: str | None = None, random: str | None = None,
                  random_seed: int | None = None) -> GuestEnv:
        """A new store's clock and random settings (None: the backend's)."""
        if random_seed is None and random is None:
            random_seed = self.random_seed
        return GuestEnv(clock or self.clock, random or self.random, random_seed)

    def _check_open(self) -> None:
        if self._closed:
            raise LoadError("the wasm backend is closed")

    def close(self) -> None:
        """Stop the epoch thread and drop the loaded components (instances must be closed first)."""
        if self._closed:
            return
        self._closed = True
        self._ticker.stop()
        self._sleep_linker.close()
        self._sleep_component.close()
        with self._lock:
            prepared, self._prepared = list(self._prepared.values()), {}
        for p in prepared:  # live instances keep their own reference to the code
            p.component.close()


class WasmInstance:
    """One guest instance in its own Store. One call at a time (the pool guarantees it)."""

    __slots__ = ("_backend", "_store", "_caller", "_abi_func", "_host_call", "_tls", "_tick_ms", "_env",
                 "_default_timeout_ms", "_state_lock", "_busy", "plugin", "broken", "closed", "memory_limit_bytes")

    def __init__(self, backend: WasmBackend, prepared: _Prepared, host_call: HostCall,
                 memory_limit_bytes: int | None, plugin: str, env: GuestEnv | None = None) -> None:
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
        self._env = env if env is not None else backend.guest_env()
        self._env.sleeper = _Sleeper(backend)
        store = _new_store(backend.engine, memory_limit_bytes, self._env)
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
        self._caller, self._abi_func = backend._callers(handle, abi, store, prepared.component)

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
        env = self._env
        if timeout_ms is None:
            store.set_epoch_deadline(_NO_DEADLINE)
            env.deadline_ns = 0
        else:
            store.set_epoch_deadline(max(1, math.ceil(timeout_ms / self._tick_ms)) + 1)
            env.deadline_ns = time.monotonic_ns() + timeout_ms * _MS
        env.begin_call()  # a frozen clock reads the time once per call
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
