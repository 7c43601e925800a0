"""Containment at the ABI: forged and ungranted ops, raw imports, other plugins' KV and
events, the guest SDK's internals and answers over the envelope limit.

attacker_abi calls the host import directly (``wit_world.imports.host.call``) with
envelopes it writes itself, patches the SDK, and forges the component export's answers.
It runs in the gateway runtime, requests kv.readwrite and events.* and is granted
apps.read besides. A second copy loaded as ``victim`` owns the KV entries and event
subscriptions the attacker goes after.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Callable

import pytest

from runtime import Runtime
from runtime.errors import PluginRuntimeError
from security_catalogue import Mechanism, catalogued
from security_helpers import (IDENTITY, VICTIM, assert_host_code, assert_serves, attempt, op_code,
                              plugin_dir, request, run_mechanism, stats)

pytestmark = pytest.mark.slow

ATTACKER = IDENTITY["abi"]
SECRET = b"the victim's secret"


@pytest.fixture
def victim_kv(rt: Runtime) -> Callable[[], None]:
    """Empty both namespaces, give the victim one entry; returns a check that it is intact."""
    for ns in (ATTACKER, VICTIM):
        for key in rt.kv.list(ns, "", 10_000):
            rt.kv.delete(ns, key)
    rt.kv.write(VICTIM, "secret", SECRET, None)

    def intact() -> None:
        assert rt.kv.read(VICTIM, "secret") == SECRET
        assert rt.kv.list(VICTIM, "", 10_000) == ["secret"]
    return intact


@pytest.fixture
def ops_seen(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every (identity, op number) the broker is asked to serve during the test."""
    seen: list[tuple[str, int]] = []
    original = rt.broker.handle

    def recording(state: Any, op: int, payload: str) -> str:
        seen.append((state.plugin.identity, op))
        return original(state, op, payload)

    monkeypatch.setattr(rt.broker, "handle", recording)
    return seen


def _victim_subscribes(rt: Runtime, topic: str) -> str:
    report = attempt(rt, VICTIM, "ev.subscribe", **{"x-topic": topic})
    assert report["outcome"] == "returned", report
    return str(report["data"])


def _last_event(rt: Runtime) -> dict[str, Any] | None:
    assert rt.bus.wait_idle(5)
    raw = rt.kv.read(VICTIM, "last-event")
    return json.loads(raw) if raw is not None else None


# -- op answers (forged, ungranted, another runtime's, raw import path) ----------------------
@catalogued
def test_op_answer_code(mech: Mechanism, rt: Runtime) -> None:
    report = run_mechanism(rt, mech, **{"x-topic": "security-handlers"})
    assert op_code(report) in (mech.code, {mech.code}), report
    assert_serves(rt, "abi")


