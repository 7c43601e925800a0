"""Helpers of the tier-parity suite: cases, running a case on one tier, transcripts.

A :class:`Case` loads one or more plugins into a fresh runtime of one tier and runs its
:class:`Step` s. :func:`run_case` records everything a caller or an operator can observe
in a *transcript*: every answer (streams: the list of chunks), every error (class, code,
message, plugin, hook, op, ``where`` and traceback), every fail-policy answer, the events
the plugins published, the plugins' KV namespaces afterwards, their call statistics and
every line they logged (``print``, ``sys.stderr``, the log service, the tracebacks the
host logs). The suite runs each case on every tier and requires identical transcripts.

What :func:`normalize` may change before the comparison, and nothing else:

* file paths in tracebacks: a ``File "..."`` line keeps the file's name only (the
  in-process tier shows the host path, the wasm guest its own);
* the source lines and ``^~~`` markers under a traceback's ``File`` lines, which the
  wasm guest does not show (see test_parity.py's strict xfail for that difference);
* when the host's CPython is not the guest's (:data:`LIBRARY_LINES_DIFFER`), the line
  numbers of frames outside the plugin's files (the standard library's json/decoder.py
  is another file in CPython 3.11 than in 3.14), and of an error's ``where`` when it
  names such a file (see the strict xfail about ``where``);
* random ids (uuid4: event ids, subscription ids), numbered in order of appearance;
* only in cases that declare why (``Case.clock``): wall-clock readings (Unix times
  within :data:`CLOCK_WINDOW_S` of the run, ISO 8601 times and today's date), because
  the two tiers run a case at different moments;
* only in cases that declare why (``Case.unlogged``): the log lines are left out.
"""

from __future__ import annotations

import calendar
import dataclasses
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from host_abi.hooks import hook_by_name
from runtime import Runtime, RuntimeConfig
from runtime.build import GUEST_PYTHON_VERSION, PLUGIN_PACKAGE
from runtime.errors import PluginRuntimeError
from runtime.policy import Policy

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
PLUGINS = REPO / "tests" / "plugins"
FIXTURES_FILE = REPO / "tests" / "integration" / "fixtures.json"

#: Test plugins that are meant not to load: no parity run for them (the integration suite
#: covers their load errors on the in-process tier, which answers before any backend).
NOT_LOADABLE = {
    "bad_manifest": "its manifest is not valid JSON (MANIFEST_INVALID)",
    "missing_entry": "its entry module does not exist (MANIFEST_INVALID)",
    "requests_too_much": "it requests apps.write, which the default policy does not grant (POLICY_DENIED)",
}

#: Unix times this close to the run count as "now" in cases that read the wall clock.
CLOCK_WINDOW_S = 900


def example_dirs() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if (p / "plugin-manifest.json").is_file())


def loadable_test_plugins() -> list[Path]:
    """Every loadable test plugin (tests/plugins less :data:`NOT_LOADABLE`)."""
    return sorted(p for p in PLUGINS.iterdir()
                  if (p / "plugin-manifest.json").is_file() and p.name not in NOT_LOADABLE)


def trusted(policy: Policy) -> Policy:
    """``policy`` with every plugin it does not place marked trusted (the subinterpreter
    tier runs trusted plugins only; the parity plugins are the project's own)."""
    if policy.defaults.trust is not None:
        return policy
    return dataclasses.replace(policy, defaults=dataclasses.replace(policy.defaults, trust="trusted"))


def all_plugin_dirs() -> list[Path]:
    return example_dirs() + loadable_test_plugins()


def plugin_path(name: str) -> Path:
    """The directory of ``examples/<name>`` (an example) or ``<name>`` (a test plugin)."""
    path = EXAMPLES / name[len("examples/"):] if name.startswith("examples/") else PLUGINS / name
    if not (path / "plugin-manifest.json").is_file():
        raise LookupError(f"no example or test plugin {name!r}")
    return path


def plugin_name(directory: Path) -> str:
    """The inverse of :func:`plugin_path`."""
    return f"examples/{directory.name}" if directory.parent == EXAMPLES else directory.name


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Load:
    """A plugin to load: ``plugin`` is ``examples/<name>`` or a test plugin's name; its
    identity is ``name``, else the directory's name (as ``Runtime.load`` chooses it)."""

    plugin: str
    name: str | None = None
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        return self.name or self.plugin.rsplit("/", 1)[-1]

    @property
    def path(self) -> Path:
        return plugin_path(self.plugin)


