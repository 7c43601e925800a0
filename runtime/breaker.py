"""A circuit breaker per loaded plugin: a crash loop is rate-limited.

A call that breaks its instance (deadline exceeded, memory exceeded, trap or broken
sandbox) costs the host a new instance. After ``failures`` such calls in a row the
breaker *opens*: calls are refused at once with :class:`CircuitOpen` (code
``SERVICE_UNAVAILABLE``, message starting ``circuit open``), which the caller answers with
the hook's fail policy like any other failure, and no instance is replaced meanwhile.
After ``cooldown_ms`` the breaker is *half-open*: one trial call goes through while the
others are still refused; its success *closes* the breaker, its failure opens it again
for another cool-down.

Failures that leave the instance intact (the plugin raised, answered garbage or an
error code) are answered per call and do not count: they cost no more than a success,
and counting them would let a client that sends a few bad requests shut a plugin off
for everyone.

Limits (policy ``limits``): ``breaker_failures`` (default 5; 0 turns the breaker off)
and ``breaker_cooldown_ms`` (default 5000).
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from host_abi.errors import ErrorCode

from .errors import PluginFailed

__all__ = ["CircuitBreaker", "CircuitOpen", "CLOSED", "OPEN", "HALF_OPEN"]

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitOpen(PluginFailed):
    """The plugin's circuit breaker is open: the call was not run."""

    default_code = ErrorCode.SERVICE_UNAVAILABLE


class CircuitBreaker:
    """Counts consecutive instance-breaking failures of one plugin. Thread-safe."""

    def __init__(self, failures: int, cooldown_ms: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.failures = failures
        self.cooldown_s = cooldown_ms / 1000
        self.clock = clock
        self.state = CLOSED
        self.consecutive = 0
        self.opened_at = 0.0
        self.times_opened = 0
        self.rejected = 0
        self._trial_in_flight = False
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.failures > 0

    def admit(self, plugin: str, hook: str) -> bool:
        """Let a call through; returns True when it is the half-open trial.

        Raises:
            CircuitOpen: the breaker is open (or half-open with its trial in flight).
        """
        if not self.enabled:
            return False
        with self._lock:
            if self.state == CLOSED:
                return False
            waited = self.clock() - self.opened_at
            if self.state == OPEN and waited >= self.cooldown_s:
                self.state = HALF_OPEN
            if self.state == HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            self.rejected += 1
            remaining = max(0.0, self.cooldown_s - waited)
        raise CircuitOpen(
            f"circuit open: plugin {plugin} broke {self.consecutive} instances in a row; "
            + (f"next trial in {remaining * 1000:.0f} ms" if remaining else "a trial call is running"),
            plugin=plugin, hook=hook)

    def success(self, trial: bool) -> None:
        if not self.enabled:
            return
        with self._lock:
            if trial:
                self._trial_in_flight = False
            self.consecutive = 0
            self.state = CLOSED

    def failure(self, trial: bool, broke_instance: bool) -> None:
        """Record a failed call; only ``broke_instance`` failures count."""
        if not self.enabled:
            return
        with self._lock:
            if trial:
                self._trial_in_flight = False
            if not broke_instance:
                if trial:  # the instance works: the trial shows the plugin is back
                    self.consecutive = 0
                    self.state = CLOSED
                return
            self.consecutive += 1
            if trial or (self.state == CLOSED and self.consecutive >= self.failures):
                self.state = OPEN
                self.opened_at = self.clock()
                self.times_opened += 1
