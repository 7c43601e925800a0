"""Echo endpoint: custom HTTP routes under ``/plugins/{slug}/``, unary and streamed.

* ``GET``/``POST /echo`` answers a JSON document describing the request: the method,
  the path relative to the plugin's prefix, the query (each name -> list of values), a
  configured subset of the headers, the body as text (and parsed, when it is JSON) and
  the configured greeting. Other methods get 405 with ``allow``.
* ``GET /stream`` is registered with ``stream_response``: the host calls
  ``handle_endpoint_request_stream``, which sends the status and headers first
  (``text/event-stream``), then one Server-Sent Events ``data:`` line per BODY chunk,
  each flushed to the client as it is produced, then DONE. ``?n=`` chooses the number
  of events (1 to ``max_events``). Reached through the unary hook it answers the same
  events in one body, for clients that do not stream.

Unknown paths answer 404 with a JSON error.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from guest_sdk import BasePlugin, ChunkStream, ConfigProvider, Context, CustomEndpointHandler
from guest_sdk.messages import (EndpointRegistration, EndpointRequest, EndpointResponse,
                                EndpointResponseChunk)

Chunk = EndpointResponseChunk.ChunkType
JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream", "cache-control": "no-cache"}

#: The JSON Schema of the configuration (the same document as config.schema.json).
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "greeting": {"type": "string", "description": "Text included in every answer."},
        "echo_headers": {"type": "array", "items": {"type": "string", "minLength": 1},
                         "description": "Request headers echoed back (default content-type, "
                                        "user-agent, accept)."},
        "default_events": {"type": "integer", "minimum": 1,
                           "description": "Events /stream sends without ?n= (default 3)."},
        "max_events": {"type": "integer", "minimum": 1, "maximum": 1000,
                       "description": "Largest ?n= accepted (default 20)."},
    },
    "additionalProperties": False,
}


def _json(status: int, doc: Any, headers: dict[str, str] | None = None) -> EndpointResponse:
    return EndpointResponse(status_code=status, headers={**JSON, **(headers or {})},
                            body=json.dumps(doc, ensure_ascii=False).encode("utf-8"))


class EchoEndpoint(BasePlugin, CustomEndpointHandler, ConfigProvider):
    def __init__(self) -> None:
        super().__init__("echo-endpoint", "1.0.0", "Echoes HTTP requests, unary and streamed")
        self.greeting = "Hello from echo_endpoint"
        self.echo_headers: tuple[str, ...] = ("content-type", "user-agent", "accept")
        self.default_events = 3
        self.max_events = 20

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.greeting = config.get("greeting", "Hello from echo_endpoint")
        names = json.loads(config.get("echo_headers", '["content-type", "user-agent", "accept"]'))
        self.echo_headers = tuple(str(n).lower() for n in names)
        self.max_events = int(config.get("max_events", "20"))
        self.default_events = min(int(config.get("default_events", "3")), self.max_events)

    def get_config_schema(self) -> dict[str, Any]:
        return CONFIG_SCHEMA

    def get_endpoint_registrations(self) -> list[EndpointRegistration]:
        return [
            EndpointRegistration(path="/echo", methods=["GET", "POST"],
                                 description="Echoes the request as JSON"),
            EndpointRegistration(path="/stream", methods=["GET"], stream_response=True,
                                 description="Server-Sent Events, one per chunk (?n= events)"),
        ]

    # -- unary --------------------------------------------------------------------------------
    def handle_endpoint_request(self, ctx: Context, req: EndpointRequest) -> EndpointResponse:
        if req.relative_path == "/echo":
            if req.method not in ("GET", "POST"):
                return _json(405, {"error": f"method {req.method} not allowed"}, {"allow": "GET, POST"})
            return _json(200, self.describe(req))
        if req.relative_path == "/stream":
            events, error = self._events(req)
            if error:
                return _json(400, {"error": error})
            return EndpointResponse(status_code=200, headers=dict(SSE), body=b"".join(events))
        return _json(404, {"error": f"no route {req.relative_path}"})

    def describe(self, req: EndpointRequest) -> dict[str, Any]:
        lowered = {k.lower(): v for k, v in req.headers.items()}
        doc: dict[str, Any] = {
            "greeting": self.greeting, "method": req.method, "path": req.relative_path,
            "query": parse_qs(req.query_string, keep_blank_values=True),
            "headers": {name: lowered[name] for name in self.echo_headers if name in lowered},
            "body": req.body.decode("utf-8", "replace"),
        }
        if req.body and lowered.get("content-type", "").startswith("application/json"):
            try:
                doc["json"] = json.loads(req.body)
            except ValueError:
                doc["json_error"] = "the body is not valid JSON"
        return doc

    # -- streamed -----------------------------------------------------------------------------
    def _events(self, req: EndpointRequest) -> tuple[list[bytes], str]:
        raw = parse_qs(req.query_string).get("n", [str(self.default_events)])[-1]
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_events:
            return [], f"n must be a whole number from 1 to {self.max_events}"
        n = int(raw)
        return [f"data: {json.dumps({'event': i, 'of': n, 'greeting': self.greeting})}\n\n".encode()
                for i in range(1, n + 1)], ""

    def handle_endpoint_request_stream(self, ctx: Context, req: EndpointRequest,
                                       stream: ChunkStream[EndpointResponseChunk]) -> None:
        if req.relative_path != "/stream":
            self._send_whole(stream, 404, JSON, json.dumps({"error": f"no route {req.relative_path}"}).encode())
            return
        events, error = self._events(req)
        if error:
            self._send_whole(stream, 400, JSON, json.dumps({"error": error}).encode())
            return
        stream.send(EndpointResponseChunk(type=Chunk.HEADERS, status_code=200, headers=dict(SSE)))
        for event in events:
            stream.send(EndpointResponseChunk(type=Chunk.BODY, data=event))
        stream.send(EndpointResponseChunk(type=Chunk.DONE))

    @staticmethod
    def _send_whole(stream: ChunkStream[EndpointResponseChunk], status: int, headers: dict[str, str],
                    body: bytes) -> None:
        stream.send(EndpointResponseChunk(type=Chunk.HEADERS, status_code=status, headers=dict(headers)))
        stream.send(EndpointResponseChunk(type=Chunk.BODY, data=body))
        stream.send(EndpointResponseChunk(type=Chunk.DONE))


def create_plugin() -> EchoEndpoint:
    return EchoEndpoint()