@catalogued
def test_nested_op_envelope_is_malformed(mech: Mechanism, rt: Runtime,
                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        report = run_mechanism(rt, mech)
    assert op_code(report) == mech.code, report
    tracebacks = [r for r in caplog.records if r.exc_info and r.name.startswith("runtime")]
    assert not tracebacks, [r.getMessage() for r in tracebacks]
    assert_serves(rt, "abi")


@catalogued
def test_unliftable_op_call_breaks_only_the_instance(mech: Mechanism, rt: Runtime) -> None:
    error = assert_host_code(rt, mech)
    assert "trap" in error.message, error


# -- raw WASI imports ---------------------------------------------------------------------
@catalogued
def test_no_python_module_exposes_wasi(mech: Mechanism, rt: Runtime) -> None:
    data = run_mechanism(rt, mech)["data"]
    assert set(data["tried"].values()) == {"ModuleNotFoundError"}, data
    assert data["wit_imports"] == ["wit_world.imports.host"], data
    assert set(data["componentize_py_runtime"]) <= {"call_import", "drop_resource"}, data
    assert_serves(rt, "abi")


@catalogued
def test_raw_import_call_breaks_only_the_instance(mech: Mechanism, rt: Runtime) -> None:
    error = assert_host_code(rt, mech)
    assert "trap" in error.message, error


# -- other plugins' KV --------------------------------------------------------------------
@catalogued
def test_kv_read_never_reaches_the_victim(mech: Mechanism, rt: Runtime,
                                          victim_kv: Callable[[], None]) -> None:
    report = run_mechanism(rt, mech, **{"x-victim": VICTIM, "x-key": "secret"})
    assert op_code(report) in (mech.code, {mech.code}), report
    assert SECRET.decode() not in json.dumps(report)
    victim_kv()
    assert_serves(rt, "abi")


@catalogued
def test_kv_write_lands_in_own_namespace(mech: Mechanism, rt: Runtime,
                                         victim_kv: Callable[[], None]) -> None:
    report = run_mechanism(rt, mech, **{"x-victim": VICTIM, "x-key": "planted"})
    assert report["outcome"] == "returned", report
    assert rt.kv.read(VICTIM, "planted") is None
    assert (rt.kv.read(ATTACKER, "planted") or b"").startswith(b"forged-through-")
    victim_kv()
    assert_serves(rt, "abi")


@catalogued
def test_kv_list_and_delete_stay_in_own_namespace(mech: Mechanism, rt: Runtime,
                                                  victim_kv: Callable[[], None]) -> None:
    rt.kv.write(ATTACKER, "mine", b"own entry", None)
    data = run_mechanism(rt, mech, **{"x-victim": VICTIM, "x-key": "secret"})["data"]
    if mech.id == "ns.list_enumeration":
        assert data == {"all": ["mine"], "victim": []}, data
    else:
        assert data == {"deleted": False}, data
    victim_kv()
    assert_serves(rt, "abi")


@catalogued
def test_kv_limits_hold(mech: Mechanism, rt: Runtime, victim_kv: Callable[[], None]) -> None:
    assert op_code(run_mechanism(rt, mech)) == mech.code
    assert rt.kv.list(ATTACKER, "", 10_000) == []
    victim_kv()
    assert_serves(rt, "abi")


# -- other plugins' events ----------------------------------------------------------------
@catalogued
def test_event_origin_is_set_by_the_host(mech: Mechanism, rt: Runtime,
                                         victim_kv: Callable[[], None]) -> None:
    topic = f"security-{uuid.uuid4().hex[:8]}"
    subscription = _victim_subscribes(rt, topic)
    try:
        report = run_mechanism(rt, mech, **{"x-victim": VICTIM, "x-topic": topic})
        assert report["outcome"] == "returned", report
        event = _last_event(rt)
        assert event is not None, "the victim received no event"
        assert event["origin"] == f"plugin:{ATTACKER}@{rt.bus.node}", event
        assert event["topic"] == topic and event["subscription_id"] == subscription
    finally:
        rt.bus.unsubscribe(VICTIM, subscription)
    assert_serves(rt, "abi")


@catalogued
def test_cannot_unsubscribe_another_plugin(mech: Mechanism, rt: Runtime,
                                           victim_kv: Callable[[], None]) -> None:
    topic = f"security-{uuid.uuid4().hex[:8]}"
    subscription = _victim_subscribes(rt, topic)
    try:
        report = run_mechanism(rt, mech, **{"x-sub": subscription})
        assert report == {"outcome": "returned", "data": False, "attempt": mech.id}
        attempt(rt, "abi", "ev.spoof_origin", **{"x-victim": VICTIM, "x-topic": topic})
        event = _last_event(rt)
        assert event is not None and event["subscription_id"] == subscription, event
    finally:
        assert rt.bus.unsubscribe(VICTIM, subscription)  # it was still there
    assert_serves(rt, "abi")


# -- the guest SDK's internals --------------------------------------------------------------
@catalogued
def test_patched_binding_fools_only_the_guest(mech: Mechanism, rt: Runtime,
                                              ops_seen: list[tuple[str, int]]) -> None:
    report = run_mechanism(rt, mech)
    assert report["data"] == {"app": {"id": 1, "name": "forged by the guest"}}, report
    assert (ATTACKER, 100) not in ops_seen  # gateway.get_app never reached the host
    # the binding was restored; the host still refuses the op it would need
    assert op_code(attempt(rt, "abi", "abi.granted_not_requested")) == "PERMISSION_DENIED"
    assert (ATTACKER, 100) in ops_seen
    assert_serves(rt, "abi")


@catalogued
def test_forged_answer_is_refused(mech: Mechanism, rt: Runtime) -> None:
    assert run_mechanism(rt, mech)["data"] == "armed"
    answer, failure = rt.call_or_fail_answer(ATTACKER, "process_post_auth", request("calm"))
    assert failure is not None and failure.code == mech.code, failure
    assert answer["block"] is True and answer["status_code"] == 503
    assert_serves(rt, "abi")


@catalogued
def test_forged_host_code_is_not_acted_on(mech: Mechanism, rt: Runtime) -> None:
    assert run_mechanism(rt, mech)["data"] == "armed"
    before = stats(rt, "abi")
    with pytest.raises(PluginRuntimeError) as info:
        rt.call(ATTACKER, "process_post_auth", request("calm"))
    assert info.value.code == mech.code
    assert info.value.message == "the plugin answered the host-only code DEADLINE_EXCEEDED: forged by the guest"
    after = stats(rt, "abi")
    assert (after.deadlines, after.instances_replaced) == (before.deadlines, before.instances_replaced)
    assert_serves(rt, "abi")


@catalogued
def test_forged_instance_start_fails_the_replacement_only(mech: Mechanism, rt: Runtime) -> None:
    """A plugin whose new instances lie in instance_start (two instances in the pool)."""
    name = "poisoned"
    rt.load(plugin_dir("abi"), name=name)
    try:
        assert attempt(rt, name, mech.attempt_name)["outcome"] == "returned"
        with pytest.raises(PluginRuntimeError) as info:
            attempt(rt, name, "abi.op_out_of_range")  # a trap: its instance is replaced
        assert info.value.code == mech.code
        assert_serves(rt, name)  # by the instance that is left
        assert_serves(rt, "abi")
    finally:
        rt.kv.delete(name, "poison-instance-start")
        rt.unload(name)


# -- output size --------------------------------------------------------------------------
@catalogued
def test_answer_over_the_envelope_limit(mech: Mechanism, rt: Runtime) -> None:
    error = assert_host_code(rt, mech)
    assert "exceeds the limit" in error.message, error
    answer, failure = rt.call_or_fail_answer(ATTACKER, "process_post_auth",
                                             request(mech.attempt_name))
    assert failure is not None and failure.code == mech.code
    assert answer["block"] is True and answer["status_code"] == 503
    assert_serves(rt, "abi")
