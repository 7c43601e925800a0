"""The example gateway (examples/gateway) under uvicorn, against a fake upstream, both on
loopback, driven by a real HTTP client: the chain on every request, SSE streamed event by
event through the response hooks, custom endpoints under /plugins/{slug}/, and two
gateway processes sharing one Redis for the rate limiter."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from runtime.broker.kv import SQLiteKV
from service_servers import free_port, unique_name

REPO = Path(__file__).resolve().parents[2]
GATEWAY = REPO / "examples" / "gateway"
EXAMPLES = REPO / "examples"
TOKENS = {"tok-ana": {"app_id": 7, "user_id": 42, "email": "ana@example.com", "name": "Ana"}}

pytestmark = pytest.mark.slow


class Server:
    def __init__(self, args: list[str], port: int, env: dict[str, str], ready_path: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(GATEWAY), "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", *args],
            env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                output = self.log.read()
                self.log.close()
                raise AssertionError(f"server {args} exited {self.proc.returncode}:\n{output}")
            try:
                if httpx.get(self.url + ready_path, timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server {args} did not start")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def gateway(config: dict[str, Any], tmp_path: Path, name: str = "gateway") -> Server:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config))
    return Server(["--factory", "gateway_app:create_app"], free_port(), {"GATEWAY_CONFIG": str(path)},
                  "/healthz")


@pytest.fixture(scope="module")
def upstream() -> Iterator[Server]:
    server = Server(["fake_upstream:app"], free_port(), {}, "/v1/models")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gw(upstream: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("gw")
    kv_path = tmp / "kv.sqlite3"
    config = {
        "upstream": upstream.url,
        "runtime": {"tier": "inprocess", "kv_url": f"sqlite:///{kv_path}"},
        "policy": {"version": 1, "defaults": {"limits": {"pool_size": 2}},
                   "plugins": {"custom_auth": {"grants": ["apps.read"]}}},
        "plugins": {
            "rate_limiter": {"path": str(EXAMPLES / "rate_limiter"), "config": {"limit": 1000}},
            "custom_auth": {"path": str(EXAMPLES / "custom_auth"), "config": {"tokens": TOKENS}},
            "request_enricher": {"path": str(EXAMPLES / "request_enricher"),
                                 "config": {"instruction": "Be brief."}},
            "sse_redactor": {"path": str(GATEWAY / "plugins" / "sse_redactor"),
                             "config": {"words": ["secret"]}},
            "usage_collector": {"path": str(EXAMPLES / "usage_collector")},
            "echo_endpoint": {"path": str(EXAMPLES / "echo_endpoint")}},
        "chain": {"pre_auth": ["rate_limiter"], "auth": "custom_auth",
                  "post_auth": ["request_enricher"], "on_response": ["sse_redactor"],
                  "collectors": ["usage_collector"]}}
    server = gateway(config, tmp)
    yield server, kv_path
    server.stop()


def _chat(text: str, stream: bool = False) -> dict[str, Any]:
    return {"model": "fake-model", "stream": stream, "messages": [{"role": "user", "content": text}]}


AUTH = {"authorization": "Bearer tok-ana"}


def test_a_chat_completion_goes_through_the_chain(gw: tuple[Server, Path]) -> None:
    server, kv_path = gw
    r = httpx.post(server.url + "/v1/chat/completions", json=_chat("tell me a secret"), headers=AUTH)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["choices"][0]["message"]["content"] == "You said: tell me a [redacted]"
    assert r.headers["x-redactor"] == "on" and r.headers["x-redacted"] == "true"
    assert r.headers["x-upstream-saw-ratelimit-limit"] == "1000"  # pre_auth's headers went upstream
    assert doc["system_messages"] == ["Be brief."]  # post_auth rewrote the body
    assert int(r.headers["content-length"]) == len(r.content)
    kv = SQLiteKV(kv_path)
    try:  # data collection ran after the answer, off the hot path
        deadline = time.monotonic() + 5
        while not kv.list("usage_collector", "requests:", 10) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kv.list("usage_collector", "requests:", 10)
    finally:
        kv.close()


def test_a_bad_token_never_reaches_the_upstream(gw: tuple[Server, Path]) -> None:
    server, _ = gw
    r = httpx.post(server.url + "/v1/chat/completions", json=_chat("hi"),
                   headers={"authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json() == {"error": {"message": "authentication failed"}}
    assert not any(h.startswith("x-upstream-saw") for h in r.headers)


def test_sse_is_streamed_event_by_event_through_the_response_hooks(gw: tuple[Server, Path]) -> None:
    server, kv_path = gw
    kv = SQLiteKV(kv_path)
    before = int(kv.read("sse_redactor", "streams") or b"0")
    arrivals: list[tuple[float, str]] = []
    started = time.monotonic()
    with httpx.stream("POST", server.url + "/v1/chat/completions?delay=0.15",
                      json=_chat("one secret two three", stream=True), headers=AUTH, timeout=30) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["x-redactor"] == "on" and "content-length" not in r.headers
        for line in r.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic() - started, line[6:]))
    assert arrivals[-1][1] == "[DONE]"
    words = [json.loads(d)["choices"][0]["delta"]["content"] for _, d in arrivals[:-1]]
    assert "".join(words) == "You said: one [redacted] two three"
    # the first event reached the client long before the upstream finished (6 events, 0.15 s apart)
    assert arrivals[-1][0] - arrivals[0][0] > 0.5, arrivals
    deadline = time.monotonic() + 5
    while int(kv.read("sse_redactor", "streams") or b"0") == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert int(kv.read("sse_redactor", "streams") or b"0") == before + 1  # on_stream_complete ran
    kv.close()


def test_custom_endpoints_are_served_under_plugins_slug(gw: tuple[Server, Path]) -> None:
    server, _ = gw
    r = httpx.post(server.url + "/plugins/echo_endpoint/echo?x=1", json={"a": 1})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["path"] == "/echo" and doc["query"] == {"x": ["1"]} and doc["json"] == {"a": 1}
    assert httpx.get(server.url + "/plugins/echo_endpoint/nowhere").status_code == 404
    r = httpx.delete(server.url + "/plugins/echo_endpoint/echo")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    events = []
    with httpx.stream("GET", server.url + "/plugins/echo_endpoint/stream?n=4") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert [e["event"] for e in events] == [1, 2, 3, 4]
    assert httpx.get(server.url + "/plugins/not_loaded/x").status_code == 404  # falls through


def test_paths_outside_the_chain_are_untouched(gw: tuple[Server, Path]) -> None:
    server, _ = gw
    r = httpx.get(server.url + "/healthz")
    assert r.status_code == 200 and "sse_redactor" in r.json()["plugins"]
    assert "x-redactor" not in r.headers


def test_two_gateways_on_one_redis_admit_exactly_the_limit(upstream: Server, redis_url: str,
                                                          tmp_path: Path) -> None:
    """Two gateway processes, one Redis: the rate limiter (kv.increment, wasm tier) admits
    exactly ``limit`` of the requests fired at both at once."""
    build = subprocess.run([sys.executable, "-m", "runtime.cli.main", "build",
                            str(EXAMPLES / "rate_limiter")], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr  # built once, not by both gateways
    limit, total = 25, 80
    kv_url = f"{redis_url}?prefix={unique_name('gw')}:"
    config = {"upstream": upstream.url,
              "runtime": {"tier": "wasm", "kv_url": kv_url, "events_url": kv_url},
              # 40 requests at once per gateway queue for 2 instances: a generous deadline,
              # or on a busy machine a queued call times out and pre_auth fails open (200)
              "policy": {"version": 1, "defaults": {"limits": {"pool_size": 2, "timeout_ms": 60000}}},
              "plugins": {"rate_limiter": {"path": str(EXAMPLES / "rate_limiter"),
                                           "config": {"limit": limit, "window_seconds": 600}}},
              "chain": {"pre_auth": ["rate_limiter"]}}
    one = gateway({**config, "runtime": {**config["runtime"], "node": "gw-1"}}, tmp_path, "one")
    two = gateway({**config, "runtime": {**config["runtime"], "node": "gw-2"}}, tmp_path, "two")
    try:
        async def fire() -> list[int]:
            async with httpx.AsyncClient(timeout=30) as client:
                urls = [(one if i % 2 else two).url + "/v1/chat/completions" for i in range(total)]
                answers = await asyncio.gather(*(client.post(u, json=_chat("hi")) for u in urls))
                return [a.status_code for a in answers]

        statuses = asyncio.run(fire())
        assert statuses.count(200) == limit, statuses
        assert statuses.count(429) == total - limit, statuses
        from runtime.broker.kv_redis import RedisKV
        kv = RedisKV(kv_url)
        assert kv.read("rate_limiter", "rl:remote_addr:127.0.0.1") == str(total).encode()
        kv.close()
    finally:
        one.stop()
        two.stop()


def test_a_reload_under_http_traffic_fails_no_request(upstream: Server, tmp_path: Path) -> None:
    """Continuous requests through the gateway while POST /admin/reload swaps a plugin's
    build: every request is answered 200, first by the old build, then by the new."""
    from test_reload import write_plugin
    directory = write_plugin(tmp_path / "versioned", "1")
    config = {"upstream": upstream.url, "admin_token": "adm",
              "runtime": {"tier": "inprocess", "ephemeral": True},
              "policy": {"version": 1, "defaults": {"limits": {"pool_size": 2}}},
              "plugins": {"versioned": {"path": str(directory), "config": {"pause_ms": 2}}},
              "chain": {"post_auth": ["versioned"]}}
    server = gateway(config, tmp_path)
    try:
        async def run() -> tuple[list[tuple[int, str]], httpx.Response, httpx.Response]:
            results: list[tuple[int, str]] = []
            stop = asyncio.Event()
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                async def worker() -> None:
                    while not stop.is_set():
                        r = await client.post("/v1/chat/completions", json=_chat("hi"))
                        results.append((r.status_code, r.headers.get("x-upstream-saw-version", "")))

                workers = [asyncio.create_task(worker()) for _ in range(4)]
                while len(results) < 100:
                    await asyncio.sleep(0.01)
                refused = await client.post("/admin/reload/versioned")
                write_plugin(directory, "2")
                reloaded = await client.post("/admin/reload/versioned", headers={"authorization": "Bearer adm"})
                mark = len(results)
                while len(results) < mark + 100:
                    await asyncio.sleep(0.01)
                stop.set()
                await asyncio.gather(*workers)
            return results, refused, reloaded

        results, refused, reloaded = asyncio.run(run())
        assert refused.status_code == 401
        assert reloaded.status_code == 200, reloaded.text
        assert [s for s, _ in results if s != 200] == []
        versions = [v for _, v in results]
        assert versions.count("1") >= 100 and versions.count("2") >= 100, len(versions)
        assert versions[-1] == "2"
    finally:
        server.stop()


def test_metrics_are_served_for_prometheus(gw: tuple[Server, Path]) -> None:
    server, _ = gw
    httpx.post(server.url + "/v1/chat/completions", json=_chat("hi"), headers=AUTH)
    httpx.post(server.url + "/v1/chat/completions", json=_chat("hi"), headers={"authorization": "Bearer x"})
    r = httpx.get(server.url + "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = {line.rpartition(" ")[0]: float(line.rpartition(" ")[2])
             for line in r.text.splitlines() if line and not line.startswith("#")}
    assert lines['gps_plugin_calls_total{hook="process_pre_auth",plugin="rate_limiter"}'] >= 2
    assert lines['gps_plugin_calls_total{hook="authenticate",plugin="custom_auth"}'] >= 2
    assert lines['gps_plugin_call_seconds_count{hook="on_before_write",plugin="sse_redactor"}'] >= 1
    assert lines['gps_plugin_pool_size{plugin="rate_limiter",tier="inprocess"}'] == 2
