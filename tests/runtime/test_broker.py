"""The service broker: op checks in order, every unimplemented op's code, logs, events."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from host_abi.envelope import decode_answer, encode_args
from host_abi.limits import EVENT_QUEUE_LENGTH
from host_abi.ops import OPS, op_by_name
from runtime.broker.events import EventBus
from runtime.broker.fixtures import Fixtures, load_fixtures
from runtime.broker.kv import MemoryKV
from runtime.broker.logs import PluginLogger
from runtime.broker.services import CallState, ServiceBroker
from runtime.policy import EffectivePlugin, Limits

SCOPES = frozenset({"kv.readwrite", "events.publish", "events.subscribe", "apps.read", "llms.read",
                    "budget.read", "pricing.read", "credentials.validate", "control.send", "apps.write",
                    "llms.proxy", "tools.read", "tools.call", "plugins.read", "plugins.write",
                    "datasources.query", "scheduler.manage"})


def plugin(runtime: str = "gateway", scopes: frozenset[str] = SCOPES, max_calls: int = 1000) -> EffectivePlugin:
    return EffectivePlugin("p1", "inprocess", "trusted", runtime, scopes,
                           Limits(max_host_calls=max_calls), {}, {})


@pytest.fixture
def broker() -> ServiceBroker:
    fixtures = Fixtures(apps=[{"id": 1, "name": "demo", "is_active": True}],
                        llms=[{"id": 2, "name": "GPT", "vendor": "openai", "reply": "hi there"}],
                        credentials=[{"secret": "sk-1", "app_id": 1}],
                        prices=[{"model_name": "gpt-4o", "vendor": "openai", "cpt": 0.1}],
                        budgets=[{"app_id": 1, "monthly_budget": 10.0, "current_usage": 4.0}],
                        tools=[{"id": 3, "name": "search"}])
    return ServiceBroker(MemoryKV(), PluginLogger(), None, fixtures)


def call(b: ServiceBroker, state: CallState, name: str, **args: Any) -> tuple[bool, Any]:
    spec = op_by_name(name)
    assert spec is not None
    return decode_answer(b.handle(state, spec.number, encode_args(args)))


@pytest.mark.parametrize("spec", [o for o in OPS if not o.embedded], ids=lambda o: o.name)
def test_every_unimplemented_op_answers_unsupported_embedded(broker: ServiceBroker, spec: Any) -> None:
    state = CallState(plugin(runtime=spec.runtime if spec.runtime != "any" else "gateway"), "h")
    ok, err = decode_answer(broker.handle(state, spec.number, encode_args({})))
    assert not ok and err["code"] == "UNSUPPORTED_EMBEDDED" and err["op"] == spec.name


def test_checks_in_order(broker: ServiceBroker) -> None:
    state = CallState(plugin(scopes=frozenset(), max_calls=2), "h")
    assert decode_answer(broker.handle(state, 9999, encode_args({})))[1]["code"] == "UNKNOWN_OP"
    assert decode_answer(broker.handle(state, 2, "garbage"))[1]["code"] == "MALFORMED_ENVELOPE"
    assert call(broker, state, "studio.get_app", app_id=1)[1]["code"] == "WRONG_RUNTIME"
    assert call(broker, state, "kv.read", key="k")[1]["code"] == "PERMISSION_DENIED"
    assert call(broker, state, "log", message="x")[1]["code"] == "LIMIT_EXCEEDED"
    assert state.host_calls == 3  # unknown op and bad envelope are not counted


def test_lookups_from_fixtures(broker: ServiceBroker) -> None:
    gw = CallState(plugin(), "h")
    assert call(broker, gw, "gateway.get_app", app_id=1)[1]["app"]["name"] == "demo"
    assert call(broker, gw, "gateway.get_app", app_id=9)[1]["code"] == "NOT_FOUND"
    assert call(broker, gw, "gateway.list_apps")[1]["total_count"] == 1
    assert "reply" not in call(broker, gw, "gateway.get_llm", llm_id=2)[1]["llm"]
    assert call(broker, gw, "gateway.list_llms", vendor="anthropic")[1]["llms"] == []
    assert call(broker, gw, "gateway.validate_credential", secret="sk-1")[1] == {"valid": True, "app_id": 1}
    assert call(broker, gw, "gateway.validate_credential", secret="nope")[1]["valid"] is False
    assert call(broker, gw, "gateway.get_model_price", model_name="gpt-4o")[1]["price"]["cpt"] == 0.1
    assert call(broker, gw, "gateway.get_budget_status", app_id=1)[1]["remaining_budget"] == 6.0
    assert call(broker, gw, "gateway.get_license_info")[1]["license_type"] == "community"
    st = CallState(plugin(runtime="studio"), "h")
    assert call(broker, st, "studio.get_tool", tool_id=3)[1]["tool"]["name"] == "search"
    assert call(broker, gw, "gateway.get_app", app_id="1")[1]["code"] == "INVALID_ARGUMENT"


def test_call_llm_stream_by_handle(broker: ServiceBroker) -> None:
    st = CallState(plugin(runtime="studio"), "h")
    ok, opened = call(broker, st, "studio.call_llm", llm_id=2, messages=[])
    assert ok
    words = []
    while True:
        ok, chunk = call(broker, st, "stream.read", handle=opened["handle"])
        if chunk.get("done"):
            break
        words.append(chunk["chunk"]["content"])
    assert "".join(words) == "hi there"
    assert call(broker, st, "stream.read", handle=opened["handle"])[1]["code"] == "STREAM_CLOSED"
    assert call(broker, st, "stream.emit", chunk={})[1]["code"] == "STREAM_CLOSED"  # not a streaming hook


def test_log_lines_carry_plugin_hook_fields_and_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    logger = PluginLogger(rate=10, burst=5, clock=lambda: now[0])
    with caplog.at_level(logging.INFO):
        results = [logger.log("p1", "process_post_auth", "info", f"line {i}", {"k": i}) for i in range(8)]
    assert results == [True] * 5 + [False] * 3 and logger.dropped("p1") == 3
    record = [r for r in caplog.records if r.name == "plugin.p1"][0]
    assert record.plugin == "p1" and record.hook == "process_post_auth"  # type: ignore[attr-defined]
    assert record.plugin_fields == {"k": 0}  # type: ignore[attr-defined]
    now[0] = 1.0  # ten more tokens
    with caplog.at_level(logging.INFO):
        assert logger.log("p1", None, "warn", "after", None)
    assert any("3 log lines of plugin p1 were dropped" in r.getMessage() for r in caplog.records)
    assert logger.log("p2", None, "info", "another plugin has its own bucket", None)


def test_event_bus_directions_subscriptions_and_drops(caplog: pytest.LogCaptureFixture) -> None:
    delivered: list[tuple[str, str, int]] = []
    gate = threading.Event()

    def deliver(sub: Any, event: Any) -> None:
        gate.wait(5)
        delivered.append((sub.plugin, event.topic, event.direction))

    bus = EventBus(deliver, node="edge-1")
    try:
        a = bus.subscribe("b", "orders")
        bus.subscribe("c", None)
        event = bus.publish("a", "orders", b"{}", 2)
        assert event.origin == "plugin:a@edge-1" and event.direction == 2
        assert bus.publish("a", "x", b"", 7).direction == 0  # unknown directions are local
        with caplog.at_level(logging.WARNING):
            for _ in range(EVENT_QUEUE_LENGTH + 5):
                bus.publish("a", "orders", b"", 0)
        assert bus.statistics()["dropped"] >= 5
        assert any("dropped for subscriber" in r.getMessage() for r in caplog.records)
        assert not bus.unsubscribe("c", a.id)  # another plugin's subscription is not found
        gate.set()
        assert bus.wait_idle(10)
        assert ("b", "orders", 2) in delivered and ("c", "x", 0) in delivered
        assert bus.unsubscribe("b", a.id)
        before = len(delivered)
        bus.publish("a", "orders", b"", 0)
        assert bus.wait_idle(5)
        assert [d for d in delivered[before:] if d[0] == "b"] == []
    finally:
        bus.close()


def test_fixtures_file_errors(tmp_path: Path) -> None:
    (tmp_path / "f.json").write_text('{"apps": [{"id": 1}], "llm": []}')
    with pytest.raises(ValueError, match="unknown fixtures key"):
        load_fixtures(tmp_path / "f.json")
    (tmp_path / "g.json").write_text('{"apps": {"id": 1}}')
    with pytest.raises(ValueError, match="must be a list of objects"):
        load_fixtures(tmp_path / "g.json")
    assert load_fixtures(None).apps == []


def test_increment_through_ops_under_concurrency(broker: ServiceBroker) -> None:
    def worker() -> None:
        state = CallState(plugin(), "h")
        for _ in range(250):
            call(broker, state, "kv.increment", key="hits", delta=1)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = CallState(plugin(), "h")
    assert call(broker, state, "kv.read", key="hits")[1]["value"] == "1000"
    time.sleep(0)
