"""Host services as a plugin sees them: thin layers over the ABI's ``call(op, payload)``.

Each method encodes its arguments into an op envelope, calls the host and decodes the
answer; an error answer raises the matching :mod:`guest_sdk.errors` exception. Nothing
here keeps state the host does not know about: instance memory may vanish at any time.
"""

from __future__ import annotations

import json
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Callable, Iterator

from host_abi.envelope import (EnvelopeError, bytes_from_wire, bytes_to_wire, decode_answer,
                               encode_args)
from host_abi.ops import OPS_BY_NAME

from .context import RuntimeKind
from .errors import ServiceError, WrongRuntime, error_from_answer

if TYPE_CHECKING:
    pass

__all__ = ["Services", "KV", "Logger", "Events", "Direction", "Gateway", "Studio", "HostCall"]

#: The host import: ``call(op_number, envelope) -> envelope``.
HostCall = Callable[[int, str], str]


class Direction(IntEnum):
    """Where a published event goes (PluginEventService's direction values)."""

    LOCAL = 0
    UP = 1
    DOWN = 2


class _Caller:
    __slots__ = ("_host_call",)

    def __init__(self, host_call: HostCall) -> None:
        self._host_call = host_call

    def __call__(self, op: str, args: dict[str, Any]) -> Any:
        spec = OPS_BY_NAME[op]
        answer = self._host_call(spec.number, encode_args(args))
        try:
            ok, value = decode_answer(answer)
        except EnvelopeError as exc:
            raise ServiceError(exc.message, code=exc.code.name, op=op) from None
        if not ok:
            raise error_from_answer(value, op)
        return value


