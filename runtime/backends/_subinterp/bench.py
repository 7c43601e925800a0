"""The subinterpreter tier's ``runtime bench`` rows (registered in runtime/cli/bench.py).

* ``post_auth/subinterpreter``: the bench plugin (examples/request_enricher) with the
  1.5 KB request, same-thread, no deadline (as ``post_auth/inprocess``, the floor);
* ``post_auth/subinterpreter/vs_inprocess``: the ratio of the two;
* ``post_auth/subinterpreter+kv``: the same plugin with one KV read inside the hook;
* ``post_auth/subinterpreter+deadline``: same-thread with the plugin's deadline armed;
* ``subinterpreter/2interp_speedup``: a hook of ~150 µs pure-Python work plus one KV
  read, worker mode, two host threads on two interpreters over one thread on one (and the
  same under ``subinterpreter/same_thread/``, where each host thread enters its own
  interpreter: no hand-off).

The KV and work plugins are the bench plugin's files plus a subclass written to a
temporary directory at run time. Every row's note names the Python that ran it and the
GIL mode (on 3.11 the interpreters share one GIL: no speedup is possible there).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

__all__ = ["subinterpreter_rows"]

# A post_auth plugin = the bench plugin + one KV read (and, for "work", ~150 µs of
# pure-Python work first). Written next to a copy of the bench plugin's files.
_EXTRA_PLUGIN = '''
"""Bench variant of the request enricher: one KV read (and optional pure-Python work)."""
from __future__ import annotations

from .plugin import RequestEnricher


class BenchVariant(RequestEnricher):
    def initialize(self, ctx, config):
        super().initialize(ctx, config)
        self.work = int(config.get("work_iterations", "0") or 0)

    def handle_post_auth(self, ctx, req):
        x = 0
        for i in range(self.work):
            x = (x * 31 + i) % 1000003
        ctx.services.kv.read("bench-key")
        return super().handle_post_auth(ctx, req)


def create_plugin():
    return BenchVariant()
'''
_WORK_ITERATIONS = 2500


def _variant(bench_plugin: Path, into: Path) -> Path:
    target = into / "bench_variant"
    shutil.copytree(bench_plugin, target, ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    (target / "bench_variant.py").write_text(_EXTRA_PLUGIN, encoding="utf-8")
    manifest = json.loads((target / "plugin-manifest.json").read_text(encoding="utf-8"))
    manifest["sandbox"]["entry"] = "bench_variant:create_plugin"
    manifest["permissions"] = {"services": ["kv.readwrite"]}
    manifest["capabilities"] = {"hooks": ["post_auth"], "primary_hook": "post_auth"}
    (target / "plugin-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    schema_file = target / manifest["sandbox"].get("config_schema", "config.schema.json")
    if schema_file.is_file():
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        schema.setdefault("properties", {})["work_iterations"] = {"type": "string"}
        schema_file.write_text(json.dumps(schema), encoding="utf-8")
    return target


def _python() -> str:
    from ..subinterp import driver_names, own_gil
    v = sys.version_info
    gil = "own GIL per interpreter" if own_gil() else "shared GIL (3.11)"
    drivers = driver_names()
    return f"Python {v[0]}.{v[1]}.{v[2]}, {gil}, {drivers[0] if drivers else 'no'} driver"


def subinterpreter_rows(n: int, warmup: int, floor: float | None, time_fn: Callable[..., list[float]],
                        latency_row: Callable[..., Any], row_cls: Any, request: dict[str, Any],
                        bench_plugin: Path, config: dict[str, str], check: Callable[[dict[str, Any]], None],
                        seconds: float = 1.5) -> list[Any]:
    """The rows (see the module doc); ``floor`` is this run's post_auth/inprocess median."""
    from ...api import Runtime, RuntimeConfig
    from ...policy import policy_from_dict
    from ..subinterp import SubinterpreterSettings, tier_status

    where = _python()
    if not tier_status().startswith("available"):
        return [row_cls(i, "unavailable", "us", None, None, 0, note=f"not measured: {tier_status()}")
                for i in ("post_auth/subinterpreter", "post_auth/subinterpreter+kv",
                          "post_auth/subinterpreter+deadline", "subinterpreter/2interp_speedup")]
    rows: list[Any] = []
    policy = policy_from_dict({"version": 1, "defaults": {"trust": "trusted"},
                               "plugins": {"work": {"heavy": True, "limits": {"pool_size": 2}},
                                           "same": {"limits": {"pool_size": 2}}}},
                              "(bench policy)")
    with tempfile.TemporaryDirectory(prefix="bench-subinterp-") as tmp:
        variant = _variant(bench_plugin, Path(tmp))
        cfg = RuntimeConfig(tier="subinterpreter", ephemeral=True, policy=policy,
                            subinterpreter=SubinterpreterSettings())
        with Runtime(cfg) as rt:
            host = rt.load(bench_plugin, name="bench", config=config)
            same = time_fn(lambda: check(host.call("process_post_auth", request, timeout_ms=0)), n, warmup)
            deadline = time_fn(lambda: check(host.call("process_post_auth", request)), n, warmup)
            rt.kv.write("bench-kv", "bench-key", b"v" * 100, None)
            kv_host = rt.load(variant, name="bench-kv", config=config)
            kv = time_fn(lambda: check(kv_host.call("process_post_auth", request, timeout_ms=0)), n, warmup)
            rows.append(latency_row("post_auth/subinterpreter", same,
                                    f"same-thread, no deadline; {where}"))
            rows[-1].goal = 10.0
            if floor:
                rows.append(row_cls("post_auth/subinterpreter/vs_inprocess", "ratio", "x",
                                    round(rows[0].median / floor, 3), None, 1, goal=1.6,
                                    note=f"post_auth/subinterpreter over post_auth/inprocess; {where}"))
            with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True)) as ref:
                ref.kv.write("bench-kv", "bench-key", b"v" * 100, None)
                ref_host = ref.load(variant, name="bench-kv", config=config)
                ref_kv = sorted(time_fn(lambda: check(ref_host.call("process_post_auth", request, timeout_ms=0)),
                                        n, warmup))[n // 2]
            rows.append(latency_row("post_auth/subinterpreter+kv", kv,
                                    f"same-thread, one KV read through the broker inside the hook "
                                    f"(the same plugin in-process: {ref_kv:.1f} us); {where}"))
            rows[-1].goal = 11.0
            rows.append(latency_row("post_auth/subinterpreter+deadline", deadline,
                                    f"same-thread, the deadline armed (native watchdog); {where}"))
            rows += _speedup_rows(rt, variant, config, request, check, seconds, where)
            rows += _speedup_rows(rt, variant, config, request, check, seconds, where, name="same")
    return rows


def _speedup_rows(rt: Any, variant: Path, config: dict[str, str], request: dict[str, Any],
                  check: Callable[[dict[str, Any]], None], seconds: float, where: str,
                  name: str = "work") -> list[Any]:
    """Worker mode (``work``, the goal row) or same-thread mode with one host thread per
    instance (``same``: rows under ``subinterpreter/same_thread/``, no goal)."""
    prefix = "subinterpreter/" if name == "work" else "subinterpreter/same_thread/"
    mode = "worker mode" if name == "work" else "same-thread (each host thread enters its interpreter)"
    from ...cli.bench import Row
    rt.kv.write(name, "bench-key", b"v" * 100, None)
    host = rt.load(variant, name=name, config={**config, "work_iterations": str(_WORK_ITERATIONS)})
    per_call: list[float] = []

    def run(counts: list[int], stop: float) -> None:
        c = 0
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            check(host.call("process_post_auth", request))
            per_call.append(time.perf_counter() - t0)
            c += 1
        counts.append(c)

    run([], time.perf_counter() + 0.3)  # warm both paths
    per_call.clear()
    one: list[int] = []
    run(one, time.perf_counter() + seconds)
    single_us = sorted(per_call)[len(per_call) // 2] * 1e6
    two: list[int] = []
    stop = time.perf_counter() + seconds
    threads = [threading.Thread(target=run, args=(two, stop)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    single, double = one[0] / seconds, sum(two) / seconds
    rt.unload(name)
    return [Row(f"{prefix}1interp", "throughput", "calls/s", round(single, 1), None, one[0],
                note=f"{mode}, one host thread; the hook: {_WORK_ITERATIONS} loop steps of pure "
                     f"Python plus one KV read, {single_us:.0f} us a call; {where}"),
            Row(f"{prefix}2interp", "throughput", "calls/s", round(double, 1), None, sum(two),
                note=f"{mode}, two host threads on two interpreters; {where}"),
            Row(f"{prefix}2interp_speedup", "ratio", "x", round(double / single, 3), None, 1,
                goal=1.8 if name == "work" else None,
                note=f"{mode}: two interpreters over one, per-call dispatch from the host; {where}")]
