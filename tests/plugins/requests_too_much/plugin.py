"""Post-auth: routes every request to another upstream through ``context_updates``."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Router(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("upstream-router", "1.0.0", "Overrides the upstream")
        self.upstream = "https://upstream.example.com"

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.upstream = config.get("upstream", self.upstream)

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        return PluginResponse(modified=True,
                              headers={"x-routed-for-app": req.app_id},
                              context_updates={"upstream_override": self.upstream,
                                               "routed_user": req.user_id})


def create_plugin() -> Router:
    return Router()
