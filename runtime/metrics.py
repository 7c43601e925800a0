"""Metrics per plugin and hook, readable from the API and exportable to Prometheus.

Every call through :meth:`Runtime.call` / :meth:`Runtime.call_or_fail_answer` (so every
chain, the asyncio API and the ASGI middleware) is counted: calls, errors by code
(``SANDBOX_BROKEN`` is a trap, ``DEADLINE_EXCEEDED`` a deadline hit, ``MEMORY_EXCEEDED``
a memory cap), answers given by a fail policy, and a latency histogram. Per plugin, the
dispatcher's own counters are added when read: instances created and replaced, deadline
hits, abandoned threads, pool size and idle instances, reloads.

.. code-block:: python

    snap = rt.metrics.snapshot()      # {"plugins": {"rate_limiter": {...}}}
    from prometheus_client import CollectorRegistry, generate_latest
    registry = CollectorRegistry()
    registry.register(rt.metrics.collector())      # needs prometheus-client
    text = generate_latest(registry)

Not measured: guest CPU time and wasm fuel (the wasm tier bounds calls by epoch
deadlines, not fuel).
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from .api import Runtime

__all__ = ["Metrics", "BUCKETS"]

#: Latency histogram bounds in seconds (Prometheus ``le``), +Inf implied.
BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
           0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class _HookStats:
    calls: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    fail_policy_answers: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    seconds: float = 0.0


class Metrics:
    """Counters of one runtime (thread-safe; recording costs a lock and a bisect)."""

    def __init__(self, runtime: "Runtime | None" = None) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()
        self._hooks: dict[tuple[str, str], _HookStats] = {}
        self._reloads: dict[str, int] = {}

    def record(self, plugin: str, hook: str, seconds: float, error: str | None = None,
               fail_policy: bool = False) -> None:
        """One call of ``hook`` on ``plugin`` that took ``seconds``; ``error`` is its code."""
        slot = bisect.bisect_left(BUCKETS, seconds)
        with self._lock:
            stats = self._hooks.get((plugin, hook))
            if stats is None:
                stats = self._hooks[(plugin, hook)] = _HookStats()
            stats.calls += 1
            stats.seconds += seconds
            stats.buckets[slot] += 1
            if error is not None:
                stats.errors[error] = stats.errors.get(error, 0) + 1
            if fail_policy:
                stats.fail_policy_answers += 1

    def reloaded(self, plugin: str) -> None:
        with self._lock:
            self._reloads[plugin] = self._reloads.get(plugin, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """Everything counted so far, per plugin and hook (cumulative histogram buckets)."""
        with self._lock:
            hooks = {k: (v.calls, dict(v.errors), v.fail_policy_answers, list(v.buckets), v.seconds)
                     for k, v in self._hooks.items()}
            reloads = dict(self._reloads)
        plugins: dict[str, Any] = {}
        for (plugin, hook), (calls, errors, fail, buckets, seconds) in sorted(hooks.items()):
            cumulative, total = [], 0
            for n in buckets:
                total += n
                cumulative.append(total)
            entry = plugins.setdefault(plugin, {"hooks": {}})
            entry["hooks"][hook] = {
                "calls": calls, "errors": errors, "fail_policy_answers": fail,
                "latency": {"buckets": dict(zip([*map(str, BUCKETS), "+Inf"], cumulative)),
                            "sum_seconds": seconds, "count": calls}}
        if self._runtime is not None:
            for name, host in self._runtime.plugins.items():
                stats = host.statistics()
                entry = plugins.setdefault(name, {"hooks": {}})
                entry.update({
                    "tier": host.settings.tier, "pool_size": host.settings.limits.pool_size,
                    "idle_instances": len(getattr(host, "_idle", ())),
                    "instances_created": stats.instances_created,
                    "instances_replaced": stats.instances_replaced, "deadlines": stats.deadlines,
                    "abandoned_threads": stats.abandoned_threads,
                    "reloads": reloads.get(name, 0)})
        return {"plugins": plugins, "buckets": list(BUCKETS)}

    def collector(self, prefix: str = "gps_plugin") -> Any:
        """A prometheus-client collector of :meth:`snapshot` (read at each scrape)."""
        from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                            HistogramMetricFamily)
        from prometheus_client.registry import Collector

        metrics = self

        class _Collector(Collector):
            def collect(self) -> Iterator[Any]:
                snap = metrics.snapshot()
                calls = CounterMetricFamily(f"{prefix}_calls", "Hook calls", labels=["plugin", "hook"])
                errors = CounterMetricFamily(f"{prefix}_errors", "Failed hook calls by error code",
                                             labels=["plugin", "hook", "code"])
                fail = CounterMetricFamily(f"{prefix}_fail_policy_answers",
                                           "Answers given by a fail policy", labels=["plugin", "hook"])
                latency = HistogramMetricFamily(f"{prefix}_call_seconds", "Hook call latency",
                                                labels=["plugin", "hook"])
                gauges = {name: GaugeMetricFamily(f"{prefix}_{name}", text, labels=["plugin", "tier"])
                          for name, text in (("pool_size", "Instances in the pool"),
                                             ("idle_instances", "Idle instances"))}
                counters = {name: CounterMetricFamily(f"{prefix}_{name}", text, labels=["plugin"])
                            for name, text in (("instances_created", "Instances created"),
                                               ("instances_replaced", "Instances replaced after a "
                                                                      "trap, deadline or memory cap"),
                                               ("deadlines", "Deadline hits"),
                                               ("reloads", "Hot reloads"))}
                for plugin, entry in snap["plugins"].items():
                    for hook, h in entry["hooks"].items():
                        calls.add_metric([plugin, hook], h["calls"])
                        fail.add_metric([plugin, hook], h["fail_policy_answers"])
                        for code, n in h["errors"].items():
                            errors.add_metric([plugin, hook, code], n)
                        latency.add_metric([plugin, hook], list(h["latency"]["buckets"].items()),
                                           h["latency"]["sum_seconds"])
                    if "pool_size" in entry:
                        for name, gauge in gauges.items():
                            gauge.add_metric([plugin, entry["tier"]], entry[name])
                        for name, counter in counters.items():
                            counter.add_metric([plugin], entry[name])
                yield from (calls, errors, fail, latency, *gauges.values(), *counters.values())

        return _Collector()
