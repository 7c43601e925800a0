"""PluginMiddleware around a plain ASGI callable (no framework), in-process through
httpx's ASGI transport: untrusted plugin answers, limits, and scopes it must not touch."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from runtime import RuntimeConfig
from runtime.aio import AsyncRuntime
from runtime.asgi import PluginMiddleware, Receive, Scope, Send

HERE = Path(__file__).parent
EXAMPLES = HERE.parents[1] / "examples"


async def plain_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Echoes the request it got (method, path, headers, body) as JSON."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    doc = {"path": scope["path"], "body": body.decode(),
           "headers": {k.decode(): v.decode() for k, v in scope["headers"]}}
    payload = json.dumps(doc).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": payload[:10], "more_body": True})
    await send({"type": "http.response.body", "body": payload[10:]})


def _run(test: Any) -> None:
    async def main() -> None:
        async with AsyncRuntime(RuntimeConfig(tier="inprocess", ephemeral=True)) as rt:
            await rt.load(HERE / "plugins" / "hostile_answers")
            await rt.load(EXAMPLES / "request_enricher", config={"header_name": "x-enriched"})
            chain = rt.chain(pre_auth=["hostile_answers"], post_auth=["request_enricher"],
                             on_response=["hostile_answers"])
            app = PluginMiddleware(plain_app, chain, max_body_bytes=1000)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
                await test(client)
    asyncio.run(main())


def test_the_app_sees_the_rewritten_request_and_the_client_the_answer() -> None:
    async def check(client: httpx.AsyncClient) -> None:
        r = await client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]})
        assert r.status_code == 200
        doc = r.json()  # the two body messages arrived as one body through the response hooks
        assert doc["path"] == "/v1/chat/completions"
        assert int(r.headers["content-length"]) == len(r.content)
        assert r.headers["x-ok"] == "1"  # the plugin's valid header
    _run(check)


def test_headers_and_statuses_http_cannot_carry_are_refused() -> None:
    async def check(client: httpx.AsyncClient) -> None:
        r = await client.get("/v1/models")
        assert "x-bad" not in r.headers and "set-cookie" not in r.headers
        assert "bad name" not in r.headers and "x-wide" not in r.headers
        r = await client.get("/v1/models", headers={"x-mode": "block"})
        assert r.status_code == 502 and r.text == "no"  # status 99999 is not HTTP
        assert r.headers["x-ok"] == "1" and "x-bad" not in r.headers
    _run(check)


def test_a_body_over_the_limit_is_413() -> None:
    async def check(client: httpx.AsyncClient) -> None:
        r = await client.post("/v1/chat/completions", content=b"x" * 1001)
        assert r.status_code == 413 and "1000 bytes" in r.json()["error"]["message"]
        r = await client.post("/v1/chat/completions", content=b"x" * 1000)
        assert r.status_code == 200
    _run(check)


def test_unknown_plugin_paths_fall_through_to_the_app() -> None:
    async def check(client: httpx.AsyncClient) -> None:
        r = await client.get("/plugins/nobody/here")
        assert r.status_code == 200 and r.json()["path"] == "/plugins/nobody/here"
    _run(check)


def test_a_chain_per_route() -> None:
    from runtime.asgi import by_path_prefix

    async def main() -> None:
        async with AsyncRuntime(RuntimeConfig(tier="inprocess", ephemeral=True)) as rt:
            await rt.load(EXAMPLES / "request_enricher", name="enrich_a", config={"header_name": "x-a"})
            await rt.load(EXAMPLES / "request_enricher", name="enrich_b", config={"header_name": "x-b"})
            default = rt.chain()
            route = by_path_prefix({"/llm/rest/a/": rt.chain(post_auth=["enrich_a"]),
                                    "/llm/rest/b/": rt.chain(post_auth=["enrich_b"])})
            app = PluginMiddleware(plain_app, default, route=route)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
                body = {"messages": [{"role": "user", "content": "x"}]}
                a = (await c.post("/llm/rest/a/v1/chat/completions", json=body)).json()["headers"]
                b = (await c.post("/llm/rest/b/v1/chat/completions", json=body)).json()["headers"]
                none = (await c.post("/v1/chat/completions", json=body)).json()["headers"]
                assert "x-a" in a and "x-b" not in a
                assert "x-b" in b and "x-a" not in b
                assert "x-a" not in none and "x-b" not in none
    asyncio.run(main())
