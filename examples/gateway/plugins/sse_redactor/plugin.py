"""SSE redactor: an on_response plugin that works on whole answers and on each streamed
Server-Sent Event as it passes through the gateway.

* ``on_before_write_headers`` marks the answer with ``x-redactor: on``.
* ``on_before_write`` replaces each configured word (``words``, case-sensitive) with
  ``replacement`` in a JSON chat completion (``choices[].message.content``) or, for a
  streamed answer (``is_stream_chunk``), in one ``data:`` event's
  ``choices[].delta.content``. A word split across two events is not seen (each event is
  judged alone).
* ``on_stream_complete`` counts streamed answers and their events in KV
  (``streams``, ``stream_events``).
"""

from __future__ import annotations

import json
from typing import Any

from guest_sdk import BasePlugin, Context, ResponseHandler, StreamCompleteHandler
from guest_sdk.messages import (HeadersRequest, HeadersResponse, ResponseWriteRequest,
                                ResponseWriteResponse, StreamCompleteRequest,
                                StreamCompleteResponse)


class SSERedactor(BasePlugin, ResponseHandler, StreamCompleteHandler):
    def __init__(self) -> None:
        super().__init__("sse-redactor", "1.0.0", "Redacts words, whole or event by event")
        self.words: list[str] = []
        self.replacement = "[redacted]"

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.words = [str(w) for w in json.loads(config.get("words", "[]")) if w]
        self.replacement = config.get("replacement", "[redacted]")

    def _redact(self, text: str) -> str:
        for word in self.words:
            text = text.replace(word, self.replacement)
        return text

    def on_before_write_headers(self, ctx: Context, req: HeadersRequest) -> HeadersResponse:
        return HeadersResponse(modified=True, headers={**req.headers, "x-redactor": "on"})

    def on_before_write(self, ctx: Context, req: ResponseWriteRequest) -> ResponseWriteResponse:
        if req.is_stream_chunk:
            return self._event(req.body)
        try:
            doc = json.loads(req.body)
        except ValueError:
            return ResponseWriteResponse()
        changed = self._choices(doc, "message")
        if not changed:
            return ResponseWriteResponse()
        return ResponseWriteResponse(modified=True, body=json.dumps(doc).encode(),
                                     headers={**req.headers, "x-redacted": "true"})

    def _choices(self, doc: Any, field: str) -> bool:
        changed = False
        for choice in doc.get("choices", []) if isinstance(doc, dict) else []:
            part = choice.get(field) if isinstance(choice, dict) else None
            if isinstance(part, dict) and isinstance(part.get("content"), str):
                new = self._redact(part["content"])
                changed |= new != part["content"]
                part["content"] = new
        return changed

    def _event(self, event: bytes) -> ResponseWriteResponse:
        lines = event.decode("utf-8", "replace").split("\n")
        changed = False
        for i, line in enumerate(lines):
            if line.startswith("data: ") and line[6:].strip() != "[DONE]":
                try:
                    doc = json.loads(line[6:])
                except ValueError:
                    continue
                if self._choices(doc, "delta"):
                    lines[i] = "data: " + json.dumps(doc)
                    changed = True
        if not changed:
            return ResponseWriteResponse()
        return ResponseWriteResponse(modified=True, body="\n".join(lines).encode())

    def on_stream_complete(self, ctx: Context, req: StreamCompleteRequest) -> StreamCompleteResponse:
        ctx.services.kv.increment("streams")
        ctx.services.kv.increment("stream_events", delta=req.chunk_count)
        return StreamCompleteResponse(handled=True)


def create_plugin() -> SSERedactor:
    return SSERedactor()
