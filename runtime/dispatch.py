"""Dispatch: a loaded plugin, its pool of instances, deadlines and fail policies.

:class:`PluginHost` owns everything about one loaded plugin that is the same on every
tier: the pool of instances (one call in flight per instance), the per-call state the
service broker checks ops against, the deadline, the translation of answer envelopes
into results or typed errors, the fail-policy answers, streaming, sessions and event
delivery. Backends only build instances.
"""

from __future__ import annotations

import json
import logging
import queue
from collections import deque
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Generator, Iterator, Mapping

from host_abi.envelope import ABI_VERSION, EnvelopeError, decode_answer, encode_request
from host_abi.errors import ErrorCode
from host_abi.hooks import HOOKS_BY_NAME, FailPolicy, HookSpec, fill_answer, hook_by_name

from .backends.base import Backend, Instance, PluginSource
from .breaker import CircuitBreaker, CircuitOpen
from .broker.services import CallState, ServiceBroker
from .errors import (AbiViolation, DeadlineExceeded, LoadError, MemoryExceeded, PluginFailed,
                     PluginRuntimeError, SandboxBroken, UsageError, error_for_code)
from .manifest import Manifest
from .policy import EffectivePlugin

__all__ = ["PluginHost", "InstanceInfo", "PluginStatistics"]

log = logging.getLogger("runtime.dispatch")

_START = HOOKS_BY_NAME["instance_start"]
_INIT = HOOKS_BY_NAME["initialize"]
_SHUTDOWN = HOOKS_BY_NAME["shutdown"]


@dataclass(frozen=True)
class InstanceInfo:
    """What an instance said about itself in ``instance_start``."""

    abi: int
    sdk: str
    name: str
    version: str
    description: str
    capabilities: tuple[str, ...]
    hooks: frozenset[int]


@dataclass
class PluginStatistics:
    """Counters of one plugin (see :meth:`PluginHost.statistics`)."""

    calls: int = 0
    errors: int = 0
    fail_policy_answers: int = 0
    deadlines: int = 0
    abandoned_threads: int = 0
    instances_created: int = 0
    instances_replaced: int = 0
    #: Calls refused because the circuit breaker was open (answered by the fail policy).
    circuit_rejected: int = 0
    #: Times the circuit breaker opened.
    circuit_opened: int = 0
    #: Data-collection records the plugin did not take (answered by the fail policy).
    records_dropped: int = 0


class _Worker:
    """A thread that runs one slot's calls, so the caller can stop waiting on time."""

    def __init__(self, name: str) -> None:
        self.inbox: "queue.SimpleQueue[tuple[Callable[[], str], _Pending] | None]" = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.inbox.get()
            if item is None:
                return
            fn, pending = item
            try:
                pending.result = fn()
            except BaseException as exc:  # handed to the caller
                pending.error = exc
            pending.done.set()

    def stop(self) -> None:
        self.inbox.put(None)


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    result: str | None = None
    error: BaseException | None = None


