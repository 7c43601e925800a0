"""The service broker: answers every op a plugin calls through ``call(op, payload)``.

For each op it checks, in this order: the op exists, the envelope is well formed and
within limits, the per-call host-call budget, the runtime (gateway/studio), the scope
against the plugin's effective permissions; then it runs the embedded implementation,
or answers ``UNSUPPORTED_EMBEDDED``. It never raises: every outcome is an answer
envelope (a host function that raised would poison a wasm instance).
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol

from host_abi.envelope import (EnvelopeError, bytes_from_wire, bytes_to_wire, decode_args,
                               encode_err, encode_ok)
from host_abi.errors import ErrorCode
from host_abi.ops import OPS_BY_NUMBER, OpSpec

from ..policy import EffectivePlugin
from .events import EventBus
from .fixtures import Fixtures
from .kv import KVError, KVStore
from .logs import PluginLogger
from .scheduler import Schedule, ScheduleError, Scheduler

__all__ = ["ServiceBroker", "CallState", "OpError", "RemoteServices"]

log = logging.getLogger("runtime.broker")


class OpError(Exception):
    """An op failed with a stable code (turned into an err answer)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class CallState:
    """What the broker knows about the hook call in flight on one instance."""

    plugin: EffectivePlugin
    hook: str
    #: Receives each chunk a streaming hook emits; returns True to ask for cancellation.
    emit: Callable[[dict[str, Any]], bool] | None = None
    host_calls: int = 0
    streams: dict[int, Iterator[dict[str, Any]]] = field(default_factory=dict)

    def close_streams(self) -> None:
        for it in self.streams.values():
            close = getattr(it, "close", None)
            if close is not None:
                close()
        self.streams.clear()


Handler = Callable[["ServiceBroker", CallState, dict[str, Any]], Any]


class RemoteServices(Protocol):
    """Services of a host the broker forwards ops to (checks stay with the broker)."""

    def serves(self, spec: OpSpec) -> bool: ...

    def forward(self, state: CallState, spec: OpSpec, args: dict[str, Any]) -> Any: ...


_HANDLERS: dict[str, Handler] = {}


def _op(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn
    return register


def _arg(args: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if name not in args or args[name] is None:
        if default is ...:
            raise OpError(ErrorCode.INVALID_ARGUMENT, f"argument {name!r} is required")
        return default
    value = args[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,))):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise OpError(ErrorCode.INVALID_ARGUMENT,
                      f"argument {name!r} must be {expected}, not {type(value).__name__}")
    return value


class ServiceBroker:
    """Embedded services for every plugin of one runtime."""

    def __init__(self, kv: KVStore, logger: PluginLogger, bus: EventBus | None,
                 fixtures: Fixtures | None = None, scheduler: Scheduler | None = None) -> None:
        self.kv = kv
        self.scheduler = scheduler
        self.logger = logger
        self.bus = bus
        self.fixtures = fixtures or Fixtures()
        self._handles = itertools.count(1)
        self._lock = threading.Lock()
        self.op_counts: dict[str, int] = {}
        #: The host's services when the runtime runs under an AI Studio or Gateway host
        #: (``runtime serve`` with a service broker, runtime/broker/forwarding.py); None:
        #: the embedded services answer.
        self.remote: RemoteServices | None = None

    @staticmethod
    def implemented_ops() -> frozenset[str]:
        """Names of the ops with an embedded implementation."""
        return frozenset(_HANDLERS)

    def handle(self, state: CallState, op: int, payload: str) -> str:
        """Answer one op call; never raises."""
        spec = OPS_BY_NUMBER.get(op)
        if spec is None:
            return encode_err(ErrorCode.UNKNOWN_OP, f"op number {op} is not in the op table")
        try:
            args = decode_args(payload)
        except EnvelopeError as exc:
            return encode_err(exc.code, exc.message, op=spec.name)
        limit = state.plugin.limits.max_host_calls
        if not spec.name.startswith("stream."):  # a long stream is bounded by its deadline
            state.host_calls += 1
        if state.host_calls > limit:
            return encode_err(ErrorCode.LIMIT_EXCEEDED, f"more than {limit} host calls in one "
                              f"{state.hook} call", op=spec.name)
        refusal = self._refusal(state.plugin, spec)
        if refusal is not None:
            return refusal
        handler = _HANDLERS.get(spec.name)
        remote = self.remote
        if remote is not None and remote.serves(spec):
            handler = lambda _b, s, a: remote.forward(s, spec, a)  # noqa: E731
        if handler is None:
            return encode_err(ErrorCode.UNSUPPORTED_EMBEDDED, f"op {spec.name} has no implementation "
                              "in the embedded setup (it needs an AI Studio or Gateway host)",
                              op=spec.name)
        try:
            result = handler(self, state, args)
            with self._lock:
                self.op_counts[spec.name] = self.op_counts.get(spec.name, 0) + 1
            return encode_ok(result)
        except OpError as exc:
            return encode_err(exc.code, exc.message, op=spec.name)
        except KVError as exc:
            return encode_err(exc.code, exc.message, op=spec.name)
        except EnvelopeError as exc:
            return encode_err(exc.code, exc.message, op=spec.name)
        except Exception as exc:  # a bug here must not reach the guest as a trap
            log.exception("op %s of plugin %s failed", spec.name, state.plugin.identity)
            return encode_err(ErrorCode.INTERNAL, f"op {spec.name} failed inside the host: "
                              f"{type(exc).__name__}", op=spec.name)

    @staticmethod
    def _refusal(plugin: EffectivePlugin, spec: OpSpec) -> str | None:
        if spec.runtime != "any" and spec.runtime != plugin.runtime:
            return encode_err(ErrorCode.WRONG_RUNTIME,
                              f"{spec.name} belongs to the {spec.runtime} services; plugin "
                              f"{plugin.identity} runs in the {plugin.runtime} runtime", op=spec.name)
        if spec.scope is not None and spec.scope not in plugin.scopes:
            return encode_err(ErrorCode.PERMISSION_DENIED,
                              f"op {spec.name} needs scope {spec.scope!r}, which plugin "
                              f"{plugin.identity} was not granted (effective: "
                              f"{sorted(plugin.scopes)})", op=spec.name)
        return None


