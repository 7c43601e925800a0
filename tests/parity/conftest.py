"""Fixtures of the tier-parity suite.

* ``tier``: every parity test runs once per tier, ``inprocess``, ``wasm`` and
  ``subinterpreter``. The wasm param is skipped only when wasmtime or componentize-py
  cannot be imported, the subinterpreter param only where this Python has no
  subinterpreters. The subinterpreter tier runs only plugins the policy trusts: on that
  param every policy a runtime loads is marked trusted (``parity_helpers.trusted``).
* ``wasm_builds``: the first wasm test builds every example and loadable test plugin,
  two at a time, into the shared build cache (``$GPS_CACHE_DIR``, else
  ``<repo>/.cache/wasm``, as tests/wasm does); a warm cache only hashes the inputs.
  The time it took is printed at once and again in the terminal summary.
* ``host_requirements``: the in-process tier imports plugins in this interpreter, so the
  pure-Python requirements of plugins that declare some (``sandbox.requirements``) are
  installed, as the exact wheels the wasm build bundles, into a folder put on sys.path.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

from parity_helpers import REPO, all_plugin_dirs, trusted

MISSING = [m for m in ("wasmtime", "componentize_py") if importlib.util.find_spec(m) is None]

#: One param per tier (the anyio way): parity tests take the ``tier`` fixture.
TIERS = [
    pytest.param("inprocess", id="inprocess"),
    pytest.param("wasm", id="wasm", marks=pytest.mark.skipif(
        bool(MISSING), reason=f"the wasm tier needs {' and '.join(MISSING)} (install the 'wasm' extra)")),
    pytest.param("subinterpreter", id="subinterpreter", marks=pytest.mark.skipif(
        not (importlib.util.find_spec("_interpreters") or importlib.util.find_spec("_xxsubinterpreters")),
        reason="this Python has no subinterpreters")),
]

#: Parallel builds: componentize-py is CPU-bound and the reference machine has two cores.
BUILD_WORKERS = 2

_SUMMARY: list[str] = []


@pytest.fixture(scope="session")
def parity_cache_dir() -> Path:
    env = os.environ.get("GPS_CACHE_DIR")
    path = Path(env) if env else REPO / ".cache" / "wasm"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def wasm_builds(parity_cache_dir: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Build (or find cached) every plugin the suite runs on wasm; ``{dir name: BuildResult
    or the exception}``. Runtimes created during the session find them through
    ``$GPS_CACHE_DIR``."""
    from runtime.build import build_plugin

    patch = pytest.MonkeyPatch()
    patch.setenv("GPS_CACHE_DIR", str(parity_cache_dir))
    dirs = all_plugin_dirs()
    times: dict[str, float] = {}

    def build(directory: Path) -> Any:
        started = time.perf_counter()
        try:
            return build_plugin(directory, cache_dir=parity_cache_dir)
        except Exception as exc:  # reported by the tests that load it
            return exc
        finally:
            times[directory.name] = time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(BUILD_WORKERS, thread_name_prefix="parity-build") as pool:
        results = dict(zip((d.name for d in dirs), pool.map(build, dirs)))
    took = time.perf_counter() - started
    built = sorted(name for name, r in results.items() if not isinstance(r, Exception) and not r.cached)
    failed = sorted(name for name, r in results.items() if isinstance(r, Exception))
    line = (f"parity: {len(dirs)} plugins ready for wasm in {took:.1f} s with {BUILD_WORKERS} workers "
            f"({len(built)} built, {len(dirs) - len(built) - len(failed)} cached, {len(failed)} failed"
            + (f"; slowest build {max(times.values()):.1f} s" if built else "") + ")")
    _SUMMARY.append(line)
    _SUMMARY.extend(f"parity: build of {name} failed: {results[name]}" for name in failed)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\n{line}", flush=True)
    try:
        yield results
    finally:
        patch.undo()


@pytest.fixture(params=TIERS)
def tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The tier a parity test runs on."""
    if request.param == "wasm":
        request.getfixturevalue("wasm_builds")
    if request.param == "subinterpreter":
        import runtime.api

        real_load = runtime.api.load_policy
        monkeypatch.setattr(runtime.api, "load_policy", lambda path: trusted(real_load(path)))
    return str(request.param)


@pytest.fixture(scope="session", autouse=True)
def host_requirements(parity_cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """The requirements of every plugin, importable in this interpreter (see the module doc)."""
    import json

    from runtime.build import install_requirements

    target = tmp_path_factory.mktemp("parity-site")
    modules: list[str] = []
    for directory in all_plugin_dirs():
        manifest = json.loads((directory / "plugin-manifest.json").read_text(encoding="utf-8"))
        if manifest.get("sandbox", {}).get("requirements"):
            modules += install_requirements(directory, target, cache_dir=parity_cache_dir)
    sys.path.insert(0, str(target))
    try:
        yield modules
    finally:
        sys.path.remove(str(target))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _SUMMARY:
        terminalreporter.write_line(line)
