"""The asyncio-facing embedding API: hooks and chains that never block the event loop.

.. code-block:: python

    from runtime import RuntimeConfig
    from runtime.aio import AsyncRuntime

    async with AsyncRuntime(RuntimeConfig(policy="policy.json")) as rt:
        await rt.load("examples/rate_limiter")
        answer = await rt.call("rate_limiter", "process_pre_auth", request)
        chain = rt.chain(pre_auth=["rate_limiter"], on_response=["response_modifier"])
        result = await chain.handle(http_request, upstream)   # upstream: an async callable

Every plugin call runs on a worker thread of the runtime's own pool, so the event loop
keeps serving other requests meanwhile. Threads, not processes: a wasm call releases the
GIL while the guest runs, so calls on different instances (or different plugins) run on
both cores at once, and a thread hop costs microseconds where a process hop costs a
copy of every request and answer. A chain hops once per phase (the whole request phase,
pre_auth -> auth -> post_auth, is one hop; the response headers and body are another;
each streamed chunk is one), not once per plugin.

Concurrency per plugin is its pool (``limits.pool_size`` in the policy): with one
instance, concurrent calls to that plugin wait for it (up to the plugin's deadline).
Size the thread pool (``max_workers``) to at least the sum of the pools you want busy.

Cancelling the awaiting task does not stop a call already running in its thread: the
call finishes (bounded by the plugin's deadline) and its answer is dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence, TypeAlias, TypeVar

from google.protobuf.message import Message
from host_abi.hooks import HookSpec

from .api import Runtime, RuntimeConfig
from .chain import Chain, ChainResult, HttpRequest, HttpResponse, Step
from .dispatch import PluginHost
from .errors import PluginRuntimeError

__all__ = ["AsyncRuntime", "AsyncChain", "RequestPhase", "AsyncUpstream"]

log = logging.getLogger("runtime.aio")

T = TypeVar("T")
Request: TypeAlias = "Mapping[str, Any] | Message"

#: The upstream of :meth:`AsyncChain.handle`: the (possibly rewritten) request in, the
#: response out.
AsyncUpstream = Callable[[HttpRequest], Awaitable[HttpResponse]]

_DONE = object()


class AsyncRuntime:
    """A :class:`~runtime.api.Runtime` driven from asyncio.

    Either give a ``config`` (a runtime is created and closed with this object) or an
    existing ``runtime`` (shared with synchronous code; left open by :meth:`aclose`).
    """

    def __init__(self, config: RuntimeConfig | None = None, *, runtime: Runtime | None = None,
                 max_workers: int | None = None) -> None:
        self.runtime = runtime if runtime is not None else Runtime(config)
        self._owns_runtime = runtime is None
        workers = max_workers or max(8, 4 * (os.cpu_count() or 2))
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="gps-aio")
        self._closed = False

    # -- running sync work off the loop ---------------------------------------------------------
    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on the runtime's thread pool and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "concurrent.futures.Future[T]":
        """Start ``fn`` on the pool without awaiting it (work off the hot path)."""
        return self._executor.submit(fn, *args, **kwargs)

    # -- plugins ------------------------------------------------------------------------------
    async def load(self, path: str | Path, *, name: str | None = None, tier: str | None = None,
                   config: Mapping[str, Any] | None = None) -> PluginHost:
        """:meth:`Runtime.load` on a worker thread (a cold wasm build takes seconds)."""
        return await self.run(self.runtime.load, path, name=name, tier=tier, config=config)

    async def unload(self, name: str) -> None:
        await self.run(self.runtime.unload, name)

    def plugin(self, name: str) -> PluginHost:
        return self.runtime.plugin(name)

    # -- calls ----------------------------------------------------------------------------------
    async def call(self, plugin: str, hook: str | int | HookSpec, request: Request, *,
                   timeout_ms: int | None = None) -> dict[str, Any]:
        """:meth:`Runtime.call` without blocking the loop.

        Raises:
            PluginRuntimeError: as :meth:`Runtime.call`.
        """
        return await self.run(self.runtime.call, plugin, hook, request, timeout_ms=timeout_ms)

    async def call_or_fail_answer(self, plugin: str, hook: str | int | HookSpec, request: Request, *,
                                  timeout_ms: int | None = None
                                  ) -> tuple[dict[str, Any], PluginRuntimeError | None]:
        """:meth:`Runtime.call_or_fail_answer` without blocking the loop."""
        return await self.run(self.runtime.call_or_fail_answer, plugin, hook, request,
                              timeout_ms=timeout_ms)

    async def stream(self, plugin: str, hook: str | int | HookSpec, request: Request, *,
                     timeout_ms: int | None = None, apply_fail_policy: bool = False
                     ) -> AsyncIterator[dict[str, Any]]:
        """:meth:`Runtime.stream` as an async iterator: each chunk as the plugin emits it.

        Leaving the ``async for`` early asks the plugin to stop (as closing the sync
        iterator does).
        """
        chunks: Iterator[dict[str, Any]] = await self.run(
            self.runtime.stream, plugin, hook, request, timeout_ms=timeout_ms,
            apply_fail_policy=apply_fail_policy)
        try:
            while True:
                chunk = await self.run(next, chunks, _DONE)
                if chunk is _DONE:
                    return
                yield chunk
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                await self.run(close)

    def chain(self, *, pre_auth: Sequence[str] = (), auth: str | None = None,
              post_auth: Sequence[str] = (), on_response: Sequence[str] = (),
              collectors: Sequence[str] = ()) -> "AsyncChain":
        """A chain of loaded plugins (by name) in AI Studio's order; see :class:`AsyncChain`."""
        return AsyncChain(self, pre_auth=pre_auth, auth=auth, post_auth=post_auth,
                          on_response=on_response, collectors=collectors)

    # -- lifecycle ------------------------------------------------------------------------------
    async def aclose(self) -> None:
        """Wait for work in flight, then close the runtime (if this object created it)."""
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(None, self._shutdown)

    def _shutdown(self) -> None:
        self._executor.shutdown(wait=True)
        if self._owns_runtime:
            self.runtime.close()

    async def __aenter__(self) -> "AsyncRuntime":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


