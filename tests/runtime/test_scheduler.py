"""The embedded scheduler: cron in the schedule's timezone, manifest and API schedules,
disabled ones skipped, timeouts enforced, one instance per run (injected clock)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest

from runtime import Runtime, RuntimeConfig
from runtime.broker.scheduler import Schedule, ScheduleError, Scheduler

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "scheduled"


class Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when.timestamp()


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/London"))  # type: ignore[misc]


@pytest.fixture
def clock() -> Clock:
    return Clock(london(2026, 1, 15, 7, 58, 30))


@pytest.fixture
def rt(clock: Clock) -> Iterator[Runtime]:
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True, runtime="studio", clock=clock,
                               extra_grants=frozenset({"scheduler.manage"}))) as runtime:
        yield runtime


def runs(rt: Runtime, schedule_id: str) -> int:
    value = rt.kv.read("scheduled", f"runs:{schedule_id}")
    return int(value) if value is not None else 0


def wait_idle(rt: Runtime, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not any(stats.running for stats in rt.scheduler._states.values()):
            return
        time.sleep(0.01)
    raise AssertionError("scheduled runs did not finish")


def test_cron_fires_in_its_timezone_winter_and_summer(rt: Runtime, clock: Clock) -> None:
    rt.load(PLUGIN)
    rt.scheduler.tick()
    wait_idle(rt)
    assert runs(rt, "london-8am") == 0
    clock.set(london(2026, 1, 15, 8, 0, 0))  # 08:00 GMT = 08:00 UTC
    started = rt.scheduler.tick()
    wait_idle(rt)
    assert ("london-8am", int(london(2026, 1, 15, 8).timestamp())) in [(s.id, t) for s, t in started]
    assert runs(rt, "london-8am") == 1
    fired = rt.kv.read("scheduled", "last:london-8am")
    assert fired == f"schedule-london-8am-{int(london(2026, 1, 15, 8).timestamp())}".encode()
    clock.set(london(2026, 7, 1, 7, 59, 59))  # summer: 08:00 BST is 07:00 UTC
    rt.scheduler.tick()
    wait_idle(rt)
    assert runs(rt, "london-8am") == 2  # fired once for the missed days, not once per day
    clock.set(london(2026, 7, 1, 8, 0, 0))
    rt.scheduler.tick()
    wait_idle(rt)
    assert runs(rt, "london-8am") == 3
    assert datetime.fromtimestamp(clock.now, ZoneInfo("UTC")).hour == 7


def test_every_minute_and_disabled(rt: Runtime, clock: Clock) -> None:
    rt.load(PLUGIN)
    for minute in range(1, 4):
        clock.now += 60
        rt.scheduler.tick()
        wait_idle(rt)
    assert runs(rt, "every-minute") == 3 * 2  # config {"step": 2} reaches the task
    assert runs(rt, "off") == 0
    stats = rt.scheduler.statistics()
    assert stats["scheduled/every-minute"]["runs"] == 3 and stats["scheduled/off"]["runs"] == 0


def test_timeout_is_enforced_and_overlap_skipped(rt: Runtime, clock: Clock) -> None:
    rt.load(PLUGIN)
    clock.set(london(2026, 1, 15, 8, 5, 0))
    started = time.monotonic()
    rt.scheduler.tick()
    wait_idle(rt)
    assert time.monotonic() - started < 2.5  # the 3 s task was cut at its 1 s timeout
    stats = rt.scheduler.statistics()["scheduled/slow"]
    assert stats == {"runs": 1, "skipped": 0, "failures": 1}
    assert runs(rt, "slow") == 0
    assert rt.plugin("scheduled").statistics().deadlines == 1


def test_schedule_created_through_the_api_on_session_ready(rt: Runtime, clock: Clock) -> None:
    host = rt.load(PLUGIN)
    answer = host.call("open_session", {"service_broker_id": 1, "timeout_ms": 300})
    assert answer["close_reason"] == 1  # TIMEOUT
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "hourly" not in [s.id for s in rt.scheduler.list("scheduled")]:
        time.sleep(0.01)
    created = rt.scheduler.get("scheduled", "hourly")
    assert (created.cron, created.timezone, created.source) == ("30 * * * *", "Asia/Tokyo", "api")
    clock.now += 3600
    rt.scheduler.tick()
    wait_idle(rt)
    assert runs(rt, "hourly") == 10


def test_each_run_goes_to_exactly_one_instance(clock: Clock) -> None:
    from runtime.policy import policy_from_dict
    policy = policy_from_dict({"version": 1, "plugins": {"scheduled": {
        "limits": {"pool_size": 3}, "grants": ["kv.readwrite", "scheduler.manage"]}}})
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True, runtime="studio", clock=clock,
                               policy=policy)) as rt:
        rt.load(PLUGIN)
        for _ in range(5):
            clock.now += 60
            rt.scheduler.tick()
            wait_idle(rt)
        assert runs(rt, "every-minute") == 10


def test_scheduler_ops_validate(rt: Runtime) -> None:
    rt.load(PLUGIN)
    from runtime.broker.services import CallState
    from host_abi.envelope import decode_answer, encode_args
    from host_abi.ops import op_by_name
    state = CallState(rt.plugin("scheduled").settings, "test")

    def op(op_name: str, **args: object) -> tuple[bool, object]:
        spec = op_by_name(op_name)
        assert spec is not None
        return decode_answer(rt.broker.handle(state, spec.number, encode_args(args)))

    assert op("scheduler.create", id="x", name="X", cron="not cron")[1]["code"] == "INVALID_ARGUMENT"  # type: ignore[index]
    assert op("scheduler.create", id="x", name="X", cron="* * * * *", timezone="Mars/Base")[1]["code"] == "INVALID_ARGUMENT"  # type: ignore[index]
    ok, value = op("scheduler.create", id="x", name="X", cron="*/2 * * * *")
    assert ok and value["schedule"]["timezone"] == "UTC"  # type: ignore[index]
    assert op("scheduler.create", id="x", name="X", cron="* * * * *")[1]["code"] == "INVALID_ARGUMENT"  # type: ignore[index]
    ok, value = op("scheduler.update", id="x", enabled=False)
    assert ok and value["schedule"]["enabled"] is False  # type: ignore[index]
    assert op("scheduler.get", id="nope")[1]["code"] == "NOT_FOUND"  # type: ignore[index]
    assert "x" in [s["id"] for s in op("scheduler.list")[1]["schedules"]]  # type: ignore[index]
    assert op("scheduler.delete", id="x") == (True, {})
    assert op("scheduler.delete", id="x")[1]["code"] == "NOT_FOUND"  # type: ignore[index]


def test_bad_manifest_schedule_fails_the_load(tmp_path: Path) -> None:
    import json
    import shutil
    from runtime.errors import ManifestError
    d = tmp_path / "bad"
    shutil.copytree(PLUGIN, d)
    manifest = json.loads((d / "plugin-manifest.json").read_text())
    manifest["schedules"] = [{"id": "x", "name": "X", "cron": "99 * * * *"}]
    (d / "plugin-manifest.json").write_text(json.dumps(manifest))
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True, runtime="studio",
                               extra_grants=frozenset({"scheduler.manage"}))) as rt:
        with pytest.raises(ManifestError, match="field schedules"):
            rt.load(d)
        assert "bad" not in rt.plugins


def test_validate_rejects_bad_definitions() -> None:
    for bad in (Schedule("p", "", "n", "* * * * *"), Schedule("p", "i", "n", "* * * *"),
                Schedule("p", "i", "n", "* * * * *", timezone="Nowhere"),
                Schedule("p", "i", "n", "* * * * *", timeout_seconds=0)):
        with pytest.raises(ScheduleError):
            Scheduler(lambda s, t: None).add(bad)
