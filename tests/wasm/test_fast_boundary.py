"""The fast wasm boundary (runtime/backends/wasm_fast.py) against wasmtime-py's stock one.

Every fast FFI available here (cffi, ctypes) must answer byte for byte what the stock
component API answers, hand the host import the same (op, payload) sequence, survive a
failing host, free every answer, and run two instances in two threads at once.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from host_abi.envelope import encode_request
from runtime.backends.base import PluginSource
from runtime.backends.wasm import WasmBackend, WasmInstance
from runtime.backends.wasm_fast import (BOUNDARIES, BOUNDARY_ENV, FFI_ENV, available_ffis,
                                        resolve_boundary)
from runtime.cli.bench import bench_request
from runtime.errors import DeadlineExceeded, SandboxBroken
from wasm_helpers import (ENRICHER, HERE, HOOK_INITIALIZE, HOOK_INSTANCE_START, HOOK_POST_AUTH, HOSTILE,
                          OP_LOG, HostCalls, hostile_request, start_msg)

pytestmark = pytest.mark.slow

BOUNDARY_PLUGIN = HERE / "plugins" / "boundary"
FFIS = available_ffis()
LATIN1 = bytes(range(256)).decode("latin-1")
NON_ASCII = "Réponds brièvement — merci ✓ 東京 🚀"
UNKNOWN_HOOK = 4242


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def backends(wasm_cache_dir: Path, enricher_build: Any) -> Iterator[dict[str, WasmBackend]]:
    """One backend per boundary: ``stock`` and each fast FFI available here."""
    made = {name: WasmBackend(cache_dir=wasm_cache_dir, boundary=name) for name in ("stock", *FFIS)}
    sources = [PluginSource("request-enricher", ENRICHER, "plugin", "create_plugin"),
               PluginSource("hostile", HOSTILE, "plugin", "create_plugin"),
               PluginSource("boundary", BOUNDARY_PLUGIN, "plugin", "create_plugin")]
    try:
        for b in made.values():
            for source in sources:
                b.prepare(source)
        yield made
    finally:
        for b in made.values():
            b.close()


def _source(name: str) -> PluginSource:
    directory = {"request-enricher": ENRICHER, "hostile": HOSTILE, "boundary": BOUNDARY_PLUGIN}[name]
    return PluginSource(name, directory, "plugin", "create_plugin")


def _request(path: str, body: str = "", **headers: str) -> str:
    return encode_request({"request": {"method": "POST", "path": path, "headers": dict(headers),
                                       "body": body}, "app_id": "7"})


def _chat_request() -> str:
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": NON_ASCII}]},
                      ensure_ascii=False).encode("utf-8")
    request = bench_request()
    request["request"]["body"] = body.decode("latin-1")
    return encode_request(request)


def _enricher_calls() -> list[tuple[int, str]]:
    big_body = json.dumps({"messages": [{"role": "user", "content": "x" * 65_000}]})
    return [
        (HOOK_INSTANCE_START, start_msg()),
        (HOOK_INITIALIZE, encode_request({"config": {"instruction": NON_ASCII, "header_name": "x-é"}})),
        (HOOK_POST_AUTH, encode_request(bench_request())),                # ASCII, 1.5 KB
        (HOOK_POST_AUTH, _chat_request()),                                # non-ASCII
        (HOOK_POST_AUTH, ""),                                             # empty payload
        (HOOK_POST_AUTH, _request("/big", big_body)),                     # 64 KB in and out
        # every latin-1 code point in the body (json.loads of these bytes guesses UTF-16
        # and fails to parse: the answer is a PLUGIN_RAISED error, the same on both)
        (HOOK_POST_AUTH, _request("/bytes", LATIN1)),
        (UNKNOWN_HOOK, encode_request({})),                               # unknown hook
        (9002, "65536"),                                                  # a 64 KB answer
        (9002, "0"),                                                      # an empty answer
        (2, "x" * 1500),                                                  # a trivial hook
    ]


def _boundary_calls() -> list[tuple[int, str]]:
    return [
        (HOOK_POST_AUTH, _request("/echo", LATIN1, **{"x-text": NON_ASCII})),
        (HOOK_POST_AUTH, _request("/echo", LATIN1 * 256)),                 # 64 KB of bytes field
        (HOOK_POST_AUTH, _request("/echo", "")),
        (HOOK_POST_AUTH, _request("/log", **{"x-n": "5", "x-size": "1500"})),
        (HOOK_POST_AUTH, _request("/log", **{"x-n": "2", "x-size": "0"})),
        (HOOK_POST_AUTH, _request("/host", **{"x-message": NON_ASCII + LATIN1})),
        (HOOK_POST_AUTH, _request("/work", **{"x-n": "1000"})),
        (HOOK_POST_AUTH, _request("/raw", **{"x-n": "3", "x-size": "10"})),
        (HOOK_POST_AUTH, _request("/raw", **{"x-n": "1", "x-size": "0"})),
    ]


class _AnsweringHost(HostCalls):
    """Records calls and answers each with a distinct, non-ASCII envelope."""

    def __call__(self, op: int, payload: str) -> str:
        super().__call__(op, payload)
        return json.dumps({"v": 1, "ok": {"n": len(self.calls), "echo": payload[-40:], "s": "é✓🚀"}},
                          ensure_ascii=False)


def _run(backend: WasmBackend, plugin: str, calls: list[tuple[int, str]],
         host: Callable[[int, str], str]) -> list[Any]:
    inst = backend.instantiate(_source(plugin), host)
    try:
        return [inst.abi_version()] + [inst.handle(hook, payload) for hook, payload in calls]
    finally:
        inst.close()


# --------------------------------------------------------------------------- choosing a boundary


def test_fast_is_the_default_and_stock_stays_selectable(monkeypatch: pytest.MonkeyPatch,
                                                        wasm_cache_dir: Path) -> None:
    monkeypatch.delenv(BOUNDARY_ENV, raising=False)
    monkeypatch.delenv(FFI_ENV, raising=False)
    assert "ctypes" in FFIS
    assert resolve_boundary() is not None and resolve_boundary().ffi == FFIS[0]
    assert resolve_boundary("stock") is None
    for ffi in FFIS:
        assert resolve_boundary(ffi).ffi == ffi  # type: ignore[union-attr]
    monkeypatch.setenv(BOUNDARY_ENV, "stock")
    assert resolve_boundary() is None
    assert resolve_boundary("fast") is not None  # the argument wins over the environment
    monkeypatch.setenv(BOUNDARY_ENV, "fast")
    monkeypatch.setenv(FFI_ENV, "ctypes")
    assert resolve_boundary().ffi == "ctypes"  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        resolve_boundary("turbo")
    assert set(BOUNDARIES) == {"fast", "stock", "cffi", "ctypes"}
    monkeypatch.setenv(BOUNDARY_ENV, "stock")
    b = WasmBackend(cache_dir=wasm_cache_dir)
    try:
        assert b.boundary == "stock"
    finally:
        b.close()
    monkeypatch.delenv(BOUNDARY_ENV)
    monkeypatch.delenv(FFI_ENV)
    b = WasmBackend(cache_dir=wasm_cache_dir)
    try:
        assert b.boundary == FFIS[0]
    finally:
        b.close()


# --------------------------------------------------------------------------- same answers


@pytest.mark.parametrize("ffi", FFIS)
def test_fast_answers_are_byte_identical_to_stock(backends: dict[str, WasmBackend], ffi: str) -> None:
    for plugin, calls in (("request-enricher", _enricher_calls()), ("boundary", _boundary_calls())):
        stock_host, fast_host = _AnsweringHost(), _AnsweringHost()
        stock = _run(backends["stock"], plugin, calls, stock_host)
        fast = _run(backends[ffi], plugin, calls, fast_host)
        for i, (s, f) in enumerate(zip(stock, fast)):
            assert type(s) is type(f) and s == f, (plugin, i, str(s)[:200], str(f)[:200])
        assert len(stock) == len(fast) == len(calls) + 1
        assert stock_host.calls == fast_host.calls  # the host saw the same (op, payload)s
    # the answers are the real ones, not two identical failures
    answers = [json.loads(a) for a in fast[1:]]
    echoed = answers[0]["ok"]
    assert echoed["body"] == LATIN1 and echoed["headers"]["x-text"] == NON_ASCII
    assert len(answers[1]["ok"]["body"]) == 65_536
    assert [op for op, _ in fast_host.calls].count(OP_LOG) == len(fast_host.calls) == 5 + 2 + 1 + 2 + 3 + 1
    assert answers[5]["ok"]["headers"] == {"x-host": "ok"}
    # the host's non-ASCII answer reached the guest intact (it echoes the last one back)
    last = json.loads(answers[7]["ok"]["headers"]["x-answer"])
    assert last["ok"]["s"] == "é✓🚀" and last["ok"]["n"] == 5 + 2 + 1 + 2 + 3  # /log, /host, /work, /raw


@pytest.mark.parametrize("ffi", FFIS)
def test_bytes_payloads_cross_as_utf8_without_a_copy(backends: dict[str, WasmBackend], ffi: str) -> None:
    inst = backends[ffi].instantiate(_source("boundary"), HostCalls())
    try:
        store, caller = inst._store, inst._caller
        text = _request("/echo", LATIN1, **{"x-text": NON_ASCII})
        assert caller(store, HOOK_POST_AUTH, text.encode()) == caller(store, HOOK_POST_AUTH, text)
        assert caller(store, 9002, b"3") == "xxx"
        # invalid UTF-8 would make wasmtime panic and abort the process: refused first
        with pytest.raises(UnicodeDecodeError):
            caller(store, HOOK_POST_AUTH, b'{"v":1,"msg":"\xff"}')
        with pytest.raises(UnicodeEncodeError):  # a lone surrogate: as the stock path
            caller(store, HOOK_POST_AUTH, '{"v":1,"msg":"\ud800"}')
        with pytest.raises(TypeError):
            caller(store, HOOK_POST_AUTH, bytearray(b"{}"))
        assert caller(store, 9002, "2") == "xx"  # nothing above reached the guest
    finally:
        inst.close()
    with pytest.raises(ValueError):  # the store is gone: refused, never a dangling call
        caller(None, 9002, "1")


@pytest.mark.parametrize("ffi", FFIS)
def test_a_trap_raises_as_on_the_stock_path_and_a_fresh_instance_works(
        backends: dict[str, WasmBackend], ffi: str) -> None:
    outcomes = {}
    for name in ("stock", ffi):
        b = backends[name]
        inst = b.instantiate(_source("hostile"), HostCalls())
        started = time.perf_counter()
        with pytest.raises(DeadlineExceeded) as info:
            inst.handle(HOOK_POST_AUTH, hostile_request("/spin"), timeout_ms=100)
        assert time.perf_counter() - started < 1.0
        with pytest.raises(SandboxBroken):
            inst.handle(HOOK_POST_AUTH, hostile_request("/calm"))
        inst.close()
        # at the caller itself: the stock path's exception type, from the same error
        raw = b.instantiate(_source("hostile"), HostCalls())
        raw._store.set_epoch_deadline(1)
        with pytest.raises(Exception) as raw_info:
            raw._caller(raw._store, HOOK_POST_AUTH, hostile_request("/spin"))
        raw.close()
        fresh = b.instantiate(_source("hostile"), HostCalls())
        try:
            calm = fresh.handle(HOOK_POST_AUTH, hostile_request("/calm"))
        finally:
            fresh.close()
        outcomes[name] = (type(info.value), type(raw_info.value), "wasm trap: interrupt" in str(raw_info.value),
                          json.loads(calm)["ok"]["headers"]["x-hostile"])
    assert outcomes["stock"] == outcomes[ffi]
    assert outcomes[ffi][1].__name__ == "WasmtimeError" and outcomes[ffi][2]


# --------------------------------------------------------------------------- a failing host


@pytest.mark.parametrize("ffi", FFIS)
@pytest.mark.parametrize("failure", ["raises", "not_a_str", "lone_surrogate", "base_exception"])
def test_a_failing_host_does_not_poison_the_fast_instance(
        backends: dict[str, WasmBackend], ffi: str, failure: str) -> None:
    seen: list[int] = []

    class Stop(BaseException):
        pass

    def host(op: int, payload: str) -> Any:
        seen.append(op)
        if failure == "raises":
            raise RuntimeError("the broker fell over")
        if failure == "not_a_str":
            return b'{"v":1,"ok":null}'
        if failure == "lone_surrogate":
            return '{"v":1,"ok":"\ud800"}'  # a str that is not UTF-8: the trampoline answers
        raise Stop()

    inst = backends[ffi].instantiate(_source("boundary"), host)
    try:
        answer = json.loads(inst.handle(HOOK_POST_AUTH, _request("/host", **{"x-message": "hi"})))
        assert answer["ok"]["headers"] == {"x-host": "err:INTERNAL"}  # the guest got an error
        answer = json.loads(inst.handle(HOOK_POST_AUTH, _request("/echo", "still here")))
        assert answer["ok"]["body"] == "still here"  # and the instance still serves
        assert inst.broken is None and seen == [OP_LOG]
    finally:
        inst.close()


# --------------------------------------------------------------------------- memory


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / (1 << 20)


@pytest.mark.parametrize("ffi", FFIS)
def test_ten_thousand_calls_do_not_leak(backends: dict[str, WasmBackend], ffi: str) -> None:
    """Each answer is a 16 KB vector wasmtime allocates for the caller: 10,000 leaked
    answers would be 160 MB; host-import answers (1,000 x 4 x 1.5 KB) are wasmtime's to free."""
    inst = backends[ffi].instantiate(_source("boundary"), lambda op, payload: '{"v":1,"ok":null}')
    log4 = _request("/log", **{"x-n": "4", "x-size": "1500"})
    try:
        for _ in range(1_000):  # warm: the guest heap and the host's allocator settle
            inst.handle(9002, "16384")
        for _ in range(100):
            inst.handle(HOOK_POST_AUTH, log4)
        before = _rss_mb()
        for i in range(10_000):
            assert len(inst.handle(9002, "16384")) == 16384
            if i % 10 == 0:
                inst.handle(HOOK_POST_AUTH, log4)
        grown = _rss_mb() - before
    finally:
        inst.close()
    assert grown < 4.0, f"RSS grew {grown:.1f} MB over 10,000 calls"


