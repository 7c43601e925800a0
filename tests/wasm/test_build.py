"""runtime.build: components are built once per set of inputs, cached, and refused when
they cannot run in the sandbox (native extensions, requirements, failing imports)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runtime.build import (APP_MODULE, BuildResult, EngineSettings, build_plugin, default_cache_dir,
                           generate_app, plugin_key, wit_names)
from runtime.errors import LoadError
from wasm_helpers import ENRICHER, IMPORT_FAILS

pytestmark = pytest.mark.slow


def _no_subprocess(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"a cached build ran a process: {args!r}")


def test_build_produces_component_and_compiled_artifact(enricher_build: BuildResult) -> None:
    r = enricher_build
    assert r.wasm_path.is_file() and r.wasm_path.stat().st_size == r.wasm_size > 1_000_000
    assert r.cwasm_path.is_file() and r.cwasm_path.stat().st_size == r.cwasm_size > 1_000_000
    assert r.wasm_path.parent.name == r.key == plugin_key(ENRICHER)
    assert r.cwasm_path.name == f"{EngineSettings().tag()}.cwasm"
    assert r.wasm_path.read_bytes()[:4] == b"\0asm"
    if not r.cached:  # a cold cache: componentize-py and wasmtime both ran
        assert r.compiled
    meta = json.loads((r.wasm_path.parent / "build.json").read_text())
    assert meta["plugin_id"] == "com.example.request-enricher"
    assert "plugin.py" in meta["plugin_files"]
    assert "test_request_enricher.py" not in meta["plugin_files"]  # a plugin's tests stay out


def test_second_build_comes_from_the_cache(enricher_build: BuildResult, wasm_cache_dir: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "run", _no_subprocess)
    monkeypatch.setattr(subprocess, "Popen", _no_subprocess)
    stages: list[str] = []
    started = time.perf_counter()
    again = build_plugin(ENRICHER, cache_dir=wasm_cache_dir, progress=stages.append)
    took = time.perf_counter() - started
    assert again.cached and not again.compiled
    assert took < 1.0 and again.seconds < 1.0
    assert (again.wasm_path, again.cwasm_path, again.key) == (
        enricher_build.wasm_path, enricher_build.cwasm_path, enricher_build.key)
    assert not any("componentize" in s or "compiling" in s for s in stages)


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_key_covers_plugin_sources_not_tests_or_bytecode(tmp_path: Path) -> None:
    plugin = _copy(ENRICHER, tmp_path / "enricher")
    key = plugin_key(plugin)
    assert key == plugin_key(ENRICHER)  # the directory's location is not an input
    (plugin / "__pycache__").mkdir()
    (plugin / "__pycache__" / "plugin.cpython-311.pyc").write_bytes(b"junk")
    (plugin / "test_more.py").write_text("assert True\n")
    assert plugin_key(plugin) == key
    (plugin / "helpers.py").write_text("X = 1\n")
    assert plugin_key(plugin) != key


def test_native_extension_fails_the_build_naming_the_file(tmp_path: Path) -> None:
    plugin = _copy(ENRICHER, tmp_path / "enricher")
    (plugin / "lib").mkdir()
    (plugin / "lib" / "foo.so").write_bytes(b"\x7fELF")
    with pytest.raises(LoadError) as info:
        build_plugin(plugin, cache_dir=tmp_path / "cache")
    assert info.value.code == "LOAD_FAILED"
    assert "lib/foo.so" in info.value.message and "native" in info.value.message
    assert not (tmp_path / "cache").exists()  # refused before anything was built


def test_an_import_error_at_build_time_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        build_plugin(IMPORT_FAILS, cache_dir=tmp_path, compile=False)
    err = info.value
    assert err.code == "LOAD_FAILED"
    assert "RuntimeError: this plugin refuses to be imported" in err.message
    assert err.traceback is not None and 'File "plugin.py", line 7' in err.traceback
    assert not list(tmp_path.glob("*/plugin.wasm"))


def test_generated_app_binds_the_wit_export() -> None:
    source = generate_app("plugin", "create_plugin", "com.example.x")
    compile(source, f"{APP_MODULE}.py", "exec")
    assert "class Guest(exports.Guest)" in source and "host.call" in source
    assert "create_instance" in source and "install_output_capture" in source
    names = wit_names()
    assert names.guest_interface == "gateway-plugin:abi/guest@1.0.0"
    assert names.host_interface == "gateway-plugin:abi/host@1.0.0"


def test_cache_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GPS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "gateway-plugin-sandbox" / "wasm"
    monkeypatch.setenv("GPS_CACHE_DIR", str(tmp_path / "gps"))
    assert default_cache_dir() == tmp_path / "gps"


def test_engine_tag_follows_compilation_settings() -> None:
    base = EngineSettings()
    assert base.tag() == EngineSettings().tag()
    assert base.tag() != EngineSettings(epoch_interruption=False).tag()
    assert base.tag() != EngineSettings(memory_reservation=64 << 20).tag()


def test_cli_build_json(enricher_build: BuildResult, wasm_cache_dir: Path) -> None:
    from runtime.cli.build_cmd import build
    result = CliRunner().invoke(build, [str(ENRICHER), "--json", "--cache-dir", str(wasm_cache_dir)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    assert doc["key"] == enricher_build.key and doc["cached"] is True
    assert doc["wasm"] == str(enricher_build.wasm_path) and doc["wasm_size"] > 0


def test_cli_build_human(enricher_build: BuildResult, wasm_cache_dir: Path) -> None:
    from runtime.cli.build_cmd import build
    result = CliRunner().invoke(build, [str(ENRICHER), "--cache-dir", str(wasm_cache_dir)])
    assert result.exit_code == 0, result.output
    assert enricher_build.key in result.stdout and "cache" in result.stdout


def test_cli_build_error(tmp_path: Path) -> None:
    from runtime.cli.build_cmd import build
    plugin = _copy(ENRICHER, tmp_path / "enricher")
    (plugin / "native.pyd").write_bytes(b"MZ")
    result = CliRunner().invoke(build, [str(plugin), "--json", "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 1
    err = json.loads(result.stdout.strip().splitlines()[-1])["error"]
    assert err["code"] == "LOAD_FAILED" and "native.pyd" in err["message"]
