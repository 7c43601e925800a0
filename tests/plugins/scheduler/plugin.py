"""Scheduler: each run increments the KV counter ``runs:<schedule id>``."""

from __future__ import annotations

from typing import Any

from guest_sdk import BasePlugin, Context, SchedulerPlugin
from guest_sdk.messages import ScheduleDefinition


class Ticker(BasePlugin, SchedulerPlugin):
    def __init__(self) -> None:
        super().__init__("scheduler", "1.0.0", "Counts runs")

    def execute_scheduled_task(self, ctx: Context, schedule: ScheduleDefinition,
                               config: dict[str, Any]) -> None:
        ctx.services.kv.increment(f"runs:{schedule.id}", int(config.get("step", 1)))


def create_plugin() -> Ticker:
    return Ticker()
