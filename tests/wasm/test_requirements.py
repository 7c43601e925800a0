"""sandbox.requirements: pure-Python packages are resolved, pinned and bundled into the
component; a package without a pure-Python wheel fails the build naming it; the cache
key follows the requirement strings and what they resolve to.

Resolving asks the package index (through pip) when no resolution is cached, so the
tests that resolve need network access on a cold cache. The tests about the key seed
the resolution cache themselves and never run pip.
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import runtime.build as build
from runtime import Runtime, RuntimeConfig
from runtime.build import (PURE_WHEEL_OPTIONS, BuildResult, LockedWheel, build_plugin,
                           install_requirements, plugin_key, resolve_requirements)
from runtime.errors import LoadError

pytestmark = pytest.mark.slow

MISTUNE = "mistune>=3,<4"

#: A plugin that imports its requirement lazily, inside the hook: the build must have
#: imported it already (a componentize-py guest only has what was imported at build time).
LAZY_PLUGIN = '''\
"""Uses mistune, imported inside the hook."""

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class UsesMistune(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("uses-mistune", "1.0.0", "Renders Markdown with a bundled package")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        import mistune

        return PluginResponse(modified=True, headers={
            "x-version": mistune.__version__, "x-file": mistune.__file__ or "",
            "x-html": mistune.html("**bundled**").strip()})


def create_plugin() -> UsesMistune:
    return UsesMistune()
'''


def _plugin(root: Path, requirements: list[str] | None) -> Path:
    """The lazy plugin in ``root`` with these ``sandbox.requirements`` (None: no key)."""
    root.mkdir(parents=True, exist_ok=True)
    sandbox: dict[str, Any] = {"entry": "plugin:create_plugin"}
    if requirements is not None:
        sandbox["requirements"] = requirements
    (root / "plugin-manifest.json").write_text(json.dumps({
        "id": "com.example.tests.uses-mistune", "version": "1.0.0", "name": "Uses mistune",
        "capabilities": {"hooks": ["post_auth"]}, "permissions": {"services": []},
        "sandbox": sandbox}))
    (root / "plugin.py").write_text(LAZY_PLUGIN)
    return root


def _seed_lock(cache: Path, requirements: list[str], wheels: list[LockedWheel], resolved_at: float) -> None:
    """Write the resolution cache entry resolve_requirements would have written."""
    path = build._lock_path(cache, requirements)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"requirements": requirements, "resolved_at": resolved_at,
                                "target": list(PURE_WHEEL_OPTIONS),
                                "wheels": [w.__dict__ for w in wheels]}))


def _no_pip(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"pip ran although the resolution is cached: {args!r}")


WHEEL_A = LockedWheel("mistune", "3.4.0", "a" * 64, "mistune-3.4.0-py3-none-any.whl")
WHEEL_B = LockedWheel("mistune", "3.4.1", "b" * 64, "mistune-3.4.1-py3-none-any.whl")


# -- bundling (needs the package index on a cold cache) ----------------------------------------
@pytest.fixture(scope="module")
def lazy_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _plugin(tmp_path_factory.mktemp("lazy") / "uses_mistune", [MISTUNE])


@pytest.fixture(scope="module")
def mistune_build(lazy_plugin: Path, wasm_cache_dir: Path) -> BuildResult:
    """The lazy plugin built with its requirement (the key does not depend on the folder,
    so later runs find it in the shared cache)."""
    return build_plugin(lazy_plugin, cache_dir=wasm_cache_dir)


def test_the_requirement_is_pinned_to_a_pure_python_wheel(mistune_build: BuildResult) -> None:
    assert len(mistune_build.wheels) == 1 and mistune_build.wheels[0].startswith("mistune==3.")
    meta = json.loads((mistune_build.wasm_path.parent / "build.json").read_text())
    assert meta["requirements"] == [MISTUNE]
    (wheel,) = meta["wheels"]
    assert wheel["filename"].endswith("-py3-none-any.whl") and len(wheel["sha256"]) == 64
    assert f"{wheel['name']}=={wheel['version']}" == mistune_build.wheels[0]


def test_the_dependency_is_importable_in_the_guest(lazy_plugin: Path, mistune_build: BuildResult,
                                                   wasm_cache_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPS_CACHE_DIR", str(wasm_cache_dir))
    monkeypatch.setattr(subprocess, "run", _no_pip)  # built and resolved already: no pip, no build
    with Runtime(RuntimeConfig(tier="wasm", ephemeral=True, runtime="gateway")) as rt:
        host = rt.load(lazy_plugin)
        answer = rt.call("uses_mistune", "process_post_auth", {"app_id": "5"})
        loaded = host.backend.build_result("uses_mistune")  # type: ignore[attr-defined]
    assert loaded is not None and loaded.key == mistune_build.key and loaded.cached
    headers = answer["headers"]
    assert f"mistune=={headers['x-version']}" == mistune_build.wheels[0]
    assert headers["x-html"] == "<p><strong>bundled</strong></p>"
    assert headers["x-file"].endswith("/mistune/__init__.py")
    assert "/_plugin/" not in headers["x-file"]  # next to guest_sdk, not inside the plugin


def test_install_requirements_gives_the_host_the_same_wheels(lazy_plugin: Path, mistune_build: BuildResult,
                                                             wasm_cache_dir: Path, tmp_path: Path) -> None:
    assert install_requirements(lazy_plugin, tmp_path / "site", cache_dir=wasm_cache_dir) == ["mistune"]
    (info,) = (tmp_path / "site").glob("mistune-*.dist-info")
    assert info.name == mistune_build.wheels[0].replace("==", "-") + ".dist-info"
    assert (tmp_path / "site" / "mistune" / "__init__.py").is_file()
    assert not list((tmp_path / "site").rglob("*.pyc"))  # --no-compile
    assert install_requirements(_plugin(tmp_path / "none", None), tmp_path / "empty") == []


# -- packages that cannot run in the sandbox ---------------------------------------------------
@pytest.mark.parametrize("package", ["orjson", "orjson>=3"])
def test_a_native_package_fails_the_build_naming_it(tmp_path: Path, package: str) -> None:
    """orjson publishes native wheels and an sdist only: no wheel qualifies for the guest."""
    plugin = _plugin(tmp_path / "native", [package])
    with pytest.raises(LoadError) as info:
        build_plugin(plugin, cache_dir=tmp_path / "cache")
    err = info.value
    assert err.code == "LOAD_FAILED" and err.plugin == "com.example.tests.uses-mistune"
    assert "'orjson'" in err.message and "pure-Python" in err.message
    assert "native" in err.message and str(plugin / "plugin-manifest.json") in err.message
    assert not [p for p in (tmp_path / "cache").glob("*") if p.name != "requirements"]  # nothing built
    assert not list((tmp_path / "cache").glob("requirements/*.json"))  # nor a resolution cached


def test_a_native_dependency_is_named_with_its_requirement(monkeypatch: pytest.MonkeyPatch) -> None:
    pip_output = ("ERROR: Could not find a version that satisfies the requirement orjson>=3 "
                  "(from fancy-json) (from versions: none)\nERROR: No matching distribution found for orjson>=3\n")
    message = build._pip_failure(pip_output, ["fancy-json"])
    assert "'orjson' (orjson>=3)" in message and "dependency of 'fancy-json'" in message


@pytest.mark.parametrize(("requirement", "mention"), [
    ("--index-url=https://elsewhere.example/simple", "not a requirement"),
    ("-r other.txt", "not a requirement"),
    ("", "not a requirement"),
    ("mistune >= = 3", "not a valid PEP 508 requirement"),
])
def test_malformed_requirements_never_reach_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                requirement: str, mention: str) -> None:
    monkeypatch.setattr(subprocess, "run", _no_pip)
    with pytest.raises(LoadError) as info:
        plugin_key(_plugin(tmp_path / "bad", [requirement]), cache_dir=tmp_path / "cache")
    assert mention in info.value.message and repr(requirement.strip()) in info.value.message


# -- the cache key -----------------------------------------------------------------------------
def test_key_changes_with_the_requirement_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    for reqs in ([MISTUNE], ["mistune>=3.0,<4"], ["mistune==3.4.0"]):
        _seed_lock(cache, reqs, [WHEEL_A], time.time())  # all three resolve to the same wheel
    monkeypatch.setattr(subprocess, "run", _no_pip)
    keys = {str(reqs): plugin_key(_plugin(tmp_path / f"p{i}", reqs), cache_dir=cache)
            for i, reqs in enumerate(([MISTUNE], ["mistune>=3.0,<4"], ["mistune==3.4.0"]))}
    assert len(set(keys.values())) == 3
    assert plugin_key(_plugin(tmp_path / "again", [MISTUNE]), cache_dir=cache) == keys[str([MISTUNE])]
    without = plugin_key(_plugin(tmp_path / "without", None), cache_dir=cache)
    assert without not in keys.values()
    assert plugin_key(_plugin(tmp_path / "empty", []), cache_dir=cache) == without


def test_key_changes_only_when_the_resolution_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    cache, plugin = tmp_path / "cache", _plugin(tmp_path / "p", [MISTUNE])
    _seed_lock(cache, [MISTUNE], [WHEEL_A], time.time())
    monkeypatch.setattr(subprocess, "run", _no_pip)
    first = plugin_key(plugin, cache_dir=cache)

    resolved: list[list[LockedWheel] | Exception] = []

    def resolve(requirements: list[str], plugin_id: str, where: str) -> list[LockedWheel]:
        answer = resolved.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(build, "_resolve", resolve)
    stale = time.time() - build.REQUIREMENTS_MAX_AGE - 60
    # the lock is stale: the index is asked again; an upstream release that does not change
    # what the requirement resolves to leaves the key alone
    _seed_lock(cache, [MISTUNE], [WHEEL_A], stale)
    resolved.append([WHEEL_A])
    assert plugin_key(plugin, cache_dir=cache) == first and not resolved
    # a fresh lock is reused without asking
    assert plugin_key(plugin, cache_dir=cache) == first
    # a release the requirement now resolves to changes the key
    _seed_lock(cache, [MISTUNE], [WHEEL_A], stale)
    resolved.append([WHEEL_B])
    second = plugin_key(plugin, cache_dir=cache)
    assert second != first
    assert resolve_requirements([MISTUNE], cache_dir=cache) == [WHEEL_B]
    # the index cannot be reached: a stale resolution is used, with a warning
    _seed_lock(cache, [MISTUNE], [WHEEL_B], stale)
    resolved.append(LoadError("the package index could not be reached"))
    caplog.set_level(logging.WARNING, logger="runtime.build")
    assert plugin_key(plugin, cache_dir=cache) == second
    assert any("could not be reached" in r.getMessage() for r in caplog.records)
    # ... but nothing cached and no index is an error
    resolved.append(LoadError("the package index could not be reached"))
    with pytest.raises(LoadError, match="could not be reached"):
        plugin_key(_plugin(tmp_path / "other", ["mistune==3.4.1"]), cache_dir=cache)
