"""The subinterpreter tier: trusted plugins in subinterpreters of the host process.

**Not a security boundary.** A subinterpreter shares the process with the host: a
plugin can reach host memory through C extensions or ctypes, exhaust memory or crash
the process. Only plugins the operator's policy marks ``"trust": "trusted"`` run here
(:func:`runtime.policy.effective_settings` refuses the others with POLICY_DENIED).

What the tier gives: each plugin instance is one subinterpreter with its own GIL on
Python 3.12+ (on 3.11 the interpreters share the host's GIL, which
:func:`tier_status` and ``runtime info`` say), the guest SDK and the plugin imported
once per interpreter, requests and answers crossing as the ABI's envelope text, and
host calls reaching the broker (with its permission checks) through the same
``host_call`` every tier gets.

Two ways to run a call (docs: README, "The subinterpreter tier"):

* **same-thread** (default): the caller's OS thread switches into the interpreter and
  back (about a microsecond each way with the native helper); best for short hooks.
* **worker** (plugins the operator marks heavy: policy ``"heavy": true`` or
  :class:`SubinterpreterSettings` ``heavy``): one thread per interpreter runs its calls
  (a native thread with the helper: the caller waits without the host's GIL; a Python
  thread with the pure-Python driver), so the caller can stop waiting at the deadline
  whatever the hook does; it costs a thread hand-off per call (~8 µs with the helper),
  which pays off only for hooks with real work (hundreds of µs).

Deadlines: at the deadline the native helper's watchdog raises ``HookDeadline`` (a
BaseException) inside the interpreter; ``time.sleep`` there wakes every 2 ms so it is
stopped too. The call answers DEADLINE_EXCEEDED and the interpreter is reused. What
cannot be stopped: long C-level work (a big regex, ``sum`` over a huge range) and a
plugin that catches BaseException in a loop. A same-thread call then blocks its caller
until the plugin returns, after which the plugin is moved to worker mode; a worker call
answers on time, and an interpreter still running ``grace_ms`` after its deadline is
quarantined (counted, logged, its core lost). Past ``max_quarantined`` quarantined
interpreters the plugin is disabled: every call answers TIER_UNAVAILABLE with the
reason. Every interpreter is destroyed by :meth:`SubinterpreterBackend.close` (the
runtime's close) or at interpreter exit; when one could not be stopped at exit, the
process leaves with ``os._exit(70)`` rather than crash in finalization.

Drivers: ``native`` (runtime/_native/_subinterp.c, built at install) and ``python``
(``_interpreters`` / ``_xxsubinterpreters`` with a host service thread over pipes;
chosen automatically where the helper was not built; host calls cost tens of µs and a
deadline can stop only sleeps and host calls, so overruns there end in quarantine).
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from host_abi import GUEST_ENTRY_MODULE
from host_abi.hooks import HOOKS_BY_NAME

from ..errors import DeadlineExceeded, LoadError, SandboxBroken, TierUnavailable
from .base import Backend, HostCall, Instance, PluginSource

__all__ = ["SubinterpreterBackend", "SubinterpreterSettings", "tier_status", "driver_names",
           "own_gil", "SubinterpreterStatistics"]

log = logging.getLogger("runtime.subinterpreter")

CMD_HANDLE, CMD_NEW, CMD_DROP, CMD_PING, CMD_FINI = 0, 1, 2, 3, 4
#: Lifecycle hooks a disabled plugin's instances still answer (with its last real answers),
#: so the dispatcher keeps a pool whose every call answers TIER_UNAVAILABLE.
_LIFECYCLE = frozenset(HOOKS_BY_NAME[name].number for name in ("instance_start", "initialize", "shutdown"))
_BOOTSTRAP = Path(__file__).with_name("_subinterp") / "bootstrap.py"


def own_gil() -> bool:
    """Whether interpreters get their own GIL here (Python 3.12+)."""
    return sys.version_info >= (3, 12)


def _native_module() -> Any | None:
    try:
        return importlib.import_module("runtime._native._subinterp")
    except ImportError:
        return None


def _python_module() -> Any | None:
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def driver_names() -> list[str]:
    """The drivers that can run here, best first."""
    names = []
    if _native_module() is not None:
        names.append("native")
    if _python_module() is not None:
        names.append("python")
    return names


def tier_status() -> str:
    """``available`` (with the driver and the GIL mode) or why the tier cannot run."""
    names = driver_names()
    if not names:
        return "needs CPython 3.11+ with subinterpreter support"
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    gil = ("own GIL per interpreter" if own_gil()
           else "shared GIL: Python 3.11 runs plugins one at a time, use 3.12+ for parallelism")
    helper = "native helper" if names[0] == "native" else \
        "pure-Python driver (the native helper was not built)"
    return f"available (Python {version}, {gil}, {helper}; trusted plugins only)"


@dataclass(frozen=True)
class SubinterpreterSettings:
    """How the subinterpreter tier runs plugins (``RuntimeConfig.subinterpreter``)."""

    #: Plugins (identities) served by one worker thread per interpreter; the policy's
    #: ``"heavy": true`` marks them too.
    heavy: frozenset[str] = frozenset()
    #: Ready interpreters kept per plugin besides the ones in use (made ahead of demand,
    #: so a replaced instance costs no interpreter start).
    spare: int = 1
    #: How long past its deadline an interpreter may take to stop before it is quarantined.
    grace_ms: int = 100
    #: Quarantined interpreters a plugin may have; past this, it is disabled.
    max_quarantined: int = 2
    #: "auto" (native, else python), "native" or "python".
    driver: str = "auto"
    #: How often a long ``time.sleep`` inside a plugin wakes to see a deadline.
    sleep_slice_ms: float = 2.0
    #: The switch interval inside each interpreter (how soon an injected deadline lands
    #: in pure-Python code); set only where interpreters have their own GIL.
    switch_interval_s: float = 0.0001


@dataclass
class SubinterpreterStatistics:
    """Counters of one plugin on this tier."""

    interpreters_created: int = 0
    interpreters_destroyed: int = 0
    deadlines: int = 0
    slow_stops: int = 0
    quarantined: int = 0
    reclaimed: int = 0
    disabled: str = ""
    mode: str = "same-thread"


class _Interp(Protocol):
    """What a driver's interpreter offers (the native helper's Interp)."""

    @property
    def running(self) -> bool: ...

    @property
    def alive(self) -> bool: ...

    @property
    def last(self) -> tuple[int, int, int]: ...

    def call(self, cmd: int, arg: int, text: str, host: Callable[[int, str], str],
             timeout_ns: int) -> str: ...

    def inject(self) -> bool: ...

    def close(self) -> None: ...


class _Driver(Protocol):
    name: str

    def create(self, bootstrap: str, setup_text: str, own_gil: bool) -> _Interp: ...


class _NativeDriver:
    name = "native"

    def __init__(self, module: Any) -> None:
        self._m = module

    def create(self, bootstrap: str, setup_text: str, own_gil: bool) -> _Interp:
        return self._m.create(bootstrap, setup_text, own_gil)  # type: ignore[no-any-return]


def _driver(name: str) -> _Driver:
    if name in ("auto", "native"):
        native = _native_module()
        if native is not None:
            return _NativeDriver(native)
        if name == "native":
            raise TierUnavailable("the subinterpreter tier's native helper is not built "
                                  "(reinstall the project with a C compiler and Python headers)")
    from ._subinterp.pydriver import PythonDriver, available
    if not available():
        raise TierUnavailable("this Python has no subinterpreter support (_interpreters or "
                              "_xxsubinterpreters)")
    return PythonDriver()


def _no_host(op: int, payload: str) -> str:
    return '{"v":1,"err":{"code":"OP_FAILED","message":"no host call outside a hook"}}'


class _Pending:
    __slots__ = ("done", "result", "error", "last")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: str | None = None
        self.error: BaseException | None = None
        self.last: tuple[int, int, int] = (0, 0, 0)


class _Runner:
    """The host thread of one interpreter in worker mode."""

    def __init__(self, interp: _Interp, name: str) -> None:
        self.interp = interp
        self.inbox: "list[tuple[int, str, HostCall, int, _Pending] | None]" = []
        self.cond = threading.Condition(threading.Lock())
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def submit(self, item: "tuple[int, str, HostCall, int, _Pending] | None") -> None:
        with self.cond:
            self.inbox.append(item)
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.inbox:
                    self.cond.wait()
                item = self.inbox.pop(0)
            if item is None:
                return
            hook, payload, host, timeout_ns, pending = item
            try:
                pending.result = self.interp.call(CMD_HANDLE, hook, payload, host, timeout_ns)
            except BaseException as exc:  # handed to the caller
                pending.error = exc
            pending.last = self.interp.last
            pending.done.set()

    def stop(self) -> None:
        self.submit(None)


class _NativeWait:
    """A native worker call that overran: ``wait`` on it, then ``stop`` collects it (the
    interfaces of _Pending.done and _Runner that the reaper uses)."""

    def __init__(self, interp: Any) -> None:
        self.interp = interp
        self.done = self

    def wait(self, timeout: float | None = None) -> bool:
        return bool(self.interp.wait(-1.0 if timeout is None else float(timeout)))

    def stop(self) -> None:
        try:
            self.interp.collect()
        except RuntimeError:
            pass  # the late answer (or its error) is dropped


class _PluginState:
    """The interpreters of one prepared plugin."""

    def __init__(self, backend: "SubinterpreterBackend", source: PluginSource, heavy: bool) -> None:
        self.backend = backend
        self.source = source
        self.identity = source.identity
        self.stats = SubinterpreterStatistics(mode="worker" if heavy else "same-thread")
        self.worker_mode = heavy
        self.lock = threading.Lock()
        self.spares: list[_Interp] = []
        self.quarantine: list[tuple[_Interp, Any]] = []
        self.retired = False
        self.refilling = False
        self.refill_thread: threading.Thread | None = None
        #: The last answers of instance_start, initialize and shutdown (disabled instances
        #: replay them).
        self.lifecycle_answers: dict[int, str] = {}
        self.setup_text = json.dumps({
            "sys_path": backend.sys_path(), "guest_module": GUEST_ENTRY_MODULE,
            "identity": source.identity, "directory": str(source.directory),
            "entry_module": source.entry_module, "entry_factory": source.entry_factory,
            "switch_interval": backend.settings.switch_interval_s if own_gil() else 0,
            "sleep_slice_s": backend.settings.sleep_slice_ms / 1000})

    def new_interp(self) -> _Interp:
        try:
            interp = self.backend.driver.create(self.backend.bootstrap, self.setup_text, own_gil())
        except RuntimeError as exc:
            text = str(exc)
            if text.startswith("LoadFailure: "):
                text = text[len("LoadFailure: "):]
            raise LoadError(text, plugin=self.identity) from None
        with self.lock:
            self.stats.interpreters_created += 1
        self.backend.track(interp)
        return interp

    def take(self) -> _Interp:
        with self.lock:
            interp = self.spares.pop() if self.spares else None
        if interp is None:
            interp = self.new_interp()
        self.refill_later()
        return interp

    def give_back(self, interp: _Interp) -> None:
        """An idle interpreter whose instance was closed: keep it as a spare or destroy it."""
        with self.lock:  # one above the spare count: a replacement instance usually follows
            keep = not self.retired and not self.stats.disabled and \
                len(self.spares) < self.backend.settings.spare + 1
            if keep:
                self.spares.append(interp)
        if not keep:
            self.destroy(interp)

    def destroy(self, interp: _Interp) -> None:
        self.backend.destroy(interp)
        with self.lock:
            self.stats.interpreters_destroyed += 1

    def refill_later(self) -> None:
        with self.lock:
            if self.refilling or self.retired or self.stats.disabled or \
                    len(self.spares) >= self.backend.settings.spare:
                return
            self.refilling = True
            self.refill_thread = threading.Thread(target=self._refill, daemon=True,
                                                  name=f"subinterp-spares-{self.identity}")
            self.refill_thread.start()

    def _refill(self) -> None:
        try:
            while True:
                with self.lock:
                    if self.retired or self.stats.disabled or \
                            len(self.spares) >= self.backend.settings.spare:
                        return
                try:
                    interp = self.new_interp()
                except Exception:
                    log.exception("making a spare interpreter of %s failed", self.identity)
                    return
                self.give_back(interp)
        finally:
            with self.lock:
                self.refilling = False

    def retire(self) -> None:
        with self.lock:
            self.retired = True
            refill = self.refill_thread
        if refill is not None and refill is not threading.current_thread():
            refill.join()  # an interpreter being made is destroyed when it is ready
        with self.lock:
            spares, self.spares = self.spares, []
        for interp in spares:
            self.destroy(interp)

    # -- overruns ---------------------------------------------------------------------
    def to_worker_mode(self, why: str) -> None:
        if not self.worker_mode:
            self.worker_mode = True
            self.stats.mode = "worker"
            log.warning("plugin %s: %s; its calls now run on worker threads, so later "
                        "overruns are answered on time", self.identity, why)

    def reap(self, interp: _Interp, pending: Any, runner: Any) -> None:
        """An interpreter whose worker call overran: reclaim it if it stops within the
        grace period, else quarantine it."""
        def wait() -> None:
            if pending.done.wait(self.backend.settings.grace_ms / 1000):
                runner.stop()
                self.give_back(interp)
                return
            self._quarantine(interp, pending, runner)
        threading.Thread(target=wait, name=f"subinterp-reap-{self.identity}", daemon=True).start()

    def _quarantine(self, interp: _Interp, pending: Any, runner: Any) -> None:
        limit = self.backend.settings.max_quarantined
        with self.lock:
            self.stats.quarantined += 1
            self.quarantine.append((interp, pending))
            count = self.stats.quarantined
            if count > limit and not self.stats.disabled:
                self.stats.disabled = (
                    f"plugin {self.identity} is disabled on the subinterpreter tier: {count} of its "
                    f"interpreters could not be stopped after a deadline (limit {limit}); run it "
                    "on the wasm tier or fix the hook that overruns")
        log.error("plugin %s: an interpreter did not stop within %d ms of its deadline and is "
                  "quarantined (%d so far, limit %d); its core stays busy until the hook returns",
                  self.identity, self.backend.settings.grace_ms, count, limit)
        if self.stats.disabled:
            log.error("%s", self.stats.disabled)
            self.retire()

        def watch() -> None:  # a quarantined interpreter that stops after all is destroyed
            pending.done.wait()
            destroyed = self.backend.collect_and_destroy(interp, runner)
            with self.lock:
                self.quarantine = [q for q in self.quarantine if q[0] is not interp]
                self.stats.reclaimed += 1
                if destroyed:
                    self.stats.interpreters_destroyed += 1
        threading.Thread(target=watch, name=f"subinterp-quarantine-{self.identity}", daemon=True).start()


class _SubinterpreterInstance:
    """One plugin instance: one interpreter, run same-thread or by its worker."""

    def __init__(self, state: _PluginState, interp: _Interp, host_call: HostCall) -> None:
        self.state = state
        self.interp = interp
        self.host_call = host_call
        self.runner: Any = None  # _Runner, or _NativeWait after an overrun
        self.overran: Any = None  # _Pending or _NativeWait
        self.closed = False

    def handle(self, hook: int, payload: str, timeout_ms: int | None = None) -> str:
        state = self.state
        if state.stats.disabled:
            raise TierUnavailable(state.stats.disabled, plugin=state.identity)
        if self.closed or self.overran is not None:
            raise SandboxBroken("the instance's interpreter is gone", plugin=state.identity)
        timeout_ns = 0 if not timeout_ms else int(timeout_ms) * 1_000_000
        if state.worker_mode:
            text = self._on_worker(hook, payload, timeout_ms, timeout_ns)
        else:
            try:
                text = self.interp.call(CMD_HANDLE, hook, payload, self.host_call, timeout_ns)
            except RuntimeError as exc:
                raise SandboxBroken(f"the subinterpreter failed: {exc}", plugin=state.identity) from None
            text = self._answer(text, self.interp.last, timeout_ms)
        if hook in _LIFECYCLE:
            state.lifecycle_answers[hook] = text
        return text

    def _on_worker(self, hook: int, payload: str, timeout_ms: int | None, timeout_ns: int) -> str:
        submit = getattr(self.interp, "submit", None)
        if submit is not None:  # the native helper's own worker thread: no main-GIL hand-off
            try:
                text = submit(CMD_HANDLE, hook, payload, self.host_call, timeout_ns,
                              timeout_ms / 1000 if timeout_ms else -1.0)
            except RuntimeError as exc:
                raise SandboxBroken(f"the subinterpreter failed: {exc}", plugin=self.state.identity) from None
            if text is None:
                self.overran = self.runner = _NativeWait(self.interp)
                with self.state.lock:
                    self.state.stats.deadlines += 1
                raise DeadlineExceeded(f"the plugin did not answer within {timeout_ms} ms",
                                       plugin=self.state.identity)
            return self._answer(text, self.interp.last, timeout_ms)
        if self.runner is None:
            self.runner = _Runner(self.interp, f"subinterp-{self.state.identity}")
        pending = _Pending()
        self.runner.submit((hook, payload, self.host_call, timeout_ns, pending))
        if not pending.done.wait(None if not timeout_ms else timeout_ms / 1000):
            self.overran = pending
            with self.state.lock:
                self.state.stats.deadlines += 1
            raise DeadlineExceeded(f"the plugin did not answer within {timeout_ms} ms",
                                   plugin=self.state.identity)
        if pending.error is not None:
            if isinstance(pending.error, RuntimeError):
                raise SandboxBroken(f"the subinterpreter failed: {pending.error}",
                                    plugin=self.state.identity) from None
            raise pending.error
        assert pending.result is not None
        return self._answer(pending.result, pending.last, timeout_ms)

    def _answer(self, text: str, last: tuple[int, int, int], timeout_ms: int | None) -> str:
        injections, elapsed_ns, overrun_ns = last
        if text.startswith("\x01") or injections:
            if text.startswith("\x01E"):
                raise SandboxBroken(f"the subinterpreter failed: {text[2:]}", plugin=self.state.identity)
            state = self.state
            with state.lock:
                state.stats.deadlines += 1
            if overrun_ns > state.backend.settings.grace_ms * 1_000_000:
                with state.lock:
                    state.stats.slow_stops += 1
                state.to_worker_mode(f"a hook took {overrun_ns / 1e6:.0f} ms past its deadline "
                                     "to stop (C-level work or a caught deadline exception)")
            raise DeadlineExceeded(f"the plugin did not answer within {timeout_ms} ms "
                                   f"(stopped after {elapsed_ns // 1_000_000} ms)",
                                   plugin=state.identity)
        return text

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        state = self.state
        if self.overran is not None and self.runner is not None:
            state.reap(self.interp, self.overran, self.runner)
            return
        if isinstance(self.runner, _Runner):
            self.runner.stop()
            self.runner.thread.join(5)
        try:
            self.interp.call(CMD_DROP, 0, "", _no_host, 0)
        except RuntimeError:
            state.destroy(self.interp)
            return
        state.give_back(self.interp)


class _DisabledInstance:
    def __init__(self, state: _PluginState) -> None:
        self.state = state

    def handle(self, hook: int, payload: str, timeout_ms: int | None = None) -> str:
        answer = self.state.lifecycle_answers.get(hook)
        if answer is not None:
            return answer
        raise TierUnavailable(self.state.stats.disabled, plugin=self.state.identity)

    def close(self) -> None:
        pass


_BACKENDS: "weakref.WeakSet[SubinterpreterBackend]" = weakref.WeakSet()
_ATEXIT_REGISTERED = False


def _at_exit() -> None:
    stuck = 0
    for backend in list(_BACKENDS):
        stuck += backend.shutdown(wait_s=1.0)
    if stuck:
        sys.stderr.write(f"runtime: {stuck} subinterpreter(s) could not be stopped; leaving with "
                         "os._exit(70) instead of finalizing (a running subinterpreter would "
                         "crash the interpreter's shutdown)\n")
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(70)


class SubinterpreterBackend(Backend):
    """Runs trusted plugins in subinterpreters (see the module doc)."""

    tier = "subinterpreter"
    #: The backend stops calls on time itself (dispatch passes it the deadline).
    enforces_limits = True

    def __init__(self, settings: SubinterpreterSettings | None = None,
                 is_heavy: Callable[[str], bool] | None = None) -> None:
        global _ATEXIT_REGISTERED
        self.settings = settings or SubinterpreterSettings()
        self.driver = _driver(self.settings.driver)
        self.bootstrap = _BOOTSTRAP.read_text(encoding="utf-8")
        self._is_heavy = is_heavy or (lambda identity: False)
        self._plugins: dict[str, _PluginState] = {}
        self._retired: list[_PluginState] = []
        self._interps: "dict[int, _Interp]" = {}
        self._lock = threading.Lock()
        #: Held while an interpreter is collected or destroyed (re-entrant: the one does the other).
        self._close_lock = threading.RLock()
        self._closed = False
        _BACKENDS.add(self)
        if not _ATEXIT_REGISTERED:
            atexit.register(_at_exit)
            _ATEXIT_REGISTERED = True

    # -- plumbing -------------------------------------------------------------------
    @staticmethod
    def sys_path() -> list[str]:
        """The host's import path, with the directories of host_abi and the guest SDK first."""
        paths = []
        for name in ("host_abi", GUEST_ENTRY_MODULE.split(".")[0]):
            spec = importlib.util.find_spec(name)
            if spec is not None and spec.origin:
                paths.append(str(Path(spec.origin).resolve().parents[1]))
        return list(dict.fromkeys(paths + [p for p in sys.path if isinstance(p, str)]))

    def track(self, interp: _Interp) -> None:
        with self._lock:
            self._interps[id(interp)] = interp

    def destroy(self, interp: _Interp) -> None:
        """Destroy ``interp`` once: of two threads that destroy it (a quarantine's watcher
        and ``shutdown``), only the first does, and never while the other collects it."""
        with self._close_lock:
            with self._lock:
                owned = self._interps.pop(id(interp), None) is not None
            if not owned:
                return
            try:
                interp.close()
            except RuntimeError:
                log.exception("destroying a subinterpreter failed")

    def collect_and_destroy(self, interp: _Interp, runner: Any) -> bool:
        """Collect a finished overrunning call and destroy its interpreter, unless
        ``shutdown`` destroyed it first (False)."""
        with self._close_lock:
            with self._lock:
                alive = id(interp) in self._interps
            if not alive:
                return False
            runner.stop()
            self.destroy(interp)
            return True

    @property
    def driver_name(self) -> str:
        return self.driver.name

    def statistics(self, identity: str) -> SubinterpreterStatistics:
        state = self._plugins.get(identity)
        if state is None:
            raise KeyError(identity)
        return SubinterpreterStatistics(**vars(state.stats))

    def set_heavy(self, identity: str, heavy: bool = True) -> None:
        """Switch a prepared plugin between worker and same-thread mode."""
        state = self._plugins[identity]
        state.worker_mode = heavy
        state.stats.mode = "worker" if heavy else "same-thread"

    # -- Backend --------------------------------------------------------------------------
    def prepare(self, source: PluginSource) -> None:
        if self._closed:
            raise LoadError("the subinterpreter backend is closed", plugin=source.identity)
        heavy = source.identity in self.settings.heavy or self._is_heavy(source.identity)
        state = _PluginState(self, source, heavy)
        state.spares.append(state.new_interp())  # imports the plugin: load errors surface here
        with self._lock:
            old = self._plugins.get(source.identity)
            self._plugins[source.identity] = state
            if old is not None:
                self._retired.append(old)
        if old is not None:
            old.retire()

    def instantiate(self, source: PluginSource, host_call: HostCall,  # type: ignore[override]
                    memory_limit_bytes: int | None = None, clock: str | None = None,
                    random: str | None = None, random_seed: int | None = None) -> Instance:
        state = self._plugins.get(source.identity)
        if state is None:
            self.prepare(source)
            state = self._plugins[source.identity]
        if state.stats.disabled:
            return _DisabledInstance(state)
        interp = state.take()
        try:
            text = interp.call(CMD_NEW, 0, "", host_call, 0)
        except RuntimeError as exc:
            state.destroy(interp)
            raise LoadError(f"the plugin factory {source.entry_factory}() failed: {exc}",
                            plugin=source.identity) from None
        if text.startswith("\x01E"):
            state.give_back(interp)
            raise LoadError(f"the plugin factory {source.entry_factory}() failed: {text[2:]}",
                            plugin=source.identity)
        return _SubinterpreterInstance(state, interp, host_call)

    def shutdown(self, wait_s: float = 1.0) -> int:
        """Destroy every interpreter; returns how many could not be stopped."""
        self._closed = True
        with self._lock:
            states = list(self._plugins.values()) + self._retired
            self._plugins.clear()
            self._retired.clear()
        for state in states:
            state.retire()
        end = time.monotonic() + wait_s
        stuck = 0
        with self._lock:
            interps = list(self._interps.values())
        for interp in interps:
            if interp.running:
                interp.inject()
                while interp.running and time.monotonic() < end:
                    time.sleep(0.005)
            if interp.running:
                stuck += 1
                continue
            self.destroy(interp)
        return stuck

    def close(self) -> None:
        stuck = self.shutdown(wait_s=0.5)
        if stuck:
            log.error("%d subinterpreter(s) are still running a hook and could not be destroyed",
                      stuck)
