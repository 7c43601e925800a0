"""Pre-auth: blocks requests carrying an ``x-block`` header, tags the others."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PreAuthHandler
from guest_sdk.messages import PluginRequest, PluginResponse


class Blocker(BasePlugin, PreAuthHandler):
    def __init__(self) -> None:
        super().__init__("pre-auth-blocker", "1.0.0", "Blocks requests with x-block")

    def handle_pre_auth(self, ctx: Context, req: PluginRequest) -> PluginResponse:
        if "x-block" in req.headers:
            return PluginResponse(block=True, status_code=403,
                                  headers={"content-type": "text/plain"},
                                  body=b"blocked: " + req.headers["x-block"].encode(),
                                  error_message="x-block header present")
        headers = dict(req.headers)
        headers["x-pre-auth"] = f"seen {req.method} {req.path}"
        return PluginResponse(modified=True, headers=headers)


def create_plugin() -> Blocker:
    return Blocker()
