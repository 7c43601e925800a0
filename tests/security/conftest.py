"""Fixtures of the security suite: the attacker builds and one runtime that loads them.

The four attacker components are built once per run into the shared build cache
(``$GPS_CACHE_DIR``, else ``<repo>/.cache/wasm``, as the wasm suite does); a warm run
only deserializes them. One Runtime with the real dispatcher, policy limits and fail
policies serves the whole session; the tests read statistics as deltas.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

pytest.importorskip("wasmtime", reason="the wasm tier needs the 'wasm' extra (wasmtime)")
pytest.importorskip("componentize_py", reason="the wasm tier needs the 'wasm' extra (componentize-py)")

from runtime import Runtime, RuntimeConfig  # noqa: E402
from runtime.backends.wasm import WasmBackend  # noqa: E402
from runtime.broker.logs import PluginLogger  # noqa: E402
from runtime.build import BuildResult, build_plugin  # noqa: E402
from runtime.policy import policy_from_dict  # noqa: E402
from security_catalogue import ATTACKERS  # noqa: E402
from security_helpers import IDENTITY, POLICY, REPO, VICTIM, plugin_dir  # noqa: E402


@pytest.fixture(scope="session")
def security_cache_dir() -> Path:
    env = os.environ.get("GPS_CACHE_DIR")
    path = Path(env) if env else REPO / ".cache" / "wasm"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def attacker_builds(security_cache_dir: Path) -> dict[str, BuildResult]:
    """Each attacker component, built once per run (or found in the cache)."""
    return {key: build_plugin(plugin_dir(key), cache_dir=security_cache_dir) for key in ATTACKERS}


@pytest.fixture(scope="session")
def rt(security_cache_dir: Path, attacker_builds: dict[str, BuildResult]) -> Iterator[Runtime]:
    """One runtime on the wasm tier with every attacker and the victim loaded."""
    runtime = Runtime(RuntimeConfig(tier="wasm", ephemeral=True, policy=policy_from_dict(POLICY)))
    # As tests/wasm does: a backend on the shared build cache instead of the user's.
    runtime._backends["wasm"] = WasmBackend(cache_dir=security_cache_dir)
    try:
        for key in ATTACKERS:
            runtime.load(plugin_dir(key), name=IDENTITY[key])
        runtime.load(plugin_dir("abi"), name=VICTIM)
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def fresh_log(rt: Runtime) -> Iterator[PluginLogger]:
    """A new per-plugin log rate limiter for one test (earlier tests used the tokens)."""
    saved = rt.broker.logger
    rt.broker.logger = PluginLogger()
    try:
        yield rt.broker.logger
    finally:
        rt.broker.logger = saved
