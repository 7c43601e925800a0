"""`runtime package`: one executable a host's plugin command can point at."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.bridge.client import PluginProcess
from runtime.wire import plugin_pb2 as P

from bridge_helpers import EXAMPLES, REPO, RUNTIME

pytestmark = pytest.mark.slow


def _package(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "bin" / "enricher"
    r = subprocess.run([*RUNTIME, "package", str(EXAMPLES / "request_enricher"), "-o", str(out), *extra],
                       cwd=REPO, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "GPS_PACKAGED_DIR": str(tmp_path / "packaged")})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "wrote" in r.stdout
    return out


def test_the_packaged_file_is_a_go_plugin_plugin(tmp_path: Path, inprocess_policy: Path) -> None:
    exe = _package(tmp_path, "--policy", str(inprocess_policy), "--no-build", "--name", "enricher")
    assert os.access(exe, os.X_OK)
    assert exe.read_bytes().startswith(b"#!" + sys.executable.encode())
    env = {**os.environ, "GPS_PACKAGED_DIR": str(tmp_path / "packaged"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    for _ in range(2):  # the second start reuses the unpacked copy
        proc = PluginProcess([str(exe)], env=env, socket_dir=str(tmp_path)).start()
        try:
            stub = proc.plugin_service()
            assert stub.Initialize(P.InitRequest(config={"instruction": "Packaged."})).success
            body = json.dumps({"messages": []}).encode()
            resp = stub.ProcessPostAuth(P.EnrichedRequest(request=P.PluginRequest(body=body)))
            assert json.loads(resp.body)["messages"] == [{"role": "system", "content": "Packaged."}]
        finally:
            assert proc.stop() == 0
        records = proc.log_records()
        assert any("plugin enricher loaded on the inprocess tier" in r["@message"] for r in records)
    unpacked = list((tmp_path / "packaged").iterdir())
    assert len(unpacked) == 1 and (unpacked[0] / "request_enricher" / "plugin-manifest.json").is_file()
    assert (unpacked[0] / "policy.json").is_file()


def test_the_packaged_file_refuses_to_run_by_hand(tmp_path: Path, inprocess_policy: Path) -> None:
    exe = _package(tmp_path, "--policy", str(inprocess_policy), "--no-build")
    env = {k: v for k, v in os.environ.items() if k != "AI_STUDIO_PLUGIN"}
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 1 and r.stdout == "" and "not meant to be run by hand" in r.stderr


def test_packaging_builds_the_component_for_the_wasm_tier(tmp_path: Path) -> None:
    exe = _package(tmp_path)
    env = {**os.environ, "GPS_PACKAGED_DIR": str(tmp_path / "packaged"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = PluginProcess([str(exe)], env=env, socket_dir=str(tmp_path), start_timeout_s=60).start()
    try:
        assert proc.plugin_service().Initialize(P.InitRequest(config={})).success
    finally:
        proc.stop()
    assert any("on the wasm tier" in r["@message"] for r in proc.log_records())


def test_a_bad_plugin_is_refused_at_packaging_time(tmp_path: Path) -> None:
    r = subprocess.run([*RUNTIME, "package", str(REPO / "tests" / "plugins" / "bad_manifest"), "-o",
                        str(tmp_path / "x")], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and not (tmp_path / "x").exists()
    assert "MANIFEST_INVALID" in r.stdout + r.stderr
