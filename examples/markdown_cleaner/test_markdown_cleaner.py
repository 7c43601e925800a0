"""The markdown_cleaner example: its requirement (mistune, from PyPI) bundled into the wasm
component, the same answers on the in-process and the wasm tier, and `runtime call`.

The in-process tier and the harness import the plugin in this interpreter, so the module
fixture installs the very wheels the wasm build bundles (``install_requirements``) and
puts them on ``sys.path``. Resolving them needs the package index on a cold cache.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from guest_sdk.testing import harness_for, response_write_request
from runtime import Runtime, RuntimeConfig
from runtime.build import install_requirements
from runtime.cli.main import cli

HERE = Path(__file__).parent
REPO = HERE.parents[1]
_MISSING = [m for m in ("wasmtime", "componentize_py") if importlib.util.find_spec(m) is None]
TIERS = [pytest.param("inprocess", id="inprocess"),
         pytest.param("wasm", id="wasm", marks=pytest.mark.skipif(
             bool(_MISSING), reason=f"the wasm tier needs {' and '.join(_MISSING)} (the 'wasm' extra)"))]

MARKDOWN = ("# Release notes\n\nVersion **2.1** adds *faster* search and a [changelog](https://example.com/log).\n\n"
            "1. Install it\n2. Run `tool --check`\n   - then restart\n\n```sh\ntool --version\n```")
PLAIN = ("Release notes\n\nVersion 2.1 adds faster search and a changelog (https://example.com/log).\n\n"
         "1. Install it\n2. Run tool --check\n  - then restart\n\ntool --version")


def _answer(*contents: str) -> bytes:
    return json.dumps({"id": "c1", "object": "chat.completion", "choices": [
        {"index": i, "message": {"role": "assistant", "content": c}} for i, c in enumerate(contents)]}).encode()


@pytest.fixture(scope="module")
def cache_dir() -> Path:
    env = os.environ.get("GPS_CACHE_DIR")
    return Path(env) if env else REPO / ".cache" / "wasm"


@pytest.fixture(scope="module", autouse=True)
def host_requirements(cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """The wheels the wasm build bundles, importable here too (in-process tier, harness)."""
    target = tmp_path_factory.mktemp("markdown-cleaner-site")
    modules = install_requirements(HERE, target, cache_dir=cache_dir)
    sys.path.insert(0, str(target))
    try:
        yield modules
    finally:
        sys.path.remove(str(target))


def test_the_requirement_is_mistune(host_requirements: list[str]) -> None:
    assert host_requirements == ["mistune"]


def test_markdown_becomes_plain_text() -> None:
    h = harness_for(HERE)
    resp = h.call("on_before_write", response_write_request(_answer(MARKDOWN, "Already plain."),
                                                            {"content-type": "application/json"}))
    assert resp.modified
    doc = json.loads(resp.body)
    assert [c["message"]["content"] for c in doc["choices"]] == [PLAIN, "Already plain."]
    assert resp.headers == {"content-type": "application/json", "content-length": str(len(resp.body)),
                            "x-markdown-cleaned": "1"}


def test_links_dropped_and_marker_renamed() -> None:
    h = harness_for(HERE, config={"keep_links": False, "marker_header": "x-plain"})
    resp = h.call("on_before_write", response_write_request(_answer("See [the docs](https://d.example)<br>now.")))
    assert json.loads(resp.body)["choices"][0]["message"]["content"] == "See the docs\nnow."
    assert resp.headers["x-plain"] == "1"


def test_other_bodies_pass_untouched() -> None:
    h = harness_for(HERE)
    for body in (b"", b"not json", _answer("nothing to clean"), b'{"error": "x"}'):
        assert not h.call("on_before_write", response_write_request(body)).modified
    chunk = response_write_request(_answer("**bold**"))
    chunk.is_stream_chunk = True
    assert not h.call("on_before_write", chunk).modified
    assert not h.call("on_before_write_headers").modified


@pytest.mark.parametrize("tier", TIERS)
def test_both_tiers_give_the_same_answer(tier: str, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPS_CACHE_DIR", str(cache_dir))
    request = {"body": _answer(MARKDOWN).decode("latin-1"), "headers": {"content-type": "application/json"}}
    with Runtime(RuntimeConfig(tier=tier, ephemeral=True, runtime="gateway")) as rt:
        host = rt.load(HERE, config={"marker_header": "x-cleaned"})
        answer = rt.call("markdown_cleaner", "on_before_write", request)
        if tier == "wasm":  # the component carries the pinned wheel
            build = host.backend.build_result("markdown_cleaner")  # type: ignore[attr-defined]
            assert build is not None and len(build.wheels) == 1
            assert build.wheels[0].startswith("mistune==3.")
    body = _answer(PLAIN)
    expected: dict[str, Any] = {"modified": True, "body": body.decode("latin-1"), "headers": {
        "content-type": "application/json", "content-length": str(len(body)), "x-cleaned": "1"}}
    assert answer == expected


@pytest.mark.skipif(bool(_MISSING), reason="the wasm tier needs the 'wasm' extra")
def test_runtime_call_on_wasm(tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / "in.json").write_text(json.dumps({"body": base64.b64encode(_answer("*hi* there")).decode()}))
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "on_before_write", "--tier", "wasm",
                                      "--ephemeral", "--input", str(tmp_path / "in.json")],
                                env={"GPS_CACHE_DIR": str(cache_dir)})
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["modified"] is True and out["headers"]["x-markdown-cleaned"] == "1"
    assert json.loads(base64.b64decode(out["body"]))["choices"][0]["message"]["content"] == "hi there"
