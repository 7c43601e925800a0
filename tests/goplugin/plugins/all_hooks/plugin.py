"""A Python plugin with many capabilities, for the Go host's test of ``runtime serve``:
pre/post-auth, response, custom endpoints (unary and streamed), an agent (streamed),
sessions and events. It uses the host's KV and event services through the broker."""

from __future__ import annotations

import json

from guest_sdk import (AgentPlugin, BasePlugin, ChunkStream, Context, CustomEndpointHandler,
                       Event, EventSubscriber, ManifestProvider, PostAuthHandler, PreAuthHandler,
                       ResponseHandler, SessionAware)
from guest_sdk.messages import (AgentMessageChunk, AgentMessageRequest, EndpointRegistration,
                                EndpointRequest, EndpointResponse, EndpointResponseChunk,
                                EnrichedRequest, HeadersRequest, HeadersResponse, PluginRequest,
                                PluginResponse, ResponseWriteRequest, ResponseWriteResponse)

Body = EndpointResponseChunk.ChunkType
Agent = AgentMessageChunk.ChunkType


class AllHooks(BasePlugin, PreAuthHandler, PostAuthHandler, ResponseHandler, CustomEndpointHandler,
               AgentPlugin, ManifestProvider, SessionAware, EventSubscriber):
    def __init__(self) -> None:
        super().__init__("all-hooks", "1.0.0", "Answers every hook it has")

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.greeting = config.get("greeting", "hello")

    def on_session_ready(self, ctx: Context) -> None:
        ctx.services.kv.write("session", ctx.session_id)
        ctx.services.events.subscribe("orders")

    def on_session_closing(self, ctx: Context) -> None:
        ctx.services.kv.write("closing", ctx.session_id)

    def on_event(self, ctx: Context, event: Event) -> None:
        ctx.services.kv.write(f"event:{event.topic}", event.payload)

    def handle_pre_auth(self, ctx: Context, req: PluginRequest) -> PluginResponse:
        if "x-block" in req.headers:
            return PluginResponse(block=True, status_code=418, body=b"no tea")
        return PluginResponse()

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        kv = ctx.services.kv
        count = int(kv.get("count") or b"0") + 1
        kv.write("count", str(count))
        ctx.services.events.publish("seen", req.request.path if req.request else "")
        return PluginResponse(modified=True, headers={"x-count": str(count), "x-greeting": self.greeting})

    def on_before_write_headers(self, ctx: Context, req: HeadersRequest) -> HeadersResponse:
        return HeadersResponse(modified=True, headers={**req.headers, "x-python": "1"})

    def on_before_write(self, ctx: Context, req: ResponseWriteRequest) -> ResponseWriteResponse:
        return ResponseWriteResponse(modified=True, body=req.body.upper(), headers=req.headers)

    def get_endpoint_registrations(self) -> list[EndpointRegistration]:
        return [EndpointRegistration(path="/echo", methods=["POST"]),
                EndpointRegistration(path="/stream", methods=["GET"], stream_response=True)]

    def handle_endpoint_request(self, ctx: Context, req: EndpointRequest) -> EndpointResponse:
        return EndpointResponse(status_code=200, headers={"content-type": "application/json"},
                                body=json.dumps({"path": req.path, "body": req.body.decode()}).encode())

    def handle_endpoint_request_stream(self, ctx: Context, req: EndpointRequest,
                                       stream: ChunkStream[EndpointResponseChunk]) -> None:
        stream.send(EndpointResponseChunk(type=Body.HEADERS, status_code=200,
                                          headers={"content-type": "text/plain"}))
        for i in range(3):
            stream.send(EndpointResponseChunk(type=Body.BODY, data=f"part {i}\n".encode()))
        stream.send(EndpointResponseChunk(type=Body.DONE))

    def handle_agent_message(self, ctx: Context, req: AgentMessageRequest,
                             stream: ChunkStream[AgentMessageChunk]) -> None:
        for word in req.user_message.split():
            stream.send(AgentMessageChunk(type=Agent.CONTENT, content=word))
        stream.send(AgentMessageChunk(type=Agent.DONE, is_final=True))

    def get_manifest(self) -> dict[str, object]:
        return {"id": "com.example.tests.all-hooks", "version": "1.0.0", "name": "All hooks",
                "capabilities": {"hooks": ["pre_auth", "post_auth", "on_response",
                                           "custom_endpoint", "agent"]}}


def create_plugin() -> AllHooks:
    return AllHooks()
