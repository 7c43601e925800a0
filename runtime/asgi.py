"""ASGI middleware: a plugin chain on every request of any ASGI app (Starlette, FastAPI,
plain ASGI callables), and the plugins' custom endpoints under ``/plugins/{slug}/``.

.. code-block:: python

    from runtime.aio import AsyncRuntime
    from runtime.asgi import PluginMiddleware

    rt = AsyncRuntime(RuntimeConfig(policy="policy.json"))
    chain = rt.chain(pre_auth=["rate_limiter"], auth="custom_auth",
                     on_response=["response_modifier"], collectors=["usage_collector"])
    app = PluginMiddleware(my_asgi_app, chain)          # or Starlette's Middleware(...)

For each HTTP request the middleware reads the body (at most ``max_body_bytes``), runs
the request phase (pre_auth -> auth -> post_auth); a block answers the client at once,
otherwise the app (the upstream) is called with the rewritten headers and body. Its
answer goes through the response hooks: a whole body runs ``on_before_write_headers``
then ``on_before_write``; a streamed ``text/event-stream`` answer runs the headers hook
before the first byte, then ``on_before_write`` (``is_stream_chunk=true``) once per
Server-Sent Event as it passes (a plugin may rewrite or drop it), then
``on_stream_complete`` with every event concatenated. Data collection
(``handle_proxy_log``) runs after the answer is sent, off the hot path.

``/plugins/{slug}/...`` is served by the loaded plugin ``slug`` when it is a custom
endpoint plugin and one of its registrations matches (path, or a ``/*`` catch-all
prefix, and method); ``require_auth`` routes are checked with the chain's auth plugin;
``stream_response`` routes stream each BODY chunk as the plugin sends it. Other paths
under ``/plugins/`` fall through to the app.

Header maps are single-valued, as in the reference gateway: a repeated header reaches
plugins with its first value.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any, Awaitable, Callable, Mapping, MutableMapping

from host_abi.hooks import HOOKS_BY_NAME

from .aio import AsyncChain, AsyncRuntime, RequestPhase
from .chain import HttpRequest, HttpResponse, Step
from .errors import PluginRuntimeError

__all__ = ["PluginMiddleware", "by_path_prefix", "Scope", "Receive", "Send", "ASGIApp"]

log = logging.getLogger("runtime.asgi")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ENDPOINT_HOOK = HOOKS_BY_NAME["get_endpoint_registrations"].number
_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"})
_HEADERS, _BODY, _DONE, _ERROR = 0, 1, 2, 3


def _json_response(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"},
                        json.dumps({"error": {"message": message}}).encode())


def _header_map(raw: list[tuple[bytes, bytes]] | list[list[bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw:
        out.setdefault(bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
    return out


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _raw_headers(headers: dict[str, str], drop: tuple[str, ...] = ()) -> list[tuple[bytes, bytes]]:
    """ASGI headers from a plugin's (untrusted) map: a name that is not an HTTP token, or
    a value with control characters or outside latin-1, is dropped and logged."""
    out = []
    for k, v in headers.items():
        name, value = str(k).lower(), str(v)
        if name in drop:
            continue
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:
            raw = b"\0"
        if not _TOKEN.match(name) or _BAD_VALUE.search(raw):
            log.warning("dropping the invalid header %r", name[:100])
            continue
        out.append((name.encode("latin-1"), raw))
    return out


def _status(value: int) -> int:
    """A plugin's status code, or 502 when it is not one HTTP can carry."""
    return value if 100 <= value <= 599 else 502


async def _send_response(send: Send, resp: HttpResponse, head: bool = False) -> None:
    headers = {k.lower(): v for k, v in resp.headers.items() if k.lower() != "content-length"}
    headers["content-length"] = str(len(resp.body))
    await send({"type": "http.response.start", "status": _status(resp.status),
                "headers": _raw_headers(headers)})
    await send({"type": "http.response.body", "body": b"" if head else resp.body, "more_body": False})


class _TooLarge(Exception):
    pass


