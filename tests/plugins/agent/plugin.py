"""Agent: streams three CONTENT chunks and a final DONE.

With ``{"llm_id": N}`` in the request's ``config_json`` it sends a THINKING chunk and
then streams what ``studio.call_llm`` answers instead. The configuration key ``chunk_delay_ms`` makes it
pause between chunks (0 by default).
"""

from __future__ import annotations

import json
import time

from guest_sdk import AgentPlugin, BasePlugin, ChunkStream, Context
from guest_sdk.messages import AgentMessageChunk, AgentMessageRequest

Kind = AgentMessageChunk.ChunkType


class EchoAgent(BasePlugin, AgentPlugin):
    def __init__(self) -> None:
        super().__init__("echo-agent", "1.0.0", "Echoes in three parts")
        self.delay_s = 0.0

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.delay_s = float(config.get("chunk_delay_ms", "0")) / 1000

    def handle_agent_message(self, ctx: Context, req: AgentMessageRequest,
                             stream: ChunkStream[AgentMessageChunk]) -> None:
        options = json.loads(req.config_json) if req.config_json else {}
        if options.get("llm_id"):
            stream.send(AgentMessageChunk(type=Kind.THINKING, content=f"asking LLM {options['llm_id']}"))
            replies = ctx.services.studio.call_llm(
                int(options["llm_id"]), [{"role": "user", "content": req.user_message}])
            for chunk in replies:
                if chunk.get("content"):
                    stream.send(AgentMessageChunk(type=Kind.CONTENT, content=chunk["content"]))
        else:
            for i in range(3):
                if i and self.delay_s:
                    time.sleep(self.delay_s)
                stream.send(AgentMessageChunk(type=Kind.CONTENT,
                                              content=f"{i + 1}/3 {req.user_message}"))
        stream.send(AgentMessageChunk(type=Kind.DONE, is_final=True,
                                      metadata_json=json.dumps({"session": req.session_id})))


def create_plugin() -> EchoAgent:
    return EchoAgent()
