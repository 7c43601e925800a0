"""Shutdown never crashes or hangs: every interpreter is destroyed before the process
exits, with or without ``Runtime.close``, and a process with an interpreter that cannot
be stopped leaves with ``os._exit(70)`` and a message instead of crashing in
finalization (3.12 aborts, 3.13 may segfault, with a subinterpreter still running)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from subinterp_helpers import HERE, REPO
from runtime.backends.subinterp import own_gil

pytestmark = pytest.mark.slow

_PRELUDE = f"""
import sys, time
sys.path.insert(0, {str(HERE)!r})
from subinterp_helpers import PROBE, ENRICHER, probe_request, trusted_policy
from runtime import Runtime, RuntimeConfig
from runtime.backends.subinterp import SubinterpreterSettings
from runtime.errors import DeadlineExceeded
"""


def _run(body: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    code = _PRELUDE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          cwd=str(REPO))


@pytest.mark.parametrize("close", [True, False], ids=["closed", "left-open"])
@pytest.mark.parametrize("driver", ["native", "python"])
def test_exit_destroys_every_interpreter(driver: str, close: bool) -> None:
    from runtime.backends.subinterp import driver_names
    if driver not in driver_names():
        pytest.skip(f"no {driver} driver here")
    out = _run(f"""
        rt = Runtime(RuntimeConfig(tier="subinterpreter", ephemeral=True, runtime="gateway",
                                   policy=trusted_policy({{"probe": {{"heavy": True, "limits": {{"pool_size": 2}}}}}}),
                                   subinterpreter=SubinterpreterSettings(driver={driver!r})))
        rt.load(PROBE)
        rt.load(ENRICHER)
        assert rt.call("probe", "process_post_auth", probe_request())["headers"] == {{"x-probe": "ok"}}
        try:
            rt.call("probe", "process_post_auth", probe_request(**{{"x-mode": "sleep", "x-seconds": "3"}}),
                    timeout_ms=100)
        except DeadlineExceeded:
            pass
        if {close!r}:
            rt.close()
        print("done", flush=True)
    """)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "done"
    assert "Fatal" not in out.stderr and "remaining subinterpreters" not in out.stderr


@pytest.mark.skipif(not own_gil(), reason="3.11: a running subinterpreter holds the process's only "
                    "GIL, so the host cannot even reach its exit while one runs")
def test_exit_with_an_interpreter_that_cannot_be_stopped() -> None:
    out = _run("""
        rt = Runtime(RuntimeConfig(tier="subinterpreter", ephemeral=True, runtime="gateway",
                                   policy=trusted_policy({"probe": {"heavy": True}}),
                                   subinterpreter=SubinterpreterSettings(grace_ms=50)))
        rt.load(PROBE)
        stats = rt._backends["subinterpreter"].statistics
        while stats("probe").interpreters_created < 2:  # the spare that replaces the instance
            time.sleep(0.01)
        started = time.monotonic()
        try:  # minutes of C-level work
            rt.call("probe", "process_post_auth", probe_request(**{"x-mode": "cwork", "x-n": str(10**11)}),
                    timeout_ms=100)
        except DeadlineExceeded as exc:
            print("deadline", round(time.monotonic() - started, 1), flush=True)
        rt.close()
        print("closed", flush=True)
    """, timeout=60)
    assert out.returncode == 70, (out.returncode, out.stderr[-3000:])
    lines = out.stdout.split()
    assert lines[0] == "deadline" and float(lines[1]) < 1.0 and lines[2] == "closed", out.stdout
    assert "could not be stopped" in out.stderr and "os._exit(70)" in out.stderr
    assert "Fatal" not in out.stderr
