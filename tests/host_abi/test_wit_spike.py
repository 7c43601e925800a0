"""The v1 WIT contract on the wasm tier: a componentize-py guest run by wasmtime-py.

Builds ``wit_spike/app.py`` against ``host_abi/wit`` with componentize-py, compiles it,
and drives ``gateway-plugin:abi/guest@1.0.0`` through wasmtime's component API with
the host import ``gateway-plugin:abi/host@1.0.0#call`` served from Python.

Building (~5-7 s) and compiling (~3 s) are cached under
``<repo>/.cache/wasm/<key>/`` (``plugin.wasm`` and the serialized ``plugin.cwasm``),
keyed on the WIT files, the spike sources and the componentize-py and wasmtime
versions, so a warm run only deserializes the compiled artifact (~1 ms).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("wasmtime", reason="the wasm tier needs the 'wasm' extra (wasmtime)")
from wasmtime import Engine, Store, WasiConfig, WasmtimeError  # noqa: E402
from wasmtime.component import Component, Func, Linker  # noqa: E402

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
WIT_DIR = REPO / "host_abi" / "wit"
SPIKE_DIR = Path(__file__).resolve().parent / "wit_spike"
CACHE_ROOT = REPO / ".cache" / "wasm"
WORLD = "plugin"
GUEST_INTERFACE = "gateway-plugin:abi/guest@1.0.0"
HOST_INTERFACE = "gateway-plugin:abi/host@1.0.0"
ENGINE_CONFIG_TAG = "engine=default"  # a .cwasm only loads into an Engine with the same Config

HOOK_PROCESS_POST_AUTH = 8
HOOK_CODEC_BENCH = 9000
OP_LOG = 1
EXPECTED_LOG_ARGS = {"v": 1, "args": {"level": "info", "message": "enriched", "fields": {}}}
SYSTEM_NOTE = "Réponds en français, s'il te plaît — données «confidentielles» ✓"  # as in app.py


# --------------------------------------------------------------------------- build + cache


def _componentize_py() -> str | None:
    beside = Path(sys.executable).with_name("componentize-py")
    return str(beside) if beside.exists() else shutil.which("componentize-py")


def _source_files(root: Path, pattern: str) -> list[Path]:
    return sorted(
        p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def cache_key() -> str:
    """sha256 over the WIT files, the spike sources and the tool versions."""
    h = hashlib.sha256()
    for label, root, pattern in (("wit", WIT_DIR, "*.wit"), ("spike", SPIKE_DIR, "*")):
        for path in _source_files(root, pattern):
            h.update(f"{label}:{path.relative_to(root).as_posix()}\0".encode())
            h.update(path.read_bytes())
            h.update(b"\0")
    h.update(f"componentize-py={metadata.version('componentize-py')}\0".encode())
    h.update(f"wasmtime={metadata.version('wasmtime')}\0".encode())
    h.update(f"world={WORLD}\0{ENGINE_CONFIG_TAG}".encode())
    return h.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build_component(out: Path) -> None:
    """Run componentize-py on a copy of the spike sources (the guest writes __pycache__)."""
    tool = _componentize_py()
    if tool is None:
        pytest.skip("componentize-py is not installed (the 'wasm' extra)")
    with tempfile.TemporaryDirectory(prefix="wit-spike-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(SPIKE_DIR, src, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        wasm = Path(tmp) / "plugin.wasm"
        cmd = [tool, "-d", str(WIT_DIR), "-w", WORLD, "componentize", "app", "-p", str(src), "-o", str(wasm)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            pytest.fail(f"componentize-py failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        _atomic_write(out, wasm.read_bytes())


@dataclass
class LoadedComponent:
    engine: Engine
    component: Component
    cache_dir: Path
    steps: list[str]  # what loading did: "built", "compiled", "deserialized"


def load_component(engine: Engine) -> LoadedComponent:
    """Deserialize the cached .cwasm, else compile the cached .wasm, else build it first."""
    cache_dir = CACHE_ROOT / cache_key()
    cache_dir.mkdir(parents=True, exist_ok=True)
    wasm, cwasm = cache_dir / "plugin.wasm", cache_dir / "plugin.cwasm"
    steps: list[str] = []
    if cwasm.exists():
        try:
            component = Component.deserialize_file(engine, str(cwasm))
            return LoadedComponent(engine, component, cache_dir, ["deserialized"])
        except WasmtimeError:
            steps.append("stale-cwasm")  # e.g. written by an Engine with another Config
    if not wasm.exists():
        build_component(wasm)
        steps.append("built")
    component = Component.from_file(engine, str(wasm))
    steps.append("compiled")
    _atomic_write(cwasm, bytes(component.serialize()))
    return LoadedComponent(engine, component, cache_dir, steps)


# --------------------------------------------------------------------------- instance


@dataclass
class SpikeInstance:
    """One instance in its own Store, with the host import recording its calls."""

    store: Store
    abi_version_func: Func
    handle_func: Func
    host_calls: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def create(cls, loaded: LoadedComponent) -> SpikeInstance:
        calls: list[tuple[int, str]] = []

        def host_call(_store: Any, op: int, payload: str) -> str:
            calls.append((op, payload))
            if op == OP_LOG:
                return '{"v":1,"ok":null}'
            return json.dumps({"v": 1, "err": {"code": "UNKNOWN_OP", "message": f"op {op}"}})

        linker = Linker(loaded.engine)
        linker.add_wasip2()
        with linker.root() as root:
            with root.add_instance(HOST_INTERFACE) as host:
                host.add_func("call", host_call)
        store = Store(loaded.engine)
        store.set_wasi(WasiConfig())  # required: without it instantiation aborts the process
        instance = linker.instantiate(store, loaded.component)
        guest = instance.get_export_index(store, GUEST_INTERFACE)
        assert guest is not None, f"component does not export {GUEST_INTERFACE}"

        def func(name: str) -> Func:
            index = instance.get_export_index(store, name, guest)
            assert index is not None, f"{GUEST_INTERFACE} does not export {name}"
            f = instance.get_func(store, index)
            assert f is not None
            return f

        return cls(store, func("abi-version"), func("handle"), calls)

    def abi_version(self) -> int:
        return int(self.abi_version_func(self.store))

    def handle_raw(self, hook: int, payload: str) -> str:
        return str(self.handle_func(self.store, hook, payload))

    def handle(self, hook: int, msg: dict[str, Any]) -> dict[str, Any]:
        answer = json.loads(self.handle_raw(hook, encode_envelope(msg)))
        assert isinstance(answer, dict)
        return answer


# --------------------------------------------------------------------------- messages


def encode_envelope(msg: dict[str, Any]) -> str:
    return json.dumps({"v": 1, "msg": msg}, ensure_ascii=False, separators=(",", ":"))


def chat_body() -> bytes:
    """A ~500-byte JSON chat completion request with non-ASCII text."""
    chat = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are a concise assistant for the billing team."},
            {
                "role": "user",
                "content": "Résume le contrat n° 2024-117 en trois points — coût total 4 200 €, "
                "durée 24 mois, résiliation anticipée possible avec préavis de 90 jours. "
                "Mentionne aussi la clause « force majeure », la pénalité de retard et le délai de paiement.",
            },
        ],
        "temperature": 0.2,
        "max_tokens": 256,
        "stream": False,
        "user": "acct-7f3a9c",
    }
    return json.dumps(chat, ensure_ascii=False).encode("utf-8")


def post_auth_msg(body: bytes) -> dict[str, Any]:
    """An EnrichedRequest for process_post_auth: ~1.5 KB as an envelope."""
    headers = {
        "authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhcHAtNDIiLCJpYXQiOjE3MzI1MzAwMDB9"
        ".k3XbY7Q2mJ9tqvV0c6r1pZ8wH4sLxN5eFaGdUoIiKjM",
        "content-type": "application/json",
        "accept": "application/json",
        "user-agent": "acme-billing-bot/3.4.1 (+https://billing.example.com/bot)",
        "x-request-id": "0f8c2a7e-5b1d-4e2f-9a63-7c4d1e8b2f90",
        "x-forwarded-for": "203.0.113.54, 10.2.0.17",
        "accept-encoding": "gzip, br",
        "cookie": "session=9b2e4f71c0a84d3e; theme=dark",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "content-length": str(len(body)),
    }
    context = {
        "request_id": "0f8c2a7e-5b1d-4e2f-9a63-7c4d1e8b2f90",
        "vendor": "openai",
        "llm_id": 3,
        "llm_slug": "openai-gpt-4o-mini",
        "app_id": 42,
        "user_id": 7,
        "metadata": {"edge_id": "edge-eu-west-1a", "edge_namespace": "billing"},
        "trace_context": {},
    }
    request = {
        "method": "POST",
        "path": "/llm/rest/openai-gpt-4o-mini/v1/chat/completions",
        "headers": headers,
        "body": body.decode("latin-1"),
        "context": context,
        "remote_addr": "203.0.113.54:51234",
    }
    return {"request": request, "user_id": "7", "app_id": "42", "auth_claims": {"scope": "chat"}, "authenticated": True}


def codec_bench_msg(
    msg: dict[str, Any], *, iterations: int, runs: int, time_handler: bool = False
) -> dict[str, Any]:
    """The hook-9000 message: the same request with its body as latin-1 text and as base64.

    ``latin-1-ascii`` is the latin-1 envelope encoded with ``ensure_ascii=True`` (bytes
    0x80-0xFF as ``\\u00XX``), to show what the host's JSON encoder choice costs the guest.
    """
    as_base64 = json.loads(json.dumps(msg))
    as_base64["request"]["body"] = base64.b64encode(msg["request"]["body"].encode("latin-1")).decode("ascii")
    return {
        "iterations": iterations,
        "runs": runs,
        "time_handler": time_handler,
        "variants": {
            "latin-1": {"envelope": encode_envelope(msg), "body": "latin-1"},
            "latin-1-ascii": {"envelope": json.dumps({"v": 1, "msg": msg}, separators=(",", ":")), "body": "latin-1"},
            "base64": {"envelope": encode_envelope(as_base64), "body": "base64"},
        },
    }


# --------------------------------------------------------------------------- fixtures + tests


@pytest.fixture(scope="module")
def loaded() -> LoadedComponent:
    return load_component(Engine())


@pytest.fixture
def spike(loaded: LoadedComponent) -> SpikeInstance:
    return SpikeInstance.create(loaded)


def _assert_enriched(answer: dict[str, Any], body: bytes) -> None:
    assert set(answer) == {"v", "ok"}, answer
    ok = answer["ok"]
    assert ok["modified"] is True
    assert ok["headers"] == {"x-enriched": "1"}
    new_chat = json.loads(ok["body"].encode("latin-1").decode("utf-8"))
    expected = json.loads(body.decode("utf-8"))
    expected["messages"].append({"role": "system", "content": SYSTEM_NOTE})
    assert new_chat == expected
    assert "4 200 €" in new_chat["messages"][1]["content"]
    assert new_chat["messages"][-1]["content"] == SYSTEM_NOTE


def test_request_is_realistic() -> None:
    body = chat_body()
    envelope = encode_envelope(post_auth_msg(body))
    assert 450 <= len(body) <= 600 and not body.isascii()
    assert 1300 <= len(envelope.encode("utf-8")) <= 1700


def test_abi_version(spike: SpikeInstance) -> None:
    assert spike.abi_version() == 1


def test_post_auth_enriches_body_and_logs_once(spike: SpikeInstance) -> None:
    body = chat_body()
    answer = spike.handle(HOOK_PROCESS_POST_AUTH, post_auth_msg(body))
    _assert_enriched(answer, body)
    assert len(spike.host_calls) == 1
    op, payload = spike.host_calls[0]
    assert op == OP_LOG
    assert json.loads(payload) == EXPECTED_LOG_ARGS


def test_unknown_hook_answers_unknown_hook(spike: SpikeInstance) -> None:
    answer = spike.handle(4242, post_auth_msg(chat_body()))
    assert set(answer) == {"v", "err"}
    assert answer["v"] == 1
    assert answer["err"]["code"] == "UNKNOWN_HOOK"
    assert spike.host_calls == []
    assert spike.abi_version() == 1  # an err answer does not poison the instance


def test_second_call_on_same_instance(spike: SpikeInstance) -> None:
    body = chat_body()
    for _ in range(2):
        _assert_enriched(spike.handle(HOOK_PROCESS_POST_AUTH, post_auth_msg(body)), body)
    assert [op for op, _ in spike.host_calls] == [OP_LOG, OP_LOG]


def test_codec_bench_hook_answers_figures(spike: SpikeInstance) -> None:
    """Hook 9000 (test-only) times the envelope codec on the guest clock."""
    answer = spike.handle(HOOK_CODEC_BENCH, codec_bench_msg(post_auth_msg(chat_body()), iterations=5, runs=1))
    assert set(answer) == {"v", "ok"}, answer
    for variant in ("latin-1", "latin-1-ascii", "base64"):
        figures = answer["ok"][variant]
        assert figures["full_us"] > 0 and figures["loads_us"] > 0


def test_artifacts_are_cached(loaded: LoadedComponent) -> None:
    assert (loaded.cache_dir / "plugin.wasm").stat().st_size > 0
    assert (loaded.cache_dir / "plugin.cwasm").stat().st_size > 0
    assert loaded.steps in (["deserialized"], ["compiled"], ["built", "compiled"], ["stale-cwasm", "compiled"])
