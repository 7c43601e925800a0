"""The circuit breaker's states on a fake clock (runtime/breaker.py); the end-to-end
behaviour with real plugins is in test_faults.py."""

from __future__ import annotations

import threading

import pytest

from runtime.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, CircuitOpen

pytestmark = pytest.mark.faults


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _fail(b: CircuitBreaker, broke: bool = True) -> None:
    trial = b.admit("p", "h")
    b.failure(trial, broke)


def test_opens_after_consecutive_broken_instances_only() -> None:
    b = CircuitBreaker(3, 1000, Clock())
    _fail(b)
    _fail(b)
    b.success(b.admit("p", "h"))  # a success in between starts the count again
    _fail(b)
    _fail(b)
    _fail(b, broke=False)  # an error that kept the instance does not count
    assert b.state == CLOSED and b.consecutive == 2
    _fail(b)
    assert b.state == OPEN and b.times_opened == 1
    with pytest.raises(CircuitOpen) as info:
        b.admit("p", "h")
    assert info.value.code == "SERVICE_UNAVAILABLE"
    assert info.value.message.startswith("circuit open: plugin p broke 3 instances in a row")
    assert b.rejected == 1


def test_half_open_admits_one_trial_and_closes_on_success() -> None:
    clock = Clock()
    b = CircuitBreaker(1, 500, clock)
    _fail(b)
    clock.now += 0.499
    with pytest.raises(CircuitOpen):
        b.admit("p", "h")
    clock.now += 0.001
    assert b.admit("p", "h") is True  # the trial
    assert b.state == HALF_OPEN
    with pytest.raises(CircuitOpen, match="a trial call is running"):
        b.admit("p", "h")
    b.success(True)
    assert b.state == CLOSED and b.admit("p", "h") is False


def test_failed_trial_reopens_for_a_full_cool_down() -> None:
    clock = Clock()
    b = CircuitBreaker(2, 500, clock)
    _fail(b)
    _fail(b)
    clock.now += 1
    assert b.admit("p", "h") is True
    b.failure(True, True)
    assert b.state == OPEN and b.times_opened == 2 and b.opened_at == clock.now
    clock.now += 0.4
    with pytest.raises(CircuitOpen):
        b.admit("p", "h")


def test_trial_that_keeps_the_instance_closes() -> None:
    clock = Clock()
    b = CircuitBreaker(1, 10, clock)
    _fail(b)
    clock.now += 1
    b.failure(b.admit("p", "h"), False)  # the plugin raised: it runs again
    assert b.state == CLOSED


def test_zero_failures_turns_it_off() -> None:
    b = CircuitBreaker(0, 10, Clock())
    for _ in range(50):
        _fail(b)
    assert b.state == CLOSED and b.admit("p", "h") is False


def test_one_trial_among_concurrent_callers() -> None:
    clock = Clock()
    b = CircuitBreaker(1, 10, clock)
    _fail(b)
    clock.now += 1
    admitted: list[bool] = []
    refused: list[int] = []
    start = threading.Barrier(8)

    def caller() -> None:
        start.wait()
        try:
            admitted.append(b.admit("p", "h"))
        except CircuitOpen:
            refused.append(1)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert admitted == [True] and len(refused) == 7