@dataclass(frozen=True)
class Step:
    """One thing done to a loaded plugin.

    ``mode``: ``call`` (``Runtime.call``), ``stream`` (``Runtime.stream``), ``fail``
    (``call_or_fail_answer``), ``stream_fail`` (``stream(apply_fail_policy=True)``),
    ``wait_kv`` (wait until ``request["key"]`` exists in the plugin's KV: for hooks the
    runtime fires on its own thread), ``wait_events`` (until the event bus is idle) or
    ``wait_session`` (until the ``on_session_ready`` that ``open_session`` fired has run).
    """

    hook: str
    request: dict[str, Any] = field(default_factory=dict)
    plugin: str | None = None
    mode: str = "call"
    timeout_ms: int | None = None
    #: The exact answer every tier must give (JSON-text fields of ``json_fields`` parsed).
    expect: Any = None
    json_fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Case:
    id: str
    loads: tuple[Load, ...]
    steps: tuple[Step, ...]
    runtime: str = "gateway"
    grants: tuple[str, ...] = ()
    #: An operator policy (JSON document), or None for the built-in one.
    policy: dict[str, Any] | None = None
    #: Why this case's answers contain wall-clock readings ("" when they do not).
    clock: str = ""
    #: Why the plugins' log lines cannot be compared in this case ("" when they can).
    unlogged: str = ""

    @property
    def plugins(self) -> set[str]:
        return {load.plugin for load in self.loads}


def call(hook: str, request: dict[str, Any] | None = None, **kw: Any) -> Step:
    spec = hook_by_name(hook)
    mode = kw.pop("mode", "stream" if spec is not None and spec.streaming else "call")
    return Step(hook, request or {}, mode=mode, **kw)


def fail(hook: str, request: dict[str, Any] | None = None, **kw: Any) -> Step:
    spec = hook_by_name(hook)
    return Step(hook, request or {}, mode="stream_fail" if spec is not None and spec.streaming else "fail", **kw)


def wait_kv(key: str, plugin: str | None = None) -> Step:
    return Step("(wait)", {"key": key}, plugin=plugin, mode="wait_kv")


WAIT_EVENTS = Step("(wait)", mode="wait_events")
#: Until ``on_session_ready``, which ``open_session`` fires on a thread of its own, has run.
WAIT_SESSION = Step("(wait)", mode="wait_session")


# --------------------------------------------------------------------------- running


class _Recorder(logging.Handler):
    """Keeps the records of the ``plugin.*`` loggers: what the plugins logged."""

    def __init__(self) -> None:
        super().__init__(level=1)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def error_doc(exc: PluginRuntimeError) -> dict[str, Any]:
    return {"class": type(exc).__name__, "code": exc.code, "message": exc.message,
            "plugin": exc.plugin, "hook": exc.hook, "op": exc.op, "where": exc.where,
            "traceback": exc.traceback}


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def _run_step(rt: Runtime, case: Case, step: Step) -> dict[str, Any]:
    plugin = step.plugin or case.loads[0].identity
    entry: dict[str, Any] = {"plugin": plugin, "hook": step.hook, "mode": step.mode}
    if step.mode == "wait_kv":
        key = step.request["key"]
        entry["found"] = _wait(lambda: rt.kv.read(plugin, key) is not None)
        return entry
    if step.mode == "wait_events":
        entry["idle"] = rt.bus.wait_idle(10)
        return entry
    if step.mode == "wait_session":
        name = f"session-ready-{plugin}"
        entry["done"] = _wait(lambda: not any(t.name == name and t.is_alive() for t in threading.enumerate()))
        return entry
    try:
        if step.mode == "call":
            entry["answer"] = rt.call(plugin, step.hook, step.request, timeout_ms=step.timeout_ms)
        elif step.mode == "fail":
            answer, error = rt.call_or_fail_answer(plugin, step.hook, step.request, timeout_ms=step.timeout_ms)
            entry["answer"] = answer
            entry["error"] = error_doc(error) if error is not None else None
        elif step.mode in ("stream", "stream_fail"):
            chunks: list[Any] = []
            entry["chunks"] = chunks
            for chunk in rt.stream(plugin, step.hook, step.request, timeout_ms=step.timeout_ms,
                                   apply_fail_policy=step.mode == "stream_fail"):
                chunks.append(chunk)
        else:
            raise ValueError(f"unknown step mode {step.mode!r}")
    except PluginRuntimeError as exc:
        entry["error"] = error_doc(exc)
    return entry


