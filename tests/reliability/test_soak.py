"""Soak: many hook calls through a chain of example plugins (runtime/cli/bench_soak.py)
on the wasm tier (in-process when wasm is not installed). CI makes 20,000 calls;
``GPS_SOAK_CALLS`` sets another count, and ``runtime bench soak --calls 1000000`` is the
full run. Checked here: every request answered correctly, resident memory growth after
the warm-up under 5 %, no file descriptor or thread growth. The p99 drift is a timing
figure: it is the ``soak/p99_last_vs_first`` row of the bench, printed here, not asserted.
"""

from __future__ import annotations

import os

import pytest

from reliability_helpers import TIERS, cache_dir
from runtime.cli.bench_soak import soak

pytestmark = pytest.mark.soak

CALLS = int(os.environ.get("GPS_SOAK_CALLS", "20000"))


def _configure(rt: object) -> None:
    if TIERS[0] == "wasm":
        from runtime.backends.wasm import WasmBackend
        rt._backends["wasm"] = WasmBackend(cache_dir=cache_dir())  # type: ignore[attr-defined]


def test_soak_chain() -> None:
    result = soak(CALLS, tier=TIERS[0], configure=_configure)
    print(f"\n[soak] {result.calls} hook calls ({result.requests} requests) on {result.tier} in "
          f"{result.seconds:.1f} s: RSS {result.rss_warm_kb} -> {result.rss_end_kb} KiB "
          f"({result.rss_growth_pct:+.2f} %), fds {result.fds_warm} -> {result.fds_end}, threads "
          f"{result.threads_warm} -> {result.threads_end}, p99 {result.p99_first_us:.0f} -> "
          f"{result.p99_last_us:.0f} us ({result.p99_ratio:.2f}x), failures {result.failures}")
    assert result.calls >= CALLS
    assert result.failures == 0
    assert result.rss_growth_pct < 5.0, result.rss_samples_kb
    assert result.fds_end <= result.fds_warm
    assert result.threads_end <= result.threads_warm
