"""Session aware: subscribes to ``orders`` when the session is ready; records events in KV."""

from __future__ import annotations

import json

from guest_sdk import BasePlugin, Context, Event, EventSubscriber, SessionAware


class Subscriber(BasePlugin, SessionAware, EventSubscriber):
    def __init__(self) -> None:
        super().__init__("session-aware", "1.0.0", "Records events")

    def on_session_ready(self, ctx: Context) -> None:
        ctx.services.kv.write("session:ready", ctx.session_id)
        ctx.services.events.subscribe("orders")

    def on_session_closing(self, ctx: Context) -> None:
        ctx.services.kv.write("session:closing", ctx.session_id)

    def on_event(self, ctx: Context, event: Event) -> None:
        count = ctx.services.kv.increment("events:count")
        ctx.services.kv.write(f"events:{count}", json.dumps(
            {"topic": event.topic, "origin": event.origin, "payload": event.payload.decode()}))


def create_plugin() -> Subscriber:
    return Subscriber()
