"""A plugin chain in AI Studio's order: pre_auth -> auth -> post_auth -> upstream ->
on_response (headers, then body) -> data collection.

It applies each answer as the Gateway does (PROTOCOL.md section 7): a ``block`` stops the
chain with the plugin's status (0 means 403), headers and body; ``modified`` merges
headers and replaces a non-empty body; auth's ``authenticated=false`` rejects with 401;
post_auth's ``context_updates`` are merged into the request context; a modifying response
plugin replaces the whole header set (and body). A failing plugin is answered by its
hook's fail policy (fail closed blocks with 503; fail open carries on). Every step is
recorded in a trace, so callers (``runtime demo``, tests, gateways) can show what each
plugin did.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .api import Runtime
from .errors import PluginRuntimeError

__all__ = ["HttpRequest", "HttpResponse", "Step", "ChainResult", "Chain"]


@dataclass
class HttpRequest:
    """An inbound request as the gateway sees it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    remote_addr: str = "127.0.0.1"
    request_id: str = ""
    llm_id: int = 0
    llm_slug: str = ""
    vendor: str = ""


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Step:
    """What one plugin did in one hook."""

    plugin: str
    hook: str
    outcome: str  # passed, modified, blocked, authenticated, rejected, failed, collected
    detail: str = ""
    micros: float = 0.0


@dataclass
class ChainResult:
    response: HttpResponse
    steps: list[Step] = field(default_factory=list)
    app_id: int = 0
    context: dict[str, str] = field(default_factory=dict)

    @property
    def blocked_by(self) -> str | None:
        for step in self.steps:
            if step.outcome in ("blocked", "rejected"):
                return step.plugin
        return None


#: The upstream call: the (possibly rewritten) request in, the response out.
Upstream = Callable[[HttpRequest], HttpResponse]


def _latin(data: bytes) -> str:
    return data.decode("latin-1")


