"""The embedded scheduler: cron schedules from manifests and from the service API.

Schedules belong to a plugin (its identity). Each due run calls the plugin's
``execute_scheduled_task`` hook on exactly one instance, with the schedule's
``timeout_seconds`` as the call's deadline and ``request_id`` ``schedule-<id>-<unix>``
as Studio sends it. Cron expressions have 5 fields and are read in the schedule's
timezone (IANA name, default UTC). Disabled schedules are skipped. A schedule never
overlaps itself: a due time that arrives while its previous run is still going is
skipped and counted. After a pause (a suspended host, a clock jump) a schedule fires
once, not once per missed time.

The clock is injectable (``clock``) and :meth:`Scheduler.tick` can be driven by hand,
so tests fire schedules deterministically. Schedules created through the API live in
memory for the life of the runtime.
"""

from __future__ import annotations

import builtins
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

__all__ = ["Schedule", "Scheduler", "ScheduleError"]

log = logging.getLogger("runtime.scheduler")


class ScheduleError(ValueError):
    """A schedule definition was refused (bad cron, unknown timezone, duplicate id...)."""


@dataclass(frozen=True)
class Schedule:
    """One schedule of one plugin."""

    plugin: str
    id: str
    name: str
    cron: str
    timezone: str = "UTC"
    enabled: bool = True
    timeout_seconds: int = 60
    config: dict[str, Any] = field(default_factory=dict)
    source: str = "api"  # "manifest" or "api"

    def to_wire(self) -> dict[str, Any]:
        """The schedule as ``plugin.ScheduleDefinition`` in envelope form (+ ``config``)."""
        import json
        return {"id": self.id, "name": self.name, "cron": self.cron, "timezone": self.timezone,
                "enabled": self.enabled, "timeout_seconds": self.timeout_seconds,
                "config_json": json.dumps(self.config) if self.config else "{}"}


def validate(schedule: Schedule) -> Schedule:
    """Check a schedule; raises ScheduleError naming the field."""
    if not schedule.id or not schedule.name:
        raise ScheduleError("a schedule needs a non-empty id and name")
    if len(schedule.cron.split()) != 5 or not croniter.is_valid(schedule.cron):
        raise ScheduleError(f"schedule {schedule.id!r}: cron {schedule.cron!r} is not a valid "
                            "5-field cron expression")
    try:
        ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"schedule {schedule.id!r}: unknown timezone {schedule.timezone!r}") from None
    if schedule.timeout_seconds < 1:
        raise ScheduleError(f"schedule {schedule.id!r}: timeout_seconds must be at least 1")
    return schedule


@dataclass
class _State:
    schedule: Schedule
    next_at: float
    running: bool = False
    runs: int = 0
    skipped: int = 0
    failures: int = 0


#: Runs one schedule: ``runner(schedule, fire_time_unix)``; raises on failure.
Runner = Callable[[Schedule, int], None]


class Scheduler:
    """Holds schedules and fires them. Thread-safe."""

    def __init__(self, runner: Runner, clock: Callable[[], float] = time.time,
                 run_inline: bool = False) -> None:
        self._runner = runner
        self.clock = clock
        self._run_inline = run_inline
        self._states: dict[tuple[str, str], _State] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopped = False

    # -- definitions ----------------------------------------------------------------------
    def _next(self, schedule: Schedule, after: float) -> float:
        tz = ZoneInfo(schedule.timezone)
        base = datetime.fromtimestamp(after, tz)
        return float(croniter(schedule.cron, base).get_next(datetime).timestamp())

    def add(self, schedule: Schedule, *, replace_existing: bool = False) -> Schedule:
        validate(schedule)
        key = (schedule.plugin, schedule.id)
        with self._lock:
            if key in self._states and not replace_existing:
                raise ScheduleError(f"plugin {schedule.plugin} already has a schedule {schedule.id!r}")
            self._states[key] = _State(schedule, self._next(schedule, self.clock()))
        self._wake.set()
        return schedule

    def update(self, plugin: str, schedule_id: str, **changes: Any) -> Schedule:
        with self._lock:
            state = self._states.get((plugin, schedule_id))
            if state is None:
                raise KeyError(schedule_id)
            updated = validate(replace(state.schedule, **changes))
            state.schedule = updated
            state.next_at = self._next(updated, self.clock())
        self._wake.set()
        return updated

    def delete(self, plugin: str, schedule_id: str) -> bool:
        with self._lock:
            return self._states.pop((plugin, schedule_id), None) is not None

    def remove_plugin(self, plugin: str) -> None:
        with self._lock:
            for key in [k for k in self._states if k[0] == plugin]:
                del self._states[key]

    def get(self, plugin: str, schedule_id: str) -> Schedule:
        with self._lock:
            state = self._states.get((plugin, schedule_id))
        if state is None:
            raise KeyError(schedule_id)
        return state.schedule

    def list(self, plugin: str) -> list[Schedule]:
        with self._lock:
            return sorted((s.schedule for (p, _), s in self._states.items() if p == plugin),
                          key=lambda s: s.id)

    def statistics(self) -> dict[str, dict[str, int]]:
        """Per ``plugin/id``: runs, skipped (overlap) and failures."""
        with self._lock:
            return {f"{p}/{i}": {"runs": s.runs, "skipped": s.skipped, "failures": s.failures}
                    for (p, i), s in self._states.items()}

    # -- firing ---------------------------------------------------------------------------
    def tick(self, now: float | None = None) -> "builtins.list[tuple[Schedule, int]]":
        """Fire every schedule due at ``now`` (default: the clock); returns what was started."""
        now = self.clock() if now is None else now
        started: "builtins.list[tuple[Schedule, int]]" = []
        with self._lock:
            for state in self._states.values():
                if state.next_at > now:
                    continue
                fire_at = int(state.next_at)
                state.next_at = self._next(state.schedule, now)
                if not state.schedule.enabled:
                    continue
                if state.running:
                    state.skipped += 1
                    log.warning("schedule %s of plugin %s is still running; skipping the run due "
                                "at %d", state.schedule.id, state.schedule.plugin, fire_at)
                    continue
                state.running = True
                started.append((state.schedule, fire_at))
        for schedule, fire_at in started:
            if self._run_inline:
                self._run(schedule, fire_at)
            else:
                threading.Thread(target=self._run, args=(schedule, fire_at), daemon=True,
                                 name=f"schedule-{schedule.plugin}-{schedule.id}").start()
        return started

    def _run(self, schedule: Schedule, fire_at: int) -> None:
        failed = False
        try:
            self._runner(schedule, fire_at)
        except Exception as exc:
            failed = True
            log.warning("schedule %s of plugin %s failed: %s", schedule.id, schedule.plugin, exc)
        with self._lock:
            state = self._states.get((schedule.plugin, schedule.id))
            if state is not None:
                state.running = False
                state.runs += 1
                state.failures += failed

    def next_due(self) -> float | None:
        with self._lock:
            times = [s.next_at for s in self._states.values() if s.schedule.enabled]
        return min(times) if times else None

    def start(self) -> None:
        """Fire schedules from a background thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopped:
            self.tick()
            due = self.next_due()
            wait = 1.0 if due is None else min(1.0, max(0.0, due - self.clock()))
            self._wake.wait(wait)
            self._wake.clear()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None


