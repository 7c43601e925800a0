"""Hot reload: a new build replaces the old one while traffic flows, with no failed call;
a build that does not load leaves the old one serving and says why."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from runtime import Runtime, RuntimeConfig
from runtime.errors import ConfigError, LoadError, ManifestError, PluginRuntimeError
from runtime.policy import policy_from_dict

PLUGIN = '''
import time
from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse

VERSION = "{version}"


class Versioned(BasePlugin, PostAuthHandler):
    def __init__(self):
        super().__init__("versioned", VERSION, "Says its version")
        self.pause = 0.0

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.pause = float(config.get("pause_ms", "0")) / 1000

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        if self.pause:
            time.sleep(self.pause)
        return PluginResponse(modified=True, headers={{"x-version": VERSION}})


def create_plugin():
    return Versioned()
'''

MANIFEST = {
    "id": "com.example.tests.versioned", "version": "1.0.0", "name": "Versioned",
    "capabilities": {"hooks": ["post_auth"]}, "permissions": {"services": []},
    "sandbox": {"entry": "plugin:create_plugin", "config_schema": "config.schema.json",
                "limits": {"timeout_ms": 2000}},
}
SCHEMA = {"type": "object", "properties": {"pause_ms": {"type": "integer", "minimum": 0}},
          "additionalProperties": False}


def write_plugin(directory: Path, version: str, source: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "plugin-manifest.json").write_text(json.dumps(MANIFEST))
    (directory / "config.schema.json").write_text(json.dumps(SCHEMA))
    (directory / "plugin.py").write_text(source if source is not None else PLUGIN.format(version=version))
    return directory


REQUEST = {"request": {"method": "POST", "path": "/", "headers": {}, "body": ""}}


class Traffic:
    """Threads calling the plugin back to back until stopped; every answer is recorded."""

    def __init__(self, rt: Runtime, threads: int = 4, gap: float = 0.0) -> None:
        self.rt = rt
        self.gap = gap
        self.versions: list[str] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self._threads:
            t.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                answer = self.rt.call("versioned", "process_post_auth", REQUEST)
                with self._lock:
                    self.versions.append(answer["headers"]["x-version"])
            except PluginRuntimeError as exc:
                with self._lock:
                    self.failures.append(f"{exc.code}: {exc.message}")
            if self.gap:
                time.sleep(self.gap)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        start = len(self.versions)
        while len(self.versions) < start + count and time.monotonic() < end:
            time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)


def _runtime(tier: str) -> Runtime:
    policy = policy_from_dict({"version": 1, "defaults": {"limits": {"pool_size": 2}}})
    return Runtime(RuntimeConfig(tier=tier, ephemeral=True, policy=policy))


def _reload_under_traffic(tier: str, tmp_path: Path) -> None:
    directory = write_plugin(tmp_path / "versioned", "1")
    with _runtime(tier) as rt:
        rt.load(directory, config={"pause_ms": 3})
        traffic = Traffic(rt, gap=0.001 if tier == "wasm" else 0.0)
        try:
            traffic.wait_for(50)
            write_plugin(directory, "2")
            new = rt.reload("versioned")
            assert rt.plugin("versioned") is new
            traffic.wait_for(50)
        finally:
            traffic.stop()
        assert traffic.failures == [], traffic.failures[:5]
        seen = Counter(traffic.versions)
        assert seen["1"] >= 50 and seen["2"] >= 50, seen
        first_two = traffic.versions.index("2")
        # once the new build answered, the old one answered only calls already running
        assert traffic.versions[first_two:].count("1") <= 4, traffic.versions[first_two:][:20]
        assert rt.call("versioned", "process_post_auth", REQUEST)["headers"] == {"x-version": "2"}
        assert new.statistics().instances_created == 2  # the whole pool warmed before the switch


def test_reload_under_traffic_inprocess(tmp_path: Path) -> None:
    _reload_under_traffic("inprocess", tmp_path)


@pytest.mark.slow
def test_reload_under_traffic_wasm(tmp_path: Path) -> None:
    """The new component is built (seconds) while the old one keeps serving."""
    _reload_under_traffic("wasm", tmp_path)


@pytest.mark.parametrize("breakage", ["syntax", "factory", "config"])
def test_a_new_build_that_does_not_load_leaves_the_old_one_serving(tmp_path: Path, breakage: str) -> None:
    directory = write_plugin(tmp_path / "versioned", "1")
    with _runtime("inprocess") as rt:
        old = rt.load(directory)
        traffic = Traffic(rt, threads=2)
        try:
            traffic.wait_for(20)
            config: dict[str, Any] | None = None
            if breakage == "syntax":
                write_plugin(directory, "2", "def create_plugin(:\n")
            elif breakage == "factory":
                write_plugin(directory, "2", "def create_plugin():\n    raise RuntimeError('no')\n")
            else:
                write_plugin(directory, "2")
                config = {"pause_ms": -1}
            with pytest.raises((LoadError, ConfigError, ManifestError)) as info:
                rt.reload("versioned", config=config)
            assert info.value.plugin in ("versioned", None) or info.value.plugin.startswith("versioned")
            reason = str(info.value)
            assert {"syntax": "syntax error", "factory": "no", "config": "pause_ms"}[breakage] in reason, reason
            traffic.wait_for(20)
        finally:
            traffic.stop()
        assert traffic.failures == []
        assert set(traffic.versions) == {"1"}
        assert rt.plugin("versioned") is old


def test_reload_of_a_plugin_that_is_not_loaded(tmp_path: Path) -> None:
    with _runtime("inprocess") as rt:
        with pytest.raises(PluginRuntimeError) as info:
            rt.reload("nothing")
        assert info.value.code == "PLUGIN_NOT_FOUND"
