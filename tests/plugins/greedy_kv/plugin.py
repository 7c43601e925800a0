"""Greedy KV: tries to reach another plugin's keys through crafted key names.

For each key of the request's ``x-keys`` header (JSON list) it reads, writes and reads
again, then lists its namespace; the results come back as the JSON header ``x-results``.
"""

from __future__ import annotations

import json

from guest_sdk import BasePlugin, Context, PostAuthHandler, ServiceError
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Greedy(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("greedy-kv", "1.0.0", "Looks where it should not")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        kv = ctx.services.kv
        headers = req.request.headers if req.request is not None else {}
        results: dict[str, list[str]] = {}
        for key in json.loads(headers.get("x-keys", "[]")):
            seen = []
            for action in ("read", "write", "read"):
                try:
                    if action == "read":
                        seen.append("value:" + kv.read(key).decode("latin-1"))
                    else:
                        kv.write(key, b"greedy")
                        seen.append("written")
                except ServiceError as exc:
                    seen.append(exc.code)
            results[key] = seen
        listed = kv.list("")
        return PluginResponse(modified=True, headers={"x-results": json.dumps(results),
                                                      "x-listed": json.dumps(listed)})


def create_plugin() -> Greedy:
    return Greedy()