# --------------------------------------------------------------------------- threads


@pytest.mark.parametrize("ffi", FFIS)
def test_two_threads_run_two_instances_at_once(backends: dict[str, WasmBackend], ffi: str) -> None:
    """The wasm call runs without the GIL: two threads are inside wasm at the same time.

    Inside the guest, /work makes a log call before and after its loop, so each call
    gives an interval during which its thread was inside wasm. Were the GIL held across
    the call, no two such intervals of different threads could overlap (entering wasm
    needs the GIL), however loaded the machine; the wall-time speedup over running the
    same calls serially is also checked, with a margin for a noisy 2-vCPU VM.
    """
    spare = (os.cpu_count() or 1) >= 2 and os.getloadavg()[0] < 1.0
    calls_per_thread, work = 4, _request("/work", **{"x-n": "150000"})  # ~45 ms a call
    marks: dict[int, list[tuple[str, float, int]]] = {0: [], 1: []}

    def host_for(k: int) -> Callable[[int, str], str]:
        def host(op: int, payload: str) -> str:
            marks[k].append((json.loads(payload)["args"]["message"], time.perf_counter(),
                             threading.get_ident()))
            return '{"v":1,"ok":null}'
        return host

    instances = [backends[ffi].instantiate(_source("boundary"), host_for(k)) for k in (0, 1)]
    errors: list[BaseException] = []

    def worker(inst: WasmInstance) -> None:
        try:
            for _ in range(calls_per_thread):
                assert json.loads(inst.handle(HOOK_POST_AUTH, work))["ok"]["modified"]
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    try:
        for inst in instances:
            inst.handle(HOOK_POST_AUTH, work)  # warm
        best_speedup, overlap_ms = 0.0, 0.0
        for _attempt in range(3):
            for m in marks.values():
                m.clear()
            started = time.perf_counter()
            for inst in instances:
                worker(inst)
            serial = time.perf_counter() - started
            for m in marks.values():
                m.clear()
            threads = [threading.Thread(target=worker, args=(inst,)) for inst in instances]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            parallel = time.perf_counter() - started
            assert not errors, errors
            best_speedup = max(best_speedup, serial / parallel)
            overlap_ms = max(overlap_ms, _overlap_ms(marks[0], marks[1]))
            if overlap_ms > 5 and (best_speedup > 1.3 or not spare):
                break
    finally:
        for inst in instances:
            inst.close()
    # each host import ran in the thread that made the call, for its own instance
    assert len({ident for _, _, ident in marks[0]}) == 1 and len({ident for _, _, ident in marks[1]}) == 1
    assert marks[0][0][2] != marks[1][0][2]
    assert overlap_ms > 5, f"the two threads were never inside wasm together (speedup {best_speedup:.2f})"
    if spare:
        assert best_speedup > 1.3, f"two threads ran {best_speedup:.2f}x faster than one"


