"""Metrics per plugin and hook: from the API and in Prometheus's text format."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from runtime import Runtime, RuntimeConfig
from runtime.errors import PluginRuntimeError
from runtime.policy import policy_from_dict

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
REQUEST = {"request": {"method": "POST", "path": "/", "headers": {"x-no-sleep": "1"}, "body": ""}}


def _runtime() -> Runtime:
    policy = policy_from_dict({"version": 1, "plugins": {
        "slow": {"limits": {"timeout_ms": 50, "pool_size": 2}}}})
    return Runtime(RuntimeConfig(tier="inprocess", ephemeral=True, policy=policy))


def test_calls_errors_latency_and_pools_are_counted() -> None:
    with _runtime() as rt:
        rt.load(PLUGINS / "slow")
        rt.load(PLUGINS / "raises")
        for _ in range(3):
            rt.call("slow", "process_post_auth", REQUEST)
        with pytest.raises(PluginRuntimeError):
            rt.call("slow", "process_post_auth", {"request": {"method": "POST", "path": "/"}})  # sleeps
        answer, error = rt.call_or_fail_answer("raises", "process_post_auth", REQUEST)
        assert error is not None
        snap = rt.metrics.snapshot()
        slow = snap["plugins"]["slow"]
        hook = slow["hooks"]["process_post_auth"]
        assert hook["calls"] == 4 and hook["errors"] == {"DEADLINE_EXCEEDED": 1}
        assert hook["latency"]["count"] == 4 and hook["latency"]["buckets"]["+Inf"] == 4
        assert hook["latency"]["buckets"]["0.025"] == 3  # the three quick calls
        assert slow["deadlines"] == 1 and slow["instances_replaced"] == 1
        assert slow["pool_size"] == 2 and slow["tier"] == "inprocess"
        raises = snap["plugins"]["raises"]["hooks"]["process_post_auth"]
        assert raises["errors"] == {"PLUGIN_RAISED": 1} and raises["fail_policy_answers"] == 1


def test_prometheus_text() -> None:
    with _runtime() as rt:
        rt.load(PLUGINS / "slow")
        rt.call("slow", "process_post_auth", REQUEST)
        registry = CollectorRegistry()
        registry.register(rt.metrics.collector())
        text = generate_latest(registry).decode()
        assert 'gps_plugin_calls_total{hook="process_post_auth",plugin="slow"} 1.0' in text
        assert 'gps_plugin_call_seconds_bucket{hook="process_post_auth",le="+Inf",plugin="slow"} 1.0' in text
        assert 'gps_plugin_pool_size{plugin="slow",tier="inprocess"} 2.0' in text
        assert 'gps_plugin_deadlines_total{plugin="slow"} 0.0' in text
