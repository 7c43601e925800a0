"""Publisher: publishes the request body on the topic named by the ``x-topic`` header."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Publisher(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("publisher", "1.0.0", "Publishes events")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        request = req.request
        if request is None or "x-topic" not in request.headers:
            return PluginResponse()
        event_id = ctx.services.events.publish(request.headers["x-topic"], request.body)
        return PluginResponse(modified=True, headers={"x-event-id": event_id})


def create_plugin() -> Publisher:
    return Publisher()
