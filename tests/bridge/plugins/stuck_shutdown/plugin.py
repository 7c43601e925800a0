"""Stuck in shutdown: answers post_auth, then never returns from shutdown."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Stuck(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("stuck-shutdown", "1.0.0", "Hangs in shutdown")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        return PluginResponse(modified=True, headers={"x-alive": "yes"})

    def shutdown(self, ctx: Context) -> None:
        while True:  # a busy loop: no sleep to wake from
            pass


def create_plugin() -> Stuck:
    return Stuck()
