"""A fake OpenAI-compatible upstream for trying the gateway and for its tests.

``POST /v1/chat/completions`` answers a fixed chat completion that quotes the last user
message; with ``"stream": true`` it answers Server-Sent Events, one ``data:`` event per
word of the answer, then ``data: [DONE]``. ``GET /v1/models`` lists one model. It echoes
the request headers it received whose names start with ``x-`` back as ``x-upstream-saw-*``
headers, so a test can see what the gateway's plugins added.

    uvicorn --app-dir examples/gateway fake_upstream:app --port 9001
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


def _seen(request: Request) -> dict[str, str]:
    return {f"x-upstream-saw-{k[2:]}": v for k, v in request.headers.items() if k.startswith("x-")}


async def chat(request: Request) -> Response:
    body = await request.json()
    messages = body.get("messages", [])
    last = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    answer = f"You said: {last}"
    model = body.get("model", "fake-model")
    created = int(time.time())
    if not body.get("stream"):
        return JSONResponse({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": len(answer.split()), "total_tokens": 20},
            "system_messages": [m.get("content", "") for m in messages if m.get("role") == "system"],
        }, headers=_seen(request))

    async def events() -> AsyncIterator[bytes]:
        for i, word in enumerate(answer.split(" ")):
            delta = {"content": (" " if i else "") + word}
            doc = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
                   "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            yield f"data: {json.dumps(doc)}\n\n".encode()
            await asyncio.sleep(float(request.query_params.get("delay", "0")))
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers=_seen(request))


async def models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})


app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]),
                        Route("/v1/models", models, methods=["GET"])])
