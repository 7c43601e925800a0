"""KV not requested: uses KV (when asked with ``x-use-kv``) without requesting kv.readwrite."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Forgetful(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("kv-not-requested", "1.0.0", "Forgot to ask for KV")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        headers = req.request.headers if req.request is not None else {}
        if "x-use-kv" in headers:
            ctx.services.kv.write("visits", b"1")
        return PluginResponse(modified=True, headers={"x-served": "yes"})


def create_plugin() -> Forgetful:
    return Forgetful()
