"""LLM validator: an object hook that checks LLM definitions before Studio stores them.

Registered for ``before_create`` and ``before_update`` of ``llm`` objects. An LLM is
rejected, with every problem in ``rejection_reason``, when:

* its ``api_endpoint`` is not an ``https://`` URL with a host;
* its ``vendor`` is in the ``blocked_vendors`` list (case-insensitive);
* its ``privacy_score`` is under ``min_privacy_score``;
* it has no description (``short_description``, ``long_description`` or ``description``).

An accepted LLM is normalised where that is safe (surrounding blanks trimmed from the
name, trailing slashes dropped from the endpoint): the object comes back with
``modified=true`` only when something changed. Every accepted LLM gets the
``plugin_metadata`` ``validated_by`` and ``validated_at`` (ISO 8601, UTC, from the
request's timestamp), which Studio stores with the object.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from guest_sdk import BasePlugin, ConfigProvider, Context, ManifestProvider, ObjectHookHandler
from guest_sdk.messages import ObjectHookRegistration, ObjectHookRequest, ObjectHookResponse

HOOK_TYPES = ["before_create", "before_update"]

#: The JSON Schema of the configuration (the same document as config.schema.json).
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "blocked_vendors": {"type": "array", "items": {"type": "string", "minLength": 1},
                            "description": "Vendors whose LLMs are refused (case-insensitive)."},
        "min_privacy_score": {"type": "integer", "minimum": 0, "maximum": 100,
                              "description": "Lowest privacy score accepted (default 0)."},
        "validator_name": {"type": "string", "minLength": 1,
                           "description": "Stored as plugin_metadata.validated_by (default llm-validator)."},
        "priority": {"type": "integer", "description": "Order among object hooks; lower runs first (default 10)."},
    },
    "additionalProperties": False,
}

#: The AI Studio manifest, as GetManifest answers it (plugin-manifest.json without ``sandbox``).
MANIFEST: dict[str, Any] = {
    "id": "com.example.llm-validator",
    "version": "1.0.0",
    "name": "LLM Validator",
    "description": "Rejects LLM definitions with an insecure endpoint, a blocked vendor, a low "
                   "privacy score or no description; normalises and stamps the others.",
    "capabilities": {"hooks": ["object_hooks"], "primary_hook": "object_hooks"},
    "permissions": {"services": [], "object_hooks": ["llm.before_create", "llm.before_update"]},
}


def iso_utc(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class LLMValidator(BasePlugin, ObjectHookHandler, ConfigProvider, ManifestProvider):
    def __init__(self) -> None:
        super().__init__("llm-validator", "1.0.0", "Validates LLM definitions")
        self.blocked: frozenset[str] = frozenset()
        self.min_privacy = 0
        self.validator_name = "llm-validator"
        self.priority = 10

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        blocked = json.loads(config.get("blocked_vendors", "[]"))
        if not isinstance(blocked, list) or not all(isinstance(v, str) for v in blocked):
            raise ValueError("blocked_vendors must be a JSON list of vendor names")
        self.blocked = frozenset(v.strip().lower() for v in blocked)
        self.min_privacy = int(config.get("min_privacy_score", "0"))
        self.validator_name = config.get("validator_name", "llm-validator")
        self.priority = int(config.get("priority", "10"))

    def get_config_schema(self) -> dict[str, Any]:
        return CONFIG_SCHEMA

    def get_manifest(self) -> dict[str, Any]:
        return MANIFEST

    def get_object_hook_registrations(self) -> list[ObjectHookRegistration]:
        return [ObjectHookRegistration(object_type="llm", hook_types=list(HOOK_TYPES),
                                       priority=self.priority)]

    def handle_object_hook(self, ctx: Context, req: ObjectHookRequest) -> ObjectHookResponse:
        if req.object_type != "llm" or req.hook_type not in HOOK_TYPES:
            return ObjectHookResponse(allow_operation=True, message="not validated by this plugin")
        try:
            llm = json.loads(req.object_json)
        except ValueError:
            llm = None
        if not isinstance(llm, dict):
            return ObjectHookResponse(allow_operation=False,
                                      rejection_reason="the LLM object is not a JSON object")
        problems = self.problems(llm)
        if problems:
            ctx.services.logger.info("LLM rejected", name=str(llm.get("name", "")), problems=problems,
                                     operation_id=req.operation_id)
            return ObjectHookResponse(allow_operation=False, rejection_reason="; ".join(problems))
        stamp = {"validated_by": self.validator_name,
                 "validated_at": iso_utc(req.timestamp or time.time())}
        normalised = self.normalise(llm)
        if normalised == llm:
            return ObjectHookResponse(allow_operation=True, plugin_metadata=stamp,
                                      message="LLM passed validation")
        return ObjectHookResponse(allow_operation=True, modified=True, plugin_metadata=stamp,
                                  modified_object_json=json.dumps(normalised),
                                  message="LLM passed validation and was normalised")

    def problems(self, llm: dict[str, Any]) -> list[str]:
        """Every reason to refuse ``llm``, in a fixed order; empty when it is acceptable."""
        found: list[str] = []
        endpoint = str(llm.get("api_endpoint") or "").strip()
        parts = urlsplit(endpoint)
        if parts.scheme.lower() != "https" or not parts.hostname:
            found.append(f"api_endpoint must be an https:// URL, got {endpoint!r}")
        vendor = str(llm.get("vendor") or "").strip()
        if vendor.lower() in self.blocked:
            found.append(f"vendor {vendor!r} is blocked")
        score = llm.get("privacy_score", 0)
        if not isinstance(score, int) or isinstance(score, bool):
            found.append("privacy_score must be an integer")
        elif score < self.min_privacy:
            found.append(f"privacy_score {score} is under the minimum of {self.min_privacy}")
        if not any(str(llm.get(k) or "").strip()
                   for k in ("short_description", "long_description", "description")):
            found.append("a description is required")
        return found

    @staticmethod
    def normalise(llm: dict[str, Any]) -> dict[str, Any]:
        out = dict(llm)
        if isinstance(out.get("name"), str):
            out["name"] = out["name"].strip()
        if isinstance(out.get("api_endpoint"), str):
            out["api_endpoint"] = out["api_endpoint"].strip().rstrip("/")
        return out


def create_plugin() -> LLMValidator:
    return LLMValidator()
