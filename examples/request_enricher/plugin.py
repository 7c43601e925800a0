"""Request enricher: a post_auth plugin that rewrites chat-completion requests.

After authentication it appends a system instruction to the ``messages`` of an
OpenAI-style chat-completion body and tags the request with the authenticated app's id.
Requests whose body is not a chat completion pass through untouched.
"""

from __future__ import annotations

import json

from guest_sdk import BasePlugin, ConfigProvider, Context, ManifestProvider, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse

DEFAULT_INSTRUCTION = "Answer concisely and cite your sources."


class RequestEnricher(BasePlugin, PostAuthHandler, ConfigProvider, ManifestProvider):
    def __init__(self) -> None:
        super().__init__("request-enricher", "1.0.0", "Adds a system instruction after auth")
        self.instruction = DEFAULT_INSTRUCTION
        self.header_name = "x-app-id"

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.instruction = config.get("instruction", DEFAULT_INSTRUCTION)
        self.header_name = config.get("header_name", "x-app-id")

    def get_config_schema(self) -> dict[str, object]:
        return {"type": "object", "properties": {"instruction": {"type": "string"},
                                                 "header_name": {"type": "string"}}}

    def get_manifest(self) -> dict[str, object]:
        return {"id": "com.example.request-enricher", "version": "1.0.0",
                "name": "Request Enricher", "capabilities": {"hooks": ["post_auth"]}}

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        request = req.request
        if request is None or not request.body:
            return PluginResponse()
        try:
            body = json.loads(request.body)
        except ValueError:
            return PluginResponse()
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list):
            return PluginResponse()
        messages.append({"role": "system", "content": self.instruction})
        return PluginResponse(
            modified=True,
            headers={self.header_name: req.app_id or "0"},
            body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        )


def create_plugin() -> RequestEnricher:
    return RequestEnricher()
