"""``runtime bench``: the one place figures come from.

Every contender runs the same plugin (``examples/request_enricher``), the same guest SDK
and the same envelope codec on the same ~1.5 KB ``process_post_auth`` request, in one
run, so the ratios are comparable even on a noisy machine. Each call's answer is checked
inside the loop. Row ids are stable across releases; ``--json`` prints::

    {"schema": 1, "machine": {...}, "versions": {...},
     "rows": [{"id", "kind", "unit", "median", "p99", "n", "vs_floor", "vs_grpc",
               "goal", "met"}]}

``kind`` is latency, throughput, memory, duration or ratio. ``vs_floor`` and ``vs_grpc``
divide a latency row's median by the in-process floor's and by the gRPC hop's.
``goal`` bounds ``median`` in the row's unit (lower is better unless the kind is
throughput) and ``met`` says whether this run met it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

__all__ = ["run_bench", "bench_request", "Row", "BENCH_PLUGIN"]

#: The plugin every latency row runs.
BENCH_PLUGIN = Path(__file__).resolve().parents[2] / "examples" / "request_enricher"
_CONFIG = {"instruction": "Answer concisely and cite your sources."}


@dataclass
class Row:
    id: str
    kind: str
    unit: str
    median: float
    p99: float | None
    n: int
    vs_floor: float | None = None
    vs_grpc: float | None = None
    goal: float | None = None
    met: bool | None = None
    note: str = ""


def bench_request() -> dict[str, Any]:
    """The ~1.5 KB post_auth request (envelope form): 10 headers, a ~500 B JSON chat body."""
    body = json.dumps({
        "model": "gpt-4o", "temperature": 0.2, "max_tokens": 256,
        "messages": [
            {"role": "system", "content": "You are a helpful assistant for an online bookshop."},
            {"role": "user", "content": "Summarise the customer's last three orders and suggest "
             "two books they might like next, with one sentence each explaining the choice. "
             "Keep it under 120 words and do not invent order numbers."},
        ],
    }).encode()
    headers = {
        "authorization": "Bearer " + "eyJhbGciOiJIUzI1NiJ9." + "a" * 120 + ".sig",
        "content-type": "application/json", "accept": "application/json",
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
        "accept-encoding": "gzip, deflate, br", "x-request-id": "5f0c6d2e-8c1b-4b7e-9a61-2f4d3c1e0b9a",
        "x-forwarded-for": "203.0.113.7", "cookie": "session=" + "c" * 64,
        "host": "gateway.example.com", "traceparent": "00-" + "f" * 32 + "-" + "e" * 16 + "-01",
    }
    return {"request": {"method": "POST", "path": "/llm/rest/gpt-4o/v1/chat/completions",
                        "headers": headers, "body": body.decode("latin-1"), "remote_addr": "203.0.113.7",
                        "context": {"request_id": "5f0c6d2e", "app_id": 3, "llm_id": 1,
                                    "llm_slug": "gpt-4o", "vendor": "openai"}},
            "app_id": "3", "user_id": "7", "authenticated": True}


def _time(fn: Callable[[], Any], n: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t0 = clock()
        fn()
        out.append((clock() - t0) / 1000.0)
    return out


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered), p99


def _latency_row(row_id: str, samples: list[float], note: str = "") -> Row:
    median, p99 = _stats(samples)
    return Row(row_id, "latency", "us", round(median, 2), round(p99, 2), len(samples), note=note)


def _check(answer: dict[str, Any]) -> None:
    if not answer.get("modified"):
        raise AssertionError(f"the bench plugin did not rewrite the request: {answer!r}")


def _inprocess_rows(n: int, warmup: int) -> list[Row]:
    from ..api import Runtime, RuntimeConfig
    req = bench_request()
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True)) as rt:
        host = rt.load(BENCH_PLUGIN, name="bench", config=_CONFIG)
        floor = _time(lambda: _check(host.call("process_post_auth", req, timeout_ms=0)), n, warmup)
        deadline = _time(lambda: _check(host.call("process_post_auth", req)), n, warmup)
    return [
        _latency_row("post_auth/inprocess", floor, "caller's thread, no deadline: the ABI's own cost"),
        _latency_row("post_auth/inprocess+deadline", deadline,
                     "a worker thread per instance enforces the deadline"),
    ]


def _codec_rows(n: int, warmup: int) -> list[Row]:
    import importlib

    from host_abi import GUEST_ENTRY_MODULE
    from host_abi.envelope import decode_answer, decode_request, encode_ok, encode_request
    # The guest side of the codec, loaded as every tier loads the guest: by the ABI's
    # module name (the runtime has no static dependency on the SDK).
    M = importlib.import_module(GUEST_ENTRY_MODULE).M
    req = bench_request()
    text = encode_request(req)
    msg = decode_request(text)
    typed = M.EnrichedRequest.from_wire(msg)
    answer = M.PluginResponse(modified=True, headers={"x-app-id": "3"},
                              body=req["request"]["body"].encode("latin-1")).to_wire()
    answer_text = encode_ok(answer)
    return [
        _latency_row("codec/encode_request", _time(lambda: encode_request(req), n, warmup),
                     f"host: message dict to a {len(text.encode())} B envelope"),
        _latency_row("codec/decode_request", _time(lambda: decode_request(text), n, warmup),
                     "guest side: envelope text to dict"),
        _latency_row("codec/from_wire", _time(lambda: M.EnrichedRequest.from_wire(msg), n, warmup),
                     "guest side: dict to typed EnrichedRequest"),
        _latency_row("codec/to_wire", _time(lambda: typed.to_wire(), n, warmup),
                     "typed message to dict"),
        _latency_row("codec/encode_answer", _time(lambda: encode_ok(answer), n, warmup),
                     "guest side: PluginResponse dict to envelope"),
        _latency_row("codec/decode_answer", _time(lambda: decode_answer(answer_text), n, warmup),
                     "host: answer envelope to dict"),
    ]


def _grpc_row(n: int, warmup: int) -> Row:
    import grpc

    from ..messages import from_envelope, to_envelope
    from ..wire import plugin_pb2, plugin_pb2_grpc
    req = from_envelope(bench_request(), plugin_pb2.EnrichedRequest)
    with tempfile.TemporaryDirectory(prefix="bench-grpc-") as tmp:
        sock = os.path.join(tmp, "plugin.sock")
        cmd = [sys.executable, "-m", "runtime.bridge.bench_server", str(BENCH_PLUGIN), "--socket", sock]
        for k, v in _CONFIG.items():
            cmd += ["--config", f"{k}={v}"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "READY":
                raise RuntimeError(f"the gRPC bench server did not start (said {line!r})")
            with grpc.insecure_channel(f"unix://{sock}") as channel:
                stub = plugin_pb2_grpc.PluginServiceStub(channel)
                samples = _time(lambda: _check(to_envelope(stub.ProcessPostAuth(req))), n, warmup)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
    return _latency_row("post_auth/grpc", samples,
                        "plugin.PluginService/ProcessPostAuth in a separate Python process, "
                        "persistent channel, unix socket (the go-plugin model)")


def _bridge_rows(n: int) -> list[Row]:
    """The go-plugin hop, timed inside one Go go-plugin client (go/host, go-plugin 1.0.1,
    AI Studio's handshake): the bench request as ``ProcessPostAuth`` into our Go plugin
    (go/plugin), into a bare grpcio plugin that only echoes (go/grpc_echo.py), and into
    ``runtime serve`` on the bench plugin (wasm tier). Where Go is not installed
    (scripts/setup-go.sh installs it) the rows say so instead of a figure."""
    from ..messages import from_envelope, to_proto_json
    from ..wire import plugin_pb2
    root = BENCH_PLUGIN.parents[1]
    targets = {
        "post_auth/bridge/go": (["{bin}/goplugin"], "our Go go-plugin plugin (go/plugin)"),
        "post_auth/bridge/grpc_echo": ([sys.executable, str(root / "go" / "grpc_echo.py")],
                                       "a bare grpcio go-plugin plugin that only echoes"),
        "post_auth/bridge/wasm": ([str(Path(sys.executable).with_name("runtime")), "serve",
                                   str(BENCH_PLUGIN), "--ephemeral"],
                                  "runtime serve examples/request_enricher (wasm tier)"),
    }
    setup = subprocess.run(["bash", str(root / "scripts" / "setup-go.sh"), "--bin-dir", "--no-install"],
                           capture_output=True, text=True)
    if setup.returncode != 0 or not setup.stdout.strip():
        reason = (setup.stderr.strip().splitlines() or ["scripts/setup-go.sh failed"])[-1]
        return [Row(i, "unavailable", "us", None, None, 0, note=f"not measured: no Go toolchain "  # type: ignore[arg-type]
                    f"and go-plugin here ({reason}); scripts/setup-go.sh installs them") for i in targets]
    go_bin = setup.stdout.strip().splitlines()[-1]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-bridge-") as tmp:
        request = os.path.join(tmp, "request.json")
        with open(request, "w") as f:
            json.dump(to_proto_json(from_envelope(bench_request(), plugin_pb2.EnrichedRequest)), f)
        for row_id, (command, what) in targets.items():
            command = [c.format(bin=go_bin) for c in command]
            done = subprocess.run([f"{go_bin}/gohost", "-bench", str(n), "-bench-request", request,
                                   "-config", json.dumps(_CONFIG), "--", *command],
                                  capture_output=True, text=True, timeout=600)
            result = next((json.loads(line) for line in done.stdout.splitlines() if '"bench"' in line), None)
            if done.returncode != 0 or result is None:
                raise RuntimeError(f"{row_id}: the Go host failed: {done.stdout[-500:]} {done.stderr[-1000:]}")
            rows.append(Row(row_id, "latency", "us", round(result["p50_us"], 2), round(result["p99_us"], 2),
                            n, note=f"go-plugin client -> {what}: {result['request_bytes']} B protobuf, "
                            "timed in the Go client"))
    go, wasm = rows[0].median, rows[2].median
    rows.append(Row("post_auth/bridge/wasm/vs_go", "ratio", "x", round(wasm / go, 3), None, 1, goal=2.0,
                    note="post_auth/bridge/wasm over post_auth/bridge/go"))
    return rows


def _wasm_rows(n: int, warmup: int, full: bool) -> list[Row]:
    """post_auth on the wasm tier, its cost per stage, instances, cold start, memory, builds."""
    from host_abi.envelope import decode_answer, encode_request

    from ..api import Runtime, RuntimeConfig
    from ..broker.services import CallState
    from ..build import build_plugin
    req = bench_request()
    rows: list[Row] = []
    t0 = time.perf_counter()
    built = build_plugin(BENCH_PLUGIN)
    rows.append(Row("wasm/build_cached" if built.cached else "wasm/build_cold", "duration", "s",
                    round(time.perf_counter() - t0, 3), None, 1, goal=0.5 if built.cached else 15.0,
                    note="the bench plugin, in the default cache"))
    with Runtime(RuntimeConfig(tier="wasm", ephemeral=True)) as rt:
        host = rt.load(BENCH_PLUGIN, name="bench", config=_CONFIG)
        samples = _time(lambda: _check(host.call("process_post_auth", req)), n, warmup)
        rows.append(_latency_row("post_auth/wasm", samples, "through the dispatcher, with the deadline"))
        med, p99 = _stats(samples)
        rows[-1].goal = 15.0
        rows.append(Row("post_auth/wasm/p99", "latency", "us", round(p99, 2), None, len(samples), goal=40.0,
                        note="the p99 of post_auth/wasm"))
        # -- stages, on one instance of the backend directly
        backend = rt._backends["wasm"]  # noqa: SLF001 - the bench looks inside on purpose
        state = CallState(host.settings, "bench")

        def host_call(op: int, payload: str) -> str:
            return rt.broker.handle(state, op, payload)

        # the guest times its own stages: this instance gets the real clock (plugins get
        # the coarse 1 ms clock unless the operator grants more)
        inst = backend.instantiate(host.source, host_call, clock="real")  # type: ignore[call-arg]
        inst.handle(0, encode_request({"runtime": host.settings.runtime, "plugin_id": "bench"}))
        inst.handle(1, encode_request({"config": host.init_config}))
        text = encode_request(req)
        answer_text = inst.handle(8, text)
        ok, answer = decode_answer(answer_text)
        _check(answer)
        stage_n = max(200, n // 10)
        host_encode = _stats(_time(lambda: encode_request(req), stage_n, 50))[0]
        host_decode = _stats(_time(lambda: decode_answer(answer_text), stage_n, 50))[0]
        empty = _stats(_time(lambda: inst.handle(9001, ""), stage_n, 50))[0]
        transfer_in = _stats(_time(lambda: inst.handle(9001, text), stage_n, 50))[0] - empty
        size = str(len(answer_text))
        transfer_out = _stats(_time(lambda: inst.handle(9002, size), stage_n, 50))[0] - empty
        ok, guest = decode_answer(inst.handle(9003, json.dumps(
            {"hook": 8, "payload": text, "iterations": stage_n})))
        inst.close()
        for stage, value in (("host_encode", host_encode), ("call_overhead", empty),
                             ("transfer_in", transfer_in), ("guest_decode", guest["decode_us"]),
                             ("handler", guest["handler_us"]), ("guest_encode", guest["encode_us"]),
                             ("transfer_out", transfer_out), ("host_decode", host_decode)):
            rows.append(Row(f"post_auth/wasm/stage/{stage}", "latency", "us", round(max(0.0, value), 2),
                            None, stage_n, note="guest stages timed by the guest's clock"
                            if stage.startswith(("guest", "handler")) else ""))
        # -- instances
        inst_samples, ready_samples = [], []
        for _ in range(10 if not full else 30):
            a = time.perf_counter()
            fresh = backend.instantiate(host.source, host_call)  # type: ignore[call-arg]
            b = time.perf_counter()
            fresh.handle(0, encode_request({"runtime": host.settings.runtime, "plugin_id": "bench"}))
            fresh.handle(1, encode_request({"config": host.init_config}))
            fresh.handle(8, text)
            c = time.perf_counter()
            fresh.close()
            inst_samples.append((b - a) * 1000)
            ready_samples.append((c - a) * 1000)
        m, p = _stats(inst_samples)
        rows.append(Row("wasm/instance_instantiated", "latency", "ms", round(m, 3), round(p, 3),
                        len(inst_samples), goal=0.5))
        m, p = _stats(ready_samples)
        rows.append(Row("wasm/instance_ready", "latency", "ms", round(m, 3), round(p, 3), len(ready_samples),
                        note="instantiate + instance_start + initialize + a first post_auth"))
        # -- cold start in a running host: load a built artifact, answer the first call
        cold = []
        for i in range(5):
            a = time.perf_counter()
            h2 = rt.load(BENCH_PLUGIN, name=f"cold{i}", config=_CONFIG)
            _check(h2.call("process_post_auth", req))
            cold.append((time.perf_counter() - a) * 1000)
            rt.unload(f"cold{i}")
        m, p = _stats(cold)
        rows.append(Row("wasm/cold_start", "latency", "ms", round(m, 3), round(p, 3), len(cold), goal=3.0,
                        note="load of a built plugin to its first answer, in a running host"))
        # -- two threads on two instances
        rows += _threads_rows(rt, req, 1.0 if not full else 3.0)
    rows += _memory_rows(20 if not full else 50)
    return rows


def _threads_rows(rt: Any, req: dict[str, Any], seconds: float) -> list[Row]:
    import threading

    from ..policy import policy_from_dict
    host = rt.load(BENCH_PLUGIN, name="bench2", config=_CONFIG)
    # a second instance for the second thread
    host._idle.append(host._new_slot())  # noqa: SLF001 - the bench sizes the pool directly
    del policy_from_dict

    def run(counts: list[int], stop: float) -> None:
        c = 0
        while time.perf_counter() < stop:
            host.call("process_post_auth", req)
            c += 1
        counts.append(c)

    one: list[int] = []
    run(one, time.perf_counter() + seconds)
    two: list[int] = []
    stop = time.perf_counter() + seconds
    threads = [threading.Thread(target=run, args=(two, stop)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    single, double = one[0] / seconds, sum(two) / seconds
    return [Row("post_auth/wasm/1thread", "throughput", "calls/s", round(single, 1), None, one[0]),
            Row("post_auth/wasm/2threads", "throughput", "calls/s", round(double, 1), None, sum(two)),
            Row("post_auth/wasm/2threads_speedup", "ratio", "x", round(double / single, 3), None, 1,
                note="two threads on two instances over one thread")]


_MEMORY_PROBE = """
import json, sys, gc
from runtime.api import Runtime, RuntimeConfig
from runtime.broker.services import CallState
from host_abi.envelope import encode_request
from runtime.cli.bench import BENCH_PLUGIN, bench_request, _CONFIG
def private_kb():
    total = rss = 0
    for line in open('/proc/self/smaps_rollup'):
        if line.startswith(('Private_Clean', 'Private_Dirty')):
            total += int(line.split()[1])
        if line.startswith('Rss:'):
            rss = int(line.split()[1])
    return total, rss
k = int(sys.argv[1])
with Runtime(RuntimeConfig(tier='wasm', ephemeral=True)) as rt:
    host = rt.load(BENCH_PLUGIN, name='mem', config=_CONFIG)
    backend = rt._backends['wasm']
    state = CallState(host.settings, 'bench')
    call = lambda op, p: rt.broker.handle(state, op, p)
    text = encode_request(bench_request())
    def ready():
        inst = backend.instantiate(host.source, call)
        inst.handle(0, encode_request({'runtime': host.settings.runtime, 'plugin_id': 'mem'}))
        inst.handle(1, encode_request({'config': host.init_config}))
        for _ in range(3):
            inst.handle(8, text)
        return inst
    keep = [ready() for _ in range(3)]
    gc.collect()
    p0, r0 = private_kb()
    keep += [ready() for _ in range(k)]
    gc.collect()
    p1, r1 = private_kb()
    print(json.dumps({"private_mb": (p1 - p0) / 1024 / k, "rss_mb": (r1 - r0) / 1024 / k}))
    for inst in keep:
        inst.close()
"""


def _memory_rows(k: int) -> list[Row]:
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(k)], capture_output=True,
                         text=True, timeout=300, cwd=str(BENCH_PLUGIN.parents[1]))
    if out.returncode != 0:
        raise RuntimeError(f"the memory probe failed: {out.stderr[-2000:]}")
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    return [Row("wasm/private_mb_per_instance", "memory", "MB", round(doc["private_mb"], 3), None, k,
                goal=0.75, note="Private_Clean+Private_Dirty growth per warm instance (smaps_rollup)"),
            Row("wasm/rss_mb_per_instance", "memory", "MB", round(doc["rss_mb"], 3), None, k,
                note="process RSS growth per warm instance (counts the shared image once per instance)")]


def _machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_bytes": mem, "os": platform.platform(),
            "python": platform.python_version(), "implementation": platform.python_implementation()}


def _versions() -> dict[str, str]:
    out = {"runtime": "0.1.0", "abi": "1"}
    for dist in ("grpcio", "protobuf", "wasmtime", "componentize-py"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def collect(quick: bool = False, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run the benchmarks; returns the ``--json`` document."""
    n, warmup = (2_000, 200) if quick else (20_000, 1_000)
    grpc_n = 1_000 if quick else 5_000

    def wanted(prefix: str) -> bool:
        return not only or any(prefix.startswith(o) or o.startswith(prefix) for o in only)

    rows: list[Row] = []
    if wanted("post_auth/inprocess"):
        rows += _inprocess_rows(n, warmup)
    if wanted("post_auth/subinterpreter") or wanted("subinterpreter/"):
        from ..backends._subinterp.bench import subinterpreter_rows
        inprocess = next((r.median for r in rows if r.id == "post_auth/inprocess"), None)
        rows += subinterpreter_rows(n, warmup, inprocess, _time, _latency_row, Row, bench_request(),
                                    BENCH_PLUGIN, _CONFIG, _check, seconds=1.0 if quick else 2.0)
    if wanted("post_auth/wasm") or wanted("wasm/"):
        from ..api import available_tiers
        if available_tiers()["wasm"] == "available":
            rows += _wasm_rows(n, warmup, full=not quick)
    if wanted("post_auth/grpc"):
        rows.append(_grpc_row(grpc_n, 100))
    if wanted("codec/"):
        rows += _codec_rows(n, warmup)
    if wanted("post_auth/bridge/"):
        rows += _bridge_rows(grpc_n)
        if any(r.id == "post_auth/bridge/grpc_echo" and r.kind == "unavailable" for r in rows):
            from ..bridge.bench_dispatch import python_client_echo_row
            echo = python_client_echo_row(grpc_n, bench_request(), Row)
            rows = [echo if r.id == echo.id else r for r in rows]
    if wanted("bridge/"):
        from ..bridge.bench_dispatch import dispatch_overhead_rows
        rows += dispatch_overhead_rows(grpc_n, BENCH_PLUGIN, _CONFIG, bench_request(), Row)
    if only and (wanted("gateway/") or wanted("chain5/")):  # `runtime bench gateway`: opt-in
        from .bench_gateway import gateway_rows
        rows += gateway_rows(quick, only)
    rows = [r for r in rows if not only or any(r.id.startswith(o) for o in only)]
    floor = next((r.median for r in rows if r.id == "post_auth/inprocess"), None)
    grpc_median = next((r.median for r in rows if r.id == "post_auth/grpc"), None)
    wasm_median = next((r.median for r in rows if r.id == "post_auth/wasm"), None)
    if wasm_median is not None:
        rows.append(Row("post_auth/wasm/vs_floor", "ratio", "x",
                        round(wasm_median / floor, 3) if floor else 0.0, None, 1, goal=2.5,
                        note="post_auth/wasm over post_auth/inprocess"))
        if grpc_median:
            rows.append(Row("post_auth/wasm/vs_grpc", "ratio", "x", round(wasm_median / grpc_median, 4),
                            None, 1, goal=round(1 / 15, 4), note="post_auth/wasm over post_auth/grpc "
                            "(goal: at least 15x faster)"))
    for r in rows:
        if r.id.startswith("post_auth/") and r.kind == "latency" and "/stage/" not in r.id \
                and not r.id.endswith("/p99"):
            r.vs_floor = round(r.median / floor, 3) if floor else None
            r.vs_grpc = round(r.median / grpc_median, 3) if grpc_median else None
        if r.goal is not None:
            higher = r.kind == "throughput" or r.id.endswith("speedup")
            r.met = r.median >= r.goal if higher else r.median <= r.goal
    return {"schema": 1, "machine": _machine(), "versions": _versions(),
            "rows": [{k: v for k, v in asdict(r).items() if k != "note" or v} for r in rows]}


def run_bench(as_json: bool, quick: bool, only: tuple[str, ...]) -> None:
    doc = collect(quick=quick, only=only)
    if as_json:
        sys.stdout.write(json.dumps(doc) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    m = doc["machine"]
    table = Table(title=f"runtime bench ({m['cpu']}, {m['cores']} cores, Python {m['python']})")
    for col in ("id", "median", "p99", "unit", "n", "vs floor", "vs grpc", "goal", "met"):
        table.add_column(col, justify="left" if col == "id" else "right", no_wrap=(col == "id"))

    def fmt(v: Any) -> str:
        return "-" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))

    for r in doc["rows"]:
        table.add_row(r["id"], fmt(r["median"]), fmt(r["p99"]), r["unit"], str(r["n"]),
                      fmt(r["vs_floor"]), fmt(r["vs_grpc"]), fmt(r["goal"]), fmt(r["met"]))
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    console.print(table)
    for r in doc["rows"]:  # how the load figures were taken
        if r.get("note") and r["id"].startswith(("gateway/", "chain5/")):
            console.print(f"  {r['id']}: {r['note']}")
