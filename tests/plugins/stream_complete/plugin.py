"""Stream complete: looks at the accumulated stream and reports what it saw."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, StreamCompleteHandler
from guest_sdk.messages import StreamCompleteRequest, StreamCompleteResponse


class Observer(BasePlugin, StreamCompleteHandler):
    def __init__(self) -> None:
        super().__init__("stream-observer", "1.0.0", "Observes finished streams")

    def on_stream_complete(self, ctx: Context, req: StreamCompleteRequest) -> StreamCompleteResponse:
        if req.status_code >= 400:
            return StreamCompleteResponse(error_message=f"upstream answered {req.status_code}")
        return StreamCompleteResponse(handled=True, cached=req.chunk_count > 2)


def create_plugin() -> Observer:
    return Observer()
