"""The pieces of `runtime bench gateway` that can be checked quickly: the fake upstream,
the load generator and the request it sends (the figures themselves are bench rows)."""

from __future__ import annotations

import json
import subprocess
import sys

from runtime.cli import bench_gateway as b


def test_the_load_generator_against_the_fake_upstream() -> None:
    port = b._free_port()
    upstream = subprocess.Popen([sys.executable, "-m", "runtime.cli.bench_gateway", "upstream", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        b._wait_port(port, upstream, 30)
        result = b._loadgen_in_process(port, 0.5, 2)
    finally:
        upstream.terminate()
        upstream.wait(10)
    assert result["requests"] > 10 and result["statuses"] == {"200": result["requests"]}
    assert 0 < result["p50_ms"] <= result["p99_ms"]


def test_the_request_is_a_1_5_kb_chat_completion() -> None:
    raw = b.chat_request()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert 1400 <= len(raw) <= 1700, len(raw)
    assert f"content-length: {len(body)}".encode() in head
    assert json.loads(body)["messages"][-1]["role"] == "user"
    assert len(json.loads(b.UPSTREAM_ANSWER)["choices"]) == 1


def test_the_chain_has_five_plugins_on_the_five_hook_points() -> None:
    named = [*b.CHAIN5["pre_auth"], b.CHAIN5["auth"], *b.CHAIN5["post_auth"], *b.CHAIN5["on_response"]]
    assert sorted(named) == sorted(b.PLUGINS5) and len(named) == 5
