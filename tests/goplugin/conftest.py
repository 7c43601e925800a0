"""Fixtures of the go-plugin tests: our Go binaries (built by scripts/setup-go.sh, which
installs Debian's Go toolchain and go-plugin as root when they are missing) and plugin
directories that run the Go plugin on the process tier."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
GO_HOOKS = ["pre_auth", "post_auth", "on_response", "custom_endpoint"]


@pytest.fixture(scope="session")
def go_bin() -> Path:
    """The directory holding ``goplugin`` and ``gohost`` (a failure here fails the test:
    these tests are not skipped where Go is missing)."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "setup-go.sh"), "--bin-dir"],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        pytest.fail(f"scripts/setup-go.sh failed ({done.returncode}):\n{done.stderr[-3000:]}")
    path = Path(done.stdout.strip().splitlines()[-1])
    assert (path / "goplugin").is_file() and (path / "gohost").is_file()
    return path


@pytest.fixture
def make_go_plugin(tmp_path: Path, go_bin: Path) -> Callable[..., Path]:
    """A plugin directory whose manifest runs our Go plugin (``sandbox.command``)."""

    def make(name: str = "goplugin", *, services: list[str] | None = None,
             command: list[str] | None = None, **sandbox: Any) -> Path:
        directory = tmp_path / name
        directory.mkdir()
        manifest = {"id": f"com.example.{name}", "version": "1.0.0", "name": "Go test plugin",
                    "capabilities": {"hooks": GO_HOOKS},
                    "permissions": {"services": ["kv.readwrite"] if services is None else services},
                    "sandbox": {"command": command or [str(go_bin / "goplugin")], **sandbox}}
        (directory / "plugin-manifest.json").write_text(json.dumps(manifest))
        return directory

    return make
