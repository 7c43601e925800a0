"""Containment: CPU, stack, memory, output size, log floods and host-call floods.

Attempts run in attacker_resources under the policy's small limits (400 ms deadline,
64 MiB memory, 100 host calls per hook call). Each test asserts the host's error code
or the bound that held, that a broken instance was replaced, and that the plugin then
serves a well-behaved request.
"""

from __future__ import annotations

import logging
import time

import pytest

from host_abi.limits import LOG_BURST_LINES, LOG_MAX_MESSAGE_CHARS
from runtime import Runtime
from runtime.broker.logs import PluginLogger
from security_catalogue import Mechanism, catalogued
from security_helpers import (DEADLINE_SLACK_S, IDENTITY, MAX_HOST_CALLS, TIMEOUT_MS,
                              assert_host_code, assert_serves, attempt, host_error, run_mechanism,
                              stats)

pytestmark = pytest.mark.slow

PLUGIN = IDENTITY["res"]
LOGGER = f"plugin.{PLUGIN}"


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


# -- CPU and uncounted floods -----------------------------------------------------------
@catalogued
def test_deadline_stops_the_guest(mech: Mechanism, rt: Runtime) -> None:
    error = assert_host_code(rt, mech)
    assert f"within {TIMEOUT_MS} ms" in error.message, error
    if mech.id == "cpu.infinite_loop":  # the closed fail policy answers for the plugin
        answer, failure = rt.call_or_fail_answer(PLUGIN, "process_post_auth",
                                                 {"request": {"path": "/cpu.infinite_loop"}})
        assert failure is not None and failure.code == "DEADLINE_EXCEEDED"
        assert answer["block"] is True and answer["status_code"] == 503
        assert f"plugin {PLUGIN} failed (DEADLINE_EXCEEDED)" in answer["error_message"]
        assert_serves(rt, "res")


@catalogued
def test_blocking_wasi_call_is_stopped_by_the_deadline(mech: Mechanism, rt: Runtime) -> None:
    """A guest waiting in a WASI poll must not hold its caller past the deadline."""
    error, took = host_error(rt, mech, **{"x-seconds": "1.5"})
    assert error.code == mech.code
    assert took < TIMEOUT_MS / 1000 + DEADLINE_SLACK_S, f"the caller was held {took:.2f} s"
    assert_serves(rt, "res")


# -- stack ------------------------------------------------------------------------------
@catalogued
def test_stack_exhaustion_is_contained(mech: Mechanism, rt: Runtime) -> None:
    error = assert_host_code(rt, mech)
    if mech.code == "PLUGIN_RAISED":
        assert error.message.startswith("RecursionError"), error
    else:
        assert "call stack exhausted" in error.message, error


# -- memory -----------------------------------------------------------------------------
@catalogued
def test_memory_bomb_is_contained(mech: Mechanism, rt: Runtime) -> None:
    started = time.perf_counter()
    error = assert_host_code(rt, mech)
    assert "ran out of memory" in error.message, error
    assert time.perf_counter() - started < 5


@catalogued
def test_swallowed_memory_error_leaves_the_host_serving(mech: Mechanism, rt: Runtime) -> None:
    report = run_mechanism(rt, mech)
    assert report["outcome"] == "returned", report
    assert 0 < report["data"]["mib_grabbed"] < 64  # it hit the 64 MiB cap
    for _ in range(3):
        assert_serves(rt, "res")


