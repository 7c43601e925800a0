"""The wasm tier end to end: same answers as the in-process tier, output to the log op,
deadlines, memory limits, traps, and the first containment checks."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from host_abi.envelope import encode_request
from runtime.backends.base import PluginSource
from runtime.backends.inprocess import InProcessBackend
from runtime.backends.wasm import WasmBackend, WasmInstance, classify_trap
from runtime.cli.bench import bench_request
from runtime.errors import DeadlineExceeded, LoadError, MemoryExceeded, SandboxBroken
from wasm_helpers import (ENRICHER, HOOK_INITIALIZE, HOOK_INSTANCE_START, HOOK_POST_AUTH, OP_LOG,
                          HostCalls, hostile_request, start_msg)

pytestmark = pytest.mark.slow

CONFIG = {"instruction": "Réponds brièvement — merci ✓", "header_name": "x-app"}


def _chat_request() -> dict[str, Any]:
    """A post_auth request with a non-ASCII chat body, in envelope form."""
    body = json.dumps({"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Résume le contrat n° 2024-117 — coût 4 200 € « urgent »"}]},
        ensure_ascii=False).encode("utf-8")
    request = bench_request()
    request["request"]["body"] = body.decode("latin-1")
    return request


def _run_flow(instance: Any, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answers = [instance.handle(HOOK_INSTANCE_START, start_msg()),
               instance.handle(HOOK_INITIALIZE, encode_request({"config": CONFIG}))]
    answers += [instance.handle(HOOK_POST_AUTH, encode_request(r)) for r in requests]
    return [json.loads(a) for a in answers]


def test_same_answers_as_the_inprocess_tier(backend: WasmBackend, enricher: PluginSource) -> None:
    requests = [bench_request(), _chat_request(), {"request": {"body": "not json"}, "app_id": "1"}]
    wasm_calls, local_calls = HostCalls(), HostCalls()
    wasm = backend.instantiate(enricher, wasm_calls)
    try:
        wasm_answers = _run_flow(wasm, requests)
    finally:
        wasm.close()
    local_backend = InProcessBackend()
    local_backend.prepare(enricher)
    local = local_backend.instantiate(enricher, local_calls)
    local_answers = _run_flow(local, requests)
    assert wasm_answers == local_answers
    assert wasm_calls.calls == local_calls.calls
    start, init, enriched, chat, plain = wasm_answers
    assert start["ok"]["abi"] == 1 and HOOK_POST_AUTH in start["ok"]["hooks"]
    assert init == {"v": 1, "ok": {"success": True}}
    assert enriched["ok"]["modified"] is True and enriched["ok"]["headers"] == {"x-app": "3"}
    chat_body = json.loads(chat["ok"]["body"].encode("latin-1").decode("utf-8"))
    assert chat_body["messages"][-1] == {"role": "system", "content": CONFIG["instruction"]}
    assert "4 200 €" in chat_body["messages"][0]["content"]
    assert plain == {"v": 1, "ok": {}}


def test_abi_version_and_unknown_hook(backend: WasmBackend, enricher: PluginSource) -> None:
    inst = backend.instantiate(enricher, HostCalls())
    try:
        assert inst.abi_version() == 1
        answer = json.loads(inst.handle(4242, encode_request({})))
        assert answer["err"]["code"] == "UNKNOWN_HOOK"
        assert json.loads(inst.handle(HOOK_INSTANCE_START, start_msg()))["ok"]["abi"] == 1
    finally:
        inst.close()


def test_print_reaches_the_log_op(backend: WasmBackend, hostile: PluginSource) -> None:
    calls = HostCalls()
    inst = backend.instantiate(hostile, calls)
    try:
        answer = json.loads(inst.handle(HOOK_POST_AUTH, hostile_request("/print")))
    finally:
        inst.close()
    assert answer["ok"]["headers"] == {"x-printed": "yes"}
    logged = [json.loads(p)["args"] for op, p in calls.calls if op == OP_LOG]
    assert {"level": "info", "message": "hello from the guest 5", "fields": {"stream": "stdout"}} in logged
    assert {"level": "warn", "message": "a warning from the guest", "fields": {"stream": "stderr"}} in logged
    assert [op for op, _ in calls.calls] == [OP_LOG, OP_LOG]


def test_a_failing_host_import_answers_an_error_and_the_instance_lives(
        backend: WasmBackend, hostile: PluginSource) -> None:
    def broken_host(op: int, payload: str) -> str:
        raise RuntimeError("the broker fell over")

    inst = backend.instantiate(hostile, broken_host)
    try:
        # the SDK swallows a failed log op; the hook itself answers normally
        answer = json.loads(inst.handle(HOOK_POST_AUTH, hostile_request("/print")))
        assert answer["ok"]["headers"] == {"x-printed": "yes"}
        assert json.loads(inst.handle(HOOK_POST_AUTH, hostile_request("/calm")))["ok"]["headers"][
            "x-hostile"] == "calm"
    finally:
        inst.close()


def test_lazy_stdlib_imports_work(backend: WasmBackend, hostile: PluginSource) -> None:
    inst = backend.instantiate(hostile, HostCalls())
    try:
        headers = json.loads(inst.handle(HOOK_POST_AUTH, hostile_request("/lazy")))["ok"]["headers"]
    finally:
        inst.close()
    assert headers == {"x-b64": "aGk=", "x-hmac": headers["x-hmac"], "x-uuid-len": "36"}
    assert len(headers["x-hmac"]) == 8


def test_a_raising_hook_answers_plugin_raised_with_the_plugin_frame(
        backend: WasmBackend, hostile: PluginSource) -> None:
    inst = backend.instantiate(hostile, HostCalls())
    try:
        err = json.loads(inst.handle(HOOK_POST_AUTH, hostile_request("/raise")))["err"]
        assert err["code"] == "PLUGIN_RAISED" and err["message"] == "LookupError: raised on purpose"
        assert err["where"].startswith("plugin.py:") and "LookupError" in err["traceback"]
        # an error answer is not a trap: the instance still serves
        assert "ok" in json.loads(inst.handle(HOOK_POST_AUTH, hostile_request("/calm")))
    finally:
        inst.close()


def test_deadline_stops_an_infinite_loop_in_the_callers_thread(
        backend: WasmBackend, hostile: PluginSource) -> None:
    inst = backend.instantiate(hostile, HostCalls())
    caller = threading.get_ident()
    seen: list[int] = []

    def host_call(op: int, payload: str) -> str:
        seen.append(threading.get_ident())
        return '{"v":1,"ok":null}'

    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded) as info:
        inst.handle(HOOK_POST_AUTH, hostile_request("/spin"), timeout_ms=200)
    took = time.perf_counter() - started
    assert 0.19 <= took < 0.4, took
    assert info.value.code == "DEADLINE_EXCEEDED" and "200 ms" in info.value.message
    with pytest.raises(SandboxBroken):  # a trapped instance is unusable
        inst.handle(HOOK_POST_AUTH, hostile_request("/calm"), timeout_ms=200)
    inst.close()
    fresh = backend.instantiate(hostile, host_call)
    try:
        answer = json.loads(fresh.handle(HOOK_POST_AUTH, hostile_request("/print"), timeout_ms=200))
        assert answer["ok"]["headers"] == {"x-printed": "yes"}
        assert seen and set(seen) == {caller}  # the host import ran in the calling thread
    finally:
        fresh.close()


def test_close_from_another_thread_during_a_call_is_safe(
        backend: WasmBackend, hostile: PluginSource) -> None:
    """The dispatcher may discard an instance whose call is still running elsewhere."""
    inst = backend.instantiate(hostile, HostCalls())
    outcome: list[BaseException] = []

    def spin() -> None:
        try:
            inst.handle(HOOK_POST_AUTH, hostile_request("/spin"), timeout_ms=300)
        except BaseException as exc:  # handed to the main thread
            outcome.append(exc)

    thread = threading.Thread(target=spin)
    thread.start()
    time.sleep(0.05)
    inst.close()  # marks it closed; the running call keeps its store until it returns
    assert inst.closed
    thread.join(5)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], DeadlineExceeded)
    with pytest.raises(SandboxBroken):
        inst.handle(HOOK_POST_AUTH, hostile_request("/calm"))


def test_backend_default_deadline_applies_to_calls_without_one(
        wasm_cache_dir: Path, hostile: PluginSource) -> None:
    capped = WasmBackend(cache_dir=wasm_cache_dir, default_timeout_ms=100, tick_ms=5)
    try:
        inst = capped.instantiate(hostile, HostCalls())
        started = time.perf_counter()
        with pytest.raises(DeadlineExceeded):
            inst.handle(HOOK_POST_AUTH, hostile_request("/spin"))
        assert time.perf_counter() - started < 0.25
        inst.close()
    finally:
        capped.close()


def test_deadline_does_not_fire_on_a_quick_call(backend: WasmBackend, enricher: PluginSource) -> None:
    inst = backend.instantiate(enricher, HostCalls())
    try:
        for _ in range(50):
            json.loads(inst.handle(HOOK_POST_AUTH, encode_request(bench_request()), timeout_ms=20))
    finally:
        inst.close()


def test_memory_bomb_is_contained(backend: WasmBackend, hostile: PluginSource) -> None:
    inst = backend.instantiate(hostile, HostCalls(), memory_limit_bytes=64 << 20)
    started = time.perf_counter()
    with pytest.raises((MemoryExceeded, SandboxBroken)) as info:
        inst.handle(HOOK_POST_AUTH, hostile_request("/bomb"), timeout_ms=5_000)
    assert time.perf_counter() - started < 5
    assert isinstance(info.value, MemoryExceeded), info.value  # the guest saw MemoryError
    with pytest.raises(SandboxBroken):
        inst.handle(HOOK_POST_AUTH, hostile_request("/calm"))
    inst.close()
    fresh = backend.instantiate(hostile, HostCalls(), memory_limit_bytes=64 << 20)
    try:
        assert "ok" in json.loads(fresh.handle(HOOK_POST_AUTH, hostile_request("/calm")))
    finally:
        fresh.close()


def test_a_limit_below_the_snapshot_fails_instantiation(backend: WasmBackend,
                                                         hostile: PluginSource) -> None:
    with pytest.raises(LoadError) as info:
        backend.instantiate(hostile, HostCalls(), memory_limit_bytes=1 << 20)
    assert "memory limit" in info.value.message


def test_escape_attempts_fail_inside_the_guest(backend: WasmBackend, hostile: PluginSource,
                                               tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    calls = HostCalls()
    inst = backend.instantiate(hostile, calls)
    try:
        answer = json.loads(inst.handle(HOOK_POST_AUTH, hostile_request("/escape", **{"x-port": str(port)})))
    finally:
        inst.close()
    headers = answer["ok"]["headers"]
    assert set(headers) == {"x-read-passwd", "x-read-cwd", "x-write-tmp", "x-environ", "x-getenv-home",
                            "x-import-urllib", "x-socket-connect", "x-import-subprocess", "x-system",
                            "x-import-ctypes", "x-thread"}
    breaches = {k: v for k, v in headers.items() if not v.startswith("denied: ")}
    assert not breaches, breaches
    assert "No such file" in headers["x-read-passwd"]
    assert "ModuleNotFoundError" in headers["x-import-subprocess"]
    assert calls.calls == []
    with pytest.raises(OSError):
        listener.accept()  # nobody connected
    listener.close()
    assert not os.path.exists("/tmp/gps-wasm-escape")


def test_two_threads_call_two_instances(backend: WasmBackend, enricher: PluginSource) -> None:
    instances = [backend.instantiate(enricher, HostCalls()) for _ in range(2)]
    payload = encode_request(bench_request())
    errors: list[BaseException] = []

    def work(inst: WasmInstance) -> None:
        try:
            for _ in range(100):
                assert json.loads(inst.handle(HOOK_POST_AUTH, payload, timeout_ms=1000))["ok"]["modified"]
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(inst,)) for inst in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for inst in instances:
        inst.close()
    assert not errors


def test_closed_instance_refuses_calls(backend: WasmBackend, enricher: PluginSource) -> None:
    inst = backend.instantiate(enricher, HostCalls())
    inst.close()
    inst.close()
    with pytest.raises(SandboxBroken):
        inst.handle(HOOK_INSTANCE_START, start_msg())


class _FakeError(Exception):
    pass


@pytest.mark.parametrize("text,kind", [
    ("error while executing at wasm backtrace:\n 0: 0x1 - f\n\nCaused by:\n    wasm trap: interrupt",
     DeadlineExceeded),
    ("error while executing at wasm backtrace:\n 0: 0x1 - alloc::alloc::handle_alloc_error\n\n"
     "Caused by:\n    wasm trap: wasm `unreachable` instruction executed", MemoryExceeded),
    ("error while executing at wasm backtrace:\n 0: 0x1 - libc.so!abort\n\nCaused by:\n"
     "    wasm trap: wasm `unreachable` instruction executed", SandboxBroken),
    ("wasm trap: call stack exhausted", SandboxBroken),
])
def test_trap_classification(text: str, kind: type) -> None:
    err = classify_trap(_FakeError(text), timeout_ms=100, elapsed_ms=104.0, plugin="p")
    assert type(err) is kind and err.plugin == "p"
    if kind is DeadlineExceeded:
        assert "100 ms" in err.message and "104 ms" in err.message
    if kind is SandboxBroken:
        assert err.traceback == text


def test_through_the_runtime_and_dispatcher(wasm_cache_dir: Path, enricher: PluginSource) -> None:
    """The backend as the Runtime uses it today (dispatcher, pools), injected by hand."""
    from runtime import Runtime, RuntimeConfig
    request = _chat_request()
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True)) as rt:
        rt.load(ENRICHER, name="local", config=CONFIG)
        expected = rt.call("local", "process_post_auth", request)
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True)) as rt:
        rt._backends["wasm"] = WasmBackend(cache_dir=wasm_cache_dir)
        host = rt.load(ENRICHER, name="sandboxed", tier="wasm", config=CONFIG)
        assert rt.call("sandboxed", "process_post_auth", request) == expected
        assert host.info.name == "request-enricher"
