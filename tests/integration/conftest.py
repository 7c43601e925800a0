"""Shared fixtures of the integration suite: the test plugins, runtimes and ``runtime call``."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import pytest
from click.testing import CliRunner

from runtime import Runtime, RuntimeConfig
from runtime.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "tests" / "plugins"
FIXTURES_FILE = Path(__file__).resolve().parent / "fixtures.json"

#: Environment variables the runtime reads to detect studio/gateway.
RUNTIME_ENV = ("PLUGIN_RUNTIME", "GATEWAY_MODE", "MICROGATEWAY_MODE")


def plugin_dir(name: str) -> Path:
    """The directory of the test plugin ``name`` (under tests/plugins)."""
    path = PLUGINS / name
    assert (path / "plugin-manifest.json").is_file(), f"no test plugin {name}"
    return path


def plugin_line(name: str, marker: str) -> int:
    """The 1-based line of ``tests/plugins/<name>/plugin.py`` that contains ``marker``."""
    lines = (PLUGINS / name / "plugin.py").read_text(encoding="utf-8").splitlines()
    found = [i for i, line in enumerate(lines, 1) if marker in line]
    assert len(found) == 1, f"{marker!r} occurs {len(found)} times in {name}/plugin.py"
    return found[0]


class CliResult(NamedTuple):
    """What one ``runtime call`` run gave: exit code, stdout parsed line by line, stderr."""

    exit_code: int
    lines: list[Any]
    stderr: str

    @property
    def doc(self) -> Any:
        """The one JSON document a unary call prints."""
        assert len(self.lines) == 1, f"expected exactly one JSON line, got {self.lines!r}"
        return self.lines[0]

    @property
    def error(self) -> dict[str, Any]:
        """The ``error`` object of a failed call (and checks its shape)."""
        doc = self.doc
        assert set(doc) == {"error"}, doc
        err = doc["error"]
        assert {"code", "message", "plugin", "hook"} <= set(err), err
        return err


def parse_stdout(text: str) -> list[Any]:
    """Every stdout line as JSON; fails on a line that is not one JSON document."""
    docs = []
    for line in text.splitlines():
        assert line.strip(), f"blank line on stdout: {text!r}"
        docs.append(json.loads(line))
    return docs


def call_args(plugin: str | Path, hook: str, *extra: str, tier: str | None = "inprocess",
              ephemeral: bool = True) -> list[str]:
    """Arguments of ``runtime call`` for a test plugin (``--tier inprocess --ephemeral``)."""
    path = plugin if isinstance(plugin, Path) else plugin_dir(plugin)
    args = ["call", str(path), "--hook", hook]
    if tier is not None:
        args += ["--tier", tier]
    if ephemeral:
        args.append("--ephemeral")
    return args + list(extra)


RunCli = Callable[..., CliResult]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test depends on (or writes to) the user's state dir or runtime variables."""
    for name in RUNTIME_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))


@pytest.fixture
def run_cli() -> RunCli:
    """``run_cli(args, input=None, process=False) -> (exit_code, stdout_json_lines, stderr)``.

    ``args`` start with the subcommand (``call_args`` builds them). By default the CLI runs
    in this process through click's CliRunner; ``process=True`` runs
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
            # `runtime call` configures the root logger for its own process.
            root.handlers[:] = saved_handlers
            root.setLevel(saved_level)
        return CliResult(result.exit_code, parse_stdout(result.stdout), result.stderr)

    return run


RuntimeFactory = Callable[..., Runtime]


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
    """The default runtime of :func:`make_runtime`."""
    return make_runtime()
