"""Plugin logging into the host's ``logging``, rate-limited per plugin."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from host_abi.limits import LOG_BURST_LINES, LOG_LINES_PER_SECOND, LOG_MAX_MESSAGE_CHARS

__all__ = ["PluginLogger", "LEVELS"]

#: ABI level names to ``logging`` levels.
LEVELS = {"trace": 5, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
          "warning": logging.WARNING, "error": logging.ERROR}


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    dropped: int = 0
    reported: int = 0


@dataclass
class PluginLogger:
    """Writes plugin log lines to ``logging.getLogger("plugin.<identity>")``.

    Each line carries the plugin, the hook and the plugin's key/values (as ``extra``
    attribute ``plugin_fields``). A token bucket per plugin (``rate`` lines per second,
    ``burst`` at once) drops the excess; drops are counted, and the count is reported in
    a warning with the plugin's next line that gets through.
    """

    rate: float = LOG_LINES_PER_SECOND
    burst: int = LOG_BURST_LINES
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _allow(self, plugin: str) -> bool:
        now = self.clock()
        with self._lock:
            b = self._buckets.get(plugin)
            if b is None:
                b = self._buckets[plugin] = _Bucket(tokens=float(self.burst), stamp=now)
            b.tokens = min(float(self.burst), b.tokens + (now - b.stamp) * self.rate)
            b.stamp = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                if b.dropped > b.reported:
                    missed = b.dropped - b.reported
                    b.reported = b.dropped
                    logging.getLogger(f"plugin.{plugin}").warning(
                        "%d log lines of plugin %s were dropped by the rate limit", missed, plugin)
                return True
            b.dropped += 1
            return False

    def dropped(self, plugin: str) -> int:
        """Lines of ``plugin`` dropped so far."""
        with self._lock:
            b = self._buckets.get(plugin)
            return b.dropped if b else 0

    def log(self, plugin: str, hook: str | None, level: str, message: str,
            fields: dict[str, Any] | None = None) -> bool:
        """Log one line; False when it was dropped by the rate limit."""
        if not self._allow(plugin):
            return False
        if len(message) > LOG_MAX_MESSAGE_CHARS:
            message = message[:LOG_MAX_MESSAGE_CHARS] + f"... [{len(message) - LOG_MAX_MESSAGE_CHARS} characters cut]"
        lvl = LEVELS.get(level, logging.INFO)
        suffix = "".join(f" {k}={v!r}" for k, v in (fields or {}).items())
        if len(suffix) > LOG_MAX_MESSAGE_CHARS:
            suffix = suffix[:LOG_MAX_MESSAGE_CHARS] + f"... [{len(suffix) - LOG_MAX_MESSAGE_CHARS} characters of fields cut]"
            fields = {"truncated": True}
        extra = {"plugin": plugin, "hook": hook or "", "plugin_fields": dict(fields or {})}
        logging.getLogger(f"plugin.{plugin}").log(
            lvl, "[%s%s] %s%s", plugin, f" {hook}" if hook else "", message, suffix, extra=extra)
        return True
