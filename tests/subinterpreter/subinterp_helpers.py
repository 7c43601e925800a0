"""Constants and helpers of the subinterpreter tier's tests (imported by name: a test
module's ``from conftest import`` would name whichever conftest pytest imported last)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.policy import policy_from_dict

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROBE = HERE / "plugins" / "probe"
ENRICHER = REPO / "examples" / "request_enricher"
KV_USER = REPO / "tests" / "plugins" / "kv_user"


def trusted_policy(plugins: dict[str, Any] | None = None) -> Any:
    return policy_from_dict({"version": 1, "defaults": {"trust": "trusted"}, "plugins": plugins or {}},
                            "(test policy)")


def probe_request(**headers: str) -> dict[str, Any]:
    return {"request": {"method": "GET", "path": "/", "headers": headers}, "app_id": "1"}