# -- log -------------------------------------------------------------------------------------
@_op("log")
def _log(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    level = _arg(a, "level", str, "info")
    message = _arg(a, "message", str)
    fields = _arg(a, "fields", dict, {})
    b.logger.log(s.plugin.identity, s.hook, level, message, fields)
    return {}


# -- kv --------------------------------------------------------------------------------------
@_op("kv.read")
def _kv_read(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    key = _arg(a, "key", str)
    value = b.kv.read(s.plugin.identity, key)
    if value is None:
        raise OpError(ErrorCode.NOT_FOUND, f"key {key!r} not found")
    return {"value": bytes_to_wire(value)}


@_op("kv.write")
def _kv_write(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    key = _arg(a, "key", str)
    value = bytes_from_wire(_arg(a, "value", str))
    ttl = _arg(a, "ttl_seconds", (int, float), None)
    return {"created": b.kv.write(s.plugin.identity, key, value, ttl)}


@_op("kv.delete")
def _kv_delete(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    return {"deleted": b.kv.delete(s.plugin.identity, _arg(a, "key", str))}


@_op("kv.list")
def _kv_list(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    prefix = _arg(a, "prefix", str, "")
    limit = _arg(a, "limit", int, 1000)
    return {"keys": b.kv.list(s.plugin.identity, prefix, max(0, min(limit, 10_000)))}


@_op("kv.increment")
def _kv_increment(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    key = _arg(a, "key", str)
    delta = _arg(a, "delta", int, 1)
    ttl = _arg(a, "ttl_seconds", (int, float), None)
    return {"value": b.kv.increment(s.plugin.identity, key, delta, ttl)}


# -- events ----------------------------------------------------------------------------------
def _bus(b: ServiceBroker) -> EventBus:
    if b.bus is None:
        raise OpError(ErrorCode.SERVICE_UNAVAILABLE, "the event bus is not running")
    return b.bus


@_op("events.publish")
def _publish(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    topic = _arg(a, "topic", str)
    if not topic:
        raise OpError(ErrorCode.INVALID_ARGUMENT, "topic is required")
    payload = bytes_from_wire(_arg(a, "payload", str, ""))
    direction = _arg(a, "direction", int, 0)
    if direction not in (0, 1, 2):
        raise OpError(ErrorCode.INVALID_ARGUMENT, f"direction must be 0, 1 or 2, not {direction}")
    event = _bus(b).publish(s.plugin.identity, topic, payload, direction)
    return {"event_id": event.id}


def _handler_arg(a: dict[str, Any]) -> str:
    handler = _arg(a, "handler", str, "")
    if handler and (handler.startswith("_") or not handler.isidentifier()):
        raise OpError(ErrorCode.INVALID_ARGUMENT, f"handler {handler!r} is not a public method name")
    return str(handler)


@_op("events.subscribe")
def _subscribe(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    topic = _arg(a, "topic", str)
    if not topic:
        raise OpError(ErrorCode.INVALID_ARGUMENT, "topic is required (or use events.subscribe_all)")
    return {"subscription_id": _bus(b).subscribe(s.plugin.identity, topic, _handler_arg(a)).id}


@_op("events.subscribe_all")
def _subscribe_all(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    return {"subscription_id": _bus(b).subscribe(s.plugin.identity, None, _handler_arg(a)).id}


@_op("events.unsubscribe")
def _unsubscribe(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    return {"removed": _bus(b).unsubscribe(s.plugin.identity, _arg(a, "subscription_id", str))}


# -- streams ---------------------------------------------------------------------------------
@_op("stream.emit")
def _emit(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    if s.emit is None:
        raise OpError(ErrorCode.STREAM_CLOSED, f"stream.emit is only valid during a streaming hook, "
                      f"not during {s.hook}")
    chunk = _arg(a, "chunk", dict)
    return {"cancel": bool(s.emit(chunk))}


@_op("stream.read")
def _read(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    handle = _arg(a, "handle", int)
    it = s.streams.get(handle)
    if it is None:
        raise OpError(ErrorCode.STREAM_CLOSED, f"stream handle {handle} is not open")
    try:
        return {"chunk": next(it)}
    except StopIteration:
        s.streams.pop(handle, None)
        return {"done": True}


@_op("stream.close")
def _close(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    handle = _arg(a, "handle", int)
    it = s.streams.pop(handle, None)
    if it is not None and hasattr(it, "close"):
        it.close()
    return {}


# -- look-ups from fixtures ------------------------------------------------------------------
def _page(items: list[dict[str, Any]], a: dict[str, Any]) -> list[dict[str, Any]]:
    page = max(1, _arg(a, "page", int, 1))
    limit = max(1, min(_arg(a, "limit", int, 50), 1000))
    return items[(page - 1) * limit: page * limit]


@_op("gateway.get_app")
@_op("studio.get_app")
def _get_app(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    return {"app": b.fixtures.find("apps", "id", _arg(a, "app_id", int))}


@_op("gateway.list_apps")
@_op("studio.list_apps")
def _list_apps(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    apps = b.fixtures.apps
    active = a.get("is_active")
    if isinstance(active, bool):
        apps = [x for x in apps if bool(x.get("is_active", False)) == active]
    return {"apps": _page(apps, a), "total_count": len(apps)}


@_op("gateway.get_llm")
@_op("studio.get_llm")
def _get_llm(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    llm = dict(b.fixtures.find("llms", "id", _arg(a, "llm_id", int)))
    llm.pop("reply", None)
    return {"llm": llm}


@_op("gateway.list_llms")
@_op("studio.list_llms")
def _list_llms(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    vendor = _arg(a, "vendor", str, "")
    active = a.get("is_active")
    llms = [{k: v for k, v in x.items() if k != "reply"} for x in b.fixtures.llms
            if (not vendor or x.get("vendor") == vendor)
            and (not isinstance(active, bool) or bool(x.get("is_active", False)) == active)]
    return {"llms": _page(llms, a), "total_count": len(llms)}


@_op("gateway.get_budget_status")
def _budget(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    app_id = _arg(a, "app_id", int)
    llm_id = _arg(a, "llm_id", int, 0)
    for item in b.fixtures.budgets:
        if item.get("app_id") == app_id and item.get("llm_id", 0) == llm_id:
            budget = float(item.get("monthly_budget", 0.0))
            used = float(item.get("current_usage", 0.0))
            return {"app_id": app_id, "llm_id": llm_id, "monthly_budget": budget,
                    "current_usage": used, "remaining_budget": budget - used,
                    "is_over_budget": used > budget > 0}
    raise OpError(ErrorCode.NOT_FOUND, f"no budget for app {app_id} / llm {llm_id} in the fixtures")


@_op("gateway.list_model_prices")
def _prices(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    vendor = _arg(a, "vendor", str, "")
    return {"prices": [p for p in b.fixtures.prices if not vendor or p.get("vendor") == vendor]}


@_op("gateway.get_model_price")
def _price(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    model = _arg(a, "model_name", str)
    vendor = _arg(a, "vendor", str, "")
    for p in b.fixtures.prices:
        if p.get("model_name") == model and (not vendor or p.get("vendor") == vendor):
            return {"price": p}
    raise OpError(ErrorCode.NOT_FOUND, f"no price for model {model!r} in the fixtures")


@_op("gateway.validate_credential")
def _validate_credential(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    secret = _arg(a, "secret", str)
    for c in b.fixtures.credentials:
        if c.get("secret") == secret:
            return {"valid": bool(c.get("valid", True)), "app_id": int(c.get("app_id", 0))}
    return {"valid": False, "app_id": 0}


@_op("gateway.get_license_info")
@_op("studio.get_license_info")
def _license(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    return {"license_valid": True, "days_remaining": -1, "license_type": "community"}


@_op("studio.list_tools")
def _list_tools(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    return {"tools": _page(b.fixtures.tools, a), "total_count": len(b.fixtures.tools)}


@_op("studio.get_tool")
def _get_tool(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    return {"tool": b.fixtures.find("tools", "id", _arg(a, "tool_id", int))}


@_op("studio.call_llm")
def _call_llm(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    llm = b.fixtures.find("llms", "id", _arg(a, "llm_id", int))
    messages = _arg(a, "messages", list, [])
    reply = llm.get("reply")
    if not isinstance(reply, str):
        users = [m.get("content", "") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        reply = users[-1] if users else ""
    model = _arg(a, "model", str, "") or str(llm.get("default_model", ""))

    def chunks() -> Iterator[dict[str, Any]]:
        words = reply.split(" ")
        for i, word in enumerate(words):
            yield {"content": word + (" " if i < len(words) - 1 else ""), "model": model,
                   "done": False}
        yield {"content": "", "model": model, "done": True, "finish_reason": "stop"}

    handle = next(b._handles)
    s.streams[handle] = chunks()
    return {"handle": handle}


# -- scheduler -------------------------------------------------------------------------------
def _sched(b: ServiceBroker) -> Scheduler:
    if b.scheduler is None:
        raise OpError(ErrorCode.SERVICE_UNAVAILABLE, "the scheduler is not running")
    return b.scheduler


def _schedule_fields(a: dict[str, Any], partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind in (("name", str), ("cron", str), ("timezone", str), ("enabled", bool),
                       ("timeout_seconds", int), ("config", dict)):
        if name in a and a[name] is not None:
            out[name] = _arg(a, name, kind)
        elif not partial and name in ("name", "cron"):
            raise OpError(ErrorCode.INVALID_ARGUMENT, f"argument {name!r} is required")
    if out.get("timezone") == "":
        out["timezone"] = "UTC"
    return out


def _schedule_answer(schedule: Schedule) -> dict[str, Any]:
    return {"schedule": {**schedule.to_wire(), "config": dict(schedule.config), "source": schedule.source}}


@_op("scheduler.create")
def _create_schedule(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    fields = _schedule_fields(a, partial=False)
    try:
        schedule = _sched(b).add(Schedule(plugin=s.plugin.identity, id=_arg(a, "id", str), **fields))
    except ScheduleError as exc:
        raise OpError(ErrorCode.INVALID_ARGUMENT, str(exc)) from None
    return _schedule_answer(schedule)


@_op("scheduler.get")
def _get_schedule(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    schedule_id = _arg(a, "id", str)
    try:
        return _schedule_answer(_sched(b).get(s.plugin.identity, schedule_id))
    except KeyError:
        raise OpError(ErrorCode.NOT_FOUND, f"no schedule {schedule_id!r}") from None


@_op("scheduler.list")
def _list_schedules(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    return {"schedules": [_schedule_answer(x)["schedule"] for x in _sched(b).list(s.plugin.identity)]}


@_op("scheduler.update")
def _update_schedule(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    schedule_id = _arg(a, "id", str)
    try:
        return _schedule_answer(_sched(b).update(s.plugin.identity, schedule_id,
                                                 **_schedule_fields(a, partial=True)))
    except KeyError:
        raise OpError(ErrorCode.NOT_FOUND, f"no schedule {schedule_id!r}") from None
    except ScheduleError as exc:
        raise OpError(ErrorCode.INVALID_ARGUMENT, str(exc)) from None


@_op("scheduler.delete")
def _delete_schedule(b: ServiceBroker, s: CallState, a: dict[str, Any]) -> Any:
    schedule_id = _arg(a, "id", str)
    if not _sched(b).delete(s.plugin.identity, schedule_id):
        raise OpError(ErrorCode.NOT_FOUND, f"no schedule {schedule_id!r}")
    return {}
