"""Figures of the wasm call boundary, stock against fast (not a test; run by hand).

    .venv/bin/python tests/wasm/bench_boundary.py            # every boundary available
    .venv/bin/python tests/wasm/bench_boundary.py stock cffi  # only these
    N=5000 .venv/bin/python tests/wasm/bench_boundary.py

For each boundary (``stock``, ``ctypes``, ``cffi``), in one process, over ``N`` timed
calls after a warm-up (median and p99, µs):

* ``abi``: the empty ``abi-version`` export through ``WasmInstance.abi_version``;
* ``raw_abi`` / ``raw_in_1.5k``: the bare caller, without the instance's bookkeeping;
* ``in_1.5k``: ``handle`` of probe hook 9001 (a 1.5 KB payload in, ``{}`` out);
* ``unknown_hook``: ``handle`` of hook 4242 with the same payload (an error envelope out);
* ``post_auth``: request_enricher's ``process_post_auth`` on ``bench_request()``;
* ``import_0``/``import_1.5k``: one guest -> host import round trip, as
  ``(T(n) - T(0)) / n`` of the boundary test plugin calling the import ``n`` times
  with a log envelope whose message is empty or 1.5 KB (``/raw``: the boundary alone);
* ``log_0``/``log_1.5k``: the same through the SDK's logger (``/log``: with the
  guest's envelope encoding and answer decoding).

Prints one JSON object and a table. The build cache is ``$GPS_CACHE_DIR`` or
``<repo>/.cache/wasm``.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from host_abi.envelope import encode_request  # noqa: E402
from runtime.backends.base import PluginSource  # noqa: E402
from runtime.backends.wasm import WasmBackend  # noqa: E402
from runtime.backends.wasm_fast import available_ffis  # noqa: E402
from runtime.cli.bench import bench_request  # noqa: E402
from wasm_helpers import ENRICHER, HERE, REPO, start_msg  # noqa: E402

CACHE = Path(os.environ.get("GPS_CACHE_DIR") or REPO / ".cache" / "wasm")
N = int(os.environ.get("N", "5000"))
WARMUP = int(os.environ.get("WARMUP", "500"))
HOST_CALLS = int(os.environ.get("HOST_CALLS", "20"))
ENRICHER_SRC = PluginSource("bench-enricher", ENRICHER, "plugin", "create_plugin")
BOUNDARY_SRC = PluginSource("bench-boundary", HERE / "plugins" / "boundary", "plugin", "create_plugin")
PAYLOAD_1_5K = encode_request({"request": {"method": "POST", "path": "/v1/chat", "headers": {},
                                           "body": "b" * 1440}})


def _ok(op: int, payload: str) -> str:
    return '{"v":1,"ok":null}'


def timed(fn: Callable[[], Any], n: int = N, warmup: int = WARMUP) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t0 = clock()
        fn()
        out.append((clock() - t0) / 1000)
    return out


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {"median": round(statistics.median(ordered), 2), "p99": round(p99, 2)}


def loop_request(path: str, n: int, size: int) -> str:
    return encode_request({"request": {"method": "POST", "path": path,
                                       "headers": {"x-n": str(n), "x-size": str(size)}}})


def measure(boundary: str) -> dict[str, Any]:
    backend = WasmBackend(cache_dir=CACHE, boundary=boundary)
    out: dict[str, Any] = {"boundary": backend.boundary}
    try:
        inst = backend.instantiate(ENRICHER_SRC, _ok)
        store = inst._store
        inst.handle(0, start_msg())
        inst.handle(1, encode_request({"config": {"instruction": "Be brief."}}))
        caller, abi = inst._caller, inst._abi_func
        post_auth = encode_request(bench_request())
        gc.collect()
        out["abi"] = stats(timed(inst.abi_version))
        out["raw_abi"] = stats(timed(lambda: abi(store)))
        out["in_1.5k"] = stats(timed(lambda: inst.handle(9001, PAYLOAD_1_5K)))
        out["raw_in_1.5k"] = stats(timed(lambda: caller(store, 9001, PAYLOAD_1_5K)))
        out["unknown_hook"] = stats(timed(lambda: inst.handle(4242, PAYLOAD_1_5K)))
        out["post_auth"] = stats(timed(lambda: inst.handle(8, post_auth)))
        inst.close()

        inst = backend.instantiate(BOUNDARY_SRC, _ok)
        for path, size, label in (("/raw", 0, "import_0"), ("/raw", 1500, "import_1.5k"),
                                  ("/log", 0, "log_0"), ("/log", 1500, "log_1.5k")):
            zero, many = loop_request(path, 0, size), loop_request(path, HOST_CALLS, size)
            t0 = statistics.median(timed(lambda: inst.handle(8, zero), N // 5, WARMUP // 5))
            samples = timed(lambda: inst.handle(8, many), N // 5, WARMUP // 5)
            out[label] = {"median": round((statistics.median(samples) - t0) / HOST_CALLS, 2),
                          "p99": round((stats(samples)["p99"] - t0) / HOST_CALLS, 2)}
        inst.close()
    finally:
        backend.close()
    return out


def main(argv: list[str]) -> None:
    boundaries = argv or ["stock", *available_ffis()]
    results = [measure(b) for b in boundaries]
    print(json.dumps({"n": N, "host_calls": HOST_CALLS, "results": results}))
    keys = [k for k in results[0] if k != "boundary"]
    print(f"{'µs (median / p99)':<18}" + "".join(f"{r['boundary']:>18}" for r in results))
    for key in keys:
        print(f"{key:<18}" + "".join(f"{r[key]['median']:>9.2f} /{r[key]['p99']:>7.2f}" for r in results))


if __name__ == "__main__":
    main(sys.argv[1:])
