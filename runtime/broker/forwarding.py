"""Services forwarded to an AI Studio or Gateway host over the go-plugin broker.

When ``runtime serve`` runs under a host that gave it a service broker ID, the
:class:`~runtime.broker.services.ServiceBroker` hands every op the op table maps to a
management RPC to :class:`ForwardingServices` (after its own checks: op, envelope,
budget, runtime, scope). The request goes to ``AIStudioManagementService`` (studio
runtime) or ``MicrogatewayManagementService`` (gateway runtime), and events to
``PluginEventService``, all on one connection to the broker ID, with
``context.plugin_id`` and ``context.method_scope`` filled. Ops with no host RPC answer as
the op table says: ``UNSUPPORTED_UNDER_HOST`` (``kv.list``, ``kv.increment``, ...), while
``log`` and ``stream.*`` stay with the runtime. ``events.subscribe`` opens a ``Subscribe``
stream and pumps each event into the plugin's ``on_event``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Any, Callable, Iterator

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from host_abi.envelope import bytes_from_wire, bytes_to_wire
from host_abi.errors import ErrorCode
from host_abi.ops import OpSpec

from ..wire import (ai_studio_management_pb2, microgateway_management_pb2, plugin_events_pb2,
                    plugin_events_pb2_grpc)
from .services import CallState, OpError

__all__ = ["ForwardingServices", "LOCAL_OPS"]

log = logging.getLogger("runtime.broker.forwarding")

#: Ops the runtime answers itself under a host too.
LOCAL_OPS = frozenset({"log", "stream.emit", "stream.read", "stream.close"})

_MODULES = {
    "ai_studio_management": ai_studio_management_pb2,
    "microgateway_management": microgateway_management_pb2,
}
_STATUS = {
    grpc.StatusCode.NOT_FOUND: ErrorCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED: ErrorCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED: ErrorCode.PERMISSION_DENIED,
    grpc.StatusCode.INVALID_ARGUMENT: ErrorCode.INVALID_ARGUMENT,
    grpc.StatusCode.UNIMPLEMENTED: ErrorCode.UNSUPPORTED_UNDER_HOST,
    grpc.StatusCode.UNAVAILABLE: ErrorCode.SERVICE_UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: ErrorCode.SERVICE_UNAVAILABLE,
    grpc.StatusCode.CANCELLED: ErrorCode.SERVICE_UNAVAILABLE,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ErrorCode.QUOTA_EXCEEDED,
}
#: Deadline of one forwarded unary call.
CALL_TIMEOUT_S = 10.0

#: Delivers one event to the plugin: (subscription_id, handler, event message in envelope form).
Deliver = Callable[[str, str, dict[str, Any]], None]


def _rpc_error(op: str, exc: grpc.RpcError) -> OpError:
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return OpError(_STATUS.get(code, ErrorCode.OP_FAILED),
                   f"the host answered {op} with {code.name if code else 'UNKNOWN'}: {details}")


class _Subscription:
    def __init__(self, sub_id: str, call: Any, thread: threading.Thread) -> None:
        self.id = sub_id
        self.call = call
        self.thread = thread


class ForwardingServices:
    """The host's services reached over one broker connection.

    ``channel`` returns the (shared) channel to the broker ID; ``plugin_id`` is the ID
    the host gave the plugin; ``runtime`` picks the management service; ``deliver`` runs
    ``on_event`` for subscribed events.
    """

    def __init__(self, channel: Callable[[], grpc.Channel], plugin_id: int, runtime: str,
                 deliver: Deliver | None = None) -> None:
        self._channel = channel
        self.plugin_id = plugin_id
        self.runtime = runtime
        self._deliver = deliver
        self._subs: dict[str, _Subscription] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.calls: dict[str, int] = {}

    # -- the ServiceBroker interface ------------------------------------------------------------
    def serves(self, spec: OpSpec) -> bool:
        """True for every op except those the runtime answers itself."""
        return spec.name not in LOCAL_OPS

    def forward(self, state: CallState, spec: OpSpec, args: dict[str, Any]) -> Any:
        """Run ``spec`` on the host; the ``ok`` result, or raises :class:`OpError`."""
        with self._lock:
            self.calls[spec.name] = self.calls.get(spec.name, 0) + 1
        if spec.name.startswith("events."):
            return self._events(state, spec, args)
        rpc = spec.studio_rpc if self.runtime == "studio" else spec.gateway_rpc
        if rpc is None:
            raise OpError(ErrorCode.UNSUPPORTED_UNDER_HOST,
                          f"op {spec.name} has no RPC on the {self.runtime} host's management "
                          "service")
        service, method = rpc.split("/")
        package = service.split(".")[0]
        module = _MODULES[package]
        mdesc = module.DESCRIPTOR.services_by_name[service.split(".")[1]].methods_by_name[method]
        req_cls = _message_class(module, mdesc.input_type.name)
        resp_cls = _message_class(module, mdesc.output_type.name)
        request = self._request(spec, req_cls, args)
        path = f"/{service}/{method}"
        if mdesc.server_streaming:
            return self._open_stream(state, spec, path, request, resp_cls)
        call = self._channel().unary_unary(path, request_serializer=req_cls.SerializeToString,
                                           response_deserializer=resp_cls.FromString)
        try:
            response = call(request, timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as exc:
            raise _rpc_error(spec.name, exc) from None
        return self._result(spec, response)

    # -- requests and results ------------------------------------------------------------------
    def _context(self, req: Message, spec: OpSpec) -> None:
        ctx = getattr(req, "context")
        ctx.plugin_id = self.plugin_id
        ctx.method_scope = spec.scope or ""

    def _request(self, spec: OpSpec, cls: type[Message], args: dict[str, Any]) -> Message:
        req = cls()
        if spec.name in ("kv.read", "kv.delete"):
            req.key = _str(args, "key")  # type: ignore[attr-defined]
        elif spec.name == "kv.write":
            req.key = _str(args, "key")  # type: ignore[attr-defined]
            value = args.get("value", "")
            if not isinstance(value, str):
                raise OpError(ErrorCode.INVALID_ARGUMENT, "argument 'value' must be bytes")
            req.value = bytes_from_wire(value)  # type: ignore[attr-defined]
            ttl = args.get("ttl_seconds")
            if isinstance(ttl, (int, float)) and not isinstance(ttl, bool) and ttl > 0:
                req.expire_at.FromNanoseconds(int((time.time() + ttl) * 1e9))  # type: ignore[attr-defined]
        else:
            fields = {f.name for f in cls.DESCRIPTOR.fields}
            known = {k: v for k, v in args.items() if k in fields and v is not None and k != "context"}
            try:
                json_format.ParseDict(known, req, ignore_unknown_fields=True)
            except json_format.ParseError as exc:
                raise OpError(ErrorCode.INVALID_ARGUMENT, f"{spec.name}: {exc}") from None
        self._context(req, spec)
        return req

    @staticmethod
    def _result(spec: OpSpec, response: Message) -> Any:
        if spec.name == "kv.read":
            return {"value": bytes_to_wire(response.value)}  # type: ignore[attr-defined]
        if spec.name == "kv.write":
            return {"created": bool(response.created)}  # type: ignore[attr-defined]
        if spec.name == "kv.delete":
            return {"deleted": bool(response.deleted)}  # type: ignore[attr-defined]
        out = to_plain(response)
        if out.get("success") is False and out.get("error_message"):
            raise OpError(ErrorCode.OP_FAILED, f"the host refused {spec.name}: {out['error_message']}")
        return out

    def _open_stream(self, state: CallState, spec: OpSpec, path: str, request: Message,
                     resp_cls: type[Message]) -> Any:
        call = self._channel().unary_stream(path, request_serializer=type(request).SerializeToString,
                                            response_deserializer=resp_cls.FromString)
        responses = call(request)

        def chunks() -> Iterator[dict[str, Any]]:
            try:
                for msg in responses:
                    yield to_plain(msg)
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.CANCELLED:  # type: ignore[attr-defined]
                    raise _rpc_error(spec.name, exc) from None
            finally:
                responses.cancel()

        handle = (1 << 30) + next(self._ids)  # apart from the embedded streams' handles
        state.streams[handle] = chunks()
        return {"handle": handle}

    # -- events --------------------------------------------------------------------------------
    def _events(self, state: CallState, spec: OpSpec, args: dict[str, Any]) -> Any:
        stub = plugin_events_pb2_grpc.PluginEventServiceStub(self._channel())
        pid = str(self.plugin_id)
        if spec.name == "events.publish":
            payload = args.get("payload", "")
            direction = args.get("direction", 0)
            if not isinstance(payload, str) or not isinstance(direction, int):
                raise OpError(ErrorCode.INVALID_ARGUMENT, "payload must be bytes and direction an int")
            try:
                resp = stub.Publish(plugin_events_pb2.PublishRequest(
                    topic=_str(args, "topic"), payload=bytes_from_wire(payload),
                    direction=direction, plugin_id=pid), timeout=CALL_TIMEOUT_S)
            except grpc.RpcError as exc:
                raise _rpc_error(spec.name, exc) from None
            if not resp.success:
                raise OpError(ErrorCode.OP_FAILED, f"the host refused the event: {resp.error_message}")
            return {"event_id": resp.event_id}
        if spec.name in ("events.subscribe", "events.subscribe_all"):
            everything = spec.name == "events.subscribe_all"
            topic = "" if everything else _str(args, "topic")
            if not everything and not topic:
                raise OpError(ErrorCode.INVALID_ARGUMENT, "topic is required (or use events.subscribe_all)")
            handler = args.get("handler") or ""
            if not isinstance(handler, str):
                raise OpError(ErrorCode.INVALID_ARGUMENT, "handler must be a string")
            call = stub.Subscribe(plugin_events_pb2.SubscribeRequest(
                topic=topic, subscribe_all=everything, plugin_id=pid))
            sub_id = f"host-sub-{next(self._ids)}"
            thread = threading.Thread(target=self._pump, args=(sub_id, handler, call), daemon=True,
                                      name=f"events-{sub_id}")
            with self._lock:
                self._subs[sub_id] = _Subscription(sub_id, call, thread)
            thread.start()
            return {"subscription_id": sub_id}
        if spec.name == "events.unsubscribe":
            with self._lock:
                sub = self._subs.pop(_str(args, "subscription_id"), None)
            if sub is not None:
                sub.call.cancel()
            return {"removed": sub is not None}
        raise OpError(ErrorCode.UNSUPPORTED_UNDER_HOST, f"op {spec.name} has no host RPC")

    def _pump(self, sub_id: str, handler: str, call: Any) -> None:
        try:
            for event in call:
                if self._deliver is None:
                    continue
                self._deliver(sub_id, handler, {
                    "id": event.id, "topic": event.topic, "origin": event.origin,
                    "direction": event.direction, "payload": bytes_to_wire(event.payload)})
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:  # type: ignore[attr-defined]
                log.warning("event subscription %s ended: %s", sub_id, exc.details())  # type: ignore[attr-defined]
        finally:
            with self._lock:
                self._subs.pop(sub_id, None)

    def subscriptions(self) -> list[str]:
        with self._lock:
            return sorted(self._subs)

    def close(self) -> None:
        """Cancel every subscription stream."""
        with self._lock:
            subs, self._subs = list(self._subs.values()), {}
        for sub in subs:
            sub.call.cancel()


def to_plain(msg: Message) -> dict[str, Any]:
    """A host's answer as the op's result: every field (proto3 defaults included; unset
    optional fields and sub-messages as None), integers as numbers, bytes as latin-1
    strings (envelope form), timestamps as RFC 3339 text, enums as numbers."""
    out: dict[str, Any] = {}
    for fd in msg.DESCRIPTOR.fields:
        value = getattr(msg, fd.name)
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            vfd = fd.message_type.fields_by_name["value"]
            out[fd.name] = {k: _plain_value(vfd, v) for k, v in value.items()}
        elif fd.is_repeated:
            out[fd.name] = [_plain_value(fd, v) for v in value]
        elif fd.has_presence and not msg.HasField(fd.name):
            out[fd.name] = None
        else:
            out[fd.name] = _plain_value(fd, value)
    return out


def _plain_value(fd: Any, value: Any) -> Any:
    if fd.type == fd.TYPE_MESSAGE:
        if fd.message_type.full_name == "google.protobuf.Timestamp":
            return value.ToJsonString()
        return to_plain(value)
    if fd.type == fd.TYPE_BYTES:
        return bytes_to_wire(value)
    return value


def _str(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str):
        raise OpError(ErrorCode.INVALID_ARGUMENT, f"argument {name!r} must be a string")
    return value


def _message_class(module: Any, name: str) -> type[Message]:
    cls = getattr(module, name, None)
    if cls is None:  # pragma: no cover - the generated module holds every message
        raise OpError(ErrorCode.INTERNAL, f"no generated class {name}")
    return cls  # type: ignore[no-any-return]
