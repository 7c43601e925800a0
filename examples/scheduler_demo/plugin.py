"""Scheduler demo: scheduled tasks from the manifest and from the service API.

Two schedules, routed by id in ``execute_scheduled_task``:

* ``daily-report`` is declared in the manifest (``schedules``: 08:00 every day, Europe/
  London). Each run writes a JSON summary to KV: ``report:latest`` and ``report:<day>``
  (kept ``keep_days`` days, from the schedule's config).
* ``minute-counter`` is created by the plugin itself through
  ``ctx.services.studio.create_schedule`` once its session is ready (studio runtime,
  scope ``scheduler.manage``). Each run adds the schedule config's ``step`` to the KV
  counter ``counter``.

Any other schedule id raises, which reports the run as failed. Creating the schedule is
idempotent (an existing one is left alone), and where schedules cannot be managed (scope
not granted, the gateway runtime, a host without a scheduler) the plugin logs why and
carries on. It declares the ``studio_ui`` hook only so that Studio loads it
at start-up and reads its manifest (``ManifestProvider``); it serves no UI.
"""

from __future__ import annotations

import json
import time
from typing import Any

from guest_sdk import (BasePlugin, Context, ManifestProvider, NotFound, SchedulerPlugin,
                       ServiceError, SessionAware)
from guest_sdk.messages import ScheduleDefinition

REPORT_ID = "daily-report"
COUNTER_ID = "minute-counter"

#: The AI Studio manifest, as GetManifest answers it (plugin-manifest.json without ``sandbox``).
MANIFEST: dict[str, Any] = {
    "id": "com.example.scheduler-demo",
    "version": "1.0.0",
    "name": "Scheduler Demo",
    "description": "A daily report declared in the manifest and a per-minute counter created "
                   "through the service API, both writing to KV.",
    "capabilities": {"hooks": ["studio_ui"], "primary_hook": "studio_ui"},
    "permissions": {"services": ["kv.readwrite", "scheduler.manage"]},
    "compat": {"api": ["scheduler-v1"]},
    "schedules": [{"id": REPORT_ID, "name": "Daily report", "cron": "0 8 * * *",
                   "timezone": "Europe/London", "enabled": True, "timeout_seconds": 30,
                   "config": {"keep_days": 7}}],
}


class SchedulerDemo(BasePlugin, SchedulerPlugin, SessionAware, ManifestProvider):
    def __init__(self) -> None:
        super().__init__("scheduler-demo", "1.0.0", "Scheduled tasks writing to KV")

    def get_manifest(self) -> dict[str, Any]:
        return MANIFEST

    # -- SessionAware -------------------------------------------------------------------------
    def on_session_ready(self, ctx: Context) -> None:
        studio, log = ctx.services.studio, ctx.services.logger
        try:
            studio.get_schedule(COUNTER_ID)
            log.info("schedule already exists", schedule_id=COUNTER_ID)
            return
        except NotFound:
            pass
        except ServiceError as exc:
            log.warn("schedules cannot be managed here; the counter will not run",
                     schedule_id=COUNTER_ID, code=exc.code, reason=exc.message)
            return
        try:
            studio.create_schedule(COUNTER_ID, "Per-minute counter", "* * * * *", timezone="UTC",
                                   timeout_seconds=10, config={"step": 1})
        except ServiceError as exc:
            log.warn("could not create the schedule", schedule_id=COUNTER_ID, code=exc.code,
                     reason=exc.message)
            return
        log.info("schedule created", schedule_id=COUNTER_ID)

    def on_session_closing(self, ctx: Context) -> None:
        ctx.services.logger.info("scheduler demo session closing", session_id=ctx.session_id)

    # -- SchedulerPlugin ----------------------------------------------------------------------
    def execute_scheduled_task(self, ctx: Context, schedule: ScheduleDefinition,
                               config: dict[str, Any]) -> None:
        if schedule.id == COUNTER_ID:
            self._count(ctx, config)
        elif schedule.id == REPORT_ID:
            self._report(ctx, schedule, config)
        else:
            raise ValueError(f"unknown schedule {schedule.id!r}")

    def _count(self, ctx: Context, config: dict[str, Any]) -> None:
        value = ctx.services.kv.increment("counter", int(config.get("step", 1)))
        ctx.services.logger.info("counter incremented", counter=value)

    def _report(self, ctx: Context, schedule: ScheduleDefinition, config: dict[str, Any]) -> None:
        kv = ctx.services.kv
        now = time.time()
        day = time.strftime("%Y-%m-%d", time.gmtime(now))
        counter = kv.get("counter")
        summary = {"schedule_id": schedule.id, "day": day,
                   "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                   "counter": int(counter) if counter is not None else 0,
                   "report_number": kv.increment("reports:count")}
        text = json.dumps(summary, sort_keys=True)
        kv.write("report:latest", text)
        kv.write(f"report:{day}", text, ttl_seconds=int(config.get("keep_days", 7)) * 86400)
        ctx.services.logger.info("daily report written", day=day, counter=summary["counter"])


def create_plugin() -> SchedulerDemo:
    return SchedulerDemo()