def run_case(case: Case, tier: str) -> dict[str, Any]:
    """Run ``case`` in a fresh ephemeral runtime of ``tier``; the raw transcript."""
    recorder = _Recorder()
    plugin_logger = logging.getLogger("plugin")
    saved_level = plugin_logger.level
    plugin_logger.setLevel(1)
    plugin_logger.addHandler(recorder)
    transcript: dict[str, Any] = {"loads": [], "steps": [], "published": []}
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="gps-parity-") as tmp:
        policy: Path | None = None
        if case.policy is not None:
            policy = Path(tmp) / "policy.json"
            policy.write_text(json.dumps(case.policy), encoding="utf-8")
        rt = Runtime(RuntimeConfig(tier=tier, ephemeral=True, runtime=case.runtime, policy=policy,
                                   fixtures=FIXTURES_FILE, extra_grants=frozenset(case.grants)))
        real_publish = rt.bus.publish

        def publish(plugin: str, topic: str, payload: bytes, direction: int) -> Any:
            event = real_publish(plugin, topic, payload, direction)
            transcript["published"].append({"id": event.id, "origin": event.origin, "topic": topic,
                                            "payload": payload.decode("latin-1"), "direction": event.direction})
            return event

        rt.bus.publish = publish  # type: ignore[method-assign]
        try:
            loaded: list[str] = []
            for load in case.loads:
                try:
                    host = rt.load(load.path, name=load.name, config=load.config)
                    transcript["loads"].append({"plugin": load.identity, "tier": host.settings.tier,
                                                "info": _info(host)})
                    loaded.append(load.identity)
                except PluginRuntimeError as exc:
                    transcript["loads"].append({"plugin": load.identity, "error": error_doc(exc)})
            if len(loaded) == len(case.loads):
                for step in case.steps:
                    transcript["steps"].append(_run_step(rt, case, step))
            rt.bus.wait_idle(10)
            transcript["kv"] = {name: {key: (rt.kv.read(name, key) or b"").decode("latin-1")
                                       for key in rt.kv.list(name, "", 100_000)} for name in loaded}
            transcript["statistics"] = {}
            for name in loaded:
                stats = rt.plugin(name).statistics()
                # instances and abandoned threads are how a tier keeps going, not what it answers
                transcript["statistics"][name] = {"calls": stats.calls, "errors": stats.errors,
                                                  "fail_policy_answers": stats.fail_policy_answers,
                                                  "deadlines": stats.deadlines}
        finally:
            rt.close()
            plugin_logger.removeHandler(recorder)
            plugin_logger.setLevel(saved_level)
    transcript["logs"] = _logs(recorder.records)
    transcript["_clock"] = [started, time.time()]
    return transcript


def _info(host: Any) -> dict[str, Any]:
    info = host.info
    return {"abi": info.abi, "sdk": info.sdk, "name": info.name, "version": info.version,
            "capabilities": list(info.capabilities), "hooks": sorted(info.hooks)}


def _logs(records: list[logging.LogRecord]) -> dict[str, list[list[Any]]]:
    """Log lines per logger and hook, in order (events arrive on another thread, so only
    the order within one logger and hook is fixed)."""
    groups: dict[str, list[list[Any]]] = {}
    for r in records:
        args = r.args if isinstance(r.args, tuple) else ()
        message = str(args[2]) if len(args) == 4 else r.getMessage()  # PluginLogger: [plugin hook] msg kv
        hook = str(getattr(r, "hook", ""))
        groups.setdefault(f"{r.name} {hook}".strip(), []).append(
            [r.levelname, message, dict(getattr(r, "plugin_fields", {}) or {})])
    return groups


# --------------------------------------------------------------------------- normalizing

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_FILE_LINE = re.compile(r'^(\s*)File "([^"]*)", line (\d+)(.*)$')
_UNIX_TIME = re.compile(r"(?<![\d.])1\d{9}(?:\.\d+)?(?![\d.])")
_ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def strip_traceback_source(lines: list[str], library_line: Callable[[str, str], str] | None = None) -> list[str]:
    """``lines`` without the source lines and ``^~~`` markers under ``File`` lines, and with
    each ``File`` line's path cut to the file's name (``library_line(path, line)`` may
    replace the line number)."""
    out: list[str] = []
    in_frame = False
    for line in lines:
        m = _FILE_LINE.match(line)
        if m:
            number = library_line(m.group(2), m.group(3)) if library_line else m.group(3)
            out.append(f'{m.group(1)}File "{os.path.basename(m.group(2))}", line {number}{m.group(4)}')
            in_frame = True
        elif in_frame and line.startswith("    "):
            continue  # a source line or its markers
        else:
            in_frame = False
            out.append(line)
    return out


#: The guest runs CPython GUEST_PYTHON_VERSION; when the host runs another version, frames in
#: the standard library (or any code outside the plugin) have other line numbers.
LIBRARY_LINES_DIFFER = f"{sys.version_info[0]}.{sys.version_info[1]}" != GUEST_PYTHON_VERSION
_PLACE = re.compile(r"(?<![\w/.-])([\w.-]+\.py):(\d+)\b")


