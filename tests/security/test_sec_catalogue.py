"""The catalogue, the tests and README.md agree (no wasm needed)."""

from __future__ import annotations

import ast
import importlib
import re
from collections import Counter
from pathlib import Path

from security_catalogue import (ATTACKERS, CATEGORIES, MECHANISMS, README, for_test,
                                readme_with_table)

HERE = Path(__file__).resolve().parent
MINIMUM = 60


def _attempt_names(directory: str) -> set[str]:
    tree = ast.parse((HERE / "plugins" / directory / "attempts.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Name)
                        and dec.func.id == "attempt" and isinstance(dec.args[0], ast.Constant)):
                    names.add(dec.args[0].value)
    return names


def test_enough_distinct_mechanisms_in_every_category() -> None:
    ids = [m.id for m in MECHANISMS]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert len(ids) >= MINIMUM
    counts = Counter(m.category for m in MECHANISMS)
    assert set(counts) == set(CATEGORIES)
    assert all(counts[c] >= 1 for c in CATEGORIES)
    assert all(m.plugin in ATTACKERS for m in MECHANISMS)
    assert all(m.raises or m.code or m.expect for m in MECHANISMS)


def test_every_attempt_exists_in_its_plugin() -> None:
    available = {key: _attempt_names(directory) for key, (directory, _) in ATTACKERS.items()}
    missing = [(m.id, m.plugin, m.attempt_name) for m in MECHANISMS
               if m.attempt_name not in available[m.plugin]]
    assert not missing


def test_every_named_test_exists_and_is_catalogued() -> None:
    functions = {}
    for path in sorted(HERE.glob("test_sec_*.py")):
        module = importlib.import_module(path.stem)
        for name in dir(module):
            if name.startswith("test_"):
                functions[name] = getattr(module, name)
    for name in {m.test for m in MECHANISMS}:
        assert name in functions, f"no test function {name}"
        assert getattr(functions[name], "_catalogued", False), f"{name} is not @catalogued"
        assert for_test(name)
    catalogued = {n for n, f in functions.items() if getattr(f, "_catalogued", False)}
    assert catalogued == {m.test for m in MECHANISMS}


def test_readme_table_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert readme_with_table(text) == text, (
        "README.md is stale: run .venv/bin/python tests/security/security_catalogue.py --write")
    assert "`?::" not in text, "a catalogued test is not defined in any test_sec_*.py"
    total = re.search(r"\| \*\*total\*\* \| \*\*(\d+)\*\* \|", text)
    assert total is not None and int(total.group(1)) == len(MECHANISMS)
