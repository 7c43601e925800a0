"""Echo agent: streams the user's message back, or an LLM's answer when one is named.

Without an LLM the agent echoes the message between two configurable markers, a few
words per CONTENT chunk, then sends a DONE chunk with ``is_final``. When the request's
``config_json`` (or, failing that, the plugin configuration) names an ``llm_id``, the
agent streams that LLM's answer instead: ``ctx.services.studio.call_llm`` (studio
runtime, scope ``llms.proxy``) yields chunks as the LLM produces them and each one is
forwarded at once. The conversation ``history`` of the request goes to the LLM too.

A failing LLM call (not granted, unknown LLM, gateway runtime) ends the stream with an
ERROR chunk rather than silently falling back to the echo: a misconfigured agent should
say so.
"""

from __future__ import annotations

import json
from typing import Any

from guest_sdk import AgentPlugin, BasePlugin, ChunkStream, ConfigProvider, Context, ServiceError
from guest_sdk.messages import AgentMessageChunk, AgentMessageRequest

Chunk = AgentMessageChunk.ChunkType

#: The JSON Schema of the configuration (the same document as config.schema.json).
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "prefix": {"type": "string", "description": "Text before the echoed message (default '[echo] ')."},
        "suffix": {"type": "string", "description": "Text after the echoed message (default ' [/echo]')."},
        "words_per_chunk": {"type": "integer", "minimum": 1, "maximum": 100,
                            "description": "Words per CONTENT chunk of the echo (default 2)."},
        "llm_id": {"type": "integer", "minimum": 1,
                   "description": "Stream this LLM's answer instead of echoing (a request may override it)."},
        "system_prompt": {"type": "string", "description": "System message sent to the LLM."},
    },
    "additionalProperties": False,
}


def split_words(text: str, per_chunk: int) -> list[str]:
    """``text`` cut into pieces of ``per_chunk`` words; joined they give ``text`` back."""
    pieces: list[str] = []
    words = text.split(" ")
    for i in range(0, len(words), per_chunk):
        piece = " ".join(words[i:i + per_chunk])
        pieces.append(piece + (" " if i + per_chunk < len(words) else ""))
    return pieces


class EchoAgent(BasePlugin, AgentPlugin, ConfigProvider):
    def __init__(self) -> None:
        super().__init__("echo-agent", "1.0.0", "Echoes messages or streams an LLM's answer")
        self.prefix = "[echo] "
        self.suffix = " [/echo]"
        self.per_chunk = 2
        self.llm_id = 0
        self.system_prompt = ""

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.prefix = config.get("prefix", "[echo] ")
        self.suffix = config.get("suffix", " [/echo]")
        self.per_chunk = int(config.get("words_per_chunk", "2"))
        self.llm_id = int(config.get("llm_id", "0"))
        self.system_prompt = config.get("system_prompt", "")

    def get_config_schema(self) -> dict[str, Any]:
        return CONFIG_SCHEMA

    def handle_agent_message(self, ctx: Context, req: AgentMessageRequest,
                             stream: ChunkStream[AgentMessageChunk]) -> None:
        try:
            options = json.loads(req.config_json) if req.config_json else {}
            llm_id = int(options.get("llm_id", self.llm_id) or 0)
        except (ValueError, TypeError, AttributeError):
            stream.send(AgentMessageChunk(type=Chunk.ERROR, is_final=True,
                                          content="config_json must be a JSON object with an integer llm_id"))
            return
        if not req.user_message.strip():
            stream.send(AgentMessageChunk(type=Chunk.ERROR, content="nothing to echo: the message is empty",
                                          is_final=True))
            return
        if llm_id:
            self._stream_llm(ctx, req, llm_id, str(options.get("model", "")), stream)
        else:
            self._echo(req, stream)

    def _echo(self, req: AgentMessageRequest, stream: ChunkStream[AgentMessageChunk]) -> None:
        text = self.prefix + req.user_message + self.suffix
        pieces = split_words(text, self.per_chunk)
        for piece in pieces:
            stream.send(AgentMessageChunk(type=Chunk.CONTENT, content=piece))
        stream.send(AgentMessageChunk(type=Chunk.DONE, is_final=True, metadata_json=json.dumps(
            {"source": "echo", "chunks": len(pieces)})))

    def _stream_llm(self, ctx: Context, req: AgentMessageRequest, llm_id: int, model: str,
                    stream: ChunkStream[AgentMessageChunk]) -> None:
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        messages += [{"role": m.role, "content": m.content} for m in req.history if m.role and m.content]
        messages.append({"role": "user", "content": req.user_message})
        sent = 0
        used_model = model
        try:
            for chunk in ctx.services.studio.call_llm(llm_id, messages, model=model):
                used_model = str(chunk.get("model") or used_model)
                content = str(chunk.get("content", ""))
                if content:
                    stream.send(AgentMessageChunk(type=Chunk.CONTENT, content=content))
                    sent += 1
        except ServiceError as exc:
            ctx.services.logger.warn("LLM call failed", llm_id=llm_id, code=exc.code)
            stream.send(AgentMessageChunk(type=Chunk.ERROR, is_final=True,
                                          content=f"the LLM {llm_id} could not answer: {exc}"))
            return
        stream.send(AgentMessageChunk(type=Chunk.DONE, is_final=True, metadata_json=json.dumps(
            {"source": "llm", "llm_id": llm_id, "model": used_model, "chunks": sent})))


def create_plugin() -> EchoAgent:
    return EchoAgent()