def _as_bytes(value: bytes | str | Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


class KV:
    """The plugin's own key-value namespace (scope ``kv.readwrite``).

    Keys are at most 255 characters, values at most 5 MiB. The namespace is the
    identity the operator assigned: no key names another plugin's entry.
    """

    __slots__ = ("_call",)

    def __init__(self, call: _Caller) -> None:
        self._call = call

    def read(self, key: str) -> bytes:
        """The value of ``key``. Raises :class:`~guest_sdk.errors.NotFound` when missing or expired."""
        return bytes_from_wire(self._call("kv.read", {"key": key})["value"])

    def get(self, key: str, default: bytes | None = None) -> bytes | None:
        """The value of ``key``, or ``default`` when it is missing."""
        from .errors import NotFound
        try:
            return self.read(key)
        except NotFound:
            return default

    def write(self, key: str, value: bytes | str | Any, ttl_seconds: float | None = None) -> bool:
        """Store ``value`` (bytes; str is UTF-8 encoded; other values JSON-encoded).

        ``ttl_seconds`` > 0 makes the entry expire. Returns True when the key was created.
        """
        args: dict[str, Any] = {"key": key, "value": bytes_to_wire(_as_bytes(value))}
        if ttl_seconds:
            args["ttl_seconds"] = ttl_seconds
        return bool(self._call("kv.write", args).get("created", False))

    def delete(self, key: str) -> bool:
        """Delete ``key``; True when it existed."""
        return bool(self._call("kv.delete", {"key": key}).get("deleted", False))

    def list(self, prefix: str = "", limit: int = 1000) -> list[str]:
        """Keys starting with ``prefix``, sorted (embedded setup only; no host RPC exists)."""
        return list(self._call("kv.list", {"prefix": prefix, "limit": limit}).get("keys", []))

    def increment(self, key: str, delta: int = 1, ttl_seconds: float | None = None) -> int:
        """Atomically add ``delta`` to the counter ``key`` and return the new value.

        A missing key starts at 0; ``ttl_seconds`` applies when the key is created.
        """
        args: dict[str, Any] = {"key": key, "delta": delta}
        if ttl_seconds:
            args["ttl_seconds"] = ttl_seconds
        return int(self._call("kv.increment", args)["value"])


class Logger:
    """Structured logging into the host's log (rate-limited by the host)."""

    __slots__ = ("_call",)

    def __init__(self, call: _Caller) -> None:
        self._call = call

    def log(self, level: str, message: str, **fields: Any) -> None:
        """Write one line at ``level`` (trace, debug, info, warn, error) with key/values."""
        self._call("log", {"level": level, "message": str(message),
                           "fields": {k: _jsonable(v) for k, v in fields.items()}})

    def trace(self, message: str, **fields: Any) -> None:
        self.log("trace", message, **fields)

    def debug(self, message: str, **fields: Any) -> None:
        self.log("debug", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        self.log("info", message, **fields)

    def warn(self, message: str, **fields: Any) -> None:
        self.log("warn", message, **fields)

    warning = warn

    def error(self, message: str, **fields: Any) -> None:
        self.log("error", message, **fields)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


class Events:
    """The event bus. Subscriptions belong to the plugin, not to one instance: an event
    runs the plugin's ``on_event`` hook (or the named handler method) on one instance."""

    __slots__ = ("_call",)

    def __init__(self, call: _Caller) -> None:
        self._call = call

    def publish(self, topic: str, payload: Any, direction: Direction | int = Direction.LOCAL) -> str:
        """Publish ``payload`` (bytes as-is, anything else JSON-encoded); returns the event id."""
        return str(self._call("events.publish", {
            "topic": topic, "payload": bytes_to_wire(_as_bytes(payload)),
            "direction": int(direction)})["event_id"])

    def subscribe(self, topic: str, handler: Callable[..., Any] | str | None = None) -> str:
        """Subscribe to ``topic``; events go to ``handler`` (a method of the plugin, by
        name) or to ``on_event``. Returns the subscription id."""
        return str(self._call("events.subscribe", {"topic": topic,
                                                   "handler": _handler_name(handler)})["subscription_id"])

    def subscribe_all(self, handler: Callable[..., Any] | str | None = None) -> str:
        """Subscribe to every topic."""
        return str(self._call("events.subscribe_all",
                              {"handler": _handler_name(handler)})["subscription_id"])

    def unsubscribe(self, subscription_id: str) -> bool:
        """End a subscription; True when it existed."""
        return bool(self._call("events.unsubscribe",
                               {"subscription_id": subscription_id}).get("removed", False))


def _handler_name(handler: Callable[..., Any] | str | None) -> str:
    if handler is None:
        return ""
    if isinstance(handler, str):
        return handler
    name = getattr(handler, "__name__", "")
    if not name or getattr(handler, "__self__", None) is None:
        raise TypeError("an event handler must be a method of the plugin (instances may be "
                        "replaced at any time, so only a method name survives)")
    return str(name)


class _RuntimeService:
    __slots__ = ("_call", "_runtime")
    _kind: RuntimeKind
    _label: str

    def __init__(self, call: _Caller, runtime: Callable[[], RuntimeKind]) -> None:
        self._call = call
        self._runtime = runtime

    def _op(self, op: str, args: dict[str, Any]) -> Any:
        if self._runtime() is not self._kind:
            raise WrongRuntime(f"{self._label} services are only available in the "
                               f"{self._kind.value} runtime; this plugin runs in the "
                               f"{self._runtime().value} runtime", op=op)
        return self._call(op, args)


class Gateway(_RuntimeService):
    """The Gateway's services (gateway runtime only; the studio runtime raises WrongRuntime)."""

    __slots__ = ()
    _kind = RuntimeKind.GATEWAY
    _label = "Gateway"

    def get_app(self, app_id: int) -> dict[str, Any]:
        return dict(self._op("gateway.get_app", {"app_id": app_id})["app"])

    def list_apps(self, page: int = 1, limit: int = 50) -> list[dict[str, Any]]:
        return list(self._op("gateway.list_apps", {"page": page, "limit": limit})["apps"])

    def get_llm(self, llm_id: int) -> dict[str, Any]:
        return dict(self._op("gateway.get_llm", {"llm_id": llm_id})["llm"])

    def list_llms(self, vendor: str = "", page: int = 1, limit: int = 50) -> list[dict[str, Any]]:
        return list(self._op("gateway.list_llms", {"vendor": vendor, "page": page,
                                                    "limit": limit})["llms"])

    def get_budget_status(self, app_id: int, llm_id: int = 0) -> dict[str, Any]:
        return dict(self._op("gateway.get_budget_status", {"app_id": app_id, "llm_id": llm_id}))

    def list_model_prices(self, vendor: str = "") -> list[dict[str, Any]]:
        return list(self._op("gateway.list_model_prices", {"vendor": vendor})["prices"])

    def get_model_price(self, model_name: str, vendor: str = "") -> dict[str, Any]:
        return dict(self._op("gateway.get_model_price",
                             {"model_name": model_name, "vendor": vendor})["price"])

    def validate_credential(self, secret: str) -> dict[str, Any]:
        return dict(self._op("gateway.validate_credential", {"secret": secret}))

    def send_to_control(self, payload: Any, correlation_id: str = "",
                        metadata: dict[str, str] | None = None) -> bool:
        return bool(self._op("gateway.send_to_control", {
            "payload": bytes_to_wire(_as_bytes(payload)), "correlation_id": correlation_id,
            "metadata": dict(metadata or {})}).get("success", False))

    def get_license_info(self) -> dict[str, Any]:
        return dict(self._op("gateway.get_license_info", {}))


class Studio(_RuntimeService):
    """AI Studio's services (studio runtime only; the gateway runtime raises WrongRuntime)."""

    __slots__ = ()
    _kind = RuntimeKind.STUDIO
    _label = "Studio"

    def list_apps(self, page: int = 1, limit: int = 50) -> list[dict[str, Any]]:
        return list(self._op("studio.list_apps", {"page": page, "limit": limit})["apps"])

    def get_app(self, app_id: int) -> dict[str, Any]:
        return dict(self._op("studio.get_app", {"app_id": app_id})["app"])

    def update_app(self, app_id: int, app: dict[str, Any]) -> dict[str, Any]:
        return dict(self._op("studio.update_app", {"app_id": app_id, "app": app})["app"])

    def patch_app_metadata(self, app_id: int, metadata: dict[str, str]) -> None:
        self._op("studio.patch_app_metadata", {"app_id": app_id, "metadata": metadata})

    def list_llms(self, page: int = 1, limit: int = 50) -> list[dict[str, Any]]:
        return list(self._op("studio.list_llms", {"page": page, "limit": limit})["llms"])

    def get_llm(self, llm_id: int) -> dict[str, Any]:
        return dict(self._op("studio.get_llm", {"llm_id": llm_id})["llm"])

    def list_tools(self, page: int = 1, limit: int = 50) -> list[dict[str, Any]]:
        return list(self._op("studio.list_tools", {"page": page, "limit": limit})["tools"])

    def get_tool(self, tool_id: int) -> dict[str, Any]:
        return dict(self._op("studio.get_tool", {"tool_id": tool_id})["tool"])

    def execute_tool(self, tool_id: int, operation_id: str, parameters: dict[str, Any]) -> Any:
        return self._op("studio.execute_tool", {"tool_id": tool_id, "operation_id": operation_id,
                                                "parameters": parameters})

    def get_plugin(self, plugin_id: int) -> dict[str, Any]:
        return dict(self._op("studio.get_plugin", {"plugin_id": plugin_id})["plugin"])

    def update_plugin_config(self, plugin_id: int, config: dict[str, Any]) -> None:
        self._op("studio.update_plugin_config", {"plugin_id": plugin_id,
                                                 "config_json": json.dumps(config)})

    def query_datasource(self, datasource_id: int, query: str, max_results: int = 5) -> Any:
        return self._op("studio.query_datasource", {"datasource_id": datasource_id,
                                                    "query": query, "max_results": max_results})

    def call_llm(self, llm_id: int, messages: list[dict[str, str]], model: str = "",
                 temperature: float | None = None, max_tokens: int = 0) -> Iterator[dict[str, Any]]:
        """Stream an LLM completion: yields chunk objects until the stream ends.

        The stream is opened at the first ``next()`` and closed when the iterator is
        exhausted or discarded.
        """
        args: dict[str, Any] = {"llm_id": llm_id, "messages": messages, "model": model,
                                "max_tokens": max_tokens}
        if temperature is not None:
            args["temperature"] = temperature
        handle = self._op("studio.call_llm", args)["handle"]
        return _read_stream(self._call, handle)

    def create_schedule(self, schedule_id: str, name: str, cron: str, timezone: str = "UTC",
                        enabled: bool = True, timeout_seconds: int = 60,
                        config: dict[str, Any] | None = None) -> dict[str, Any]:
        return dict(self._op("scheduler.create", {
            "id": schedule_id, "name": name, "cron": cron, "timezone": timezone,
            "enabled": enabled, "timeout_seconds": timeout_seconds,
            "config": dict(config or {})})["schedule"])

    def get_schedule(self, schedule_id: str) -> dict[str, Any]:
        return dict(self._op("scheduler.get", {"id": schedule_id})["schedule"])

    def list_schedules(self) -> list[dict[str, Any]]:
        return list(self._op("scheduler.list", {})["schedules"])

    def delete_schedule(self, schedule_id: str) -> None:
        self._op("scheduler.delete", {"id": schedule_id})

    def get_license_info(self) -> dict[str, Any]:
        return dict(self._op("studio.get_license_info", {}))


def _read_stream(call: _Caller, handle: int) -> Iterator[dict[str, Any]]:
    try:
        while True:
            answer = call("stream.read", {"handle": handle})
            if answer.get("done"):
                return
            yield answer["chunk"]
    finally:
        try:
            call("stream.close", {"handle": handle})
        except ServiceError:
            pass


class Services:
    """What ``ctx.services`` holds: ``kv``, ``logger``, ``events``, ``gateway``, ``studio``."""

    __slots__ = ("kv", "logger", "events", "gateway", "studio", "call")

    def __init__(self, host_call: HostCall, runtime: Callable[[], RuntimeKind]) -> None:
        call = _Caller(host_call)
        #: Low-level access to any op of the op table: ``call(op_name, args_dict)``.
        self.call = call
        self.kv = KV(call)
        self.logger = Logger(call)
        self.events = Events(call)
        self.gateway = Gateway(call, runtime)
        self.studio = Studio(call, runtime)
