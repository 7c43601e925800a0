"""Fixtures of the reliability suite: the test plugins built for the wasm tier once per
run (into the shared build cache) and runtimes loaded with them under a small policy."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from reliability_helpers import FAULTY, STEADY, TIERS, cache_dir, new_runtime
from runtime import Runtime
from runtime.broker.kv import KVStore


@pytest.fixture(scope="session")
def wasm_built() -> bool:
    """Build faulty and steady for the wasm tier once per run (or find them cached)."""
    if "wasm" not in TIERS:
        return False
    from runtime.build import build_plugin
    for plugin in (FAULTY, STEADY):
        build_plugin(plugin, cache_dir=cache_dir())
    return True


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
