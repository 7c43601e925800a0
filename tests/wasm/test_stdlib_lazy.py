"""Standard-library calls that import a module on first use work in the guest.

A componentize-py guest imports only what was imported while it was pre-initialised;
the build preloads the modules the standard library imports lazily (``_strptime``, the
codecs), so these calls answer in the sandbox exactly as on the in-process tier.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime import Runtime, RuntimeConfig
from runtime.backends.wasm import WasmBackend
from wasm_helpers import HERE

pytestmark = pytest.mark.slow

PLUGIN = HERE / "plugins" / "stdlib_lazy"
REQUEST = {"request": {"method": "GET", "path": "/", "headers": {}}, "app_id": "1"}


def _results(tier: str, cache_dir: Path) -> dict[str, object]:
    with Runtime(RuntimeConfig(tier=tier, ephemeral=True)) as rt:
        if tier == "wasm":
            rt._backends["wasm"] = WasmBackend(cache_dir=cache_dir)
        rt.load(PLUGIN, name="stdlib-lazy")
        answer = rt.call("stdlib-lazy", "process_post_auth", REQUEST)
    return json.loads(answer["headers"]["x-results"])  # type: ignore[no-any-return]


def test_lazily_imported_stdlib_modules_work_in_the_guest(wasm_cache_dir: Path) -> None:
    guest = _results("wasm", wasm_cache_dir)
    host = _results("inprocess", wasm_cache_dir)
    failed = {k: v for k, v in guest.items() if isinstance(v, str) and v.split(":")[0].endswith("Error")}
    assert not failed, f"these raised in the guest: {failed}"
    assert guest == host
    assert guest["json.loads(utf-16)"] == {"a": 1}
    assert guest["datetime.strptime"] == "2024-01-02T03:04:00"