def by_path_prefix(chains: Mapping[str, AsyncChain]) -> Callable[[Scope], AsyncChain | None]:
    """A ``route`` for :class:`PluginMiddleware`: the chain of the longest matching path
    prefix (e.g. one per LLM: ``{"/llm/rest/gpt-4o/": ..., "/llm/rest/claude/": ...}``)."""
    ordered = sorted(chains.items(), key=lambda kv: len(kv[0]), reverse=True)

    def route(scope: Scope) -> AsyncChain | None:
        path = scope["path"]
        return next((chain for prefix, chain in ordered if path.startswith(prefix)), None)
    return route


class PluginMiddleware:
    """Runs ``chain`` on every HTTP request to ``app`` whose path ``applies`` accepts
    (default: every path except ``/plugins/...``), and serves custom endpoints.

    Args:
        app: any ASGI application (the upstream).
        chain: an :class:`~runtime.aio.AsyncChain` of loaded plugins (it also checks the
            bearer tokens of ``require_auth`` endpoints).
        applies: which paths run the chain (default: all but ``/plugins/``).
        route: picks the chain per request, e.g. per route or per LLM (``scope`` in, an
            AsyncChain out, or None for ``chain``); see :func:`by_path_prefix`.
        serve_endpoints: serve the plugins' custom endpoints under ``/plugins/{slug}/``.
        max_body_bytes: a larger request body is refused with 413.
    """

    def __init__(self, app: ASGIApp, chain: AsyncChain, *, applies: Callable[[str], bool] | None = None,
                 serve_endpoints: bool = True, max_body_bytes: int = 10 * 1024 * 1024,
                 route: Callable[[Scope], AsyncChain | None] | None = None) -> None:
        self.app = app
        self.chain = chain
        self.route = route
        self.aruntime: AsyncRuntime = chain.aruntime
        self.applies = applies or (lambda path: not path.startswith("/plugins/"))
        self.serve_endpoints = serve_endpoints
        self.max_body_bytes = max_body_bytes
        self._routes: dict[str, tuple[Any, list[dict[str, Any]]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if self.serve_endpoints and path.startswith("/plugins/"):
            if await self._endpoint(scope, receive, send):
                return
        if not self.applies(path):
            await self.app(scope, receive, send)
            return
        await self._chain(scope, receive, send)

    # -- helpers ------------------------------------------------------------------------------
    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole request body; None when the client left.

        Raises:
            _TooLarge: past ``max_body_bytes``.
        """
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge()
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    @staticmethod
    def _request(scope: Scope, body: bytes) -> HttpRequest:
        headers = _header_map(scope.get("headers", []))
        client = scope.get("client")
        remote = f"{client[0]}:{client[1]}" if client else ""
        query = scope.get("query_string", b"").decode("latin-1")
        path = scope["path"] + (f"?{query}" if query else "")
        return HttpRequest(scope["method"], path, headers, body, remote_addr=remote,
                           request_id=headers.get("x-request-id") or uuid.uuid4().hex)

    # -- the chain ------------------------------------------------------------------------------
    async def _chain(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await self._read_body(receive)
        except _TooLarge:
            await _send_response(send, _json_response(413, f"the request body exceeds "
                                                            f"{self.max_body_bytes} bytes"))
            return
        if body is None:
            return
        req = self._request(scope, body)
        chain = (self.route(scope) if self.route is not None else None) or self.chain
        phase = await chain.request(req)
        if phase.blocked is not None:
            await _send_response(send, phase.blocked, scope["method"] == "HEAD")
            chain.collect(phase, phase.blocked.body, phase.blocked.status)
            return
        # the app sees the rewritten request
        raw_headers = _raw_headers(req.headers, drop=("content-length",))
        raw_headers.append((b"content-length", str(len(req.body)).encode()))
        inner_scope = dict(scope)
        inner_scope["headers"] = raw_headers
        sent_body = False

        async def inner_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": req.body, "more_body": False}
            return await receive()

        writer = _ResponseWriter(chain, phase, send, scope["method"] == "HEAD")
        t0 = time.perf_counter()
        try:
            await self.app(inner_scope, inner_receive, writer.send)
        finally:
            phase.steps.append(Step("(upstream)", "upstream", "passed", str(writer.status),
                                    (time.perf_counter() - t0) * 1e6))
        await writer.finish()

    # -- custom endpoints ---------------------------------------------------------------------
    async def _registrations(self, slug: str) -> list[dict[str, Any]] | None:
        host = self.aruntime.runtime.plugins.get(slug)
        cached = self._routes.get(slug)
        if cached is not None and cached[0] is host:  # asked again after a reload
            return cached[1]
        if host is None or _ENDPOINT_HOOK not in host.info.hooks:
            return None
        try:
            answer = await self.aruntime.call(slug, "get_endpoint_registrations", {})
        except PluginRuntimeError as exc:  # errors mean "no endpoints", as in the gateway
            log.warning("plugin %s: get_endpoint_registrations failed: %s", slug, exc)
            answer = {}
        routes = []
        for reg in answer.get("registrations") or []:
            path = str(reg.get("path", ""))
            methods = [m for m in (str(x).upper() for x in reg.get("methods") or []) if m in _METHODS]
            if path.startswith("/") and ".." not in path and methods:
                routes.append({**reg, "path": path, "methods": methods})
        self._routes[slug] = (host, routes)
        return routes

    @staticmethod
    def _match(routes: list[dict[str, Any]], rel: str) -> list[dict[str, Any]]:
        exact = [r for r in routes if r["path"] == rel]
        if exact:
            return exact
        return [r for r in routes if r["path"].endswith("/*") and rel.startswith(r["path"][:-1])
                or r["path"] == "/*"]

    async def _endpoint(self, scope: Scope, receive: Receive, send: Send) -> bool:
        path: str = scope["path"]
        slug, _, rest = path[len("/plugins/"):].partition("/")
        routes = await self._registrations(slug)
        if routes is None:
            return False
        rel = "/" + rest
        head = scope["method"] == "HEAD"
        candidates = self._match(routes, rel)
        if not candidates:
            await _send_response(send, _json_response(404, f"plugin {slug} has no route {rel}"), head)
            return True
        route = next((r for r in candidates if scope["method"] in r["methods"]), None)
        if route is None:
            allowed = sorted({m for r in candidates for m in r["methods"]})
            resp = _json_response(405, f"method {scope['method']} not allowed")
            resp.headers["allow"] = ", ".join(allowed)
            await _send_response(send, resp, head)
            return True
        try:
            body = await self._read_body(receive)
        except _TooLarge:
            await _send_response(send, _json_response(413, f"the request body exceeds "
                                                            f"{self.max_body_bytes} bytes"), head)
            return True
        if body is None:
            return True
        req = self._request(scope, body)
        client = scope.get("client")
        msg: dict[str, Any] = {
            "method": scope["method"], "path": path, "relative_path": rel,
            "path_segments": [s for s in rel.split("/") if s], "headers": dict(req.headers),
            "body": body.decode("latin-1"), "query_string": scope.get("query_string", b"").decode("latin-1"),
            "remote_addr": f"{client[0]}:{client[1]}" if client else "",
            "host": req.headers.get("host", ""), "protocol": "http",
            "context": {"request_id": req.request_id}}
        if route.get("require_auth"):
            phase = await self.chain.request(HttpRequest(req.method, req.path, dict(req.headers), b"",
                                                         req.remote_addr, req.request_id))
            if self.chain.sync.auth is None or phase.blocked is not None or phase.app_id == 0:
                await _send_response(send, _json_response(401, "authentication failed"), head)
                return True
            msg["authenticated"] = True
            msg["app"] = {"id": phase.app_id}
        if route.get("stream_response"):
            await self._stream_endpoint(slug, msg, send, head)
            return True
        try:
            answer = await self.aruntime.call(slug, "handle_endpoint_request", msg)
        except PluginRuntimeError as exc:
            await _send_response(send, _json_response(502, f"plugin {slug} failed: {exc.code}"), head)
            return True
        status = int(answer.get("status_code") or 0)
        if answer.get("error_message"):
            resp = HttpResponse(status or 500, {"content-type": "application/json"},
                                json.dumps({"error": answer["error_message"]}).encode())
        else:
            resp = HttpResponse(status or 200, dict(answer.get("headers") or {}),
                                str(answer.get("body", "")).encode("latin-1"))
        await _send_response(send, resp, head)
        return True

    async def _stream_endpoint(self, slug: str, msg: dict[str, Any], send: Send, head: bool) -> None:
        started = False

        async def start(status: int, headers: dict[str, str]) -> None:
            nonlocal started
            started = True
            clean = {k.lower(): v for k, v in headers.items() if k.lower() != "content-length"}
            await send({"type": "http.response.start", "status": _status(status or 200),
                        "headers": _raw_headers(clean)})

        try:
            async for chunk in self.aruntime.stream(slug, "handle_endpoint_request_stream", msg):
                kind = int(chunk.get("type") or 0)
                if kind == _HEADERS and not started:
                    await start(int(chunk.get("status_code") or 0), dict(chunk.get("headers") or {}))
                elif kind == _BODY:
                    if not started:
                        await start(200, {})
                    data = str(chunk.get("data", "")).encode("latin-1")
                    if data and not head:
                        await send({"type": "http.response.body", "body": data, "more_body": True})
                elif kind == _ERROR:
                    if not started:
                        await _send_response(send, _json_response(500, str(chunk.get("error_message") or
                                                                             "the plugin failed")), head)
                        return
                    break
                elif kind == _DONE:
                    break
        except PluginRuntimeError as exc:
            if not started:
                await _send_response(send, _json_response(502, f"plugin {slug} failed: {exc.code}"), head)
                return
            log.warning("plugin %s: endpoint stream failed: %s", slug, exc)
        if not started:
            await start(200, {})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class _ResponseWriter:
    """The ``send`` the app writes to: buffers a whole answer for the response hooks, or
    passes a ``text/event-stream`` answer on event by event."""

    def __init__(self, chain: AsyncChain, phase: RequestPhase, send: Send, head: bool) -> None:
        self.chain = chain
        self.phase = phase
        self.downstream = send
        self.head = head
        self.status = 0
        self.headers: dict[str, str] = {}
        self.streaming = False
        self.parts: list[bytes] = []
        self.pending = b""  # an SSE event not complete yet
        self.accumulated: list[bytes] = []
        self.chunks = 0
        self.done = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = int(message["status"])
            self.headers = _header_map(message.get("headers", []))
            self.streaming = self.headers.get("content-type", "").startswith("text/event-stream")
            if self.streaming:
                headers = await self.chain.response_headers(self.phase, dict(self.headers))
                self.headers = headers
                await self.downstream({"type": "http.response.start", "status": self.status,
                                       "headers": _raw_headers(headers, drop=("content-length",))})
            return
        if kind != "http.response.body":
            await self.downstream(message)
            return
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if not self.streaming:
            self.parts.append(body)
            if not more:
                self.done = True
                headers, whole = await self.chain.response(self.phase, dict(self.headers), b"".join(self.parts))
                self.headers, self.parts = headers, [whole]
                await _send_response(self.downstream, HttpResponse(self.status, headers, whole), self.head)
            return
        self.pending += body
        while True:
            end = self._event_end(self.pending)
            if end < 0:
                break
            event, self.pending = self.pending[:end], self.pending[end:]
            await self._chunk(event)
        if not more:
            if self.pending:
                await self._chunk(self.pending)
                self.pending = b""
            self.done = True
            await self.downstream({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    def _event_end(data: bytes) -> int:
        """The end (exclusive) of the first complete SSE event in ``data``, or -1."""
        ends = [i + len(sep) for sep in (b"\n\n", b"\r\n\r\n") if (i := data.find(sep)) >= 0]
        return min(ends) if ends else -1

    async def _chunk(self, event: bytes) -> None:
        self.chunks += 1
        out = await self.chain.response_chunk(self.phase, event, self.headers)
        self.accumulated.append(out)
        if out and not self.head:
            await self.downstream({"type": "http.response.body", "body": out, "more_body": True})

    async def finish(self) -> None:
        """After the app returned: stream complete and data collection."""
        if not self.done:
            if self.status == 0:  # the app never answered
                await _send_response(self.downstream, _json_response(502, "the upstream gave no answer"))
                return
            if self.streaming:
                await self.downstream({"type": "http.response.body", "body": b"", "more_body": False})
            else:  # the app returned before its last body message: answer what it wrote
                await self.send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.streaming:
            accumulated = b"".join(self.accumulated)
            await self.chain.stream_complete(self.phase, accumulated, self.headers, self.status, self.chunks)
            self.chain.collect(self.phase, accumulated, self.status)
        else:
            self.chain.collect(self.phase, b"".join(self.parts), self.status)
