"""Containment: file system, environment, native code, imports, clock and random.

Every attempt runs in attacker_fs_env on the wasm tier behind the real dispatcher; each
test asserts what the guest saw (or the host's error code), that the host's canaries
are untouched, and that the plugin then serves a well-behaved request.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runtime import Runtime
from runtime.errors import PluginRuntimeError
from security_catalogue import Mechanism, catalogued
from security_helpers import (IDENTITY, REPO, assert_guest_raised, assert_host_code, assert_serves,
                              attempt, plugin_dir, run_mechanism, stats)

pytestmark = pytest.mark.slow

CANARY_TEXT = "host canary: the guest must not read or change this\n"
CANARY_ENV = "GPS_SECURITY_CANARY"
CANARY_ENV_VALUE = "host-secret-6f1c"


class HostFiles:
    """A host directory the guest is pointed at: a canary file and a Python module."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.canary = root / "canary.txt"
        self.canary.write_text(CANARY_TEXT, encoding="utf-8")
        self.canary.chmod(0o640)
        os.utime(self.canary, (1_600_000_000, 1_600_000_000))
        self.module = root / "evil_host_module.py"
        self.module.write_text("SECRET = 'read from the host'\n", encoding="utf-8")
        self.before = self.snapshot()

    def headers(self) -> dict[str, str]:
        return {"x-canary": str(self.canary), "x-dir": str(self.root), "x-module": str(self.module)}

    def snapshot(self) -> dict[str, Any]:
        st = self.canary.stat()
        return {"listing": sorted(p.name for p in self.root.iterdir()),
                "text": self.canary.read_text(encoding="utf-8"), "mode": st.st_mode,
                "size": st.st_size, "mtime": st.st_mtime}

    def assert_untouched(self) -> None:
        assert self.snapshot() == self.before


@pytest.fixture
def host_files(tmp_path: Path) -> HostFiles:
    return HostFiles(tmp_path)


# -- file system ------------------------------------------------------------------------
_RETURNS: dict[str, Any] = {"fs.chmod": None, "fs.guess_fds": {}, "fs.read_stdin": ""}


@catalogued
def test_file_system_attempt_is_refused(mech: Mechanism, rt: Runtime, host_files: HostFiles) -> None:
    report = run_mechanism(rt, mech, **host_files.headers())
    if mech.raises:
        assert_guest_raised(report, mech)
        assert report["errno"] in (None, 44), report  # 44: WASI's ENOENT
    else:
        assert report == {"outcome": "returned", "data": _RETURNS[mech.id], "attempt": mech.id}
    assert CANARY_TEXT not in json.dumps(report)
    host_files.assert_untouched()
    assert_serves(rt, "fs")


# -- environment ------------------------------------------------------------------------
@catalogued
def test_environment_is_empty(mech: Mechanism, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CANARY_ENV, CANARY_ENV_VALUE)
    report = run_mechanism(rt, mech)
    assert report["outcome"] == "returned" and report["data"] == {}, report
    assert CANARY_ENV_VALUE not in json.dumps(report)
    assert_serves(rt, "fs")


@catalogued
def test_process_identity_is_not_the_hosts(mech: Mechanism, rt: Runtime) -> None:
    data = run_mechanism(rt, mech)["data"]
    if mech.id == "env.argv":
        assert data == {"argv": [], "orig_argv": [], "executable": ""}
    else:
        assert data["uname"][0] == "wasi" and data["uname"][1] != os.uname().nodename
        assert data["hostname"] == "(none)"
        assert data["pid"] != os.getpid()
        assert data["cwd"] == "/"
        assert data["cpu_count"] == 1
    assert_serves(rt, "fs")


