"""Message modifier: a pre_auth plugin that appends an instruction to the user's message.

Before the gateway authenticates a chat-completion request, the plugin finds the last
message with role ``user`` and appends the configured instruction to its text. Requests
that are not chat completions (no JSON body, no ``messages`` list, no user message) pass
through untouched; a message whose content is a list of parts gets a new text part.
"""

from __future__ import annotations

import json
from typing import Any

from guest_sdk import BasePlugin, ConfigProvider, Context, PreAuthHandler
from guest_sdk.messages import PluginRequest, PluginResponse

DEFAULT_INSTRUCTION = "Please answer in plain English."


class MessageModifier(BasePlugin, PreAuthHandler, ConfigProvider):
    def __init__(self) -> None:
        super().__init__("message-modifier", "1.0.0", "Appends an instruction to the last user message")
        self.instruction = DEFAULT_INSTRUCTION
        self.separator = "\n\n"

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.instruction = config.get("instruction", DEFAULT_INSTRUCTION)
        self.separator = config.get("separator", "\n\n")

    def get_config_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": {"instruction": {"type": "string"},
                                                 "separator": {"type": "string"}}}

    def handle_pre_auth(self, ctx: Context, req: PluginRequest) -> PluginResponse:
        try:
            body = json.loads(req.body) if req.body else None
        except ValueError:
            return PluginResponse()
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return PluginResponse()
        for message in reversed(body["messages"]):
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, str):
                    message["content"] = content + self.separator + self.instruction
                elif isinstance(content, list):
                    content.append({"type": "text", "text": self.instruction})
                else:
                    return PluginResponse()
                break
        else:
            return PluginResponse()
        new_body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return PluginResponse(modified=True, body=new_body,
                              headers={"content-length": str(len(new_body))})


def create_plugin() -> MessageModifier:
    return MessageModifier()
