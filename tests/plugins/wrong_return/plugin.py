"""Wrong return: answers a dict where a PluginResponse belongs."""

from __future__ import annotations

from typing import Any

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest


class WrongReturn(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("wrong-return", "1.0.0", "Returns a dict")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> Any:
        return {"modified": True}


def create_plugin() -> WrongReturn:
    return WrongReturn()
