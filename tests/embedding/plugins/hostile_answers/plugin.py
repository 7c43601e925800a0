"""Hostile answers: blocks with an impossible status and injected headers when the request
has ``x-mode: block``; always answers response headers with an injection attempt."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PreAuthHandler, ResponseHandler
from guest_sdk.messages import (HeadersRequest, HeadersResponse, PluginRequest, PluginResponse,
                                ResponseWriteRequest, ResponseWriteResponse)

BAD = {"x-ok": "1", "x-bad": "a\r\nset-cookie: evil=1", "bad name": "v", "x-wide": "\u2603"}


class Hostile(BasePlugin, PreAuthHandler, ResponseHandler):
    def __init__(self) -> None:
        super().__init__("hostile-answers", "1.0.0", "Answers what HTTP cannot carry")

    def handle_pre_auth(self, ctx: Context, req: PluginRequest) -> PluginResponse:
        if req.headers.get("x-mode") == "block":
            return PluginResponse(block=True, status_code=99999, headers=dict(BAD), body=b"no")
        return PluginResponse()

    def on_before_write_headers(self, ctx: Context, req: HeadersRequest) -> HeadersResponse:
        return HeadersResponse(modified=True, headers={**req.headers, **BAD})

    def on_before_write(self, ctx: Context, req: ResponseWriteRequest) -> ResponseWriteResponse:
        return ResponseWriteResponse()


def create_plugin() -> Hostile:
    return Hostile()
