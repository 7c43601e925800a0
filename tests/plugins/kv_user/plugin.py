"""KV user: runs the KV operations listed in the request body and returns their results.

The body is a JSON list such as ``[{"op": "write", "key": "a", "value": "1"},
{"op": "read", "key": "a"}]``; the reply body is the list of results, each
``{"ok": value}`` or ``{"error": code}``.
"""

from __future__ import annotations

import json
from typing import Any

from guest_sdk import BasePlugin, Context, CustomEndpointHandler, ServiceError
from guest_sdk.messages import EndpointRegistration, EndpointRequest, EndpointResponse


class KVUser(BasePlugin, CustomEndpointHandler):
    def __init__(self) -> None:
        super().__init__("kv-user", "1.0.0", "Exercises KV")

    def get_endpoint_registrations(self) -> list[EndpointRegistration]:
        return [EndpointRegistration(path="/kv", methods=["POST"])]

    def _run(self, ctx: Context, step: dict[str, Any]) -> Any:
        kv = ctx.services.kv
        op, key = step["op"], step.get("key", "")
        if op == "write":
            return kv.write(key, step["value"], step.get("ttl_seconds"))
        if op == "read":
            return kv.read(key).decode("utf-8")
        if op == "delete":
            return kv.delete(key)
        if op == "list":
            return kv.list(step.get("prefix", ""))
        if op == "increment":
            return kv.increment(key, step.get("delta", 1))
        raise ValueError(f"unknown op {op!r}")

    def handle_endpoint_request(self, ctx: Context, req: EndpointRequest) -> EndpointResponse:
        results = []
        for step in json.loads(req.body or b"[]"):
            try:
                results.append({"ok": self._run(ctx, step)})
            except ServiceError as exc:
                results.append({"error": exc.code})
        return EndpointResponse(status_code=200, headers={"content-type": "application/json"},
                                body=json.dumps(results).encode())


def create_plugin() -> KVUser:
    return KVUser()
