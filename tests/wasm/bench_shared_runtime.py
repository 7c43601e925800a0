"""Prototype of the alternative wasm design, for figures only (not a test, not shipped).

Instead of one component per plugin (the plugin imported and constructed at build
time, in the snapshot), ONE shared runtime component holds only the SDK; each instance
receives the plugin's source files through a load hook right after instantiation and
compiles and runs them inside the guest. No per-plugin build, but every instance pays
for compiling and importing the plugin, and that state is private to the instance.

    .venv/bin/python tests/wasm/bench_shared_runtime.py

Prints one JSON line. The shared component is cached under ``<cache>/shared-proto-<key>``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from host_abi.envelope import encode_request  # noqa: E402
from runtime import build as B  # noqa: E402
from runtime.backends.wasm import WasmBackend, WasmInstance, _Prepared  # noqa: E402
from runtime.cli.bench import bench_request  # noqa: E402
from wasm_helpers import ENRICHER, REPO, start_msg  # noqa: E402
from bench_wasm import CONFIG, rss_kb, stats, timed  # noqa: E402

CACHE = Path(os.environ.get("GPS_CACHE_DIR") or REPO / ".cache" / "wasm")
LOAD_HOOK = 900_000  # prototype-only hook number: {"files": {rel: source}, "entry": "m:f"}

APP = '''\
import importlib
import importlib.abc
import importlib.util
import json
import sys
import types

from wit_world import exports
from wit_world.imports import host

import host_abi
from host_abi.envelope import encode_err, encode_ok
from host_abi.errors import ErrorCode
from guest_sdk import _guest

for _name in PRELOAD:
    try:
        importlib.import_module(_name)
    except Exception:
        pass

_guest.install_output_capture()
_INSTANCE = None


class _Sources(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``_plugin.*`` modules from source text handed over by the host."""

    def __init__(self, files):
        self.files = files

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("_plugin."):
            return None
        rel = fullname[len("_plugin."):].replace(".", "/")
        if rel + ".py" in self.files:
            return importlib.util.spec_from_loader(fullname, self, origin="_plugin/" + rel + ".py")
        if rel + "/__init__.py" in self.files:
            return importlib.util.spec_from_loader(fullname, self, origin="_plugin/" + rel + "/__init__.py",
                                                   is_package=True)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        rel = module.__spec__.origin[len("_plugin/"):]
        module.__file__ = module.__spec__.origin
        exec(compile(self.files[rel], module.__file__, "exec"), module.__dict__)


def _load(msg):
    global _INSTANCE
    sys.meta_path.insert(0, _Sources(msg["files"]))
    pkg = types.ModuleType("_plugin")
    pkg.__path__ = []
    sys.modules["_plugin"] = pkg
    module_name, factory_name = msg["entry"].split(":")
    module = importlib.import_module("_plugin." + module_name)
    _INSTANCE = _guest.create_instance(getattr(module, factory_name), host.call)
    return {"loaded": True}


class Guest(exports.Guest):
    def abi_version(self):
        return host_abi.ABI_VERSION

    def handle(self, hook, payload):
        try:
            if hook == LOAD_HOOK:
                return encode_ok(_load(json.loads(payload)))
            if _INSTANCE is None:
                return encode_err(ErrorCode.INTERNAL, "no plugin loaded")
            return _INSTANCE.handle(hook, payload)
        except BaseException as exc:
            return encode_err(ErrorCode.INTERNAL, type(exc).__name__ + ": " + str(exc))
