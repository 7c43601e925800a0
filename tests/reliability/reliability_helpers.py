"""Plain helpers of the reliability suite (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from host_abi.errors import ErrorCode
from runtime import Runtime, RuntimeConfig
from runtime.api import available_tiers
from runtime.broker.kv import KVError, KVStore
from runtime.policy import policy_from_dict

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PLUGINS = HERE / "plugins"
FAULTY = PLUGINS / "faulty"
STEADY = PLUGINS / "steady"


def fuzz_examples(default: int) -> int:
    """Examples per fuzz target: ``GPS_FUZZ_EXAMPLES`` when set (the long mode), else
    ``default`` (the bounded CI run)."""
    value = os.environ.get("GPS_FUZZ_EXAMPLES", "")
    return int(value) if value.strip() else default


def cache_dir() -> Path:
    """The shared wasm build cache (``$GPS_CACHE_DIR``, else ``<repo>/.cache/wasm``)."""
    env = os.environ.get("GPS_CACHE_DIR")
    path = Path(env) if env else REPO / ".cache" / "wasm"
    path.mkdir(parents=True, exist_ok=True)
    return path


class FlakyKV(KVStore):
    """A KV backend wrapper whose failures the test switches on and off.

    ``mode``: ``"up"`` passes every call through; ``"down"`` refuses every call as a
    backend that lost its server does (``KVError`` SERVICE_UNAVAILABLE); ``"broken"``
    raises a bare ``OSError`` (a backend bug); ``"slow"`` sleeps ``delay_s`` first.
    """

    def __init__(self, inner: KVStore, delay_s: float = 1.0) -> None:
        super().__init__(inner.quota, inner.clock)
        self.inner = inner
        self.mode = "up"
        self.delay_s = delay_s
        self.refused = 0
        self._lock = threading.Lock()

    def _gate(self) -> None:
        mode = self.mode
        if mode == "up":
            return
        with self._lock:
            self.refused += mode != "slow"
        if mode == "down":
            raise KVError(ErrorCode.SERVICE_UNAVAILABLE, "the KV backend is unavailable")
        if mode == "broken":
            raise OSError(104, "Connection reset by peer")
        if mode == "slow":
            time.sleep(self.delay_s)


    def read(self, ns: str, key: str) -> bytes | None:
        self._gate()
        return self.inner.read(ns, key)

    def write(self, ns: str, key: str, value: bytes, ttl_seconds: float | None) -> bool:
        self._gate()
        return self.inner.write(ns, key, value, ttl_seconds)

    def delete(self, ns: str, key: str) -> bool:
        self._gate()
        return self.inner.delete(ns, key)

    def list(self, ns: str, prefix: str, limit: int) -> list[str]:
        self._gate()
        return self.inner.list(ns, prefix, limit)

    def increment(self, ns: str, key: str, delta: int, ttl_seconds: float | None) -> int:
        self._gate()
        return self.inner.increment(ns, key, delta, ttl_seconds)

    def usage(self, ns: str) -> tuple[int, int]:
        self._gate()
        return self.inner.usage(ns)


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
#: The subinterpreter tier stops a pure-Python busy loop at its deadline only with its
#: native helper; the pure-Python driver (where the helper was not built) cannot.
SUBINTERP_STOPS_LOOPS = "pure-Python driver" not in available_tiers().get("subinterpreter", "pure-Python driver")


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
