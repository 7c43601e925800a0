"""Test helpers for plugin authors: run a plugin through the real ABI in your pytest.

:class:`PluginHarness` builds the plugin with its factory, wraps it in the same guest
entry every tier uses, and answers its service calls from fake, inspectable services
(an in-memory KV, a log list, an event list, look-up fixtures). Requests and answers
cross the real envelope in both directions, so what passes here passes on every tier.

.. code-block:: python

    from guest_sdk.testing import PluginHarness, enriched_request
    from plugin import create_plugin

    def test_adds_instruction():
        h = PluginHarness(create_plugin, config={"instruction": "Be brief."})
        resp = h.call("process_post_auth", enriched_request(body={"messages": []}))
        assert resp.modified
        assert h.logs == []

The harness does not sandbox anything and does not check permissions beyond the
scopes you pass as ``grants`` (default: KV and events); use ``runtime call`` or the
runtime's API for the real thing.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from host_abi.config import flatten_config
from host_abi.envelope import (bytes_from_wire, bytes_to_wire, decode_answer, decode_args,
                               encode_err, encode_ok, encode_request)
from host_abi.errors import ErrorCode
from host_abi.hooks import HookSpec, hook_by_name
from host_abi.ops import DEFAULT_GRANTS, OPS_BY_NUMBER

from . import messages as M
from ._guest import create_instance

__all__ = ["PluginHarness", "HookFailed", "LogRecord", "PublishedEvent", "plugin_request",
           "enriched_request", "auth_request", "headers_request", "response_write_request",
           "endpoint_request", "agent_request", "chat_body"]


class HookFailed(Exception):
    """The hook answered an error; ``code``, ``message`` and ``traceback`` as the host saw them."""

    def __init__(self, err: Mapping[str, Any]) -> None:
        super().__init__(f"{err.get('code')}: {err.get('message')}")
        self.code = str(err.get("code"))
        self.message = str(err.get("message"))
        self.traceback = err.get("traceback")
        self.where = err.get("where")


@dataclass(frozen=True)
class LogRecord:
    level: str
    message: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class PublishedEvent:
    topic: str
    payload: bytes
    direction: int


@dataclass
class PluginHarness:
    """One plugin instance with fake services. See the module docstring."""

    factory: Callable[[], Any]
    config: Mapping[str, Any] = field(default_factory=dict)
    runtime: str = "gateway"
    plugin_id: str = "plugin-under-test"
    grants: Iterable[str] = DEFAULT_GRANTS
    fixtures: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kv: dict[str, bytes] = {}
        self.logs: list[LogRecord] = []
        self.published: list[PublishedEvent] = []
        self.subscriptions: dict[str, tuple[str | None, str]] = {}
        self._grants = frozenset(self.grants)
        self._emitted: list[dict[str, Any]] | None = None
        self._streams: dict[int, Any] = {}
        self._ids = itertools.count(1)
        self.instance = create_instance(self.factory, self._host_call)
        info = self._run(hook_by_name("instance_start"), {"runtime": self.runtime,  # type: ignore[arg-type]
                                                          "plugin_id": self.plugin_id})
        self.capabilities: tuple[str, ...] = tuple(info["capabilities"])
        flat = flatten_config(self.config)  # exactly as the runtime flattens it
        init = self._run(hook_by_name("initialize"), {"config": flat})  # type: ignore[arg-type]
        if not init.get("success"):
            raise HookFailed({"code": "INIT_FAILED", "message": init.get("error_message", "")})

    # -- calling hooks ------------------------------------------------------------------
    def _spec(self, hook: str) -> HookSpec:
        spec = hook_by_name(hook)
        if spec is None:
            raise ValueError(f"unknown hook {hook!r}")
        return spec

    def _run(self, spec: HookSpec, msg: Mapping[str, Any]) -> Any:
        ok, value = decode_answer(self.instance.handle(spec.number, encode_request(msg)))
        if not ok:
            raise HookFailed(value)
        return value

    def call(self, hook: str, request: M.Message | Mapping[str, Any] | None = None) -> Any:
        """Run a unary hook; returns the typed response message (or a dict for ABI hooks).

        Raises:
            HookFailed: the hook answered an error (the plugin raised, returned the wrong
                type, lacked the capability, ...).
        """
        spec = self._spec(hook)
        msg = request.to_wire() if isinstance(request, M.Message) else dict(request or {})
        value = self._run(spec, msg)
        cls = M.MESSAGE_TYPES.get(spec.response)
        return cls.from_wire(value) if cls is not None else value

    def stream(self, hook: str, request: M.Message | Mapping[str, Any] | None = None) -> list[Any]:
        """Run a streaming hook; returns the typed chunks it emitted, in order."""
        spec = self._spec(hook)
        msg = request.to_wire() if isinstance(request, M.Message) else dict(request or {})
        self._emitted = []
        try:
            self._run(spec, msg)
            chunks = self._emitted
        finally:
            self._emitted = None
        cls = M.MESSAGE_TYPES[spec.response]
        return [cls.from_wire(c) for c in chunks]

    def deliver_event(self, topic: str, payload: bytes | str | Any, origin: str = "plugin:other@local") -> None:
        """Run the plugin's on_event (or the handler it subscribed with) for one event."""
        data = payload if isinstance(payload, bytes) else (
            payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
        handler = next((h for (t, h) in self.subscriptions.values() if t in (None, topic)), "")
        self._run(self._spec("on_event"), {"id": str(uuid.uuid4()), "topic": topic, "origin": origin,
                                           "direction": 0, "payload": bytes_to_wire(data),
                                           "handler": handler})

    # -- the fake host ------------------------------------------------------------------
    def _host_call(self, op: int, payload: str) -> str:
        spec = OPS_BY_NUMBER.get(op)
        if spec is None:
            return encode_err(ErrorCode.UNKNOWN_OP, f"op {op} is not in the op table")
        args = decode_args(payload)
        if spec.scope is not None and spec.scope not in self._grants:
            return encode_err(ErrorCode.PERMISSION_DENIED, f"{spec.name} needs scope {spec.scope!r}")
        if spec.runtime != "any" and spec.runtime != self.runtime:
            return encode_err(ErrorCode.WRONG_RUNTIME, f"{spec.name} is not available in the "
                              f"{self.runtime} runtime")
        handler = getattr(self, "_op_" + spec.name.replace(".", "_"), None)
        if handler is None:
            return encode_err(ErrorCode.UNSUPPORTED_EMBEDDED, f"the harness does not fake {spec.name}")
        try:
            return encode_ok(handler(args))
        except KeyError as exc:
            return encode_err(ErrorCode.NOT_FOUND, f"{exc.args[0]} not found")

    def _op_log(self, a: dict[str, Any]) -> Any:
        self.logs.append(LogRecord(a.get("level", "info"), a.get("message", ""), a.get("fields", {})))
        return {}

    def _op_kv_read(self, a: dict[str, Any]) -> Any:
        return {"value": bytes_to_wire(self.kv[a["key"]])}

    def _op_kv_write(self, a: dict[str, Any]) -> Any:
        created = a["key"] not in self.kv
        self.kv[a["key"]] = bytes_from_wire(a["value"])
        return {"created": created}

    def _op_kv_delete(self, a: dict[str, Any]) -> Any:
        return {"deleted": self.kv.pop(a["key"], None) is not None}

    def _op_kv_list(self, a: dict[str, Any]) -> Any:
        return {"keys": sorted(k for k in self.kv if k.startswith(a.get("prefix", "")))}

    def _op_kv_increment(self, a: dict[str, Any]) -> Any:
        value = int(self.kv.get(a["key"], b"0")) + int(a.get("delta", 1))
        self.kv[a["key"]] = str(value).encode()
        return {"value": value}

    def _op_events_publish(self, a: dict[str, Any]) -> Any:
        self.published.append(PublishedEvent(a["topic"], bytes_from_wire(a.get("payload", "")),
                                             int(a.get("direction", 0))))
        return {"event_id": str(uuid.uuid4())}

    def _op_events_subscribe(self, a: dict[str, Any]) -> Any:
        sid = str(uuid.uuid4())
        self.subscriptions[sid] = (a["topic"], a.get("handler", ""))
        return {"subscription_id": sid}

    def _op_events_subscribe_all(self, a: dict[str, Any]) -> Any:
        sid = str(uuid.uuid4())
        self.subscriptions[sid] = (None, a.get("handler", ""))
        return {"subscription_id": sid}

    def _op_events_unsubscribe(self, a: dict[str, Any]) -> Any:
        return {"removed": self.subscriptions.pop(a["subscription_id"], None) is not None}

    def _op_stream_emit(self, a: dict[str, Any]) -> Any:
        if self._emitted is None:
            raise KeyError("a streaming hook")
        self._emitted.append(a["chunk"])
        return {"cancel": False}

    def _op_stream_read(self, a: dict[str, Any]) -> Any:
        it = self._streams[a["handle"]]
        chunk = next(it, None)
        return {"done": True} if chunk is None else {"chunk": chunk}

    def _op_stream_close(self, a: dict[str, Any]) -> Any:
        self._streams.pop(a["handle"], None)
        return {}

    def _find(self, kind: str, key: str, value: Any) -> dict[str, Any]:
        for item in self.fixtures.get(kind, []):
            if item.get(key) == value:
                return item
        raise KeyError(f"{kind[:-1]} {value!r}")

    def _op_gateway_get_app(self, a: dict[str, Any]) -> Any:
        return {"app": self._find("apps", "id", a["app_id"])}

    _op_studio_get_app = _op_gateway_get_app

    def _op_gateway_get_llm(self, a: dict[str, Any]) -> Any:
        return {"llm": self._find("llms", "id", a["llm_id"])}

    _op_studio_get_llm = _op_gateway_get_llm

    def _op_studio_call_llm(self, a: dict[str, Any]) -> Any:
        # the same fake LLM as the runtime's embedded one: the fixture's reply word by
        # word, or an echo of the last user message
        llm = self._find("llms", "id", a["llm_id"])
        reply = llm.get("reply")
        if not isinstance(reply, str):
            users = [m.get("content", "") for m in a.get("messages", [])
                     if isinstance(m, dict) and m.get("role") == "user"]
            reply = users[-1] if users else ""
        model = a.get("model") or str(llm.get("default_model", ""))
        words = reply.split(" ")
        handle = next(self._ids)
        self._streams[handle] = iter(
            [{"content": w + (" " if i < len(words) - 1 else ""), "model": model, "done": False}
             for i, w in enumerate(words)]
            + [{"content": "", "model": model, "done": True, "finish_reason": "stop"}])
        return {"handle": handle}


# -- request builders ---------------------------------------------------------------------
def chat_body(user: str = "Hello", model: str = "gpt-4o", **extra: Any) -> bytes:
    """An OpenAI-style chat-completion request body."""
    return json.dumps({"model": model, "messages": [{"role": "user", "content": user}], **extra}).encode()


def _body(body: bytes | str | Mapping[str, Any] | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def plugin_request(body: bytes | str | Mapping[str, Any] | None = None, *, method: str = "POST",
                   path: str = "/v1/chat/completions", headers: Mapping[str, str] | None = None,
                   app_id: int = 0, request_id: str = "req-1", remote_addr: str = "127.0.0.1") -> M.PluginRequest:
    """A ``PluginRequest`` as the Gateway builds it for pre_auth."""
    return M.PluginRequest(method=method, path=path,
                           headers=dict(headers or {"content-type": "application/json"}),
                           body=_body(body), remote_addr=remote_addr,
                           context=M.PluginContext(request_id=request_id, app_id=app_id))


def enriched_request(body: bytes | str | Mapping[str, Any] | None = None, *, app_id: int = 1,
                     user_id: str = "", headers: Mapping[str, str] | None = None,
                     claims: Mapping[str, str] | None = None) -> M.EnrichedRequest:
    """An ``EnrichedRequest`` as the Gateway builds it for post_auth."""
    return M.EnrichedRequest(request=plugin_request(body, headers=headers, app_id=app_id),
                             user_id=user_id, app_id=str(app_id), auth_claims=dict(claims or {}),
                             authenticated=True)


def auth_request(credential: str, body: bytes | str | Mapping[str, Any] | None = None) -> M.AuthRequest:
    """An ``AuthRequest`` with a bearer credential."""
    return M.AuthRequest(credential=credential, auth_type="bearer", request=plugin_request(body),
                         context=M.PluginContext(request_id="req-1"))


def headers_request(headers: Mapping[str, str], app_id: int = 1) -> M.HeadersRequest:
    return M.HeadersRequest(headers=dict(headers), context=M.PluginContext(request_id="req-1", app_id=app_id))


def response_write_request(body: bytes | str | Mapping[str, Any], headers: Mapping[str, str] | None = None,
                           app_id: int = 1) -> M.ResponseWriteRequest:
    return M.ResponseWriteRequest(body=_body(body), headers=dict(headers or {}),
                                  context=M.PluginContext(request_id="req-1", app_id=app_id))


def endpoint_request(method: str = "GET", relative_path: str = "/", *, slug: str = "plugin",
                     body: bytes | str | Mapping[str, Any] | None = None, query: str = "",
                     headers: Mapping[str, str] | None = None) -> M.EndpointRequest:
    """An ``EndpointRequest`` for ``/plugins/{slug}{relative_path}``."""
    return M.EndpointRequest(method=method, path=f"/plugins/{slug}{relative_path}",
                             relative_path=relative_path,
                             path_segments=[s for s in relative_path.split("/") if s],
                             headers=dict(headers or {}), body=_body(body), query_string=query,
                             protocol="http", context=M.PluginContext(request_id="req-1"))


def agent_request(message: str, session_id: str = "session-1", config: Mapping[str, Any] | None = None,
                  app_id: int = 1) -> M.AgentMessageRequest:
    return M.AgentMessageRequest(session_id=session_id, user_message=message,
                                 config_json=json.dumps(dict(config or {})),
                                 context=M.PluginContext(request_id="req-1", app_id=app_id))


def load_factory(plugin_dir: str | Any) -> Callable[[], Any]:
    """The factory named by ``sandbox.entry`` in ``plugin_dir/plugin-manifest.json``.

    The entry module is imported under a private package name, so several plugins that
    all have a ``plugin.py`` can be tested in one session.
    """
    import importlib
    import sys
    import types
    from pathlib import Path

    directory = Path(plugin_dir).resolve()
    manifest = json.loads((directory / "plugin-manifest.json").read_text(encoding="utf-8"))
    module_name, _, factory_name = manifest["sandbox"]["entry"].partition(":")
    pkg_name = "_plugin_under_test_" + "".join(c if c.isalnum() else "_" for c in directory.name)
    pkg = types.ModuleType(pkg_name)
    pkg.__path__ = [str(directory)]
    sys.modules[pkg_name] = pkg
    module = importlib.import_module(f"{pkg_name}.{module_name}")
    return getattr(module, factory_name)  # type: ignore[no-any-return]


def harness_for(plugin_dir: str | Any, **kwargs: Any) -> PluginHarness:
    """A :class:`PluginHarness` for the plugin in ``plugin_dir`` (kwargs as PluginHarness)."""
    return PluginHarness(load_factory(plugin_dir), **kwargs)


__all__ += ["load_factory", "harness_for"]
