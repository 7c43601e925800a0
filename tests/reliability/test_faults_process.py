"""Fault injection on the process tier: our Go go-plugin (go/plugin, built by
scripts/setup-go.sh) killed between calls, exiting in the middle of a call, timing out,
and in a crash loop. Each request gets the hook's fail-policy answer, the process is
restarted, and the crash loop opens the plugin's circuit breaker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from host_abi.hooks import HOOKS_BY_NAME
from reliability_helpers import REPO
from runtime import Runtime, RuntimeConfig
from runtime.policy import policy_from_dict

pytestmark = pytest.mark.faults

POLICY = {"version": 1, "defaults": {"tier": "process", "limits": {
    "timeout_ms": 500, "breaker_failures": 3, "breaker_cooldown_ms": 300}},
    "plugins": {"gp-open": {"fail_policy": {"pre_auth": "open"}}}}
CLOSED = dict(HOOKS_BY_NAME["process_pre_auth"].fail_closed or {})


@pytest.fixture(scope="module")
def go_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    done = subprocess.run(["bash", str(REPO / "scripts" / "setup-go.sh"), "--bin-dir"],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:  # not skipped: CI installs Go through scripts/test.sh
        pytest.fail(f"scripts/setup-go.sh failed ({done.returncode}):\n{done.stderr[-3000:]}")
    binary = Path(done.stdout.strip().splitlines()[-1]) / "goplugin"
    directory = tmp_path_factory.mktemp("goplugin")
    (directory / "plugin-manifest.json").write_text(json.dumps({
        "id": "com.example.reliability.goplugin", "version": "1.0.0", "name": "Go test plugin",
        "capabilities": {"hooks": ["pre_auth", "post_auth"]},
        "permissions": {"services": ["kv.readwrite"]},
        "sandbox": {"command": [str(binary)]}}))
    return directory


@pytest.fixture
def rt(go_plugin_dir: Path) -> Iterator[Runtime]:
    runtime = Runtime(RuntimeConfig(ephemeral=True, policy=policy_from_dict(POLICY)))
    try:
        runtime.load(go_plugin_dir, name="gp")
        runtime.load(go_plugin_dir, name="gp-open")
        yield runtime
    finally:
        runtime.close()


def _pre_auth(**headers: str) -> dict[str, Any]:
    return {"method": "POST", "path": "/v1/chat", "headers": headers}


def _pids(rt: Runtime, name: str) -> list[int]:
    host = rt.plugin(name)
    return [slot.instance.proc.popen.pid for slot in list(host._idle)  # type: ignore[attr-defined]
            if getattr(slot.instance, "proc", None) is not None]


def test_killed_go_plugin_answers_by_fail_policy_and_is_replaced(rt: Runtime) -> None:
    answer, error = rt.call_or_fail_answer("gp", "process_pre_auth", _pre_auth())
    assert error is None
    # Killed between calls: the next call is served by a restarted process, or (when the
    # death is noticed only during that call) answered by the fail policy; the one after
    # is served.
    [pid] = _pids(rt, "gp")
    os.kill(pid, signal.SIGKILL)
    answer, error = rt.call_or_fail_answer("gp", "process_pre_auth", _pre_auth())
    if error is not None:
        assert error.code == "SANDBOX_BROKEN" and "SIGKILL" in error.message, error
        assert answer["block"] is True and answer["status_code"] == CLOSED["status_code"]
    answer, error = rt.call_or_fail_answer("gp", "process_pre_auth", _pre_auth())
    assert error is None, error
    assert pid not in _pids(rt, "gp")
    # Dies during a call: fail closed (503) by default, fail open where the operator chose it.
    answer, error = rt.call_or_fail_answer("gp", "process_pre_auth", _pre_auth(**{"x-exit": "1"}))
    assert error is not None and error.code == "SANDBOX_BROKEN"
    assert answer["block"] is True and answer["status_code"] == CLOSED["status_code"]
    answer, error = rt.call_or_fail_answer("gp-open", "process_pre_auth", _pre_auth(**{"x-exit": "1"}))
    assert error is not None and error.code == "SANDBOX_BROKEN" and answer == {}
    # Times out: the deadline answers, the process is replaced.
    started = time.monotonic()
    answer, error = rt.call_or_fail_answer("gp", "process_pre_auth", _pre_auth(**{"x-sleep-ms": "3000"}))
    assert error is not None and error.code == "DEADLINE_EXCEEDED"
    assert time.monotonic() - started < 2.5
    assert answer["block"] is True
    for name in ("gp", "gp-open"):
        answer, error = rt.call_or_fail_answer(name, "process_pre_auth", _pre_auth())
        assert error is None, (name, error)
        assert rt.plugin(name).statistics().instances_replaced >= 1


def test_go_plugin_crash_loop_opens_the_breaker(rt: Runtime) -> None:
    host = rt.plugin("gp")
    for _ in range(3):
        _, error = rt.call_or_fail_answer("gp", "process_pre_auth", _pre_auth(**{"x-exit": "1"}))
        assert error is not None and error.code == "SANDBOX_BROKEN"
    assert host.breaker.state == "open"
    replaced = host.statistics().instances_replaced
    started = time.monotonic()
    answer, error = rt.call_or_fail_answer("gp", "process_pre_auth", _pre_auth())
    assert time.monotonic() - started < 0.25
    assert error is not None and error.code == "SERVICE_UNAVAILABLE"
    assert answer["block"] is True
    assert host.statistics().instances_replaced == replaced  # no process started meanwhile
    time.sleep(0.35)
    answer, error = rt.call_or_fail_answer("gp", "process_pre_auth", _pre_auth())
    assert error is None, error
    assert host.breaker.state == "closed"
