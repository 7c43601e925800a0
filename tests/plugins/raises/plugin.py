"""Raises: ``handle_post_auth`` divides by zero."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Raiser(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("raiser", "1.0.0", "Always fails")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        ratio = len(req.app_id) / 0  # ZeroDivisionError
        return PluginResponse(headers={"x-ratio": str(ratio)})


def create_plugin() -> Raiser:
    return Raiser()
