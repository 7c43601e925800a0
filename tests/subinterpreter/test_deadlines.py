"""Deadlines on the subinterpreter tier: injection, what cannot be stopped, quarantine,
disabling, and the fail-policy answer on time."""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest

from subinterp_helpers import PROBE, probe_request
from runtime import Runtime
from runtime.backends.subinterp import SubinterpreterBackend, SubinterpreterStatistics, own_gil
from runtime.errors import DeadlineExceeded, TierUnavailable

HOOK = "process_post_auth"


def _stats(rt: Runtime, identity: str = "probe") -> SubinterpreterStatistics:
    backend = rt._backends["subinterpreter"]  # noqa: SLF001
    assert isinstance(backend, SubinterpreterBackend)
    return backend.statistics(identity)


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _timed_call(rt: Runtime, timeout_ms: int, **headers: str) -> tuple[float, Any]:
    # the spare interpreter (made ahead of demand) replaces the instance a deadline breaks:
    # wait until it is ready, as a running gateway's would be
    assert _wait(lambda: _stats(rt).interpreters_created - _stats(rt).interpreters_destroyed >= 2)
    started = time.monotonic()
    try:
        result: Any = rt.call("probe", HOOK, probe_request(**headers), timeout_ms=timeout_ms)
    except DeadlineExceeded as exc:
        result = exc
    return time.monotonic() - started, result


