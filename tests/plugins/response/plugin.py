"""Response: adds a header to every response and upper-cases bodies."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, ResponseHandler
from guest_sdk.messages import (HeadersRequest, HeadersResponse, ResponseWriteRequest,
                                ResponseWriteResponse)


class Rewriter(BasePlugin, ResponseHandler):
    def __init__(self) -> None:
        super().__init__("response-rewriter", "1.0.0", "Rewrites responses")

    def on_before_write_headers(self, ctx: Context, req: HeadersRequest) -> HeadersResponse:
        headers = dict(req.headers)
        headers["x-rewritten"] = "yes"
        return HeadersResponse(modified=True, headers=headers)

    def on_before_write(self, ctx: Context, req: ResponseWriteRequest) -> ResponseWriteResponse:
        return ResponseWriteResponse(modified=True, body=req.body.upper(), headers=dict(req.headers))


def create_plugin() -> Rewriter:
    return Rewriter()
