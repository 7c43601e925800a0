"""Raw stdout: writes straight to file descriptor 1, past any print() capture, the way a
native library would. Only the in-process tier has file descriptors."""

from __future__ import annotations

import os

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class RawStdout(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("raw-stdout", "1.0.0", "Writes to fd 1")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        os.write(1, f"raw bytes on fd 1 for app {req.app_id}\n".encode())
        return PluginResponse(modified=True, headers={"x-written": "yes"})


def create_plugin() -> RawStdout:
    return RawStdout()
