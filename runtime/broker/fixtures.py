"""Look-up data for the gateway and studio services in the embedded setup.

A fixtures file (``--fixtures F``) is one JSON object; every key is optional:

.. code-block:: json

    {
      "apps": [{"id": 1, "name": "demo", "is_active": true, "metadata": {"tier": "gold"}}],
      "users": [{"id": 7, "email": "ana@example.com", "name": "Ana", "is_active": true}],
      "llms": [{"id": 1, "name": "GPT", "vendor": "openai", "slug": "gpt",
                "default_model": "gpt-4o", "is_active": true,
                "reply": "Hello from the fixture LLM."}],
      "tools": [{"id": 3, "name": "search", "slug": "search", "description": "..."}],
      "prices": [{"model_name": "gpt-4o", "vendor": "openai", "cpt": 0.0025, "cpit": 0.01}],
      "budgets": [{"app_id": 1, "llm_id": 0, "monthly_budget": 100.0, "current_usage": 12.5}],
      "credentials": [{"secret": "sk-demo", "app_id": 1, "valid": true}]
    }

Apps and users use the field names of ``plugin.App`` / ``plugin.User``; LLMs those of
the management services' ``LLMInfo``; an LLM's ``reply`` is what ``studio.call_llm``
streams back word by word (without one, it echoes the last user message).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .kv import KVError
from host_abi.errors import ErrorCode

__all__ = ["Fixtures", "load_fixtures"]

_KEYS = ("apps", "users", "llms", "tools", "prices", "budgets", "credentials")


@dataclass
class Fixtures:
    apps: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    llms: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    prices: list[dict[str, Any]] = field(default_factory=list)
    budgets: list[dict[str, Any]] = field(default_factory=list)
    credentials: list[dict[str, Any]] = field(default_factory=list)

    def find(self, kind: str, key: str, value: Any) -> dict[str, Any]:
        for item in getattr(self, kind):
            if item.get(key) == value:
                return item
        raise KVError(ErrorCode.NOT_FOUND, f"no {kind[:-1]} with {key} {value!r} in the fixtures")


def load_fixtures(path: str | Path | None) -> Fixtures:
    """Read a fixtures file (None: empty fixtures).

    Raises:
        ValueError: the file is unreadable or not of the documented shape (the message
            names the file and the key).
    """
    if path is None:
        return Fixtures()
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{p}: cannot read fixtures: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{p}: fixtures must be a JSON object")
    unknown = set(raw) - set(_KEYS)
    if unknown:
        raise ValueError(f"{p}: unknown fixtures key(s) {sorted(unknown)}; known: {list(_KEYS)}")
    for key in _KEYS:
        items = raw.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValueError(f"{p}: fixtures key {key!r} must be a list of objects")
    return Fixtures(**{k: list(raw.get(k, [])) for k in _KEYS})
