"""Attacker: files, environment, imports, native code, clock and random.

``process_post_auth`` runs the attempt named by the request path (``/fs.open_read``),
with the request headers as parameters, and answers a JSON report in the body:
``{"attempt", "outcome": "returned" | "raised", "data" | "type", "types", "message",
"errno"}``. Any other path answers ``{"outcome": "calm"}``. Attempts registered with
``catch=False`` run without the try/except, so what escapes reaches the SDK and host.
"""

from __future__ import annotations

import json
import os
from typing import Any

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse

from .attempts import ATTEMPTS, UNCAUGHT

_TOKEN: list[str] = []


def instance_token() -> str:
    """A token drawn on first use: differs between instances built from one snapshot."""
    if not _TOKEN:
        _TOKEN.append(os.urandom(8).hex())
    return _TOKEN[0]


def describe(exc: BaseException) -> dict[str, Any]:
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        message = "<str() raised>"
    errno = getattr(exc, "errno", None)
    code = getattr(exc, "code", None)
    return {"outcome": "raised", "type": type(exc).__name__,
            "types": [c.__name__ for c in type(exc).__mro__], "message": message[:2000],
            "errno": errno if isinstance(errno, int) else None,
            "code": code if isinstance(code, str) else None}


class Attacker(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("attacker-fs-env", "1.0.0", "Tries to escape through files and the environment")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        request = req.request
        name = (request.path if request is not None else "").lstrip("/")
        params = dict(request.headers) if request is not None else {}
        fn = ATTEMPTS.get(name)
        if fn is None:
            report: dict[str, Any] = {"outcome": "calm", "token": instance_token()}
        elif name in UNCAUGHT:
            report = {"outcome": "returned", "data": fn(ctx, params)}
        else:
            try:
                report = {"outcome": "returned", "data": fn(ctx, params)}
            except BaseException as exc:  # noqa: BLE001 - every failure is reported
                report = describe(exc)
        report["attempt"] = name
        return PluginResponse(modified=True, headers={"x-outcome": report["outcome"]},
                              body=json.dumps(report, default=repr).encode())


def create_plugin() -> Attacker:
    return Attacker()
