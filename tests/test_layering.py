"""Dependencies point one way: guest_sdk -> host_abi <- runtime.

host_abi imports neither sibling and nothing outside the standard library (it runs in
the WebAssembly guest); guest_sdk imports host_abi and the standard library only;
runtime never imports guest_sdk (it reaches plugins through the ABI alone). Checked
on the source, so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def _imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("package,allowed", [
    ("host_abi", STDLIB),
    ("guest_sdk", STDLIB | {"host_abi"}),
])
def test_guest_side_packages_use_only_what_the_guest_has(package: str, allowed: set[str]) -> None:
    bad = {f: sorted(n - allowed) for f, n in _imports(package).items() if n - allowed}
    assert not bad, f"{package} imports outside {sorted(allowed - STDLIB) or 'the stdlib'}: {bad}"


def test_runtime_never_imports_guest_sdk() -> None:
    bad = [f for f, names in _imports("runtime").items() if "guest_sdk" in names]
    assert not bad, f"runtime reaches into guest_sdk (use the ABI): {bad}"


def test_host_abi_imports_no_sibling() -> None:
    bad = [f for f, names in _imports("host_abi").items() if names & {"guest_sdk", "runtime"}]
    assert not bad


def test_the_checker_sees_imports() -> None:
    # guard against a checker that silently finds nothing
    assert "host_abi" in set().union(*_imports("runtime").values())
    assert "json" in set().union(*_imports("guest_sdk").values())
