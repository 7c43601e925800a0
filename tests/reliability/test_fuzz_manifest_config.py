"""Fuzzing the manifest loader and the configuration path (schema validation, flattening
to Initialize's string map): random and mutated manifests load or fail with
MANIFEST_INVALID; random configurations and schemas pass, fail with CONFIG_INVALID, or
flatten to strings; never another exception."""

from __future__ import annotations

import itertools
import json
import math
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fuzz_strategies import fuzz_settings, json_objects, json_values, mutated_text
from host_abi.config import flatten_config, format_go_value
from reliability_helpers import STEADY
from runtime.config import validate_config
from runtime.errors import PluginRuntimeError
from runtime.manifest import load_manifest

pytestmark = pytest.mark.fuzz

VALID = json.loads((STEADY / "plugin-manifest.json").read_text())
_dirs = itertools.count()


@st.composite
def manifest_texts(draw: Any) -> str:
    """A manifest: the valid one with fields replaced, removed or added at any depth,
    its text mutated, or any text."""
    doc = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(0, 4))):
        target = doc
        for _depth in range(draw(st.integers(0, 2))):
            subs = [k for k, v in target.items() if isinstance(v, dict)]
            if not subs:
                break
            target = target[draw(st.sampled_from(sorted(subs)))]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        keys = sorted(target)
        if action == "add" or not keys:
            target[draw(st.text(max_size=10) | st.sampled_from(["limits", "clock", "schedules",
                                                                  "ui", "requirements"]))] = draw(json_values)
        elif action == "remove":
            del target[draw(st.sampled_from(keys))]
        else:
            target[draw(st.sampled_from(keys))] = draw(json_values)
    text = json.dumps(doc)
    return draw(st.one_of(st.just(text), mutated_text(text), st.text(max_size=200),
                          st.builds(lambda n: "[" * n + "]" * n, st.integers(500, 3000))))


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gps-fuzz-manifest-") as tmp:
        yield Path(tmp)


def test_fuzz_manifest_loader(workdir: Path) -> None:
    plugin_py = (STEADY / "plugin.py").read_text()

    @fuzz_settings()
    @given(manifest_texts(), st.booleans())
    def run(text: str, as_bytes: bool) -> None:
        directory = workdir / f"p{next(_dirs)}"
        directory.mkdir()
        (directory / "plugin.py").write_text(plugin_py)
        target = directory / "plugin-manifest.json"
        if as_bytes:  # not necessarily UTF-8
            target.write_bytes(text.encode("utf-8", "surrogatepass")[::-1])
        else:
            target.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            manifest = load_manifest(directory)
        except PluginRuntimeError as exc:
            assert exc.code == "MANIFEST_INVALID", exc
            assert str(target) in exc.message or str(directory) in exc.message
            return
        assert manifest.id and manifest.entry_module

    run()


_HUGE = st.integers(min_value=10**300, max_value=10**400) | st.integers(max_value=-(10**308))


@fuzz_settings()
@given(st.dictionaries(st.text(max_size=12), json_values | _HUGE | st.lists(_HUGE, max_size=2), max_size=6))
def test_fuzz_config_path(config: dict[str, Any]) -> None:
    """What Runtime.load does with a configuration: validate, then flatten."""
    try:
        validate_config(config, None, "fuzz")
    except PluginRuntimeError as exc:  # a number no host can represent
        assert exc.code == "CONFIG_INVALID"
        return
    flat = flatten_config(config)
    assert set(flat) == set(config)
    for key, value in config.items():
        assert isinstance(flat[key], str)
        if isinstance(value, str):
            assert flat[key] == value
        elif isinstance(value, float) and math.isfinite(value):
            assert float(flat[key]) == value  # Go's %v round-trips


@fuzz_settings()
@given(st.integers(-(2**1000), 2**1000) | st.floats())
def test_fuzz_format_go_value(value: float) -> None:
    if isinstance(value, int) and abs(value) > 1.7976931348623157e308:
        return  # refused before flattening (test_fuzz_config_path)
    text = format_go_value(value)
    if math.isfinite(value):
        assert float(text) == float(value)


_SCHEMA_WORDS = ["type", "properties", "required", "enum", "pattern", "minimum", "maximum",
                 "items", "additionalProperties", "$ref", "$defs", "format", "const", "anyOf",
                 "allOf", "not", "minLength", "maxLength", "multipleOf", "uniqueItems"]


@st.composite
def schemas(draw: Any) -> Any:
    words = st.sampled_from(_SCHEMA_WORDS) | st.text(max_size=6)
    return draw(st.recursive(json_values, lambda inner: st.dictionaries(words, inner, max_size=4),
                             max_leaves=12))


@fuzz_settings()
@given(json_objects, schemas())
@example({}, {"$ref": "http://127.0.0.1:9/schema.json"})  # found: the host fetched it
@example({}, {"$ref": ""})
@example({}, {"not": None})
def test_fuzz_validate_config(config: dict[str, Any], schema: Any) -> None:
    try:
        validate_config(config, schema if isinstance(schema, dict) else {"type": schema}, "fuzz")
    except PluginRuntimeError as exc:
        assert exc.code == "CONFIG_INVALID", exc
