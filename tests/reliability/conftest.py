"""Fixtures of the reliability suite: the test plugins built for the wasm tier once per
run (into the shared build cache) and runtimes loaded with them under a small policy."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from reliability_helpers import FAULTY, STEADY, cache_dir
from runtime import Runtime, RuntimeConfig
from runtime.api import available_tiers
from runtime.broker.kv import KVStore
from runtime.policy import policy_from_dict

#: Deadline of the faulty plugins: short, so the spin and sleep faults end quickly.
TIMEOUT_MS = 300

POLICY: dict[str, Any] = {
    "version": 1,
    # trusted: the subinterpreter tier takes trusted plugins only (no effect elsewhere).
    "defaults": {"runtime": "gateway", "trust": "trusted", "limits": {"timeout_ms": TIMEOUT_MS,
                                                  "memory_limit_bytes": 64 << 20}},
    "plugins": {
        # The hooks' own defaults: pre_auth, auth and post_auth fail closed, data collection open.
        "faulty": {},
        # The operator chose fail-open for the request hooks and fail-closed for records.
        "faulty-open": {"fail_policy": {"pre_auth": "open", "post_auth": "open",
                                        "data_collection": "closed"}},
        # A crash loop: the breaker opens after 3 broken instances, half-opens after 300 ms.
        "crashloop": {"limits": {"breaker_failures": 3, "breaker_cooldown_ms": 300}},
        "steady": {"limits": {"timeout_ms": 5000}},
    },
}


def _tiers() -> list[str]:
    """The tiers that run Python plugins here, wasm first when installed."""
    status = available_tiers()
    return [t for t in ("wasm", "subinterpreter", "inprocess")
            if status.get(t, "").startswith("available")]


TIERS = _tiers()


@pytest.fixture(scope="session")
def wasm_built() -> bool:
    """Build faulty and steady for the wasm tier once per run (or find them cached)."""
    if "wasm" not in TIERS:
        return False
    from runtime.build import build_plugin
    for plugin in (FAULTY, STEADY):
        build_plugin(plugin, cache_dir=cache_dir())
    return True


def new_runtime(tier: str, kv: KVStore | None = None,
                names: tuple[str, ...] = ("faulty", "faulty-open", "crashloop")) -> Runtime:
    """A runtime on ``tier`` with faulty loaded under each identity of ``names`` and
    steady as ``steady`` (the caller closes it)."""
    rt = Runtime(RuntimeConfig(tier=tier, ephemeral=kv is None, kv=kv,
                               policy=policy_from_dict(POLICY)))
    try:
        if tier == "wasm":
            from runtime.backends.wasm import WasmBackend
            rt._backends["wasm"] = WasmBackend(cache_dir=cache_dir())
        for name in names:
            rt.load(FAULTY, name=name)
        rt.load(STEADY, name="steady")
    except BaseException:
        rt.close()
        raise
    return rt


@pytest.fixture
def make_runtime(wasm_built: bool) -> Iterator[Callable[..., Runtime]]:
    """``make_runtime(tier, kv=None, names=(...))``: :func:`new_runtime`, closed after the test."""
    made: list[Runtime] = []

    def make(tier: str, kv: KVStore | None = None,
             names: tuple[str, ...] = ("faulty", "faulty-open", "crashloop")) -> Runtime:
        made.append(new_runtime(tier, kv, names))
        return made[-1]

    yield make
    for rt in made:
        rt.close()


@pytest.fixture(scope="module")
def runtimes(wasm_built: bool) -> Iterator[dict[str, Runtime]]:
    """One runtime per tier for a whole module (tests read statistics as deltas)."""
    made = {tier: new_runtime(tier) for tier in TIERS}
    yield made
    for rt in made.values():
        rt.close()