@catalogued
def test_putenv_stays_in_the_guest(mech: Mechanism, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "GPS_SECURITY_PUTENV"
    monkeypatch.delenv(name, raising=False)
    report = run_mechanism(rt, mech, **{"x-env": name})
    assert report["data"] == "set-by-guest"  # the guest's own copy changed
    assert name not in os.environ
    assert_serves(rt, "fs")


@catalogued
def test_interpreter_paths_name_no_host_path(mech: Mechanism, rt: Runtime, tmp_path: Path) -> None:
    report = run_mechanism(rt, mech)
    assert report["outcome"] == "returned", report
    text = json.dumps(report["data"])
    for host_path in {str(REPO), os.path.expanduser("~"), sys.prefix, sys.base_prefix,
                      str(tmp_path.parent), "gps-build-", "site-packages"}:
        assert host_path not in text, host_path
    assert report["data"]["files"], "expected module paths in the report"
    assert_serves(rt, "fs")


# -- native code ------------------------------------------------------------------------
@catalogued
def test_native_code_is_unavailable(mech: Mechanism, rt: Runtime, host_files: HostFiles) -> None:
    report = run_mechanism(rt, mech, **host_files.headers())
    if mech.raises:
        assert_guest_raised(report, mech)
    else:  # a NULL read: the guest's own linear memory, which starts zeroed
        assert report["outcome"] == "returned" and report["data"] == "0", report
    assert_serves(rt, "fs")


@catalogued
def test_native_crash_breaks_only_the_instance(mech: Mechanism, rt: Runtime) -> None:
    error = assert_host_code(rt, mech)
    if mech.id == "native.marshal_code":
        assert error.message.startswith("ValueError: bad marshal data"), error
    else:
        assert "trap" in error.message, error


# -- imports ----------------------------------------------------------------------------
@catalogued
def test_import_attempt_is_refused(mech: Mechanism, rt: Runtime, host_files: HostFiles) -> None:
    report = run_mechanism(rt, mech, **host_files.headers())
    assert_guest_raised(report, mech)
    assert "read from the host" not in json.dumps(report)
    if mech.id == "imp.host_packages":
        assert "No module named 'runtime'" in report["message"]
        assert "No module named 'wasmtime'" in report["message"]
    host_files.assert_untouched()
    assert_serves(rt, "fs")


# -- clock and random ---------------------------------------------------------------------
@catalogued
def test_clock_is_what_the_policy_grants(mech: Mechanism, rt: Runtime) -> None:
    """Documents what the default grants give: the host's wall time, at the granted
    precision (the policy's ``clock``; coarse, 1 ms, unless granted otherwise)."""
    granted = getattr(rt.plugin(IDENTITY["fs"]).settings, "clock", "real")
    before = time.time()
    data = run_mechanism(rt, mech)["data"]
    after = time.time()
    if granted == "frozen":
        assert before - 1.0 <= data["time"] <= after + 0.01
    else:
        assert before - 0.01 <= data["time"] <= after + 0.01, (before, data, after)
    if granted in ("coarse", "frozen"):
        assert data["monotonic_resolution"] == pytest.approx(0.001)
        assert data["perf_counter_ns"] % 1_000_000 == 0, data
    assert 0 <= data["monotonic"] < 3600  # counts from the instance's creation, not the host's boot
    assert_serves(rt, "fs")


@catalogued
def test_randomness_differs_between_instances(mech: Mechanism, rt: Runtime) -> None:
    """Two instances started from one snapshot draw different values: random state is
    not baked into the snapshot."""
    draws = []
    for _ in range(2):
        replaced = stats(rt, "fs").instances_replaced
        with pytest.raises(PluginRuntimeError):
            attempt(rt, "fs", "native.sigsegv")  # the next call runs on a fresh instance
        assert stats(rt, "fs").instances_replaced == replaced + 1
        draws.append(run_mechanism(rt, mech)["data"])
    again = run_mechanism(rt, mech)["data"]
    assert draws[0]["urandom"] != draws[1]["urandom"] != again["urandom"]
    assert draws[0]["random"] != draws[1]["random"]
    assert_serves(rt, "fs")


# -- build time -------------------------------------------------------------------------
@catalogued
def test_build_time_code_is_sandboxed(mech: Mechanism, rt: Runtime) -> None:
    """What the plugin's import-time code met while the component was built."""
    found = run_mechanism(rt, mech)["data"][mech.id]
    if mech.raises:
        assert found["outcome"] == "raised" and found["type"] == mech.raises, found
    elif mech.id == "build.environment":
        assert found["outcome"] == "returned", found
        assert set(found["data"]) <= {"PYTHONHOME", "PYTHONPATH", "PYTHONUNBUFFERED"}, found
        assert str(REPO) not in json.dumps(found) and CANARY_ENV not in json.dumps(found)
    else:
        assert found["outcome"] == "returned", found
        assert not found["data"].startswith(str(REPO)), found
        assert not (plugin_dir("fs") / "written-at-build-time.txt").exists()
    assert_serves(rt, "fs")
