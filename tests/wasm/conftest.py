"""Fixtures of the wasm-tier suite: the build cache, a backend, plugin sources, messages.

Builds are cached in ``$GPS_CACHE_DIR`` when it is set, else ``<repo>/.cache/wasm``, so
a warm run only deserializes compiled components (a cold run builds two plugins,
~15 s each on a 2-vCPU VM).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

pytest.importorskip("wasmtime", reason="the wasm tier needs the 'wasm' extra (wasmtime)")
pytest.importorskip("componentize_py", reason="the wasm tier needs the 'wasm' extra (componentize-py)")

from runtime.backends.base import PluginSource  # noqa: E402
from runtime.backends.wasm import WasmBackend  # noqa: E402
from runtime.build import BuildResult, build_plugin  # noqa: E402
from wasm_helpers import ENRICHER, HOSTILE, REPO  # noqa: E402


@pytest.fixture(scope="session")
def wasm_cache_dir() -> Path:
    env = os.environ.get("GPS_CACHE_DIR")
    path = Path(env) if env else REPO / ".cache" / "wasm"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def enricher_build(wasm_cache_dir: Path) -> BuildResult:
    """The first build of request_enricher in this session (cold, or from the cache)."""
    return build_plugin(ENRICHER, cache_dir=wasm_cache_dir)


@pytest.fixture(scope="session")
def backend(wasm_cache_dir: Path, enricher_build: BuildResult) -> Iterator[WasmBackend]:
    b = WasmBackend(cache_dir=wasm_cache_dir)
    yield b
    b.close()


@pytest.fixture(scope="session")
def enricher(backend: WasmBackend) -> PluginSource:
    source = PluginSource("request-enricher", ENRICHER, "plugin", "create_plugin")
    backend.prepare(source)
    return source


@pytest.fixture(scope="session")
def hostile(backend: WasmBackend) -> PluginSource:
    source = PluginSource("hostile", HOSTILE, "plugin", "create_plugin")
    backend.prepare(source)
    return source
