"""Response modifier: both response hooks of a gateway plugin.

``on_before_write_headers`` adds marker headers (``<prefix>processed``, the request id)
and drops configured headers; the Gateway replaces the whole header set with what a
modifying plugin returns, so the answer carries every header. ``on_before_write``
appends a footer to each assistant message of a JSON chat-completion answer and
records the size change in a header; other bodies pass untouched.
"""

from __future__ import annotations

import json

from guest_sdk import BasePlugin, Context, ResponseHandler
from guest_sdk.messages import (HeadersRequest, HeadersResponse, ResponseWriteRequest,
                                ResponseWriteResponse)


class ResponseModifier(BasePlugin, ResponseHandler):
    def __init__(self) -> None:
        super().__init__("response-modifier", "1.0.0", "Marks and rewrites responses")
        self.prefix = "x-gateway-"
        self.footer = ""
        self.remove: set[str] = set()

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.prefix = config.get("header_prefix", "x-gateway-")
        self.footer = config.get("footer", "")
        self.remove = {h.lower() for h in json.loads(config.get("remove_headers", "[]"))}

    def on_before_write_headers(self, ctx: Context, req: HeadersRequest) -> HeadersResponse:
        headers = {k: v for k, v in req.headers.items() if k.lower() not in self.remove}
        headers[self.prefix + "processed"] = "true"
        if ctx.request_id:
            headers[self.prefix + "request-id"] = ctx.request_id
        return HeadersResponse(modified=True, headers=headers)

    def on_before_write(self, ctx: Context, req: ResponseWriteRequest) -> ResponseWriteResponse:
        if not self.footer or req.is_stream_chunk:
            return ResponseWriteResponse()
        try:
            answer = json.loads(req.body)
        except ValueError:
            return ResponseWriteResponse()
        changed = False
        for choice in answer.get("choices", []) if isinstance(answer, dict) else []:
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                message["content"] += self.footer
                changed = True
        if not changed:
            return ResponseWriteResponse()
        body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        headers = dict(req.headers)
        headers["content-length"] = str(len(body))
        headers[self.prefix + "body-delta"] = str(len(body) - len(req.body))
        return ResponseWriteResponse(modified=True, body=body, headers=headers)


def create_plugin() -> ResponseModifier:
    return ResponseModifier()