def _overlap_ms(a: list[tuple[str, float, int]], b: list[tuple[str, float, int]]) -> float:
    """The longest time both threads were between a ``start`` and its ``end`` mark."""
    def intervals(marks: list[tuple[str, float, int]]) -> list[tuple[float, float]]:
        starts = [t for name, t, _ in marks if name == "start"]
        ends = [t for name, t, _ in marks if name == "end"]
        return list(zip(starts, ends))
    best = 0.0
    for s1, e1 in intervals(a):
        for s2, e2 in intervals(b):
            best = max(best, min(e1, e2) - max(s1, s2))
    return best * 1000


# --------------------------------------------------------------------------- lifetimes


@pytest.mark.parametrize("ffi", FFIS)
def test_a_dropped_backend_releases_its_trampoline(wasm_cache_dir: Path, ffi: str) -> None:
    import gc

    from runtime.backends import wasm_fast
    gc.collect()
    before = len(wasm_fast._KEEPER._items)
    b = WasmBackend(cache_dir=wasm_cache_dir, boundary=ffi)
    inst = b.instantiate(_source("boundary"), HostCalls())
    assert json.loads(inst.handle(HOOK_POST_AUTH, _request("/host")))["ok"]["headers"] == {"x-host": "ok"}
    assert len(wasm_fast._KEEPER._items) == before + 1
    inst.close()
    b.close()
    del inst, b
    gc.collect()  # wasmtime drops the linker's function and calls its finalizer
    assert len(wasm_fast._KEEPER._items) == before


def test_a_caller_factory_still_replaces_the_handle_caller(wasm_cache_dir: Path) -> None:
    seen: list[int] = []

    def factory(func: Any) -> Callable[[Any, int, str], str]:
        def caller(store: Any, hook: int, payload: str) -> str:
            seen.append(hook)
            return func(store, hook, payload)  # type: ignore[no-any-return]
        return caller

    b = WasmBackend(cache_dir=wasm_cache_dir, caller_factory=factory)
    try:
        inst = b.instantiate(_source("boundary"), HostCalls())
        assert inst.abi_version() == 1
        assert json.loads(inst.handle(HOOK_POST_AUTH, _request("/echo", "x")))["ok"]["body"] == "x"
        inst.close()
    finally:
        b.close()
    assert seen == [HOOK_POST_AUTH]
