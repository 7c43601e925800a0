"""Scheduled: counts runs per schedule in KV; creates one schedule when its session is ready."""

from __future__ import annotations

import time
from typing import Any

from guest_sdk import BasePlugin, Context, ManifestProvider, SchedulerPlugin, SessionAware
from guest_sdk.messages import ScheduleDefinition


class Scheduled(BasePlugin, SchedulerPlugin, SessionAware, ManifestProvider):
    def __init__(self) -> None:
        super().__init__("scheduled", "1.0.0", "Counts scheduled runs")

    def get_manifest(self) -> dict[str, Any]:
        return {"id": "com.example.tests.scheduled"}

    def on_session_ready(self, ctx: Context) -> None:
        ctx.services.studio.create_schedule("hourly", "Hourly from the API", "30 * * * *",
                                            timezone="Asia/Tokyo", config={"step": 10})

    def on_session_closing(self, ctx: Context) -> None:
        pass

    def execute_scheduled_task(self, ctx: Context, schedule: ScheduleDefinition,
                               config: dict[str, Any]) -> None:
        if schedule.id == "slow":
            time.sleep(3)
        ctx.services.kv.increment(f"runs:{schedule.id}", int(config.get("step", 1)))
        ctx.services.kv.write(f"last:{schedule.id}", ctx.request_id)


def create_plugin() -> Scheduled:
    return Scheduled()
