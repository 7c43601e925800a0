"""The guest side of the ABI: one plugin instance behind ``handle(hook, payload)``.

Every tier instantiates plugins through this module (``host_abi.GUEST_ENTRY_MODULE``):
the wasm component's ``handle`` export calls :meth:`GuestInstance.handle` of the one
instance it holds; the in-process tier creates one :class:`GuestInstance` per pool
slot. The host's import ``call(op, payload)`` arrives as a plain callable.
"""

from __future__ import annotations

import contextvars
import io
import json
import os
import sys
import traceback
from typing import Any, Callable, Mapping

from host_abi.envelope import (ABI_VERSION, EnvelopeError, decode_request, encode_err,
                               encode_ok, bytes_from_wire)
from host_abi.errors import ErrorCode
from host_abi.hooks import HOOKS, HOOKS_BY_NUMBER, HookSpec

from . import messages as M
from .capabilities import CAPABILITIES
from .context import Context, RuntimeKind
from .errors import ServiceError, StreamCancelled
from .events import Event
from .plugin import BasePlugin
from .services import HostCall, Services
from .streams import ChunkStream

__all__ = ["GuestInstance", "create_instance", "install_output_capture", "SDK_VERSION"]

SDK_VERSION = "0.1.0"
_SDK_DIR = os.path.dirname(os.path.abspath(__file__))
_current: contextvars.ContextVar["GuestInstance | None"] = contextvars.ContextVar(
    "guest_instance", default=None)


class BadReturn(Exception):
    """A plugin method returned the wrong type."""


def create_instance(factory: Callable[[], Any], host_call: HostCall) -> "GuestInstance":
    """Build the plugin with ``factory`` and wrap it for ``handle`` calls.

    Raises:
        TypeError: the factory did not return a :class:`BasePlugin`.
    """
    plugin = factory()
    if not isinstance(plugin, BasePlugin):
        raise TypeError(f"the plugin factory returned {type(plugin).__name__}, "
                        "not a guest_sdk.BasePlugin")
    return GuestInstance(plugin, host_call)


