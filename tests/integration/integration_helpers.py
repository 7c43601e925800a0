"""Helpers of the integration suite (plain functions; the fixtures are in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, NamedTuple

from runtime import Runtime

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


#: ``run_cli(args, input=None, process=False, env=None) -> CliResult`` (the fixture's type).
RunCli = Callable[..., CliResult]
#: ``make_runtime(**RuntimeConfig fields) -> Runtime`` (the fixture's type).
RuntimeFactory = Callable[..., Runtime]