class Chain:
    """Plugins (by loaded name) per stage; :meth:`handle` runs one request through them."""

    def __init__(self, runtime: Runtime, *, pre_auth: Sequence[str] = (), auth: str | None = None,
                 post_auth: Sequence[str] = (), on_response: Sequence[str] = (),
                 collectors: Sequence[str] = ()) -> None:
        self.rt = runtime
        self.pre_auth = list(pre_auth)
        self.auth = auth
        self.post_auth = list(post_auth)
        self.on_response = list(on_response)
        self.collectors = list(collectors)

    def _call(self, plugin: str, hook: str, msg: Mapping[str, Any], steps: list[Step]
              ) -> tuple[dict[str, Any], PluginRuntimeError | None, float]:
        t0 = time.perf_counter()
        answer, error = self.rt.call_or_fail_answer(plugin, hook, msg)
        return answer, error, (time.perf_counter() - t0) * 1e6

    @staticmethod
    def _plugin_request(req: HttpRequest, app_id: int) -> dict[str, Any]:
        return {"method": req.method, "path": req.path, "headers": dict(req.headers),
                "body": _latin(req.body), "remote_addr": req.remote_addr,
                "context": {"request_id": req.request_id, "app_id": app_id, "llm_id": req.llm_id,
                            "llm_slug": req.llm_slug, "vendor": req.vendor}}

    def _apply_request_answer(self, plugin: str, hook: str, req: HttpRequest, answer: dict[str, Any],
                              error: PluginRuntimeError | None, micros: float, steps: list[Step],
                              context: dict[str, str]) -> HttpResponse | None:
        if answer.get("block"):
            status = int(answer.get("status_code") or 403)
            detail = f"{status}" + (f" ({error.code})" if error else "")
            steps.append(Step(plugin, hook, "blocked", detail, micros))
            return HttpResponse(status, dict(answer.get("headers") or {}),
                                str(answer.get("body", "")).encode("latin-1"))
        if error is not None:
            steps.append(Step(plugin, hook, "failed", f"{error.code} (fail open)", micros))
            return None
        if answer.get("modified"):
            req.headers.update(answer.get("headers") or {})
            if answer.get("body"):
                req.body = str(answer["body"]).encode("latin-1")
            context.update(answer.get("context_updates") or {})
            changed = sorted((answer.get("headers") or {}))
            steps.append(Step(plugin, hook, "modified",
                              ("headers " + ", ".join(changed) if changed else "") +
                              (" body" if answer.get("body") else ""), micros))
        else:
            steps.append(Step(plugin, hook, "passed", "", micros))
        return None

    def handle(self, req: HttpRequest, upstream: Upstream) -> ChainResult:
        """Run ``req`` through the chain and ``upstream``; never raises for plugin failures."""
        steps: list[Step] = []
        context: dict[str, str] = {}
        for plugin in self.pre_auth:
            answer, error, us = self._call(plugin, "process_pre_auth", self._plugin_request(req, 0), steps)
            blocked = self._apply_request_answer(plugin, "pre_auth", req, answer, error, us, steps, context)
            if blocked:
                return ChainResult(blocked, steps, 0, context)
        app_id, user_id, claims = 0, "", {}
        if self.auth is not None:
            token = req.headers.get("authorization", "")
            credential = token[7:] if token.lower().startswith("bearer ") else token
            answer, error, us = self._call(self.auth, "authenticate", {
                "credential": credential, "auth_type": "bearer",
                "request": self._plugin_request(req, 0),
                "context": {"request_id": req.request_id}}, steps)
            if not answer.get("authenticated"):
                message = answer.get("error_message") or "unauthenticated"
                steps.append(Step(self.auth, "auth", "rejected", message, us))
                return ChainResult(HttpResponse(401, {"content-type": "application/json"},
                                                b'{"error":{"message":"authentication failed"}}'),
                                   steps, 0, context)
            try:
                app_id = int(answer.get("app_id") or 0) or 1
            except ValueError:
                app_id = 1
            user_id, claims = str(answer.get("user_id", "")), dict(answer.get("claims") or {})
            steps.append(Step(self.auth, "auth", "authenticated", f"app {app_id}", us))
        for plugin in self.post_auth:
            answer, error, us = self._call(plugin, "process_post_auth", {
                "request": self._plugin_request(req, app_id), "app_id": str(app_id),
                "user_id": user_id, "auth_claims": claims, "authenticated": True}, steps)
            blocked = self._apply_request_answer(plugin, "post_auth", req, answer, error, us, steps, context)
            if blocked:
                return ChainResult(blocked, steps, app_id, context)
        t0 = time.perf_counter()
        resp = upstream(req)
        steps.append(Step("(upstream)", "upstream", "passed", f"{resp.status}",
                          (time.perf_counter() - t0) * 1e6))
        ctx = {"request_id": req.request_id, "app_id": app_id, "llm_id": req.llm_id}
        for plugin in self.on_response:
            answer, error, us = self._call(plugin, "on_before_write_headers",
                                           {"headers": dict(resp.headers), "context": ctx}, steps)
            if error is None and answer.get("modified"):
                resp.headers = dict(answer.get("headers") or {})
                steps.append(Step(plugin, "on_response headers", "modified", "", us))
            else:
                steps.append(Step(plugin, "on_response headers", "failed" if error else "passed",
                                  error.code if error else "", us))
            answer, error, us = self._call(plugin, "on_before_write", {
                "body": _latin(resp.body), "headers": dict(resp.headers), "context": ctx}, steps)
            if error is None and answer.get("modified"):
                if answer.get("body"):
                    resp.body = str(answer["body"]).encode("latin-1")
                if answer.get("headers"):
                    resp.headers = dict(answer["headers"])
                steps.append(Step(plugin, "on_response body", "modified", "", us))
            else:
                steps.append(Step(plugin, "on_response body", "failed" if error else "passed",
                                  error.code if error else "", us))
        for plugin in self.collectors:
            answer, error, us = self._call(plugin, "handle_proxy_log", {
                "app_id": app_id, "vendor": req.vendor, "request_body": _latin(req.body),
                "response_body": _latin(resp.body), "response_code": resp.status,
                "timestamp": int(time.time()), "request_id": req.request_id,
                "context": ctx}, steps)
            steps.append(Step(plugin, "data_collection", "collected" if answer.get("handled") else
                              ("failed" if error else "passed"), error.code if error else "", us))
        return ChainResult(resp, steps, app_id, context)
