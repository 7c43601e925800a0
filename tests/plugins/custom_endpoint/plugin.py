"""Custom endpoint: a unary echo and a streamed reply (HEADERS, 3 BODY chunks, DONE)."""

from __future__ import annotations

from guest_sdk import BasePlugin, ChunkStream, Context, CustomEndpointHandler
from guest_sdk.messages import (EndpointRegistration, EndpointRequest, EndpointResponse,
                                EndpointResponseChunk)

Chunk = EndpointResponseChunk.ChunkType


class Echo(BasePlugin, CustomEndpointHandler):
    def __init__(self) -> None:
        super().__init__("echo-endpoint", "1.0.0", "Echoes requests")

    def get_endpoint_registrations(self) -> list[EndpointRegistration]:
        return [EndpointRegistration(path="/echo", methods=["POST"], description="echo"),
                EndpointRegistration(path="/stream", methods=["GET"], stream_response=True)]

    def handle_endpoint_request(self, ctx: Context, req: EndpointRequest) -> EndpointResponse:
        return EndpointResponse(status_code=200,
                                headers={"content-type": req.headers.get("content-type", "text/plain"),
                                         "x-echo-path": req.path},
                                body=req.body)

    def handle_endpoint_request_stream(self, ctx: Context, req: EndpointRequest,
                                       stream: ChunkStream[EndpointResponseChunk]) -> None:
        stream.send(EndpointResponseChunk(type=Chunk.HEADERS, status_code=200,
                                          headers={"content-type": "text/event-stream"}))
        for i in range(3):
            stream.send(EndpointResponseChunk(type=Chunk.BODY, data=f"part {i}\n".encode()))
        stream.send(EndpointResponseChunk(type=Chunk.DONE))


def create_plugin() -> Echo:
    return Echo()
