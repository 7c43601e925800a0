"""``runtime bench soak --calls N``: N hook calls through a chain of example plugins.

The chain is the demo's gateway chain without the rate limiter (it would block a long
run): message_modifier (pre_auth), custom_auth (auth), request_enricher (post_auth),
response_modifier (response headers and body), usage_collector (data collection): six
hook calls per request, every answer checked (status 200, the enricher's and the
modifier's changes present, the collector's count equal to the requests sent).

Figures (rows of the usual ``runtime bench`` form): resident memory growth from the end
of the warm-up (the first 10 % of requests) to the end, file descriptors and threads at
the end against the end of the warm-up, and the p99 latency of the last 10 % of requests
against the first 10 %. Goals: RSS growth under 5 %, no fd or thread growth, p99 ratio at
most 1.5.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import threading
import time
from array import array
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from .bench import Row

__all__ = ["SoakResult", "soak", "run_soak", "CALLS_PER_REQUEST"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: pre_auth, auth, post_auth, two response hooks, data collection.
CALLS_PER_REQUEST = 6
_TOKENS = {"tok-soak": {"app_id": 7, "user_id": 42, "email": "soak@example.com", "name": "Soak"}}
_CHAIN: tuple[tuple[str, dict[str, Any]], ...] = (("message_modifier", {"instruction": "Answer in one paragraph."}),
          ("custom_auth", {"tokens": _TOKENS}),
          ("request_enricher", {"instruction": "Cite your sources."}),
          ("response_modifier", {"footer": " [checked]", "remove_headers": ["server"]}),
          ("usage_collector", {}))


@dataclass
class SoakResult:
    tier: str
    calls: int
    requests: int
    seconds: float
    rss_warm_kb: int
    rss_end_kb: int
    fds_warm: int
    fds_end: int
    threads_warm: int
    threads_end: int
    p99_first_us: float
    p99_last_us: float
    p50_us: float
    failures: int
    rss_samples_kb: list[int] = field(default_factory=list)

    @property
    def rss_growth_pct(self) -> float:
        return (self.rss_end_kb - self.rss_warm_kb) * 100 / self.rss_warm_kb

    @property
    def p99_ratio(self) -> float:
        return self.p99_last_us / self.p99_first_us

    def rows(self) -> list[Row]:
        n = self.requests
        return [
            Row("soak/rss_growth", "memory", "%", round(self.rss_growth_pct, 2), None, n, goal=5.0,
                met=self.rss_growth_pct < 5.0,
                note=f"{self.rss_warm_kb} KiB after warm-up -> {self.rss_end_kb} KiB"),
            Row("soak/fd_growth", "memory", "fds", self.fds_end - self.fds_warm, None, n, goal=0,
                met=self.fds_end <= self.fds_warm),
            Row("soak/thread_growth", "memory", "threads", self.threads_end - self.threads_warm, None,
                n, goal=0, met=self.threads_end <= self.threads_warm),
            Row("soak/p99_last_vs_first", "ratio", "x", round(self.p99_ratio, 3), None, n, goal=1.5,
                met=self.p99_ratio <= 1.5,
                note=f"p99 {self.p99_first_us:.0f} us (first 10 %) -> {self.p99_last_us:.0f} us (last 10 %)"),
            Row(f"soak/request/{self.tier}", "latency", "us", round(self.p50_us, 1),
                round(self.p99_first_us, 1), n, note=f"{CALLS_PER_REQUEST} hook calls per request"),
            Row("soak/calls_per_s", "throughput", "calls/s", round(self.calls / self.seconds), None,
                self.calls),
            Row("soak/failures", "ratio", "requests", self.failures, None, n, goal=0,
                met=self.failures == 0),
        ]


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _threads() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return threading.active_count()


def _p(samples: "array[int] | list[int]", q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] / 1000


def soak(calls: int, *, tier: str = "wasm", configure: Callable[[Any], None] | None = None,
         progress: Callable[[int, int], None] | None = None) -> SoakResult:
    """Run ``calls`` hook calls (rounded up to whole requests) through the chain.

    ``configure(runtime)`` runs before the plugins load (tests set a build cache there).
    """
    from ..api import Runtime, RuntimeConfig
    from ..chain import Chain, HttpRequest, HttpResponse
    from ..policy import policy_from_dict

    requests = max(10, -(-calls // CALLS_PER_REQUEST))
    policy = policy_from_dict({"version": 1, "defaults": {"tier": tier}, "plugins": {
        "custom_auth": {"grants": ["apps.read"]},
        "usage_collector": {"grants": ["kv.readwrite", "events.publish", "events.subscribe"]}}})
    answer = json.dumps({"id": "chatcmpl-soak", "object": "chat.completion", "model": "gpt-4o",
                         "choices": [{"index": 0, "finish_reason": "stop", "message": {
                             "role": "assistant", "content": "A fixed answer."}}],
                         "usage": {"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24}}).encode()

    def upstream(req: HttpRequest) -> HttpResponse:
        return HttpResponse(200, {"content-type": "application/json", "server": "fake/1.0"}, answer)

    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello!"}]}).encode()
    # The collector logs a line per record: the rate limiter drops most and says so.
    plugin_log = logging.getLogger("plugin")
    saved_level = plugin_log.level
    plugin_log.setLevel(logging.ERROR)
    try:
        return _soak(calls, requests, tier, policy, upstream, body, configure, progress)
    finally:
        plugin_log.setLevel(saved_level)


def _soak(calls: int, requests: int, tier: str, policy: Any, upstream: Any, body: bytes,
          configure: Callable[[Any], None] | None,
          progress: Callable[[int, int], None] | None) -> SoakResult:
    from ..api import Runtime, RuntimeConfig
    from ..chain import Chain, HttpRequest
    with Runtime(RuntimeConfig(policy=policy, runtime="gateway", ephemeral=True)) as rt:
        if configure is not None:
            configure(rt)
        for name, config in _CHAIN:
            rt.load(EXAMPLES / name, config=config)
        chain = Chain(rt, pre_auth=["message_modifier"], auth="custom_auth",
                      post_auth=["request_enricher"], on_response=["response_modifier"],
                      collectors=["usage_collector"])
        # Preallocated 64-bit slots: a list of Python ints would itself grow RSS per request.
        latencies = array("q", bytes(8 * requests))
        tenth = max(1, requests // 10)
        failures = 0
        samples: list[int] = []
        sample_every = max(1, requests // 100)
        rss_warm = fds_warm = threads_warm = 0
        started = time.perf_counter()
        clock = time.perf_counter_ns
        for i in range(requests):
            req = HttpRequest("POST", "/llm/rest/gpt-4o/v1/chat/completions",
                              {"content-type": "application/json", "authorization": "Bearer tok-soak"},
                              body, request_id=f"soak-{i}", llm_id=1, llm_slug="gpt-4o", vendor="openai")
            t0 = clock()
            result = chain.handle(req, upstream)
            latencies[i] = clock() - t0
            if (result.response.status != 200 or b"[checked]" not in result.response.body
                    or "server" in result.response.headers
                    or any(s.outcome == "failed" for s in result.steps)):
                failures += 1
            if i == tenth - 1:  # end of the warm-up
                gc.collect()
                rss_warm, fds_warm, threads_warm = _rss_kb(), _fds(), _threads()
            if i % sample_every == 0:
                samples.append(_rss_kb())
                if progress is not None:
                    progress(i, requests)
        seconds = time.perf_counter() - started
        gc.collect()
        rss_end, fds_end, threads_end = _rss_kb(), _fds(), _threads()
        collected = sum(int(rt.kv.read("usage_collector", k) or b"0")
                        for k in rt.kv.list("usage_collector", "requests:", 1000))
        if collected and collected != requests:
            failures += abs(requests - collected)
    return SoakResult(
        tier=tier, calls=requests * CALLS_PER_REQUEST, requests=requests, seconds=seconds,
        rss_warm_kb=rss_warm, rss_end_kb=rss_end, fds_warm=fds_warm, fds_end=fds_end,
        threads_warm=threads_warm, threads_end=threads_end,
        p99_first_us=_p(latencies[:tenth], 0.99), p99_last_us=_p(latencies[-tenth:], 0.99),
        p50_us=_p(latencies, 0.5), failures=failures, rss_samples_kb=samples)


def run_soak(calls: int, *, tier: str, as_json: bool) -> int:
    """``runtime bench soak``: print the rows; exit status 1 when a goal is missed."""
    from rich.console import Console
    console = Console(stderr=True)

    def progress(i: int, total: int) -> None:
        if i and i % max(1, total // 10) < max(1, total // 100):
            console.print(f"  soak: {i}/{total} requests", highlight=False)

    result = soak(calls, tier=tier, progress=None if as_json else progress)
    rows = result.rows()
    if as_json:
        doc = {"schema": 1, "rows": [asdict(r) for r in rows],
               "soak": {k: v for k, v in asdict(result).items() if k != "rss_samples_kb"}}
        sys.stdout.write(json.dumps(doc) + "\n")
    else:
        from rich.table import Table
        table = Table(title=f"runtime bench soak: {result.calls} hook calls ({result.requests} "
                            f"requests) on the {tier} tier in {result.seconds:.0f} s")
        for col in ("id", "value", "p99", "unit", "n", "goal", "met", "note"):
            table.add_column(col, justify="left" if col in ("id", "note") else "right")
        for r in rows:
            table.add_row(r.id, f"{r.median:g}", "-" if r.p99 is None else f"{r.p99:g}", r.unit,
                          str(r.n), "-" if r.goal is None else f"{r.goal:g}",
                          "-" if r.met is None else str(r.met), r.note)
        Console(width=160).print(table)
    return 0 if all(r.met is not False for r in rows) else 1
