"""Plain helpers of the reliability suite (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


from host_abi.errors import ErrorCode
from runtime.broker.kv import KVError, KVStore

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
