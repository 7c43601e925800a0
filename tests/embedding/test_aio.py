"""The asyncio API: calls, streams and chains run on worker threads, never on the loop."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from runtime import RuntimeConfig
from runtime.aio import AsyncRuntime
from runtime.chain import HttpRequest, HttpResponse
from runtime.policy import policy_from_dict

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
PLUGINS = REPO / "tests" / "plugins"


def _config(**plugins: Any) -> RuntimeConfig:
    from runtime.broker.fixtures import Fixtures
    return RuntimeConfig(tier="inprocess", ephemeral=True, runtime="gateway",
                         fixtures=Fixtures(apps=[{"id": 7, "name": "Ana's app", "is_active": True}]),
                         policy=policy_from_dict({"version": 1, "plugins": plugins}))


def _enriched(headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"request": {"method": "POST", "path": "/v1/chat/completions", "headers": headers or {},
                        "body": json.dumps({"messages": [{"role": "user", "content": "hi"}]})}}


def test_calls_leave_the_event_loop_free() -> None:
    async def main() -> None:
        async with AsyncRuntime(_config(slow={"limits": {"timeout_ms": 10_000}})) as rt:
            await rt.load(PLUGINS / "slow")
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            task = asyncio.create_task(ticker())
            started = time.monotonic()
            answer = await rt.call("slow", "process_post_auth", _enriched())
            elapsed = time.monotonic() - started
            task.cancel()
            assert answer["headers"] == {"x-slow": "done"}
            # the loop kept running its ticker while the plugin slept 5 s (a blocked loop
            # would have ticked about once)
            assert elapsed >= 4.9 and ticks >= 50, (ticks, elapsed)

    asyncio.run(main())


def test_concurrent_calls_overlap_across_the_pool() -> None:
    async def main() -> None:
        config = _config(slow={"limits": {"timeout_ms": 10_000, "pool_size": 3}})
        async with AsyncRuntime(config) as rt:
            await rt.load(PLUGINS / "slow")
            started = time.monotonic()
            answers = await asyncio.gather(*(rt.call("slow", "process_post_auth", _enriched())
                                             for _ in range(3)))
            elapsed = time.monotonic() - started
            assert [a["headers"] for a in answers] == [{"x-slow": "done"}] * 3
            assert elapsed < 9, elapsed  # three 5 s calls on three instances at once, not 15 s

    asyncio.run(main())


def test_failures_keep_their_codes_and_fail_policies() -> None:
    async def main() -> None:
        async with AsyncRuntime(_config(raises={})) as rt:
            await rt.load(PLUGINS / "raises")
            from runtime.errors import PluginRuntimeError
            with pytest.raises(PluginRuntimeError) as info:
                await rt.call("raises", "process_post_auth", _enriched())
            assert info.value.code == "PLUGIN_RAISED" and info.value.plugin == "raises"
            answer, error = await rt.call_or_fail_answer("raises", "process_post_auth", _enriched())
            assert error is not None and answer["block"] is True and answer["status_code"] == 503

    asyncio.run(main())


def test_a_stream_arrives_chunk_by_chunk() -> None:
    async def main() -> None:
        async with AsyncRuntime(_config(echo_agent={"grants": ["llms.proxy"]})) as rt:
            await rt.load(EXAMPLES / "echo_agent", config={"words_per_chunk": 1})
            request = {"user_message": "one two three", "session_id": "s1", "context": {}}
            chunks = [c async for c in rt.stream("echo_agent", "handle_agent_message", request)]
            assert len(chunks) >= 4 and chunks[-1].get("is_final") is True
            text = "".join(c.get("content", "") for c in chunks)
            assert "one" in text and "three" in text

    asyncio.run(main())


def test_a_chain_runs_in_ai_studios_order_with_an_async_upstream() -> None:
    tokens = {"tok-ana": {"app_id": 7, "user_id": 42, "email": "a@example.com", "name": "Ana"}}

    async def main() -> None:
        config = _config(rate_limiter={"config": {"limit": 2}},
                         custom_auth={"config": {"tokens": tokens}, "grants": ["apps.read"]},
                         request_enricher={"config": {"header_name": "x-app"}},
                         response_modifier={"config": {"footer": " [checked]"}},
                         usage_collector={})
        async with AsyncRuntime(config) as rt:
            for name in ("rate_limiter", "custom_auth", "request_enricher", "response_modifier",
                         "usage_collector"):
                await rt.load(EXAMPLES / name)
            chain = rt.chain(pre_auth=["rate_limiter"], auth="custom_auth",
                             post_auth=["request_enricher"], on_response=["response_modifier"],
                             collectors=["usage_collector"])
            seen: list[HttpRequest] = []

            async def upstream(req: HttpRequest) -> HttpResponse:
                seen.append(req)
                await asyncio.sleep(0)
                body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi."}}]}
                return HttpResponse(200, {"content-type": "application/json"}, json.dumps(body).encode())

            def request(token: str) -> HttpRequest:
                return HttpRequest("POST", "/v1/chat/completions",
                                   {"authorization": f"Bearer {token}", "content-type": "application/json"},
                                   json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode(),
                                   remote_addr="203.0.113.5:1", request_id="r1")

            denied = await chain.handle(request("wrong"), upstream)
            assert denied.response.status == 401 and not seen
            ok = await chain.handle(request("tok-ana"), upstream)
            assert ok.response.status == 200 and len(seen) == 1
            assert json.loads(ok.response.body)["choices"][0]["message"]["content"] == "Hi. [checked]"
            assert [(s.plugin, s.hook) for s in ok.steps][:3] == [
                ("rate_limiter", "pre_auth"), ("custom_auth", "auth"), ("request_enricher", "post_auth")]
            limited = await chain.handle(request("tok-ana"), upstream)
            assert limited.response.status == 429 and limited.blocked_by == "rate_limiter"
            await chain.drain()  # data collection ran off the hot path
            counted = [k for k in rt.runtime.kv.list("usage_collector", "requests:", 10)]
            assert len(counted) == 1 and rt.runtime.kv.read("usage_collector", counted[0]) == b"1"

    asyncio.run(main())