def test_an_injected_deadline_stops_a_pure_python_loop(make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(driver="native")
    rt.load(PROBE)
    took, result = _timed_call(rt, 100, **{"x-mode": "spin"})
    assert isinstance(result, DeadlineExceeded), result
    assert result.code == "DEADLINE_EXCEEDED" and "did not answer within 100 ms (stopped after" in result.message
    assert took < 1.0
    # the interpreter was stopped, not abandoned: the next call is served at once
    assert rt.call("probe", HOOK, probe_request())["headers"] == {"x-probe": "ok"}
    stats = _stats(rt)
    assert (stats.deadlines, stats.quarantined) == (1, 0)


@pytest.mark.parametrize("mode", ["same-thread", "worker"])
def test_a_long_sleep_is_stopped(driver: str, mode: str, make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(driver=driver, heavy=frozenset({"probe"}) if mode == "worker" else frozenset())
    rt.load(PROBE)
    took, result = _timed_call(rt, 150, **{"x-mode": "sleep", "x-seconds": "5"})
    assert isinstance(result, DeadlineExceeded), result
    assert took < 1.5
    assert _wait(lambda: rt.call("probe", HOOK, probe_request())["headers"] == {"x-probe": "ok"})
    assert _wait(lambda: _stats(rt).quarantined == 0 and _stats(rt).deadlines == 1)


def test_the_fail_policy_answers_on_time(make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(plugins={"probe": {"fail_policy": {"post_auth": "open"}}})
    rt.load(PROBE)
    started = time.monotonic()
    answer, error = rt.call_or_fail_answer("probe", HOOK, probe_request(**{"x-mode": "spin"}), timeout_ms=100)
    assert time.monotonic() - started < 1.0
    assert error is not None and error.code == "DEADLINE_EXCEEDED"
    assert answer == rt.plugin("probe").fail_answer(rt.plugin("probe").spec_of(HOOK), error)


def test_a_same_thread_hook_in_c_code_stops_late_and_the_plugin_moves_to_worker_mode(
        make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(driver="native", grace_ms=20)
    rt.load(PROBE)
    n = 30_000_000  # sum(range(n)): C-level work no injection interrupts (about 0.3-1 s)
    took, result = _timed_call(rt, 20, **{"x-mode": "cwork", "x-n": str(n)})
    assert isinstance(result, DeadlineExceeded), result
    assert took > 0.05  # the caller waited for the C loop: the known limit of same-thread mode
    stats = _stats(rt)
    assert stats.slow_stops == 1 and stats.mode == "worker" and stats.quarantined == 0
    # now in worker mode, the next overrun is answered on time where interpreters have
    # their own GIL; on 3.11 the C loop holds the process's only GIL, so nothing can answer
    took, result = _timed_call(rt, 20, **{"x-mode": "cwork", "x-n": str(n)})
    assert isinstance(result, DeadlineExceeded)
    if own_gil():
        assert took < 0.25, took
    else:
        assert took > 0.05, took
    assert _wait(lambda: rt.call("probe", HOOK, probe_request())["headers"] == {"x-probe": "ok"})


#: On 3.11 the interpreters share the host's GIL and a running subinterpreter never hands it
#: to a host thread (the host's requests to drop it are per interpreter): the host cannot
#: answer, nor quarantine, until the hook returns. The tier reports the shared GIL.
NEEDS_OWN_GIL = pytest.mark.skipif(not own_gil(), reason="3.11: a running subinterpreter holds the "
                                   "process's only GIL; the host answers only when the hook returns")


#: sum(range(LONG_C_WORK)): one C call of about 2 s on the reference machine (0.5 s or more
#: on a fast one), far past every grace period here.
LONG_C_WORK = 100_000_000


@NEEDS_OWN_GIL
def test_an_interpreter_that_cannot_be_stopped_is_quarantined(driver: str,
                                                              make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(driver=driver, heavy=frozenset({"probe"}), grace_ms=100, max_quarantined=5)
    rt.load(PROBE)
    # C-level work (about 2 s here) that no injection interrupts
    took, result = _timed_call(rt, 100, **{"x-mode": "cwork", "x-n": str(LONG_C_WORK)})
    assert isinstance(result, DeadlineExceeded) and took < 0.5, (took, result)
    assert _wait(lambda: _stats(rt).quarantined == 1, 3)
    # the plugin keeps serving from a fresh interpreter
    assert rt.call("probe", HOOK, probe_request())["headers"] == {"x-probe": "ok"}
    # when the hook finally returns, the quarantined interpreter is destroyed
    assert _wait(lambda: _stats(rt).reclaimed == 1, 10)
    assert _stats(rt).disabled == ""


@NEEDS_OWN_GIL
def test_past_the_limit_the_plugin_is_disabled(make_runtime: Callable[..., Runtime],
                                               caplog: pytest.LogCaptureFixture) -> None:
    rt = make_runtime(heavy=frozenset({"probe"}), grace_ms=50, max_quarantined=0,
                      plugins={"probe": {"fail_policy": {"post_auth": "open"}}})
    rt.load(PROBE)
    took, result = _timed_call(rt, 50, **{"x-mode": "cwork", "x-n": str(LONG_C_WORK)})
    assert isinstance(result, DeadlineExceeded)
    assert _wait(lambda: _stats(rt).disabled != "", 3)
    with pytest.raises(TierUnavailable) as info:
        rt.call("probe", HOOK, probe_request())
    assert "disabled on the subinterpreter tier" in info.value.message
    assert "could not be stopped" in info.value.message
    answer, error = rt.call_or_fail_answer("probe", HOOK, probe_request())
    assert error is not None and error.code == "TIER_UNAVAILABLE"
    assert answer == rt.plugin("probe").fail_answer(rt.plugin("probe").spec_of(HOOK), error)
    assert any("quarantined" in r.getMessage() for r in caplog.records)
    assert _wait(lambda: _stats(rt).reclaimed == 1, 10)


def test_a_late_injection_never_reaches_the_next_call(make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(driver="native")
    rt.load(PROBE)
    for _ in range(20):  # calls that end right around their deadline
        try:
            rt.call("probe", HOOK, probe_request(**{"x-mode": "sleep", "x-seconds": "0.01"}), timeout_ms=10)
        except DeadlineExceeded:
            pass
        assert rt.call("probe", HOOK, probe_request(), timeout_ms=1000)["headers"] == {"x-probe": "ok"}


def test_native_injection_directly() -> None:
    """The helper's own interface: a running interpreter gets the deadline exception
    from ``inject()`` and is reusable."""
    import threading

    from runtime.backends.subinterp import driver_names, own_gil
    if "native" not in driver_names():
        pytest.skip("the native helper was not built")
    from runtime._native import _subinterp as native
    boot = ("import sys, json\nclass HookDeadline(BaseException):\n    pass\n"
            "def dispatch(cmd, arg, text):\n    try:\n        if cmd == 1:\n            while True:\n"
            "                pass\n        return _host_call(arg, text) + json.loads(_setup_text)['x']\n"
            "    except HookDeadline:\n        return '\\x01D'\n")
    interp = native.create(boot, '{"x": "!"}', own_gil())
    try:
        assert interp.call(0, 7, "hé\udc80", lambda op, text: f"{op}:{text}", 0) == "7:hé\udc80!"
        # a deadline: the watchdog injects
        assert interp.call(1, 0, "", lambda op, text: "", 50_000_000) == "\x01D"
        injections, elapsed_ns, overrun_ns = interp.last
        assert injections >= 1 and elapsed_ns >= 50_000_000 and overrun_ns > 0
        assert interp.call(0, 1, "x", lambda op, text: text, 0) == "x!"
        if own_gil():  # by hand from a host thread (on 3.11 that thread never gets the GIL)
            timer = threading.Timer(0.1, interp.inject)
            timer.start()
            assert interp.call(1, 0, "", lambda op, text: "", 0) == "\x01D"
            injections, elapsed_ns, _ = interp.last
            assert injections == 1 and elapsed_ns >= 90_000_000  # by hand: no deadline was set
            assert interp.call(0, 1, "y", lambda op, text: text, 0) == "y!"
    finally:
        interp.close()
    assert not interp.alive
    with pytest.raises(RuntimeError):
        interp.call(0, 0, "", lambda op, text: "", 0)