class Normalizer:
    """Applies the module's rules to one transcript (ids are numbered per transcript)."""

    def __init__(self, clock: bool, window: tuple[float, float], plugin_dirs: list[Path]) -> None:
        self.clock = clock
        self.low, self.high = window[0] - CLOCK_WINDOW_S, window[1] + CLOCK_WINDOW_S
        self.days = {time.strftime("%Y-%m-%d", time.gmtime(t)) for t in window}
        self.ids: dict[str, str] = {}
        self.roots = tuple(str(d) + os.sep for d in plugin_dirs) + (f"/{PLUGIN_PACKAGE}/",)
        self.plugin_files = {p.name for d in plugin_dirs for p in d.rglob("*.py")}

    def _library_line(self, path: str, line: str) -> str:
        """A frame outside the plugin's files keeps its line only when host and guest run the
        same CPython (the in-process frame has the host path, the guest's is under /_plugin/)."""
        plugin = path.startswith(self.roots) or f"/{PLUGIN_PACKAGE}/" in path
        return line if plugin or not LIBRARY_LINES_DIFFER else "<library line>"

    def _place(self, m: re.Match[str]) -> str:
        """``file.py:N`` (an error's ``where``): the line of a file that is not the plugin's is
        masked like a library frame's."""
        if m.group(1) in self.plugin_files or not LIBRARY_LINES_DIFFER:
            return m.group(0)
        return f"{m.group(1)}:<library line>"

    def _id(self, m: re.Match[str]) -> str:
        return self.ids.setdefault(m.group(0), f"<id-{len(self.ids) + 1}>")

    def _unix(self, m: re.Match[str]) -> str:
        return "<now>" if self.low <= float(m.group(0)) <= self.high else m.group(0)

    def _iso(self, m: re.Match[str]) -> str:
        try:
            stamp = calendar.timegm(time.strptime(m.group(0)[:19], "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            return m.group(0)
        return "<now-iso>" if self.low <= stamp <= self.high else m.group(0)

    def text(self, value: str) -> str:
        value = _UUID.sub(self._id, value)
        if 'File "' in value:
            value = "\n".join(strip_traceback_source(value.split("\n"), self._library_line))
        if ".py:" in value:
            value = _PLACE.sub(self._place, value)
        if self.clock:
            value = _ISO_TIME.sub(self._iso, value)
            value = _UNIX_TIME.sub(self._unix, value)
            value = _DATE.sub(lambda m: "<today>" if m.group(0) in self.days else m.group(0), value)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, (int, float)):
            if self.clock and self.low <= value <= self.high:
                return "<now>"
            return value
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, tuple):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(v) for k, v in value.items()}
        return value

    def logs(self, groups: dict[str, list[list[Any]]]) -> dict[str, list[list[Any]]]:
        """Log lines: a traceback printed line by line loses its source lines too."""
        out: dict[str, list[list[Any]]] = {}
        for name, records in groups.items():
            kept: list[list[Any]] = []
            in_frame = False
            for level, message, fields in records:
                if _FILE_LINE.match(message):
                    in_frame = True
                elif in_frame and message.startswith("    ") and "\n" not in message:
                    continue
                else:
                    in_frame = False
                kept.append([level, self.text(message), self.value(fields)])
            out[name] = kept
        return out


def normalize(transcript: dict[str, Any], case: Case) -> dict[str, Any]:
    """The transcript as compared across tiers (see the module's documentation)."""
    n = Normalizer(bool(case.clock), tuple(transcript["_clock"]),  # type: ignore[arg-type]
                   [load.path for load in case.loads])
    out = {k: n.value(v) for k, v in transcript.items() if k not in ("logs", "_clock")}
    out["logs"] = n.logs(transcript["logs"]) if not case.unlogged else f"not compared: {case.unlogged}"
    for load in out["loads"]:
        load.pop("tier", None)
    return out


def differences(a: Any, b: Any, path: str = "$", limit: int = 20) -> list[str]:
    """Where ``a`` and ``b`` differ, as readable lines (at most ``limit``)."""
    found: list[str] = []

    def walk(x: Any, y: Any, p: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y), key=str):
                if k not in x or k not in y:
                    found.append(f"{p}.{k}: {'missing' if k not in x else repr(x[k])[:300]} != "
                                 f"{'missing' if k not in y else repr(y[k])[:300]}")
                else:
                    walk(x[k], y[k], f"{p}.{k}")
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f"{p}[{i}]")
        elif x != y:
            found.append(f"{p}: {repr(x)[:600]} != {repr(y)[:600]}")

    walk(a, b, path)
    return found
