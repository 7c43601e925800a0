"""Figures of the wasm tier (not a test; run by hand, each mode in a fresh process).

    .venv/bin/python tests/wasm/bench_wasm.py cold       # cold builds in an empty cache
    .venv/bin/python tests/wasm/bench_wasm.py cached     # cached build_plugin
    .venv/bin/python tests/wasm/bench_wasm.py load       # deserialize, instantiate, first call
    .venv/bin/python tests/wasm/bench_wasm.py calls      # steady process_post_auth latency
    .venv/bin/python tests/wasm/bench_wasm.py rss        # RSS per instance, 20 instances

Every mode prints one JSON line. ``NO_PRELOAD=1`` builds without the stdlib preload. The cache is ``$GPS_CACHE_DIR`` or ``<repo>/.cache/wasm``.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from host_abi.envelope import encode_request  # noqa: E402
from runtime.backends.base import PluginSource  # noqa: E402
from runtime.backends.wasm import WasmBackend  # noqa: E402
from runtime.build import EngineSettings, build_plugin  # noqa: E402
from runtime.cli.bench import bench_request  # noqa: E402
from wasm_helpers import ENRICHER, REPO, start_msg  # noqa: E402

CACHE = Path(os.environ.get("GPS_CACHE_DIR") or REPO / ".cache" / "wasm")
if os.environ.get("NO_PRELOAD"):  # compare: no stdlib modules imported at build time
    import runtime.build
    runtime.build.STDLIB_PRELOAD = ()
CONFIG = encode_request({"config": {"instruction": "Be brief."}})
SOURCE = PluginSource("bench", ENRICHER, "plugin", "create_plugin")


def _ok(op: int, payload: str) -> str:
    return '{"v":1,"ok":null}'


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {"median": round(statistics.median(ordered), 2), "p99": round(p99, 2),
            "min": round(ordered[0], 2), "n": len(ordered)}


def timed(fn: Callable[[], Any], n: int, warmup: int = 0) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t0) / 1000)
    return out


def rss_kb() -> dict[str, int]:
    fields: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "RssAnon", "RssFile")):
                k, v = line.split(":")
                fields[k] = int(v.split()[0])
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            k, _, rest = line.partition(":")
            if k in ("Pss", "Private_Clean", "Private_Dirty", "Shared_Clean"):
                fields[k] = int(rest.split()[0])
    return fields


def mode_cold() -> dict[str, Any]:
    runs = []
    for _ in range(int(os.environ.get("RUNS", "2"))):
        with tempfile.TemporaryDirectory() as tmp:
            marks: list[tuple[str, float]] = []
            r = build_plugin(ENRICHER, cache_dir=tmp,
                             progress=lambda s: marks.append((s, time.perf_counter())))
            end = time.perf_counter()
            stamps = dict(marks)
            build_s = stamps["compiling the component (wasmtime)"] - stamps["building the component (componentize-py)"]
            compile_s = end - stamps["compiling the component (wasmtime)"]
            runs.append({"total_s": round(r.seconds, 2), "componentize_s": round(build_s, 2),
                         "compile_s": round(compile_s, 2), "wasm_mb": round(r.wasm_size / 2**20, 1),
                         "cwasm_mb": round(r.cwasm_size / 2**20, 1)})
    return {"mode": "cold", "runs": runs}


def mode_cached() -> dict[str, Any]:
    build_plugin(ENRICHER, cache_dir=CACHE)
    samples = timed(lambda: build_plugin(ENRICHER, cache_dir=CACHE), 20)
    return {"mode": "cached", "build_plugin_ms": {k: round(v / 1000, 2) if k != "n" else v
                                                  for k, v in stats(samples).items()}}


def mode_load() -> dict[str, Any]:
    from wasmtime.component import Component
    r = build_plugin(ENRICHER, cache_dir=CACHE)
    settings = EngineSettings()
    engine = settings.engine()
    t0 = time.perf_counter_ns()
    first = Component.deserialize_file(engine, str(r.cwasm_path))
    first_us = (time.perf_counter_ns() - t0) / 1000
    again = timed(lambda: Component.deserialize_file(engine, str(r.cwasm_path)), 20)
    del first
    backend = WasmBackend(cache_dir=CACHE)
    t0 = time.perf_counter_ns()
    backend.prepare(SOURCE)  # cached build + deserialize
    prepare_us = (time.perf_counter_ns() - t0) / 1000
    payload = encode_request(bench_request())
    inst_us, start_us, init_us, first_call_us, second_call_us = [], [], [], [], []
    for _ in range(100):
        t0 = time.perf_counter_ns()
        inst = backend.instantiate(SOURCE, _ok)
        t1 = time.perf_counter_ns()
        inst.handle(0, start_msg())
        t2 = time.perf_counter_ns()
        inst.handle(1, CONFIG)
        t3 = time.perf_counter_ns()
        inst.handle(8, payload, 1000)
        t4 = time.perf_counter_ns()
        inst.handle(8, payload, 1000)
        t5 = time.perf_counter_ns()
        inst_us.append((t1 - t0) / 1000)
        start_us.append((t2 - t1) / 1000)
        init_us.append((t3 - t2) / 1000)
        first_call_us.append((t4 - t3) / 1000)
        second_call_us.append((t5 - t4) / 1000)
        inst.close()
    backend.close()
    return {"mode": "load", "deserialize_file_first_us": round(first_us, 1),
            "deserialize_file_again_us": stats(again), "prepare_cached_us": round(prepare_us, 1),
            "instantiate_us": stats(inst_us), "instance_start_first_call_us": stats(start_us),
            "initialize_us": stats(init_us), "first_post_auth_us": stats(first_call_us),
            "second_post_auth_us": stats(second_call_us),
            "instantiate_plus_three_hooks_us": round(statistics.median(
                [a + b + c + d for a, b, c, d in zip(inst_us, start_us, init_us, first_call_us)]), 1)}


def mode_calls() -> dict[str, Any]:
    import json as _json
    from runtime.backends.inprocess import InProcessBackend
    n = int(os.environ.get("N", "2000"))
    req = bench_request()
    payload = encode_request(req)
    out: dict[str, Any] = {"mode": "calls", "n": n, "request_bytes": len(payload.encode())}
    backend = WasmBackend(cache_dir=CACHE)
    inst = backend.instantiate(SOURCE, _ok)
    inst.handle(0, start_msg())
    inst.handle(1, CONFIG)
    gc.collect()
    out["wasm_handle_no_deadline_us"] = stats(timed(lambda: inst.handle(8, payload), n, 200))
    out["wasm_handle_deadline_us"] = stats(timed(lambda: inst.handle(8, payload, 1000), n, 200))
    out["wasm_encode_handle_decode_us"] = stats(timed(
        lambda: _json.loads(inst.handle(8, encode_request(req), 1000)), n, 200))
    inst.close()
    local = InProcessBackend()
    local.prepare(SOURCE)
    linst = local.instantiate(SOURCE, _ok)
    linst.handle(0, start_msg())
    linst.handle(1, CONFIG)
    out["inprocess_handle_us"] = stats(timed(lambda: linst.handle(8, payload), n, 200))
    backend.close()
    return out


def mode_rss() -> dict[str, Any]:
    count = int(os.environ.get("COUNT", "20"))
    backend = WasmBackend(cache_dir=CACHE)
    backend.prepare(SOURCE)
    payload = encode_request(bench_request())
    gc.collect()
    base = rss_kb()
    instances = [backend.instantiate(SOURCE, _ok) for _ in range(count)]
    created = rss_kb()
    for inst in instances:
        inst.handle(0, start_msg())
        inst.handle(1, CONFIG)
        inst.handle(8, payload, 1000)
    warm = rss_kb()
    for _ in range(10):
        for inst in instances:
            inst.handle(8, payload, 1000)
    warm11 = rss_kb()

    def per(a: dict[str, int], b: dict[str, int]) -> dict[str, float]:
        return {k: round((b[k] - a[k]) / count / 1024, 2) for k in b}

    for inst in instances:
        inst.close()
    backend.close()
    return {"mode": "rss", "count": count, "baseline_mb": {k: round(v / 1024, 1) for k, v in base.items()},
            "per_instance_created_mb": per(base, created), "per_instance_after_first_calls_mb": per(base, warm),
            "per_instance_after_11_calls_mb": per(base, warm11)}


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "calls"
    print(json.dumps(globals()[f"mode_{mode}"]()))
