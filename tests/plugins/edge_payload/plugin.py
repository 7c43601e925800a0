"""Edge payload receiver: stores each payload in KV under its correlation id."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, EdgePayloadReceiver
from guest_sdk.messages import EdgePayloadRequest


class Receiver(BasePlugin, EdgePayloadReceiver):
    def __init__(self) -> None:
        super().__init__("edge-receiver", "1.0.0", "Stores edge payloads")

    def accept_edge_payload(self, ctx: Context, payload: EdgePayloadRequest) -> bool:
        if not payload.correlation_id:
            return False
        ctx.services.kv.write(f"edge:{payload.edge_id}:{payload.correlation_id}", payload.payload)
        return True


def create_plugin() -> Receiver:
    return Receiver()
