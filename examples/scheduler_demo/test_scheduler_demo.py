"""The scheduler_demo example, through the test harness and through `runtime call`."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import PluginHarness, harness_for, load_factory
from host_abi.ops import DEFAULT_GRANTS
from runtime import Runtime, RuntimeConfig
from runtime.broker.kv import SQLiteKV
from runtime.cli.main import cli

HERE = Path(__file__).parent
GRANTS = DEFAULT_GRANTS | {"scheduler.manage"}


def _run(schedule_id: str, config: dict[str, Any] | None = None) -> M.ExecuteScheduledTaskRequest:
    return M.ExecuteScheduledTaskRequest(schedule=M.ScheduleDefinition(
        id=schedule_id, config_json=json.dumps(config) if config is not None else ""))


class SchedulerHarness(PluginHarness):
    """The harness with a fake scheduler service (the embedded setup has none)."""

    def __post_init__(self) -> None:
        self.schedules: dict[str, dict[str, Any]] = {}
        super().__post_init__()

    def _op_scheduler_get(self, a: dict[str, Any]) -> Any:
        return {"schedule": self.schedules[a["id"]]}  # KeyError answers NOT_FOUND

    def _op_scheduler_create(self, a: dict[str, Any]) -> Any:
        self.schedules[a["id"]] = dict(a)
        return {"schedule": dict(a)}


def test_the_manifest_declares_the_daily_report() -> None:
    h = harness_for(HERE, runtime="studio")
    manifest = json.loads(h.call("get_manifest").manifest_json)
    on_disk = json.loads((HERE / "plugin-manifest.json").read_text())
    del on_disk["sandbox"]
    assert manifest == on_disk
    assert manifest["schedules"][0] == {"id": "daily-report", "name": "Daily report", "cron": "0 8 * * *",
                                        "timezone": "Europe/London", "enabled": True,
                                        "timeout_seconds": 30, "config": {"keep_days": 7}}


def test_the_counter_schedule_is_created_once_when_the_session_is_ready() -> None:
    h = SchedulerHarness(load_factory(HERE), runtime="studio", grants=GRANTS)
    h.call("on_session_ready", {"session_id": "s-1"})
    assert h.schedules == {"minute-counter": {
        "id": "minute-counter", "name": "Per-minute counter", "cron": "* * * * *", "timezone": "UTC",
        "enabled": True, "timeout_seconds": 10, "config": {"step": 1}}}
    h.schedules["minute-counter"]["cron"] = "*/5 * * * *"  # an operator changed it
    h.call("on_session_ready", {"session_id": "s-2"})
    assert h.schedules["minute-counter"]["cron"] == "*/5 * * * *"
    assert [r.message for r in h.logs] == ["schedule created", "schedule already exists"]


def test_schedules_that_cannot_be_managed_are_logged_not_fatal() -> None:
    not_granted = harness_for(HERE, runtime="studio")
    assert not_granted.call("on_session_ready", {"session_id": "s-1"}) == {}
    assert not_granted.logs[0].level == "warn"
    assert not_granted.logs[0].fields["code"] == "PERMISSION_DENIED"
    gateway = harness_for(HERE, grants=GRANTS)
    gateway.call("on_session_ready", {"session_id": "s-1"})
    assert gateway.logs[0].fields["code"] == "WRONG_RUNTIME"


def test_the_counter_adds_its_step() -> None:
    h = harness_for(HERE, runtime="studio")
    assert h.call("execute_scheduled_task", _run("minute-counter", {"step": 1})).success
    assert h.call("execute_scheduled_task", _run("minute-counter", {"step": 5})).success
    assert h.call("execute_scheduled_task", _run("minute-counter")).success  # default step 1
    assert h.kv == {"counter": b"7"}


def test_the_report_summarises_into_kv() -> None:
    h = harness_for(HERE, runtime="studio")
    h.kv["counter"] = b"42"
    assert h.call("execute_scheduled_task", _run("daily-report", {"keep_days": 3})).success
    h.call("execute_scheduled_task", _run("daily-report", {"keep_days": 3}))
    latest = json.loads(h.kv["report:latest"])
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert {k: latest[k] for k in ("schedule_id", "counter", "report_number")} == {
        "schedule_id": "daily-report", "counter": 42, "report_number": 2}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", latest["generated_at"])
    assert json.loads(h.kv[f"report:{latest['day']}"]) == latest
    assert latest["day"] in (day, time.strftime("%Y-%m-%d", time.gmtime(time.time() - 60)))


def test_an_unknown_schedule_fails_the_run() -> None:
    h = harness_for(HERE, runtime="studio")
    resp = h.call("execute_scheduled_task", _run("hourly-cleanup"))
    assert not resp.success
    assert resp.error_message == "ValueError: unknown schedule 'hourly-cleanup'"
    assert h.kv == {}


def _cli(*args: str, input: str = "{}") -> Any:
    return CliRunner().invoke(cli, ["call", str(HERE), "--tier", "inprocess", "--runtime", "studio",
                                    "--grant", "scheduler.manage", "--input", "-", *args], input=input)


def test_runtime_call_runs_the_counter_against_the_state_dir(tmp_path: Path) -> None:
    task = json.dumps({"schedule": {"id": "minute-counter", "configJson": '{"step": 2}'}})
    for _ in range(2):
        result = _cli("--hook", "execute_scheduled_task", "--state-dir", str(tmp_path), input=task)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == {"success": True, "error_message": ""}
    report = json.dumps({"schedule": {"id": "daily-report"}})
    assert _cli("--hook", "execute_scheduled_task", "--state-dir", str(tmp_path), input=report).exit_code == 0
    kv = SQLiteKV(tmp_path / "kv.sqlite3")
    try:
        assert kv.read("scheduler_demo", "counter") == b"4"
        assert json.loads(kv.read("scheduler_demo", "report:latest") or b"{}")["counter"] == 4
    finally:
        kv.close()


def test_runtime_call_session_ready_creates_the_schedule(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="plugin")
    result = _cli("--hook", "on_session_ready", "--ephemeral", input='{"session_id": "s-1"}')
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {}
    # the plugin's log line reaches stderr (or pytest's capture, when another test has
    # rerouted the "plugin" logger)
    assert "schedule created schedule_id='minute-counter'" in result.stderr + caplog.text


def _wait_for_runs(rt: Runtime, expected: dict[str, int]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stats = rt.scheduler.statistics()
        if all(stats.get(f"scheduler_demo/{k}", {}).get("runs") == v for k, v in expected.items()):
            return
        time.sleep(0.01)
    raise AssertionError(f"schedules did not run: {rt.scheduler.statistics()}")


def test_the_runtime_fires_both_schedules_in_their_timezones() -> None:
    start = 1714546770.0  # 2024-05-01 06:59:30 UTC = 07:59:30 in London (BST)
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True, runtime="studio",
                               extra_grants=frozenset({"scheduler.manage"}), clock=lambda: start)) as rt:
        rt.load(HERE)
        assert [s.id for s in rt.scheduler.list("scheduler_demo")] == ["daily-report"]
        rt.call("scheduler_demo", "on_session_ready", {"session_id": "s-1"})
        assert [s.id for s in rt.scheduler.list("scheduler_demo")] == ["daily-report", "minute-counter"]
        fired = {s.id: at for s, at in rt.scheduler.tick(start + 31)}
        # 08:00 Europe/London is 07:00 UTC in May; the counter runs every minute
        assert fired == {"daily-report": 1714546800, "minute-counter": 1714546800}
        _wait_for_runs(rt, {"daily-report": 1, "minute-counter": 1})
        assert [s.id for s, _ in rt.scheduler.tick(start + 91)] == ["minute-counter"]
        _wait_for_runs(rt, {"daily-report": 1, "minute-counter": 2})
        assert rt.kv.read("scheduler_demo", "counter") == b"2"
        report = json.loads(rt.kv.read("scheduler_demo", "report:latest") or b"{}")
        assert report["schedule_id"] == "daily-report" and report["report_number"] == 1
        assert rt.scheduler.statistics()["scheduler_demo/minute-counter"]["failures"] == 0