@dataclass
class RequestPhase:
    """One request's way through a chain: what the request phase decided, and the
    state the response hooks and data collection need."""

    request: HttpRequest
    #: Set when a plugin blocked or auth rejected: send this instead of calling upstream.
    blocked: HttpResponse | None = None
    app_id: int = 0
    user_id: str = ""
    #: post_auth plugins' context_updates.
    context: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    #: The request body as it arrived (for on_stream_complete).
    original_body: bytes = b""
    started: float = field(default_factory=time.perf_counter)

    @property
    def plugin_context(self) -> dict[str, Any]:
        req = self.request
        return {"request_id": req.request_id, "app_id": self.app_id, "llm_id": req.llm_id}


class AsyncChain:
    """A plugin chain in AI Studio's order, for asyncio servers.

    ``handle`` runs a whole request with an async upstream. A server that streams (the
    ASGI middleware) drives the phases itself: :meth:`request` (pre_auth -> auth ->
    post_auth), its upstream, :meth:`response_headers`, then :meth:`response_body` for a
    whole body or :meth:`response_chunk` per streamed chunk and :meth:`stream_complete`,
    then :meth:`collect` (data collection, off the hot path: it is not awaited).

    Answers are applied as :class:`runtime.chain.Chain` applies them (blocks, 401 on a
    failed auth, merged headers, replaced bodies, fail policies); a failing plugin never
    raises out of the chain.
    """

    def __init__(self, aruntime: AsyncRuntime, *, pre_auth: Sequence[str] = (),
                 auth: str | None = None, post_auth: Sequence[str] = (),
                 on_response: Sequence[str] = (), collectors: Sequence[str] = ()) -> None:
        self.aruntime = aruntime
        self.sync = Chain(aruntime.runtime, pre_auth=pre_auth, auth=auth, post_auth=post_auth,
                          on_response=on_response, collectors=collectors)
        self._background: set["concurrent.futures.Future[None]"] = set()
        self._bg_lock = threading.Lock()

    @property
    def empty(self) -> bool:
        s = self.sync
        return not (s.pre_auth or s.auth or s.post_auth or s.on_response or s.collectors)

    # -- phases (sync bodies, run on the pool) --------------------------------------------------
    def _call(self, plugin: str, hook: str, msg: Mapping[str, Any]
              ) -> tuple[dict[str, Any], PluginRuntimeError | None, float]:
        t0 = time.perf_counter()
        try:
            answer, error = self.sync.rt.call_or_fail_answer(plugin, hook, msg)
        except PluginRuntimeError as exc:  # no fail-policy answer (or a usage error): closed
            answer, error = {"block": True, "status_code": 503, "headers": {
                "content-type": "application/json"}, "body": '{"error":{"message":"plugin failed"}}'}, exc
        return answer, error, (time.perf_counter() - t0) * 1e6

    def request_sync(self, req: HttpRequest) -> RequestPhase:
        """The request phase on the calling thread (see :meth:`request`)."""
        s = self.sync
        phase = RequestPhase(req, original_body=req.body)
        steps, context = phase.steps, phase.context
        for plugin in s.pre_auth:
            answer, error, us = self._call(plugin, "process_pre_auth", s._plugin_request(req, 0))
            phase.blocked = s._apply_request_answer(plugin, "pre_auth", req, answer, error, us,
                                                    steps, context)
            if phase.blocked:
                return phase
        claims: dict[str, str] = {}
        if s.auth is not None:
            token = req.headers.get("authorization", "")
            credential = token[7:] if token.lower().startswith("bearer ") else token
            answer, error, us = self._call(s.auth, "authenticate", {
                "credential": credential, "auth_type": "bearer",
                "request": s._plugin_request(req, 0), "context": {"request_id": req.request_id}})
            if not answer.get("authenticated"):
                message = answer.get("error_message") or "unauthenticated"
                steps.append(Step(s.auth, "auth", "rejected", message, us))
                phase.blocked = HttpResponse(401, {"content-type": "application/json"},
                                             b'{"error":{"message":"authentication failed"}}')
                return phase
            try:
                phase.app_id = int(answer.get("app_id") or 0) or 1
            except ValueError:
                phase.app_id = 1
            phase.user_id = str(answer.get("user_id", ""))
            claims = dict(answer.get("claims") or {})
            steps.append(Step(s.auth, "auth", "authenticated", f"app {phase.app_id}", us))
        for plugin in s.post_auth:
            answer, error, us = self._call(plugin, "process_post_auth", {
                "request": s._plugin_request(req, phase.app_id), "app_id": str(phase.app_id),
                "user_id": phase.user_id, "auth_claims": claims, "authenticated": True})
            phase.blocked = s._apply_request_answer(plugin, "post_auth", req, answer, error, us,
                                                    steps, context)
            if phase.blocked:
                return phase
        return phase

    def _headers_sync(self, phase: RequestPhase, headers: dict[str, str]) -> dict[str, str]:
        for plugin in self.sync.on_response:
            answer, error, us = self._call(plugin, "on_before_write_headers",
                                           {"headers": dict(headers), "context": phase.plugin_context})
            if error is None and answer.get("modified"):
                headers = dict(answer.get("headers") or {})
                phase.steps.append(Step(plugin, "on_response headers", "modified", "", us))
            else:
                phase.steps.append(Step(plugin, "on_response headers", "failed" if error else "passed",
                                        error.code if error else "", us))
        return headers

    def _body_sync(self, phase: RequestPhase, body: bytes, headers: dict[str, str],
                   chunk: bool) -> tuple[bytes, dict[str, str]]:
        label = "on_response chunk" if chunk else "on_response body"
        for plugin in self.sync.on_response:
            answer, error, us = self._call(plugin, "on_before_write", {
                "body": body.decode("latin-1"), "headers": dict(headers), "is_stream_chunk": chunk,
                "context": phase.plugin_context})
            if error is None and answer.get("modified"):
                if answer.get("body") or chunk:
                    body = str(answer.get("body", "")).encode("latin-1")
                if answer.get("headers") and not chunk:  # headers of a stream are already sent
                    headers = dict(answer["headers"])
                phase.steps.append(Step(plugin, label, "modified", "", us))
            elif not chunk or error is not None:
                phase.steps.append(Step(plugin, label, "failed" if error else "passed",
                                        error.code if error else "", us))
        return body, headers

    def _response_sync(self, phase: RequestPhase, headers: dict[str, str], body: bytes
                       ) -> tuple[dict[str, str], bytes]:
        headers = self._headers_sync(phase, headers)
        body, headers = self._body_sync(phase, body, headers, False)
        return headers, body

    def _stream_complete_sync(self, phase: RequestPhase, accumulated: bytes, headers: dict[str, str],
                              status: int, chunks: int) -> None:
        for plugin in self.sync.on_response:
            answer, error, us = self._call(plugin, "on_stream_complete", {
                "accumulated_response": accumulated.decode("latin-1"), "headers": dict(headers),
                "status_code": status, "context": phase.plugin_context, "chunk_count": chunks,
                "request_body": phase.original_body.decode("latin-1")})
            phase.steps.append(Step(plugin, "stream complete", "collected" if answer.get("handled")
                                    else ("failed" if error else "passed"),
                                    error.code if error else "", us))

    def _collect_sync(self, phase: RequestPhase, response_body: bytes, status: int) -> None:
        req = phase.request
        for plugin in self.sync.collectors:
            answer, error, us = self._call(plugin, "handle_proxy_log", {
                "app_id": phase.app_id, "vendor": req.vendor, "request_body": req.body.decode("latin-1"),
                "response_body": response_body.decode("latin-1"), "response_code": status,
                "timestamp": int(time.time()), "request_id": req.request_id,
                "context": phase.plugin_context})
            phase.steps.append(Step(plugin, "data_collection", "collected" if answer.get("handled")
                                    else ("failed" if error else "passed"),
                                    error.code if error else "", us))

    # -- phases (async) -------------------------------------------------------------------------
    async def request(self, req: HttpRequest) -> RequestPhase:
        """pre_auth -> auth -> post_auth, in one hop to the pool. ``req`` is rewritten in
        place; ``phase.blocked`` is set when the request must not go upstream."""
        s = self.sync
        if not (s.pre_auth or s.auth or s.post_auth):  # nothing to run: no hop to a thread
            return self.request_sync(req)
        return await self.aruntime.run(self.request_sync, req)

    async def response_headers(self, phase: RequestPhase, headers: dict[str, str]) -> dict[str, str]:
        """on_before_write_headers of each on_response plugin (a modifying plugin replaces
        the whole header set)."""
        if not self.sync.on_response:
            return headers
        return await self.aruntime.run(self._headers_sync, phase, headers)

    async def response(self, phase: RequestPhase, headers: dict[str, str], body: bytes
                       ) -> tuple[dict[str, str], bytes]:
        """A whole (not streamed) response: the headers, then the body, in one hop."""
        if not self.sync.on_response:
            return headers, body
        return await self.aruntime.run(self._response_sync, phase, headers, body)

    async def response_body(self, phase: RequestPhase, body: bytes, headers: dict[str, str]
                            ) -> tuple[bytes, dict[str, str]]:
        """on_before_write for a whole body (``is_stream_chunk=false``)."""
        if not self.sync.on_response:
            return body, headers
        return await self.aruntime.run(self._body_sync, phase, body, headers, False)

    async def response_chunk(self, phase: RequestPhase, chunk: bytes, headers: dict[str, str]) -> bytes:
        """on_before_write for one streamed chunk (``is_stream_chunk=true``); a modifying
        plugin replaces the chunk (an empty body drops it)."""
        if not self.sync.on_response:
            return chunk
        body, _ = await self.aruntime.run(self._body_sync, phase, chunk, headers, True)
        return body

    async def stream_complete(self, phase: RequestPhase, accumulated: bytes, headers: dict[str, str],
                              status: int, chunks: int) -> None:
        """on_stream_complete of each on_response plugin, after the last chunk was sent."""
        if self.sync.on_response:
            await self.aruntime.run(self._stream_complete_sync, phase, accumulated, headers,
                                    status, chunks)

    def collect(self, phase: RequestPhase, response_body: bytes, status: int) -> None:
        """Data collection (handle_proxy_log), off the hot path: started on the pool and
        not awaited (:meth:`drain` waits for it)."""
        if not self.sync.collectors:
            return
        future = self.aruntime.submit(self._collect_sync, phase, response_body, status)
        with self._bg_lock:
            self._background.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: "concurrent.futures.Future[None]") -> None:
        with self._bg_lock:
            self._background.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("data collection failed: %s", future.exception())

    async def drain(self) -> None:
        """Wait until the data collection started so far has finished."""
        with self._bg_lock:
            pending = list(self._background)
        if pending:
            await asyncio.wait([asyncio.wrap_future(f) for f in pending])

    async def handle(self, req: HttpRequest, upstream: AsyncUpstream) -> ChainResult:
        """The whole chain for one request with an async ``upstream``; never raises for
        plugin failures (the upstream's own exceptions propagate)."""
        phase = await self.request(req)
        if phase.blocked is not None:
            return ChainResult(phase.blocked, phase.steps, phase.app_id, phase.context)
        t0 = time.perf_counter()
        resp = await upstream(req)
        phase.steps.append(Step("(upstream)", "upstream", "passed", f"{resp.status}",
                                (time.perf_counter() - t0) * 1e6))
        resp.headers, resp.body = await self.response(phase, dict(resp.headers), resp.body)
        self.collect(phase, resp.body, resp.status)
        return ChainResult(resp, phase.steps, phase.app_id, phase.context)