# -- output size and the log ------------------------------------------------------------
@catalogued
def test_huge_log_line_is_cut(mech: Mechanism, rt: Runtime, fresh_log: PluginLogger,
                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert run_mechanism(rt, mech)["data"] == "logged"
    [record] = [r for r in _records(caplog) if "AAAA" in r.getMessage()]
    text = record.getMessage()
    assert len(text) < LOG_MAX_MESSAGE_CHARS + 200, len(text)
    assert f"[{1_000_000 - LOG_MAX_MESSAGE_CHARS} characters cut]" in text
    assert_serves(rt, "res")


@catalogued
def test_huge_log_fields_are_cut(mech: Mechanism, rt: Runtime, fresh_log: PluginLogger,
                                 caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert run_mechanism(rt, mech)["data"] == "logged"
    [record] = [r for r in _records(caplog) if "small message" in r.getMessage()]
    assert len(record.getMessage()) < LOG_MAX_MESSAGE_CHARS + 200, len(record.getMessage())
    assert_serves(rt, "res")


@catalogued
def test_log_identity_cannot_be_spoofed(mech: Mechanism, rt: Runtime, fresh_log: PluginLogger,
                                        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        assert run_mechanism(rt, mech, **{"x-victim": "victim"})["data"] == "logged"
    spoofed = [r for r in caplog.records if "forged line" in r.getMessage()]
    assert len(spoofed) == 1, [r.name for r in caplog.records]
    [record] = spoofed
    assert record.name == LOGGER
    assert record.plugin == PLUGIN and record.hook == "process_post_auth"  # type: ignore[attr-defined]
    assert record.getMessage().startswith(f"[{PLUGIN} process_post_auth] ")
    assert not any(r.name == "plugin.victim" for r in caplog.records)
    assert_serves(rt, "res")


@catalogued
def test_log_flood_is_rate_limited(mech: Mechanism, rt: Runtime, fresh_log: PluginLogger,
                                   caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        for _ in range(3):
            report = run_mechanism(rt, mech, **{"x-lines": str(MAX_HOST_CALLS)})
            assert report["data"] == {"sent": MAX_HOST_CALLS, "refused": 0}  # log answers ok
    elapsed = time.monotonic() - started
    through = [r for r in _records(caplog) if r.getMessage().split("] ", 1)[-1].startswith("flood line")]
    refill = int(elapsed * fresh_log.rate) + 1
    assert len(through) <= LOG_BURST_LINES + refill, (len(through), elapsed)
    assert fresh_log.dropped(PLUGIN) == 3 * MAX_HOST_CALLS - len(through) >= 100 - refill
    assert_serves(rt, "res")


@catalogued
def test_print_flood_is_bounded(mech: Mechanism, rt: Runtime, fresh_log: PluginLogger,
                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert run_mechanism(rt, mech, **{"x-lines": "1000"})["data"] == "printed"
    printed = [r for r in _records(caplog) if getattr(r, "plugin_fields", {}).get("stream")]
    assert 0 < len(printed) <= MAX_HOST_CALLS
    assert all(len(r.getMessage()) < LOG_MAX_MESSAGE_CHARS + 200 for r in printed)
    assert_serves(rt, "res")


@catalogued
def test_raw_descriptor_writes_are_discarded(mech: Mechanism, rt: Runtime,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    marker = "GPS-SECURITY-MARKER-7d2e"
    report = run_mechanism(rt, mech, **{"x-marker": marker})
    assert report["outcome"] == "returned", report  # the guest believes it wrote
    out, err = capfd.readouterr()
    assert marker not in out and marker not in err
    assert_serves(rt, "res")


# -- host-call budget -------------------------------------------------------------------
@catalogued
def test_host_call_budget(mech: Mechanism, rt: Runtime, fresh_log: PluginLogger) -> None:
    if mech.id == "flood.kv_ops":
        rt.kv.delete(PLUGIN, "counter")
    report = run_mechanism(rt, mech)
    assert report["data"] == {"codes": {mech.code: 1000 - MAX_HOST_CALLS},
                              "first_refused": MAX_HOST_CALLS}, report
    if mech.id == "flood.kv_ops":
        assert rt.kv.read(PLUGIN, "counter") == str(MAX_HOST_CALLS).encode()
    assert_serves(rt, "res")
    before = stats(rt, "res").instances_replaced
    assert attempt(rt, "res", "calm")["outcome"] == "calm"  # the budget is per hook call
    assert stats(rt, "res").instances_replaced == before
