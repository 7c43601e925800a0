"""``runtime bench gateway``: load figures through the example gateway, and the chain alone.

Rows (ids are stable):

* ``gateway/none/rps``, ``gateway/none/latency`` (p50 and p99): the example gateway
  (``examples/gateway``, uvicorn, Starlette, httpx to the upstream) with the plugin
  middleware and an empty chain;
* ``gateway/chain5/rps``, ``gateway/chain5/latency``: the same gateway with a chain of five
  wasm plugins: pre_auth (message_modifier), auth (custom_auth), post_auth
  (request_enricher), and two on_response plugins (response_modifier, markdown_cleaner;
  each runs both response hooks), 7 hook calls per request;
* ``gateway/chain5/cost``: 1 - chain5 rps / none rps (goal: at most 0.10);
* ``chain5/wasm/1thread``, ``chain5/wasm/throughput`` (two threads), ``chain5/wasm/speedup``
  and ``chain5/wasm/2processes``: the same chain without HTTP, hook calls per second
  (goal for the two threads: 20,000; for the speedup: 1.7).

Both gateway runs happen in one invocation with the same request: a ~1.5 KB chat
completion (``POST /v1/chat/completions``) answered by a fixed fake upstream. The load
generator is this module's own (``gps-loadgen``: asyncio, HTTP/1.1 keep-alive, a fixed
number of connections each sending its next request when the previous answer arrived);
it and the fake upstream are pinned to CPU 0 and the gateway to CPU 1 (``sched_setaffinity``),
as the output says. On a machine with fewer than two CPUs nothing is pinned.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .bench import Row

__all__ = ["gateway_rows", "CHAIN5"]

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GATEWAY = EXAMPLES / "gateway"
TOKENS = {"tok-bench": {"app_id": 3, "user_id": 7, "email": "bench@example.com", "name": "Bench"}}
#: The five plugins of the measured chain and where each sits.
CHAIN5: dict[str, Any] = {"pre_auth": ["message_modifier"], "auth": "custom_auth", "post_auth": ["request_enricher"],
          "on_response": ["response_modifier", "markdown_cleaner"]}
PLUGINS5: dict[str, dict[str, Any]] = {
    "message_modifier": {"path": str(EXAMPLES / "message_modifier"),
                         "config": {"instruction": "Answer in English."}},
    "custom_auth": {"path": str(EXAMPLES / "custom_auth"), "config": {"tokens": TOKENS}},
    "request_enricher": {"path": str(EXAMPLES / "request_enricher"),
                         "config": {"instruction": "Cite your sources."}},
    "response_modifier": {"path": str(EXAMPLES / "response_modifier"),
                          "config": {"footer": " [checked]"}},
    "markdown_cleaner": {"path": str(EXAMPLES / "markdown_cleaner")},
}
HOOKS_PER_REQUEST = 7

#: The fake upstream's fixed answer (a chat completion, ~450 bytes).
UPSTREAM_ANSWER = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": "Here are **two** suggestions: *The Name of the Rose* by "
        "Umberto Eco, a medieval mystery, and *Piranesi* by Susanna Clarke, a quiet puzzle of a "
        "house. Both reward patient readers."}}],
    "usage": {"prompt_tokens": 310, "completion_tokens": 48, "total_tokens": 358}}).encode()


def chat_request() -> bytes:
    """The ~1.5 KB chat completion request (headers and body) the load generator sends."""
    body = json.dumps({"model": "gpt-4o", "temperature": 0.2, "max_tokens": 256, "messages": [
        {"role": "system", "content": "You are a helpful assistant for an online bookshop."},
        {"role": "user", "content": "Summarise the customer's last three orders and suggest two "
         "books they might like next, with one sentence each explaining the choice. Keep it under "
         "120 words and do not invent order numbers. " * 6}]}).encode()
    head = ("POST /v1/chat/completions HTTP/1.1\r\nhost: gateway.example.com\r\n"
            "authorization: Bearer tok-bench\r\ncontent-type: application/json\r\n"
            "accept: application/json\r\nuser-agent: gps-loadgen/1\r\n"
            f"content-length: {len(body)}\r\n\r\n")
    return head.encode() + body


# -- processes the bench starts -------------------------------------------------------------
def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {cpu})


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


def _serve_upstream(port: int) -> None:
    """A fixed fake upstream: any request, the same chat completion (keep-alive)."""
    _pin(0)
    answer = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
              b"content-length: " + str(len(UPSTREAM_ANSWER)).encode() + b"\r\n\r\n" + UPSTREAM_ANSWER)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _loadgen(port: int, seconds: float, connections: int) -> dict[str, Any]:
    """Closed-loop load on the gateway: ``connections`` keep-alive connections."""
    _pin(0)
    request = chat_request()
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(end: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(one(started + seconds) for _ in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    latencies.sort()
    return {"requests": len(latencies), "seconds": elapsed, "statuses": statuses,
            "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"a bench process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def _gateway_config(upstream_port: int, chain: bool) -> dict[str, Any]:
    return {"upstream": f"http://127.0.0.1:{upstream_port}",
            "runtime": {"tier": "wasm", "ephemeral": True},
            "policy": {"version": 1, "defaults": {"limits": {"pool_size": 2}},
                       "plugins": {"custom_auth": {"grants": ["apps.read"]}}},
            "plugins": PLUGINS5 if chain else {}, "chain": CHAIN5 if chain else {}}


def _run_gateway(upstream_port: int, chain: bool, seconds: float, connections: int,
                 tmp: Path) -> dict[str, Any]:
    config = tmp / ("chain5.json" if chain else "none.json")
    config.write_text(json.dumps(_gateway_config(upstream_port, chain)))
    port = _free_port()
    pin = "import os; os.sched_setaffinity(0, {1})" if (os.cpu_count() or 1) >= 2 else "pass"
    proc = subprocess.Popen(
        [sys.executable, "-c", f"{pin}; import uvicorn; uvicorn.main()", "--app-dir", str(GATEWAY),
         "--factory", "gateway_app:create_app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "GATEWAY_CONFIG": str(config)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc, 600)  # the first run builds the plugins (cached afterwards)
        _loadgen_in_process(port, min(1.0, seconds / 3), connections)  # warm up
        return _loadgen_in_process(port, seconds, connections)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _loadgen_in_process(port: int, seconds: float, connections: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "runtime.cli.bench_gateway", "loadgen", str(port),
                          str(seconds), str(connections)], capture_output=True, text=True,
                         timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"the load generator failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# -- the chain alone ------------------------------------------------------------------------
def _chain_runtime() -> tuple[Any, Any]:
    from ..aio import AsyncRuntime
    from ..api import RuntimeConfig
    from ..broker.fixtures import Fixtures
    from ..policy import policy_from_dict
    policy = policy_from_dict({"version": 1, "defaults": {"limits": {"pool_size": 2}},
                               "plugins": {"custom_auth": {"grants": ["apps.read"]}}})
    rt = AsyncRuntime(RuntimeConfig(tier="wasm", ephemeral=True, runtime="gateway", policy=policy,
                                    fixtures=Fixtures()))
    for name, spec in PLUGINS5.items():
        rt.runtime.load(spec["path"], name=name, config=spec.get("config"))
    return rt, rt.chain(pre_auth=CHAIN5["pre_auth"], auth=str(CHAIN5["auth"]),
                        post_auth=CHAIN5["post_auth"], on_response=CHAIN5["on_response"])


def _chain_loop(chain: Any, seconds: float) -> int:
    from ..chain import HttpRequest
    raw = chat_request()
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = {k.lower(): v.strip() for k, _, v in
               (line.partition(":") for line in head.decode().split("\r\n")[1:])}
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        req = HttpRequest("POST", "/v1/chat/completions", dict(headers), body, "203.0.113.7:5000",
                          f"bench-{done}")
        phase = chain.request_sync(req)
        if phase.blocked is not None:
            raise RuntimeError(f"the bench chain blocked: {phase.blocked.status}")
        _, answer = chain._response_sync(phase, {"content-type": "application/json"}, UPSTREAM_ANSWER)
        if b"[checked]" not in answer:
            raise RuntimeError("the bench chain's answer lacks the response plugin's footer")
        done += 1
    return done


def _chain_threads(chain: Any, threads: int, seconds: float) -> float:
    counts = [0] * threads

    def run(i: int) -> None:
        counts[i] = _chain_loop(chain, seconds)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) * HOOKS_PER_REQUEST / (time.perf_counter() - started)


def _chain_process(seconds: float) -> float:
    rt, chain = _chain_runtime()
    try:
        _chain_loop(chain, 0.3)
        return _chain_loop(chain, seconds) * HOOKS_PER_REQUEST / seconds
    finally:
        rt.runtime.close()


def _chain_processes(seconds: float) -> float:
    procs = [subprocess.Popen([sys.executable, "-m", "runtime.cli.bench_gateway", "chain", str(seconds)],
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    total = 0.0
    for p in procs:
        out, _ = p.communicate(timeout=seconds + 600)
        if p.returncode != 0:
            raise RuntimeError("a chain bench process failed")
        total += float(out.strip())
    return total


# -- rows -----------------------------------------------------------------------------------
def gateway_rows(quick: bool = False, only: tuple[str, ...] = ()) -> list[Row]:
    """Run the gateway and chain benches; rows as :mod:`runtime.cli.bench` prints them."""
    seconds = 3.0 if quick else 10.0
    connections = 32
    pinned = (os.cpu_count() or 1) >= 2
    where = ("load generator and fake upstream pinned to CPU 0, gateway to CPU 1" if pinned
             else "one CPU: nothing pinned")
    tool = f"gps-loadgen (asyncio, HTTP/1.1 keep-alive, {connections} connections)"
    rows: list[Row] = []

    def wanted(prefix: str) -> bool:
        return not only or any(prefix.startswith(o) or o.startswith(prefix) for o in only)

    if wanted("gateway/"):
        port = _free_port()
        upstream = subprocess.Popen([sys.executable, "-m", "runtime.cli.bench_gateway", "upstream",
                                     str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_port(port, upstream, 30)
            with tempfile.TemporaryDirectory() as tmp:
                results = {name: _run_gateway(port, name == "chain5", seconds, connections, Path(tmp))
                           for name in ("none", "chain5")}
        finally:
            upstream.terminate()
            upstream.wait(15)
        for name, r in results.items():
            ok = int(r["statuses"].get("200", 0))
            note = f"{tool}; {where}; {r['requests']} requests, statuses {r['statuses']}"
            if ok != r["requests"]:
                note += " (NOT all 200)"
            rows.append(Row(f"gateway/{name}/rps", "throughput", "req/s", round(ok / r["seconds"], 1),
                            None, r["requests"], note=note))
            rows.append(Row(f"gateway/{name}/latency", "latency", "ms", round(r["p50_ms"], 3),
                            round(r["p99_ms"], 3), r["requests"], note=f"p50 (median) and p99; {tool}"))
        none_rps = rows[0].median
        chain_rps = rows[2].median
        rows.append(Row("gateway/chain5/cost", "ratio", "fraction",
                        round(1 - chain_rps / none_rps, 4) if none_rps else 1.0, None, 1, goal=0.10,
                        note="1 - gateway/chain5/rps over gateway/none/rps (the chain's share of throughput)"))
    if wanted("chain5/"):
        chain_seconds = 2.0 if quick else 5.0
        rt, chain = _chain_runtime()
        try:
            _chain_loop(chain, 0.3)
            one = _chain_threads(chain, 1, chain_seconds)
            two = _chain_threads(chain, 2, chain_seconds)
        finally:
            rt.runtime.close()
        rows.append(Row("chain5/wasm/1thread", "throughput", "hooks/s", round(one), None,
                        HOOKS_PER_REQUEST, note="the 5-plugin chain without HTTP, one thread"))
        rows.append(Row("chain5/wasm/throughput", "throughput", "hooks/s", round(two), None,
                        HOOKS_PER_REQUEST, goal=20_000.0,
                        note="the 5-plugin chain without HTTP, two threads (one runtime, pools of 2)"))
        rows.append(Row("chain5/wasm/speedup", "ratio", "x", round(two / one, 3) if one else 0.0,
                        None, 1, goal=1.7, note="chain5/wasm/throughput over chain5/wasm/1thread"))
        procs = _chain_processes(chain_seconds)
        rows.append(Row("chain5/wasm/2processes", "throughput", "hooks/s", round(procs), None,
                        HOOKS_PER_REQUEST, note="two processes, one runtime and one thread each "
                        "(the alternative to threads)"))
    return rows


def _main(argv: list[str]) -> int:
    if argv[:1] == ["upstream"]:
        _serve_upstream(int(argv[1]))
        return 0
    if argv[:1] == ["loadgen"]:
        sys.stdout.write(json.dumps(_loadgen(int(argv[1]), float(argv[2]), int(argv[3]))) + "\n")
        return 0
    if argv[:1] == ["chain"]:
        sys.stdout.write(f"{_chain_process(float(argv[1]))}\n")
        return 0
    sys.stderr.write("usage: python -m runtime.cli.bench_gateway upstream PORT | loadgen PORT "
                     "SECONDS CONNECTIONS | chain SECONDS\n")
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
