"""The go-plugin bench rows: figures from the Go client where Go is installed, and a
row that says why where it is not (no figure is asserted on: timing goals live in
``runtime bench``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.cli.bench import _bridge_rows

IDS = ["post_auth/bridge/go", "post_auth/bridge/grpc_echo", "post_auth/bridge/wasm"]


def test_bridge_rows_have_figures(go_bin: Path) -> None:
    rows = _bridge_rows(30)
    assert [r.id for r in rows] == IDS + ["post_auth/bridge/wasm/vs_go"]
    for row in rows[:3]:
        assert row.kind == "latency" and row.n == 30 and row.median > 0 and row.p99 >= row.median
        assert "B protobuf" in row.note
    assert rows[3].goal == 2.0 and rows[3].median > 0


def test_bridge_rows_without_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "dpkg-query"
    fake.write_text("#!/bin/sh\nexit 1\n")  # nothing is installed
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    rows = _bridge_rows(10)
    assert [r.id for r in rows] == IDS
    for row in rows:
        assert row.kind == "unavailable" and row.median is None and row.n == 0
        assert "not measured" in row.note and "golang-go" in row.note
