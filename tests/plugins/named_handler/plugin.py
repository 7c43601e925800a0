"""Named handler: subscribes to ``orders`` with its method ``record_order`` (no on_event).

``process_post_auth`` subscribes; each event lands in KV under ``order:<event id>``.
"""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, Event, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class NamedHandler(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("named-handler", "1.0.0", "Handles events by name")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        subscription = ctx.services.events.subscribe("orders", self.record_order)
        return PluginResponse(modified=True, headers={"x-subscription": subscription})

    def record_order(self, ctx: Context, event: Event) -> None:
        ctx.services.kv.write(f"order:{event.id}", event.payload)


def create_plugin() -> NamedHandler:
    return NamedHandler()