class _Slot:
    """One instance of the pool with the state of the call it is running."""

    def __init__(self, host: "PluginHost", number: int) -> None:
        self.host = host
        self.number = number
        self.state: CallState | None = None
        self.worker: _Worker | None = None
        #: True when the backend stops a call on time itself (wasm's epoch deadline) and
        #: caps memory; else the deadline is a worker thread the caller stops waiting for.
        self.enforces_limits = bool(getattr(host.backend, "enforces_limits", False))
        if self.enforces_limits:
            settings = host.settings
            self.instance: Instance = host.backend.instantiate(  # type: ignore[call-arg]
                host.source, self._host_call,
                memory_limit_bytes=settings.limits.memory_limit_bytes,
                clock=settings.clock, random=settings.random, random_seed=settings.random_seed)
        else:
            self.instance = host.backend.instantiate(host.source, self._host_call)

    def _host_call(self, op: int, payload: str) -> str:
        state = self.state
        if state is None:  # a call outside any hook (e.g. at import time)
            state = CallState(self.host.settings, "(no hook)")
        return self.host.broker.handle(state, op, payload)

    def run(self, hook: int, payload: str, timeout_s: float | None) -> str:
        if self.enforces_limits:
            timeout_ms = None if timeout_s is None else max(1, round(timeout_s * 1000))
            return self.instance.handle(hook, payload, timeout_ms)  # type: ignore[call-arg]
        if timeout_s is None:
            return self.instance.handle(hook, payload)
        if self.worker is None:
            self.worker = _Worker(f"plugin-{self.host.identity}-{self.number}")
        pending = _Pending()
        self.worker.inbox.put((lambda: self.instance.handle(hook, payload), pending))
        if not pending.done.wait(timeout_s):
            raise DeadlineExceeded(f"no answer within {timeout_s * 1000:.0f} ms",
                                   plugin=self.host.identity)
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        return pending.result

    def discard(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        try:
            self.instance.close()
        except Exception:
            log.exception("closing an instance of %s failed", self.host.identity)


class PluginHost:
    """One loaded plugin: ``call`` a hook, ``stream`` a streaming hook, ``close``."""

    def __init__(self, *, manifest: Manifest, settings: EffectivePlugin, backend: Backend,
                 broker: ServiceBroker, init_config: Mapping[str, str],
                 raw_config: Mapping[str, Any] | None = None, source_key: str | None = None,
                 check_config: bool = True) -> None:
        self.manifest = manifest
        self.settings = settings
        self.identity = settings.identity
        self.backend = backend
        self.broker = broker
        self.init_config = dict(init_config)
        self._raw_config = dict(raw_config if raw_config is not None else init_config)
        #: False: the configuration arrives later (a host's Initialize), unchecked here.
        self._schema_checked = not check_config
        # The backend keeps each build under source_key (default: the identity), so a
        # reload (Runtime.reload) loads a new build beside the one still serving.
        self.source = PluginSource(source_key or settings.identity, manifest.directory,
                                   manifest.entry_module, manifest.entry_factory)
        self.stats = PluginStatistics()
        self.breaker = CircuitBreaker(settings.limits.breaker_failures,
                                      settings.limits.breaker_cooldown_ms)
        # Idle instances. A deque's append/pop are atomic, so the common case (an idle
        # instance is there) takes no lock; callers wait on the condition only when empty.
        self._idle: "deque[_Slot]" = deque()
        self._idle_cond = threading.Condition(threading.Lock())
        self._waiters = 0
        self._lock = threading.Lock()
        self._numbers = iter(range(1, 1 << 62))
        self._closed = False
        self._session_open = threading.Event()
        self._session_closed = threading.Event()
        self._session_ready_fired = False
        self._session_id = f"session-{settings.identity}-0"
        self.info: InstanceInfo
        backend.prepare(self.source)
        for _ in range(max(1, settings.limits.pool_size)):
            self._idle.append(self._new_slot())

    # -- instances ----------------------------------------------------------------------------
    def _new_slot(self) -> _Slot:
        with self._lock:
            number = next(self._numbers)
        slot = _Slot(self, number)
        self.stats.instances_created += 1
        try:
            info = self._start(slot)
            if not self._schema_checked:
                self._check_config_schema(slot, info)
            self._initialize(slot)
        except BaseException:
            slot.discard()
            raise
        self.info = info
        return slot

    def _lifecycle(self, slot: _Slot, spec: HookSpec, msg: Mapping[str, Any]) -> Any:
        slot.state = CallState(self.settings, spec.name)
        try:
            text = slot.run(spec.number, encode_request(msg), self.settings.limits.timeout_ms / 1000)
        finally:
            slot.state = None
        ok, value = self._decode(text, spec)
        if not ok:
            code = ErrorCode.INIT_FAILED if spec is _INIT else ErrorCode.LOAD_FAILED
            raise LoadError(f"{spec.name} failed: {value.get('code')}: {value.get('message')}",
                            code=code, plugin=self.identity, hook=spec.name,
                            traceback=value.get("traceback"), where=value.get("where"))
        return value

    def _start(self, slot: _Slot) -> InstanceInfo:
        value = self._lifecycle(slot, _START, {"runtime": self.settings.runtime,
                                               "plugin_id": self.identity})
        if not isinstance(value, dict) or value.get("abi") != ABI_VERSION:
            raise LoadError(f"the instance answered instance_start with {value!r}",
                            code=ErrorCode.ABI_VERSION_MISMATCH, plugin=self.identity)
        caps, hooks = value.get("capabilities", ()), value.get("hooks", ())
        if not (isinstance(caps, list) and all(isinstance(c, str) for c in caps)
                and isinstance(hooks, list) and all(type(h) is int for h in hooks)):
            raise LoadError("the instance answered instance_start with malformed capabilities "
                            "or hooks", code=ErrorCode.BAD_RETURN, plugin=self.identity,
                            hook="instance_start")
        return InstanceInfo(abi=value["abi"], sdk=str(value.get("sdk", "")),
                            name=str(value.get("name", "")), version=str(value.get("version", "")),
                            description=str(value.get("description", "")),
                            capabilities=tuple(caps), hooks=frozenset(hooks))

    def _check_config_schema(self, slot: _Slot, info: InstanceInfo) -> None:
        """Validate the configuration against the schema a ConfigProvider plugin gives."""
        from .config import validate_config
        spec = HOOKS_BY_NAME["get_config_schema"]
        if spec.number in info.hooks:
            value = self._lifecycle(slot, spec, {})
            text = value.get("schema_json", "") if isinstance(value, dict) else ""
            try:
                schema = json.loads(text) if text else {}
            except ValueError as exc:
                raise LoadError(f"get_config_schema answered text that is not JSON: {exc}",
                                code=ErrorCode.CONFIG_INVALID, plugin=self.identity) from None
            if not isinstance(schema, dict):
                raise LoadError("get_config_schema must answer a JSON object",
                                code=ErrorCode.CONFIG_INVALID, plugin=self.identity)
            validate_config(self._raw_config, schema, self.identity)
        self._schema_checked = True

    def _initialize(self, slot: _Slot) -> None:
        value = self._lifecycle(slot, _INIT, {"config": self.init_config})
        if not isinstance(value, dict) or not value.get("success"):
            message = value.get("error_message", "") if isinstance(value, dict) else repr(value)
            raise LoadError(f"initialize refused the configuration: {message}",
                            code=ErrorCode.INIT_FAILED, plugin=self.identity, hook="initialize")

    def reinitialize(self, config: Mapping[str, str], timeout_s: float = 30.0) -> None:
        """Run ``initialize`` with the flattened ``config`` on every instance of the pool
        (instances made later get it too): a host's ``Initialize`` that arrives after the
        load. Waits up to ``timeout_s`` for calls in flight to finish.

        Raises:
            LoadError: INIT_FAILED when the plugin refuses the configuration.
            DeadlineExceeded: the pool's instances did not come free in time.
        """
        self.init_config = dict(config)
        slots: list[_Slot] = []
        try:
            for _ in range(max(1, self.settings.limits.pool_size)):
                slots.append(self._acquire(timeout_s))
            for slot in slots:
                self._initialize(slot)
        finally:
            for slot in slots:
                self._release(slot, False)

    def _acquire(self, timeout_s: float | None) -> _Slot:
        if self._closed:
            raise UsageError(f"plugin {self.identity} is closed", code=ErrorCode.CLOSED,
                             plugin=self.identity)
        try:
            return self._idle.pop()
        except IndexError:
            pass
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._idle_cond:
            self._waiters += 1
            try:
                while True:
                    try:
                        return self._idle.pop()
                    except IndexError:
                        pass
                    if self._closed:
                        raise UsageError(f"plugin {self.identity} is closed",
                                         code=ErrorCode.CLOSED, plugin=self.identity)
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise DeadlineExceeded(
                            f"no free instance within {timeout_s * 1000 if timeout_s else 0:.0f} ms "
                            f"(pool of {self.settings.limits.pool_size})", plugin=self.identity)
                    self._idle_cond.wait(remaining)
            finally:
                self._waiters -= 1

    def _release(self, slot: _Slot, broken: bool) -> None:
        if broken or self._closed:
            slot.discard()
            if self._closed:
                return
            self.stats.instances_replaced += 1
            try:
                slot = self._new_slot()
            except Exception:  # a replacement that fails must not turn into the caller's error
                log.exception("replacing an instance of %s failed", self.identity)
                return
        self._idle.append(slot)
        if self._waiters:
            with self._idle_cond:
                self._idle_cond.notify()

    # -- calls ----------------------------------------------------------------------------------
    @staticmethod
    def spec_of(hook: str | int | HookSpec) -> HookSpec:
        if isinstance(hook, HookSpec):
            return hook
        spec = HOOKS_BY_NAME.get(hook) if isinstance(hook, str) else None
        if spec is not None:
            return spec
        from host_abi.hooks import hook_by_number
        spec = hook_by_number(hook) if isinstance(hook, int) else hook_by_name(hook)
        if spec is None:
            raise AbiViolation(f"unknown hook {hook!r}", code=ErrorCode.UNKNOWN_HOOK)
        return spec

    def _decode(self, text: str, spec: HookSpec) -> tuple[bool, Any]:
        try:
            ok, value = decode_answer(text)
        except EnvelopeError as exc:
            raise AbiViolation(f"the plugin answered a malformed envelope: {exc.message}",
                               code=exc.code, plugin=self.identity, hook=spec.name) from None
        return ok, value

    #: Codes only the host produces: a guest answering one is reported as PLUGIN_RAISED.
    _HOST_ONLY = frozenset({"DEADLINE_EXCEEDED", "MEMORY_EXCEEDED", "SANDBOX_BROKEN",
                            "TIER_UNAVAILABLE", "POLICY_INVALID", "POLICY_DENIED", "MANIFEST_INVALID",
                            "LOAD_FAILED", "INIT_FAILED", "PLUGIN_NOT_FOUND", "USAGE_ERROR", "CLOSED",
                            "CONFIG_INVALID", "INPUT_INVALID"})

    def _raise(self, err: Mapping[str, Any], spec: HookSpec) -> None:
        if err["code"] in self._HOST_ONLY:
            err = {**err, "code": "PLUGIN_RAISED",
                   "message": f"the plugin answered the host-only code {err['code']}: {err['message']}"}
        tb = err.get("traceback")
        if isinstance(tb, str) and tb:
            self.broker.logger.log(self.identity, spec.name, "error",
                                   f"{err.get('code')} at {err.get('where') or '?'}: {err.get('message')}\n{tb.rstrip()}")
        raise error_for_code(str(err["code"]), str(err["message"]), plugin=self.identity,
                             hook=spec.name, op=err.get("op") if isinstance(err.get("op"), str) else None,
                             traceback=err.get("traceback") if isinstance(err.get("traceback"), str) else None,
                             where=err.get("where") if isinstance(err.get("where"), str) else None)

    def _timeout_s(self, spec: HookSpec, timeout_ms: int | None) -> float | None:
        if timeout_ms == 0:
            return None
        if timeout_ms is None:
            limits = self.settings.limits
            timeout_ms = limits.stream_timeout_ms if spec.streaming else limits.timeout_ms
        return timeout_ms / 1000

    def call(self, hook: str | int | HookSpec, msg: Mapping[str, Any], *,
             timeout_ms: int | None = None) -> dict[str, Any]:
        """Run a unary hook on one instance and return its answer (envelope form).

        ``timeout_ms`` overrides the plugin's deadline; 0 runs in the caller's thread
        without one (trusted plugins, the latency floor).

        Raises:
            PluginRuntimeError: a typed error with the plugin's code, traceback and place.
        """
        spec = self.spec_of(hook)
        if spec.streaming:
            raise UsageError(f"{spec.name} is a streaming hook: use stream()", plugin=self.identity,
                             hook=spec.name)
        self.stats.calls += 1
        try:
            if spec.answered_by == "host":
                return self._host_answer(spec, msg)
            if spec.number not in self.info.hooks:
                if spec.default_answer is not None:
                    return dict(spec.default_answer)
                raise PluginFailed(f"plugin {self.identity} does not implement "
                                   f"{' or '.join(spec.capabilities)}",
                                   code=ErrorCode.CAPABILITY_MISSING, plugin=self.identity,
                                   hook=spec.name)
            return self._run(spec, msg, timeout_ms, None)
        except PluginRuntimeError:
            self.stats.errors += 1
            raise

    def _run(self, spec: HookSpec, msg: Mapping[str, Any], timeout_ms: int | None,
             emit: Callable[[dict[str, Any]], bool] | None) -> dict[str, Any]:
        """:meth:`_run_once` behind the plugin's circuit breaker (runtime/breaker.py)."""
        try:
            trial = self.breaker.admit(self.identity, spec.name)
        except CircuitOpen:
            self.stats.circuit_rejected += 1
            raise
        try:
            value = self._run_once(spec, msg, timeout_ms, emit)
        except BaseException as exc:
            opened = self.breaker.times_opened
            self.breaker.failure(trial, bool(getattr(exc, "instance_broken", False)))
            if self.breaker.times_opened != opened:
                self.stats.circuit_opened += 1
                log.warning("circuit breaker of plugin %s opened after %d broken instances",
                            self.identity, self.breaker.consecutive)
            raise
        self.breaker.success(trial)
        return value

    def _run_once(self, spec: HookSpec, msg: Mapping[str, Any], timeout_ms: int | None,
                  emit: Callable[[dict[str, Any]], bool] | None) -> dict[str, Any]:
        try:
            payload = encode_request(msg)
        except (TypeError, ValueError) as exc:
            raise AbiViolation(f"the request is not in envelope form: {exc}",
                               code=ErrorCode.INVALID_ARGUMENT, plugin=self.identity,
                               hook=spec.name) from None
        timeout_s = self._timeout_s(spec, timeout_ms)
        started = time.monotonic()
        slot = self._acquire(timeout_s)
        if timeout_s is not None:
            timeout_s = max(0.001, timeout_s - (time.monotonic() - started))
        slot.state = state = CallState(self.settings, spec.name, emit)
        broken = False
        try:
            text = slot.run(spec.number, payload, timeout_s)
        except DeadlineExceeded as exc:
            broken = True
            setattr(exc, "instance_broken", True)
            self.stats.deadlines += 1
            if not slot.enforces_limits:
                self.stats.abandoned_threads += 1
            exc.plugin, exc.hook = self.identity, spec.name
            raise
        except (SandboxBroken, MemoryExceeded) as exc:
            broken = True
            setattr(exc, "instance_broken", True)
            exc.plugin, exc.hook = self.identity, spec.name
            raise
        finally:
            state.close_streams()
            if not broken:
                slot.state = None
            self._release(slot, broken)
        ok, value = self._decode(text, spec)
        if not ok:
            self._raise(value, spec)
        if not isinstance(value, dict):
            raise AbiViolation(f"the plugin answered {type(value).__name__} where a "
                               f"{spec.response} object belongs", code=ErrorCode.BAD_RETURN,
                               plugin=self.identity, hook=spec.name)
        return value

    def call_or_fail_answer(self, hook: str | int | HookSpec, msg: Mapping[str, Any], *,
                            timeout_ms: int | None = None) -> tuple[dict[str, Any], PluginRuntimeError | None]:
        """Like :meth:`call`, but a failure gives the hook's fail-policy answer.

        Returns ``(answer, None)`` on success, ``(policy_answer, error)`` on failure.

        Raises:
            PluginRuntimeError: when the policy has no answer (fail-closed hooks whose
                closed answer is the error itself), or for usage errors.
        """
        spec = self.spec_of(hook)
        try:
            return self.call(spec, msg, timeout_ms=timeout_ms), None
        except UsageError:
            raise
        except PluginRuntimeError as exc:
            answer = self.fail_answer(spec, exc)
            if answer is None:
                raise
            self.stats.fail_policy_answers += 1
            if spec.hook_type == "data_collection":
                self.stats.records_dropped += 1
                log.warning("plugin %s dropped a %s record (%s): %s", self.identity, spec.name,
                            exc.code, exc.message)
            return answer, exc

    def fail_answer(self, spec: HookSpec, error: PluginRuntimeError) -> dict[str, Any] | None:
        """The fail-policy answer for ``error`` on ``spec`` (None: the error itself)."""
        policy = self.settings.fail_policy_for(spec)
        template = spec.fail_answer(policy)
        if template is None:
            return None
        return fill_answer(template, f"plugin {self.identity} failed ({error.code}): {error.message}")

    def stream(self, hook: str | int | HookSpec, msg: Mapping[str, Any], *,
               timeout_ms: int | None = None, apply_fail_policy: bool = False) -> Generator[dict[str, Any], None, None]:
        """Run a streaming hook; yields each chunk (envelope form) as the plugin emits it.

        Closing the iterator early asks the plugin to stop (its next ``send`` raises
        StreamCancelled). With ``apply_fail_policy``, a failure ends the stream with the
        hook's fail-closed chunk instead of raising.
        """
        spec = self.spec_of(hook)
        if not spec.streaming:
            raise UsageError(f"{spec.name} is not a streaming hook: use call()",
                             plugin=self.identity, hook=spec.name)
        self.stats.calls += 1
        if spec.number not in self.info.hooks:
            self.stats.errors += 1
            error = PluginFailed(f"plugin {self.identity} does not implement "
                                 f"{' or '.join(spec.capabilities)}",
                                 code=ErrorCode.CAPABILITY_MISSING, plugin=self.identity,
                                 hook=spec.name)
            if apply_fail_policy and (answer := self.fail_answer(spec, error)) is not None:
                yield answer
                return
            raise error
        chunks: "queue.SimpleQueue[tuple[str, Any]]" = queue.SimpleQueue()
        cancel = threading.Event()

        def emit(chunk: dict[str, Any]) -> bool:
            chunks.put(("chunk", chunk))
            return cancel.is_set()

        def runner() -> None:
            try:
                chunks.put(("end", self._run(spec, msg, timeout_ms, emit)))
            except PluginRuntimeError as exc:
                chunks.put(("error", exc))
            except BaseException as exc:  # never lose the consumer
                chunks.put(("error", PluginRuntimeError(f"{type(exc).__name__}: {exc}",
                                                        plugin=self.identity, hook=spec.name)))

        thread = threading.Thread(target=runner, name=f"stream-{self.identity}", daemon=True)
        thread.start()
        try:
            while True:
                kind, value = chunks.get()
                if kind == "chunk":
                    yield value
                elif kind == "end":
                    return
                else:
                    self.stats.errors += 1
                    if apply_fail_policy and (answer := self.fail_answer(spec, value)) is not None:
                        self.stats.fail_policy_answers += 1
                        yield answer
                        return
                    raise value
        finally:
            cancel.set()

    # -- host-answered hooks ------------------------------------------------------------------
    def _host_answer(self, spec: HookSpec, msg: Mapping[str, Any]) -> dict[str, Any]:
        if spec.name in ("ping", "config_provider.ping"):
            return {"timestamp": msg.get("timestamp", 0), "healthy": not self._closed}
        if spec.name == "open_session":
            return self._open_session(msg)
        if spec.name == "close_session":
            return self._close_session(msg)
        raise AbiViolation(f"hook {spec.name} has no host answer", code=ErrorCode.UNKNOWN_HOOK,
                           plugin=self.identity, hook=spec.name)

    def _session_hook(self, name: str, session_id: str) -> None:
        spec = HOOKS_BY_NAME[name]
        if spec.number not in self.info.hooks:
            return
        try:
            self.call(spec, {"session_id": session_id})
        except PluginRuntimeError as exc:
            log.warning("%s of plugin %s failed: %s", name, self.identity, exc)

    def open_session(self, session_id: str, timeout_s: float,
                     alive: Callable[[], bool] | None = None) -> bool:
        """Hold a host's session open: block until ``close_session`` (True) or until
        ``timeout_s`` passes or ``alive()`` turns false (False). The first session fires
        ``on_session_ready`` in the background, as the Go SDK does."""
        self._session_id = session_id
        self._session_closed.clear()
        self._session_open.set()
        if not self._session_ready_fired:
            self._session_ready_fired = True
            threading.Thread(target=self._session_hook, args=("on_session_ready", session_id),
                             daemon=True, name=f"session-ready-{self.identity}").start()
        if alive is None:
            return self._session_closed.wait(timeout_s)
        deadline = time.monotonic() + timeout_s
        while alive():  # a host that goes away releases the parked call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._session_closed.wait(min(remaining, 0.5)):
                return True
        return False

    def close_session(self) -> None:
        """End the open session: ``on_session_closing`` runs, ``open_session`` returns."""
        self._session_hook("on_session_closing", self._session_id)
        self._session_open.clear()
        self._session_closed.set()

    def _open_session(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        broker_id = int(msg.get("service_broker_id", 0) or 0)
        timeout_ms = int(msg.get("timeout_ms", 0) or 0) or 30_000
        # the Go SDK's form names the host's numeric plugin ID; embedded callers that
        # give none get the plugin's identity in its place
        plugin_id = int(msg.get("plugin_id", 0) or 0)
        session_id = f"session-{plugin_id or self.identity}-{broker_id}"
        closed = self.open_session(session_id, timeout_ms / 1000)
        return {"success": True, "session_id": session_id,
                "close_reason": 2 if closed else 1}

    def _close_session(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        self.close_session()
        return {"success": True}

    # -- events ------------------------------------------------------------------------------
    def deliver_event(self, subscription_id: str, handler: str, event_msg: Mapping[str, Any]) -> None:
        """Run ``on_event`` (or ``handler``) for one event on one instance."""
        msg = dict(event_msg)
        msg["subscription_id"] = subscription_id
        if handler:
            msg["handler"] = handler
        try:
            self.call("on_event", msg)
        except PluginRuntimeError as exc:
            log.warning("plugin %s failed to handle event %s: %s", self.identity,
                        event_msg.get("id"), exc)

    # -- lifecycle -----------------------------------------------------------------------------
    def statistics(self) -> PluginStatistics:
        """A snapshot of the counters."""
        return PluginStatistics(**vars(self.stats))

    def close(self) -> None:
        """Run ``shutdown`` on each idle instance and drop them all; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._session_closed.set()
        with self._idle_cond:
            self._idle_cond.notify_all()
        while True:
            try:
                slot = self._idle.pop()
            except IndexError:
                break
            try:
                slot.state = CallState(self.settings, "shutdown")
                slot.run(_SHUTDOWN.number, encode_request({"timeout_seconds": 5}), 5.0)
            except Exception as exc:
                log.warning("shutdown of plugin %s failed: %s", self.identity, exc)
            slot.discard()