class GuestInstance:
    """One plugin instance and its services, driven by hook numbers and envelopes."""

    def __init__(self, plugin: BasePlugin, host_call: HostCall) -> None:
        self.plugin = plugin
        self.host_call = host_call
        self.runtime = RuntimeKind.STUDIO
        self.plugin_id = ""

        def outside_hook_call(op: int, payload: str) -> str:
            # While the host serves an op, its own writes to stdout/stderr are the host's:
            # on the in-process tier they share this thread, so leave the capture first.
            token = _current.set(None)
            try:
                return host_call(op, payload)
            finally:
                _current.reset(token)

        self.services = Services(outside_hook_call, lambda: self.runtime)
        self.capabilities = tuple(sorted(
            name for name, cls in CAPABILITIES.items() if isinstance(plugin, cls)))
        self.hooks = frozenset(h.number for h in HOOKS if self._serves(h))
        self._out: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def _serves(self, spec: HookSpec) -> bool:
        if spec.answered_by != "guest":
            return False
        if spec.name in ("instance_start", "initialize", "shutdown", "on_event"):
            return True  # on_event: a subscription may name any method as its handler
        if not any(c in self.capabilities for c in spec.capabilities):
            return False
        if spec.name == "handle_endpoint_request_stream":
            from .capabilities import CustomEndpointHandler
            impl = getattr(type(self.plugin), "handle_endpoint_request_stream", None)
            return impl is not CustomEndpointHandler.handle_endpoint_request_stream
        return True

    # -- the export -------------------------------------------------------------------
    def handle(self, hook: int, payload: str) -> str:
        """Run hook number ``hook`` on the envelope ``payload``; always returns an envelope."""
        if hook >= _PROBE_BASE:
            return _probe(self, hook, payload)
        spec = HOOKS_BY_NUMBER.get(hook)
        if spec is None:
            return encode_err(ErrorCode.UNKNOWN_HOOK, f"hook number {hook} is not in the hook table "
                              f"of ABI version {ABI_VERSION}")
        adapter = _ADAPTERS.get(hook)
        if adapter is None:
            return encode_err(ErrorCode.UNKNOWN_HOOK, f"hook {spec.name} is answered by the host, "
                              "not by the plugin")
        try:
            msg = decode_request(payload)
        except EnvelopeError as exc:
            return encode_err(exc.code, exc.message, hook=spec.name)
        if hook not in self.hooks:
            if spec.default_answer is not None:
                return encode_ok(dict(spec.default_answer))
            return encode_err(ErrorCode.CAPABILITY_MISSING,
                              f"plugin {self.plugin.name!r} does not implement "
                              f"{' or '.join(spec.capabilities)}", hook=spec.name)
        token = _current.set(self)
        try:
            return encode_ok(adapter(self, spec, msg))
        except BadReturn as exc:
            return encode_err(ErrorCode.BAD_RETURN, str(exc), hook=spec.name)
        except EnvelopeError as exc:
            return encode_err(exc.code, exc.message, hook=spec.name)
        except ServiceError as exc:
            tb, where = _format_traceback(exc)
            extra = {"op": exc.op} if exc.op else {}
            return encode_err(exc.code, f"{exc}", hook=spec.name, traceback=tb, where=where, **extra)
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            tb, where = _format_traceback(exc)
            if not where and isinstance(exc, (TypeError, ValueError, AttributeError)):
                # no plugin frame: the SDK could not read the request into its message
                return encode_err(ErrorCode.INVALID_ARGUMENT, f"the request does not fit "
                                  f"{spec.request}: {type(exc).__name__}: {exc}", hook=spec.name)
            return encode_err(ErrorCode.PLUGIN_RAISED, f"{type(exc).__name__}: {exc}",
                              hook=spec.name, traceback=tb, where=where)
        finally:
            _current.reset(token)
            self._flush_output()

    # -- helpers used by the adapters -----------------------------------------------
    def context(self, spec: HookSpec, plugin_context: Mapping[str, Any] | None = None,
                session_id: str = "") -> Context:
        return Context(self.services, self.runtime, self.plugin_id, spec.name,
                       plugin_context, session_id)

    def emit(self, chunk: Any) -> bool:
        answer = self.services.call("stream.emit", {"chunk": chunk.to_wire()})
        return bool(answer.get("cancel", False))

    def write_output(self, stream: str, text: str) -> None:
        buf = self._out[stream]
        buf.append(text)
        if "\n" in text:
            joined = "".join(buf)
            *lines, rest = joined.split("\n")
            buf[:] = [rest] if rest else []
            for line in lines:
                self._log_output(stream, line)

    def _flush_output(self) -> None:
        for stream, buf in self._out.items():
            if buf:
                line = "".join(buf)
                buf.clear()
                if line:
                    self._log_output(stream, line)

    def _log_output(self, stream: str, line: str) -> None:
        try:
            self.services.call("log", {"level": "info" if stream == "stdout" else "warn",
                                       "message": line, "fields": {"stream": stream}})
        except ServiceError:
            pass


# -- measurement probes ------------------------------------------------------------------
# Hook numbers from 9000 up are never assigned in the hook table (ABI.md): the runtime's
# bench uses these to split one call's cost into stages. They touch no plugin state
# beyond running the plugin's handler on the request the host passes.
_PROBE_BASE = 9000
_PROBE_IN = 9001      # payload crosses in, a tiny answer crosses out
_PROBE_OUT = 9002     # a tiny payload "<n>" crosses in, n characters cross out
_PROBE_STAGES = 9003  # {"hook", "payload", "iterations"}: guest-side stage timings
_out_cache: dict[int, str] = {}


def _probe(inst: "GuestInstance", hook: int, payload: str) -> str:
    if hook == _PROBE_IN:
        return "{}"
    if hook == _PROBE_OUT:
        n = int(payload) if payload.isdigit() else 0
        text = _out_cache.get(n)
        if text is None:
            text = _out_cache[n] = "x" * n
        return text
    if hook == _PROBE_STAGES:
        return _probe_stages(inst, payload)
    return encode_err(ErrorCode.UNKNOWN_HOOK, f"hook number {hook} is not in the hook table")