'''.replace("PRELOAD", repr(B.STDLIB_PRELOAD)).replace("LOAD_HOOK", str(LOAD_HOOK))


def _ok(op: int, payload: str) -> str:
    return '{"v":1,"ok":null}'


def build_shared() -> tuple[Path, float, bool]:
    sdk = B._py_files(B._package_dir("guest_sdk"))
    abi = B._py_files(B._package_dir("host_abi"))
    h = hashlib.sha256(APP.encode())
    for rel, data in sdk + abi:
        h.update(rel.encode() + data)
    out_dir = CACHE / f"shared-proto-{h.hexdigest()[:16]}"
    wasm = out_dir / "plugin.wasm"
    if wasm.is_file():
        return wasm, 0.0, True
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        for base, files in (("guest_sdk", sdk), ("host_abi", abi)):
            for rel, data in files:
                (src / base / rel).parent.mkdir(parents=True, exist_ok=True)
                (src / base / rel).write_bytes(data)
        (src / f"{B.APP_MODULE}.py").write_text(APP)
        B._componentize(src, Path(tmp) / "out.wasm", Path(tmp), "shared-proto")
        B._atomic_copy(Path(tmp) / "out.wasm", wasm)
    return wasm, time.perf_counter() - started, False


def main() -> None:
    from wasmtime.component import Component
    wasm, build_s, cached = build_shared()
    backend = WasmBackend(cache_dir=CACHE)
    cwasm = wasm.with_name(f"{backend.engine_settings.tag()}.cwasm")
    compile_s = 0.0
    if not cwasm.is_file():
        t0 = time.perf_counter()
        B.compile_component(wasm, cwasm, backend.engine)
        compile_s = time.perf_counter() - t0
    component = Component.deserialize_file(backend.engine, str(cwasm))
    names = B.wit_names()
    guest = component.get_export_index(names.guest_interface)
    prepared = _Prepared(None, component, component.get_export_index("handle", guest),  # type: ignore[arg-type]
                         component.get_export_index("abi-version", guest), 0.0)
    files = {rel: data.decode("utf-8") for rel, data in B._plugin_files(ENRICHER, "x")}
    load_msg = json.dumps({"files": files, "entry": "plugin:create_plugin"})
    payload = encode_request(bench_request())
    inst_us, load_us, start_us, init_us, first_us = [], [], [], [], []
    for _ in range(100):
        t0 = time.perf_counter_ns()
        inst = WasmInstance(backend, prepared, _ok, None, "proto")
        t1 = time.perf_counter_ns()
        answer = inst.handle(LOAD_HOOK, load_msg)
        t2 = time.perf_counter_ns()
        assert '"loaded":true' in answer, answer
        inst.handle(0, start_msg())
        t3 = time.perf_counter_ns()
        inst.handle(1, CONFIG)
        t4 = time.perf_counter_ns()
        assert '"modified":true' in inst.handle(8, payload, 1000)
        t5 = time.perf_counter_ns()
        inst_us.append((t1 - t0) / 1000)
        load_us.append((t2 - t1) / 1000)
        start_us.append((t3 - t2) / 1000)
        init_us.append((t4 - t3) / 1000)
        first_us.append((t5 - t4) / 1000)
        inst.close()
    inst = WasmInstance(backend, prepared, _ok, None, "proto")
    inst.handle(LOAD_HOOK, load_msg)
    inst.handle(0, start_msg())
    inst.handle(1, CONFIG)
    gc.collect()
    steady = timed(lambda: inst.handle(8, payload, 1000), int(os.environ.get("N", "2000")), 200)
    inst.close()
    gc.collect()
    base = rss_kb()
    count = 20
    many = [WasmInstance(backend, prepared, _ok, None, "proto") for _ in range(count)]
    for i in many:
        i.handle(LOAD_HOOK, load_msg)
        i.handle(0, start_msg())
        i.handle(1, CONFIG)
        i.handle(8, payload, 1000)
    warm = rss_kb()
    for i in many:
        i.close()
    backend.close()
    out: dict[str, Any] = {
        "mode": "shared-runtime", "build_s": round(build_s, 2), "build_cached": cached,
        "compile_s": round(compile_s, 2), "wasm_mb": round(wasm.stat().st_size / 2**20, 1),
        "instantiate_us": stats(inst_us), "load_sources_us": stats(load_us),
        "instance_start_us": stats(start_us), "initialize_us": stats(init_us),
        "first_post_auth_us": stats(first_us),
        "instantiate_load_and_three_hooks_us": round(statistics.median(
            [a + b + c + d + e for a, b, c, d, e in zip(inst_us, load_us, start_us, init_us, first_us)]), 1),
        "steady_post_auth_us": stats(steady),
        "per_instance_after_first_calls_mb": {k: round((warm[k] - base[k]) / count / 1024, 2) for k in warm},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
