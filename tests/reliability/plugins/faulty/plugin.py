"""Faulty: each hook fails the way the request asks.

The mode comes from the ``x-fault`` header (pre_auth, post_auth), the credential
(``fault:<mode>``, auth) or the record's ``request_id`` (``<mode>:...``, data collection):

``ok`` answers normally; ``raise`` raises; ``garbage`` answers a value of the wrong type;
``envelope`` answers normally but makes the instance's next answer text that is not an
envelope (wasm only: it replaces the component export); ``spin`` loops forever; ``sleep`` sleeps 30 s; ``trap`` aborts (a wasm
trap); ``exit`` calls ``os._exit`` (wasi exit); ``kv`` increments a KV counter and answers;
``kvwrite`` writes a KV key and answers.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from guest_sdk import (AuthHandler, BasePlugin, Context, DataCollector, PostAuthHandler,
                       PreAuthHandler)
from guest_sdk.messages import (AnalyticsRequest, App, AuthRequest, AuthResponse, BudgetUsageRequest,
                                DataCollectionResponse, EnrichedRequest, PluginRequest,
                                PluginResponse, ProxyLogRequest, User)


def _fail(ctx: Context, mode: str) -> Any:
    """Fail as ``mode`` says; returns a sentinel for modes that answer."""
    if mode == "raise":
        raise RuntimeError("the plugin failed on purpose")
    if mode == "garbage":
        return {"not": "the hook's message"}
    if mode == "envelope":
        inst = sys.modules["gps_guest_app"]._INSTANCE  # type: ignore[attr-defined]

        def forged(hook: int, payload: str) -> str:
            del inst.handle
            return "this is not an envelope"

        inst.handle = forged
        return None
    if mode == "spin":
        while True:
            pass
    if mode == "sleep":
        time.sleep(30)
    if mode == "trap":
        os.abort()
    if mode == "exit":
        os._exit(3)
    if mode == "kv":
        ctx.services.kv.increment("hits")
    if mode == "kvwrite":  # a KV op every host serves (kv.increment has no host RPC)
        ctx.services.kv.write("last", "written")
    return None


class Faulty(BasePlugin, PreAuthHandler, AuthHandler, PostAuthHandler, DataCollector):
    def __init__(self) -> None:
        super().__init__("faulty", "1.0.0", "Fails on demand")

    def _request(self, ctx: Context, headers: dict[str, str], stage: str) -> Any:
        bad = _fail(ctx, headers.get("x-fault", "ok"))
        if bad is not None:
            return bad
        return PluginResponse(modified=True, headers={f"x-{stage}": "faulty"})

    def handle_pre_auth(self, ctx: Context, req: PluginRequest) -> PluginResponse:
        return self._request(ctx, dict(req.headers), "pre-auth")  # type: ignore[no-any-return]

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        headers = dict(req.request.headers) if req.request is not None else {}
        return self._request(ctx, headers, "post-auth")  # type: ignore[no-any-return]

    def handle_auth(self, ctx: Context, req: AuthRequest) -> AuthResponse:
        mode = req.credential[6:] if req.credential.startswith("fault:") else "ok"
        bad = _fail(ctx, mode)
        if bad is not None:
            return bad  # type: ignore[no-any-return]
        return AuthResponse(authenticated=True, app_id="7", user_id="1")

    def get_app_by_credential(self, ctx: Context, credential: str) -> App:
        bad = _fail(ctx, credential[6:] if credential.startswith("fault:") else "ok")
        return bad if bad is not None else App(id=7, name="app-7", is_active=True)  # type: ignore[no-any-return]

    def get_user_by_credential(self, ctx: Context, credential: str) -> User:
        bad = _fail(ctx, credential[6:] if credential.startswith("fault:") else "ok")
        return bad if bad is not None else User(id=1, email="user1@example.com", is_active=True)  # type: ignore[no-any-return]

    def _record(self, ctx: Context, request_id: str) -> DataCollectionResponse:
        bad = _fail(ctx, request_id.partition(":")[0])
        if bad is not None:
            return bad  # type: ignore[no-any-return]
        return DataCollectionResponse(success=True, handled=True)

    def handle_proxy_log(self, ctx: Context, req: ProxyLogRequest) -> DataCollectionResponse:
        return self._record(ctx, req.request_id)

    def handle_analytics(self, ctx: Context, req: AnalyticsRequest) -> DataCollectionResponse:
        return self._record(ctx, req.request_id)

    def handle_budget_usage(self, ctx: Context, req: BudgetUsageRequest) -> DataCollectionResponse:
        return self._record(ctx, req.request_id)


def create_plugin() -> Faulty:
    return Faulty()