def _probe_stages(inst: "GuestInstance", payload: str) -> str:
    import time
    args = json.loads(payload)
    spec = HOOKS_BY_NUMBER[int(args["hook"])]
    envelope = str(args["payload"])
    n = max(1, int(args.get("iterations", 200)))
    adapter = _ADAPTERS[spec.number]
    clock = time.perf_counter_ns
    decode_ns, handler_ns, encode_ns = [], [], []
    token = _current.set(inst)
    try:
        for _ in range(n):
            t0 = clock()
            msg = decode_request(envelope)
            t1 = clock()
            answer = adapter(inst, spec, msg)
            t2 = clock()
            encode_ok(answer)
            t3 = clock()
            decode_ns.append(t1 - t0)
            handler_ns.append(t2 - t1)
            encode_ns.append(t3 - t2)
    finally:
        _current.reset(token)
    def med(xs: list[int]) -> float:
        return sorted(xs)[len(xs) // 2] / 1000.0
    return encode_ok({"decode_us": med(decode_ns), "handler_us": med(handler_ns),
                      "encode_us": med(encode_ns), "iterations": n})


# The standard library's directory, found from a package (``os`` may be frozen in the guest).
_STDLIB_DIRS = tuple({os.path.dirname(os.path.dirname(os.path.abspath(json.__file__))),
                      os.path.dirname(os.path.abspath(getattr(os, "__file__", None) or json.__file__))})


def _format_traceback(exc: BaseException) -> tuple[str, str]:
    """The traceback text (SDK frames dropped) and the innermost plugin ``file:line``
    (the innermost frame outside the SDK and the standard library: an exception raised
    inside ``json.loads`` points at the plugin's line that called it)."""
    frames = traceback.extract_tb(exc.__traceback__)
    plugin_frames = [f for f in frames if not os.path.abspath(f.filename).startswith(_SDK_DIR)]
    own = [f for f in plugin_frames if not os.path.abspath(f.filename).startswith(_STDLIB_DIRS)]
    at = own[-1] if own else (plugin_frames[-1] if plugin_frames else None)
    where = f"{os.path.basename(at.filename)}:{at.lineno}" if at is not None else ""
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(plugin_frames or frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines), where


def _expect(value: Any, cls: type, method: str) -> Any:
    if not isinstance(value, cls):
        raise BadReturn(f"{method} returned {type(value).__name__}, expected {cls.__name__}")
    return value


def _json_text(value: Any, method: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    raise BadReturn(f"{method} returned {type(value).__name__}, expected JSON text, bytes, "
                    "a dict or a list")


def _list_of(values: Any, cls: type, method: str) -> list[dict[str, Any]]:
    try:
        items = list(values)
    except TypeError:
        raise BadReturn(f"{method} returned {type(values).__name__}, expected a list of "
                        f"{cls.__name__}") from None
    return [_expect(v, cls, method).to_wire() for v in items]


# -- adapters: one per guest hook ------------------------------------------------------
Adapter = Callable[[GuestInstance, HookSpec, dict[str, Any]], Any]


def _instance_start(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    runtime = msg.get("runtime", "studio")
    try:
        inst.runtime = RuntimeKind(runtime)
    except ValueError:
        raise EnvelopeError(ErrorCode.INVALID_ARGUMENT, f"unknown runtime {runtime!r}") from None
    inst.plugin_id = str(msg.get("plugin_id", ""))
    p = inst.plugin
    return {"abi": ABI_VERSION, "sdk": SDK_VERSION, "name": p.name, "version": p.version,
            "description": p.description, "capabilities": list(inst.capabilities),
            "hooks": sorted(inst.hooks)}


def _initialize(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.InitRequest.from_wire(msg)
    try:
        inst.plugin.initialize(inst.context(spec), dict(req.config))
    except Exception as exc:  # the Go SDK reports a failed initialize as success=false
        tb, where = _format_traceback(exc)
        inst.write_output("stderr", tb)
        return {"success": False, "error_message": f"{type(exc).__name__}: {exc}"}
    return {"success": True}


def _shutdown(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    inst.plugin.shutdown(inst.context(spec))
    return {"success": True}


def _simple(method: str, req_cls: Any, resp_cls: type) -> Adapter:
    def adapter(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> Any:
        req = req_cls.from_wire(msg)
        ctx = inst.context(spec, msg.get("context") or _nested_context(msg))
        result = getattr(inst.plugin, method)(ctx, req)
        return _expect(result, resp_cls, method).to_wire()
    return adapter


def _nested_context(msg: dict[str, Any]) -> Mapping[str, Any] | None:
    inner = msg.get("request")
    return inner.get("context") if isinstance(inner, dict) else None


def _get_app(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.GetAppRequest.from_wire(msg)
    try:
        app = inst.plugin.get_app_by_credential(inst.context(spec, msg.get("context")),  # type: ignore[attr-defined]
                                                req.credential)
    except (ServiceError, Exception) as exc:
        return {"success": False, "error_message": str(exc)}
    return {"success": True, "app": _expect(app, M.App, "get_app_by_credential").to_wire()}


def _get_user(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.GetUserRequest.from_wire(msg)
    try:
        user = inst.plugin.get_user_by_credential(inst.context(spec, msg.get("context")),  # type: ignore[attr-defined]
                                                  req.credential)
    except Exception as exc:
        return {"success": False, "error_message": str(exc)}
    return {"success": True, "user": _expect(user, M.User, "get_user_by_credential").to_wire()}


def _get_asset(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.GetAssetRequest.from_wire(msg)
    try:
        result = inst.plugin.get_asset(req.asset_path)  # type: ignore[attr-defined]
    except Exception as exc:
        return {"success": False, "error_message": str(exc)}
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], (bytes, bytearray))
            and isinstance(result[1], str)):
        raise BadReturn("get_asset must return (content: bytes, mime_type: str)")
    content = bytes(result[0])
    return {"success": True, "content": content.decode("latin-1"), "mime_type": result[1],
            "content_length": len(content)}


def _list_assets(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.ListAssetsRequest.from_wire(msg)
    assets = _list_of(inst.plugin.list_assets(req.path_prefix), M.AssetInfo, "list_assets")  # type: ignore[attr-defined]
    return {"success": True, "assets": assets}


def _get_manifest(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    text = _json_text(inst.plugin.get_manifest(), "get_manifest")  # type: ignore[attr-defined]
    return {"success": True, "manifest_json": text}


def _call(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.CallRequest.from_wire(msg)
    data = _json_text(inst.plugin.handle_rpc(req.method, req.payload), "handle_rpc")  # type: ignore[attr-defined]
    return {"success": True, "data": data}


def _portal_call(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.PortalCallRequest.from_wire(msg)
    user = req.user_context if req.user_context is not None else M.PortalUserContext()
    data = _json_text(inst.plugin.handle_portal_rpc(req.method, req.payload, user),  # type: ignore[attr-defined]
                      "handle_portal_rpc")
    return {"success": True, "data": data}


def _config_schema(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    text = _json_text(inst.plugin.get_config_schema(), "get_config_schema")  # type: ignore[attr-defined]
    return {"success": True, "schema_json": text}


def _agent(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.AgentMessageRequest.from_wire(msg)
    stream: ChunkStream[Any] = ChunkStream(inst.emit, M.AgentMessageChunk)
    try:
        inst.plugin.handle_agent_message(inst.context(spec, msg.get("context"), req.session_id),  # type: ignore[attr-defined]
                                         req, stream)
    except StreamCancelled:
        return {"chunks": stream.sent, "cancelled": True}
    return {"chunks": stream.sent}


def _endpoint_stream(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.EndpointRequest.from_wire(msg)
    stream: ChunkStream[Any] = ChunkStream(inst.emit, M.EndpointResponseChunk)
    try:
        inst.plugin.handle_endpoint_request_stream(inst.context(spec, msg.get("context")),  # type: ignore[attr-defined]
                                                   req, stream)
    except StreamCancelled:
        return {"chunks": stream.sent, "cancelled": True}
    return {"chunks": stream.sent}


def _object_hook_regs(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    regs = _list_of(inst.plugin.get_object_hook_registrations(), M.ObjectHookRegistration,  # type: ignore[attr-defined]
                    "get_object_hook_registrations")
    return {"registrations": regs} if regs else {}


def _scheduled(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.ExecuteScheduledTaskRequest.from_wire(msg)
    schedule = req.schedule if req.schedule is not None else M.ScheduleDefinition()
    try:
        config = json.loads(schedule.config_json) if schedule.config_json else {}
    except ValueError as exc:
        return {"success": False, "error_message": f"schedule config_json is not JSON: {exc}"}
    inst.plugin.execute_scheduled_task(inst.context(spec, msg.get("context")), schedule, config)  # type: ignore[attr-defined]
    return {"success": True}


def _edge(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.EdgePayloadRequest.from_wire(msg)
    handled = inst.plugin.accept_edge_payload(inst.context(spec, msg.get("context")), req)  # type: ignore[attr-defined]
    return {"success": True, "handled": bool(handled)}


def _endpoint_regs(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    regs = _list_of(inst.plugin.get_endpoint_registrations(), M.EndpointRegistration,  # type: ignore[attr-defined]
                    "get_endpoint_registrations")
    return {"registrations": regs} if regs else {}


def _resource_types(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    regs = _list_of(inst.plugin.get_resource_type_registrations(),  # type: ignore[attr-defined]
                    M.ResourceTypeRegistrationProto, "get_resource_type_registrations")
    return {"registrations": regs} if regs else {}


def _list_resources(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.ListResourceInstancesRequest.from_wire(msg)
    items = _list_of(inst.plugin.list_resource_instances(  # type: ignore[attr-defined]
        inst.context(spec, msg.get("context")), req.resource_type_slug),
        M.ResourceInstanceProto, "list_resource_instances")
    return {"success": True, "instances": items}


def _get_resource(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.GetResourceInstanceRequest.from_wire(msg)
    try:
        item = inst.plugin.get_resource_instance(inst.context(spec, msg.get("context")),  # type: ignore[attr-defined]
                                                 req.resource_type_slug, req.instance_id)
    except Exception as exc:
        return {"success": False, "error_message": str(exc)}
    return {"success": True,
            "instance": _expect(item, M.ResourceInstanceProto, "get_resource_instance").to_wire()}


def _validate_resources(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.ValidateResourceSelectionRequest.from_wire(msg)
    try:
        inst.plugin.validate_resource_selection(  # type: ignore[attr-defined]
            inst.context(spec, msg.get("context")), req.resource_type_slug,
            list(req.instance_ids), req.app_id)
    except Exception as exc:
        return {"valid": False, "error_message": str(exc)}
    return {"valid": True}


def _create_resource(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    req = M.CreateResourceInstanceRequest.from_wire(msg)
    item = inst.plugin.create_resource_instance(inst.context(spec, msg.get("context")),  # type: ignore[attr-defined]
                                                req.resource_type_slug, req.payload)
    return {"success": True,
            "instance": _expect(item, M.ResourceInstanceProto, "create_resource_instance").to_wire()}


def _session(method: str) -> Adapter:
    def adapter(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
        getattr(inst.plugin, method)(inst.context(spec, None, str(msg.get("session_id", ""))))
        return {}
    return adapter


def _on_event(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> dict[str, Any]:
    event = Event(id=str(msg.get("id", "")), topic=str(msg.get("topic", "")),
                  origin=str(msg.get("origin", "")), direction=int(msg.get("direction", 0)),
                  payload=bytes_from_wire(msg.get("payload", "")),
                  subscription_id=str(msg.get("subscription_id", "")))
    handler_name = str(msg.get("handler", "") or "on_event")
    handler = getattr(inst.plugin, handler_name, None)
    if handler_name.startswith("_") or not callable(handler):
        raise EnvelopeError(ErrorCode.CAPABILITY_MISSING if handler_name == "on_event"
                            else ErrorCode.INVALID_ARGUMENT,
                            f"event handler {handler_name!r} is not a method of plugin "
                            f"{inst.plugin.name!r} (implement EventSubscriber.on_event or "
                            "subscribe with handler=<method>)")
    handler(inst.context(spec), event)
    return {}


def _soft(adapter: Adapter, **failure: Any) -> Adapter:
    """Answer a plugin exception as ``success=false`` + ``error_message`` (the Go SDK's
    way for hooks whose response carries them), logging the traceback."""
    def soft(inst: GuestInstance, spec: HookSpec, msg: dict[str, Any]) -> Any:
        try:
            return adapter(inst, spec, msg)
        except (BadReturn, EnvelopeError, StreamCancelled):
            raise
        except Exception as exc:
            tb, where = _format_traceback(exc)
            if not where:
                raise
            inst.write_output("stderr", f"{spec.name} failed at {where}: {tb}")
            return {**failure, "error_message": f"{type(exc).__name__}: {exc}"}
    return soft


_ADAPTERS: dict[int, Adapter] = {
    0: _instance_start,
    1: _initialize,
    3: _shutdown,
    4: _simple("handle_pre_auth", M.PluginRequest, M.PluginResponse),
    5: _simple("handle_auth", M.AuthRequest, M.AuthResponse),
    6: _get_app,
    7: _get_user,
    8: _simple("handle_post_auth", M.EnrichedRequest, M.PluginResponse),
    9: _simple("on_before_write_headers", M.HeadersRequest, M.HeadersResponse),
    10: _simple("on_before_write", M.ResponseWriteRequest, M.ResponseWriteResponse),
    11: _simple("on_stream_complete", M.StreamCompleteRequest, M.StreamCompleteResponse),
    12: _simple("handle_proxy_log", M.ProxyLogRequest, M.DataCollectionResponse),
    13: _simple("handle_analytics", M.AnalyticsRequest, M.DataCollectionResponse),
    14: _simple("handle_budget_usage", M.BudgetUsageRequest, M.DataCollectionResponse),
    15: _get_asset,
    16: _soft(_list_assets, success=False),
    17: _soft(_get_manifest, success=False),
    18: _soft(_call, success=False),
    19: _soft(_portal_call, success=False),
    20: _soft(_config_schema, success=False),
    21: _agent,
    22: _object_hook_regs,
    23: _simple("handle_object_hook", M.ObjectHookRequest, M.ObjectHookResponse),
    24: _soft(_scheduled, success=False),
    25: _soft(_edge, success=False, handled=False),
    26: _endpoint_regs,
    27: _simple("handle_endpoint_request", M.EndpointRequest, M.EndpointResponse),
    28: _endpoint_stream,
    29: _resource_types,
    30: _soft(_list_resources, success=False),
    31: _get_resource,
    32: _validate_resources,
    33: _soft(_create_resource, success=False),
    36: _soft(_config_schema, success=False),
    37: _soft(_get_manifest, success=False),
    40: _session("on_session_ready"),
    41: _session("on_session_closing"),
    42: _on_event,
}


# -- guest stdout/stderr -----------------------------------------------------------------
class _OutputRouter(io.TextIOBase):
    """Sends writes made while a hook runs to that instance's log; others pass through."""

    def __init__(self, name: str, fallback: Any) -> None:
        self._name = name
        self._fallback = fallback

    def write(self, text: str) -> int:  # type: ignore[override]
        inst = _current.get()
        if inst is None:
            return self._fallback.write(text) if self._fallback is not None else len(text)
        inst.write_output(self._name, text)
        return len(text)

    def flush(self) -> None:
        fallback = self._fallback
        if _current.get() is None and fallback is not None and not getattr(fallback, "closed", False):
            fallback.flush()  # (a closed stream, e.g. a test runner's, has nothing to flush)

    def writable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fallback, name)


def install_output_capture() -> None:
    """Route ``print`` and ``sys.stderr`` writes made inside hooks to the host log.

    Idempotent and cheap; writes made outside a hook go to the previous stream.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, _OutputRouter):
            setattr(sys, name, _OutputRouter(name, stream))
