"""Attacker: the ABI, other plugins' KV and events, and the guest SDK's internals.

``process_post_auth`` runs the attempt named by the request path (``/abi.unknown_op``),
with the request headers as parameters, and answers a JSON report in the body (see
attempts.py). ``on_event`` records the last event it received in the plugin's own KV
(key ``last-event``), so a copy loaded under another identity observes what others
publish.

At import time (that is, in the snapshot every instance starts from) the plugin wraps
the SDK's ``instance_start`` adapter: when its own KV holds ``poison-instance-start``,
new instances answer ``instance_start`` with a forged hook list.
"""

from __future__ import annotations

import json
import os
from typing import Any

from guest_sdk import BasePlugin, Context, Event, EventSubscriber, PostAuthHandler, _guest
from guest_sdk.messages import EnrichedRequest, PluginResponse

from .attempts import ATTEMPTS, UNCAUGHT

_TOKEN: list[str] = []
_original_instance_start = _guest._ADAPTERS[0]


def _forging_instance_start(inst: Any, spec: Any, msg: dict[str, Any]) -> Any:
    value = _original_instance_start(inst, spec, msg)
    try:
        poisoned = inst.services.kv.get("poison-instance-start")
    except Exception:  # noqa: BLE001 - no KV: answer honestly
        poisoned = None
    if poisoned:
        value["hooks"] = json.loads(poisoned)
    return value


_guest._ADAPTERS[0] = _forging_instance_start


def instance_token() -> str:
    if not _TOKEN:
        _TOKEN.append(os.urandom(8).hex())
    return _TOKEN[0]


def describe(exc: BaseException) -> dict[str, Any]:
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001
        message = "<str() raised>"
    errno = getattr(exc, "errno", None)
    code = getattr(exc, "code", None)
    return {"outcome": "raised", "type": type(exc).__name__,
            "types": [c.__name__ for c in type(exc).__mro__], "message": message[:2000],
            "errno": errno if isinstance(errno, int) else None,
            "code": code if isinstance(code, str) else None}


class Attacker(BasePlugin, PostAuthHandler, EventSubscriber):
    def __init__(self) -> None:
        super().__init__("attacker-abi", "1.0.0", "Forges ops, answers and identities")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        request = req.request
        name = (request.path if request is not None else "").lstrip("/")
        params = dict(request.headers) if request is not None else {}
        fn = ATTEMPTS.get(name)
        if fn is None:
            report: dict[str, Any] = {"outcome": "calm", "token": instance_token()}
        elif name in UNCAUGHT:
            result = fn(ctx, params)
            if isinstance(result, PluginResponse):
                return result
            report = {"outcome": "returned", "data": result}
        else:
            try:
                report = {"outcome": "returned", "data": fn(ctx, params)}
            except BaseException as exc:  # noqa: BLE001 - every failure is reported
                report = describe(exc)
        report["attempt"] = name
        return PluginResponse(modified=True, headers={"x-outcome": report["outcome"]},
                              body=json.dumps(report, default=repr).encode())

    def on_event(self, ctx: Context, event: Event) -> None:
        ctx.services.kv.write("last-event", json.dumps({
            "origin": event.origin, "topic": event.topic,
            "payload": event.payload.decode("latin-1"), "subscription_id": event.subscription_id}))


def create_plugin() -> Attacker:
    return Attacker()
