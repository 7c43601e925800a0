"""Shared fixtures of the integration suite: the test plugins, runtimes and ``runtime call``.

Plain helpers (paths, ``call_args``, ``CliResult``) live in ``integration_helpers``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from integration_helpers import (FIXTURES_FILE, PLUGINS, REPO, RUNTIME_ENV, CliResult, RunCli,
                                 RuntimeFactory, parse_stdout)
from runtime import Runtime, RuntimeConfig
from runtime.cli.main import cli


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch,
                          tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test depends on (or writes to) the user's state dir or runtime variables."""
    for name in RUNTIME_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))


@pytest.fixture
def plugins_path() -> Path:
    """tests/plugins: one directory per test plugin."""
    return PLUGINS


@pytest.fixture
def fixtures_file() -> Path:
    """The look-up data (apps, LLMs) for the gateway/studio services."""
    return FIXTURES_FILE


@pytest.fixture
def run_cli() -> RunCli:
    """``run_cli(args, input=None, process=False, env=None) -> (exit_code, stdout_json_lines, stderr)``.

    ``args`` start with the subcommand (``integration_helpers.call_args`` builds them). By
    default the CLI runs in this process through click's CliRunner; ``process=True`` runs
    ``python -m runtime.cli.main`` in a real process.
    """

    def run(args: list[str], input: str | None = None, process: bool = False,
            env: dict[str, str] | None = None, timeout: float = 30) -> CliResult:
        if process:
            proc = subprocess.run([sys.executable, "-m", "runtime.cli.main", *args], input=input,
                                  capture_output=True, text=True, cwd=REPO, timeout=timeout,
                                  env={**os.environ, **(env or {})})
            return CliResult(proc.returncode, parse_stdout(proc.stdout), proc.stderr)
        root = logging.getLogger()
        saved_handlers, saved_level = root.handlers[:], root.level
        try:
            result = CliRunner().invoke(cli, args, input=input, env=env, catch_exceptions=False)
        finally:
            # `runtime call` configures the root logger of its process: undo that here.
            root.handlers[:] = saved_handlers
            root.setLevel(saved_level)
        return CliResult(result.exit_code, parse_stdout(result.stdout), result.stderr)

    return run


@pytest.fixture
def make_runtime() -> Iterator[RuntimeFactory]:
    """``make_runtime(**RuntimeConfig fields)``: an in-process, ephemeral gateway runtime
    with the test fixtures, closed at the end of the test."""
    made: list[Runtime] = []

    def make(**overrides: Any) -> Runtime:
        settings: dict[str, Any] = {"tier": "inprocess", "ephemeral": True, "runtime": "gateway",
                                    "fixtures": FIXTURES_FILE}
        settings.update(overrides)
        if "extra_grants" in settings:
            settings["extra_grants"] = frozenset(settings["extra_grants"])
        rt = Runtime(RuntimeConfig(**settings))
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


@pytest.fixture
def rt(make_runtime: RuntimeFactory) -> Runtime:
    """The default runtime of ``make_runtime``."""
    return make_runtime()
