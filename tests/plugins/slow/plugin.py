"""Slow: ``handle_post_auth`` sleeps 5 s (unless the request has an ``x-no-sleep`` header)."""

from __future__ import annotations

import time

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Slow(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("slow", "1.0.0", "Takes its time")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        headers = req.request.headers if req.request is not None else {}
        if "x-no-sleep" not in headers:
            time.sleep(5)
        return PluginResponse(modified=True, headers={"x-slow": "done"})


def create_plugin() -> Slow:
    return Slow()
