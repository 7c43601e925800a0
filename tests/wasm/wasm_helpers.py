"""Plain helpers of the wasm-tier suite (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from host_abi.envelope import encode_request

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ENRICHER = REPO / "examples" / "request_enricher"
HOSTILE = HERE / "plugins" / "hostile"
IMPORT_FAILS = HERE / "plugins" / "import_fails"

HOOK_INSTANCE_START = 0
HOOK_INITIALIZE = 1
HOOK_POST_AUTH = 8
OP_LOG = 1


class HostCalls:
    """A host import that records every op and answers ``ok: null``."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def __call__(self, op: int, payload: str) -> str:
        self.calls.append((op, payload))
        return '{"v":1,"ok":null}'


def start_msg() -> str:
    return encode_request({"runtime": "gateway", "plugin_id": "x"})


def hostile_request(path: str, **headers: str) -> str:
    msg: dict[str, Any] = {"request": {"method": "POST", "path": path, "headers": dict(headers)},
                           "app_id": "5", "authenticated": True}
    return encode_request(msg)
