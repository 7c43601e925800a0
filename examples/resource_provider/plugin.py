"""Resource provider: knowledge bases that AI Studio apps can be bound to.

One resource type, ``knowledge-base`` (also declared in the manifest's
``resource_types``). Its instances live in KV: ``kb:<id>`` holds each one as JSON and
``kb:index`` the ids in creation order, so listing needs no ``kv.list``.

* ``create_resource_instance`` takes ``{"name", "description"?, "privacy_score"}``:
  a name of 1-100 characters, a privacy score from 0 to 100. The id is the name made
  into a slug (``"Product Docs"`` -> ``product-docs``); a second instance with the same
  slug is refused.
* ``list_resource_instances`` / ``get_resource_instance`` read them back.
* ``validate_resource_selection`` refuses unknown ids, and instances whose privacy score
  is above ``max_privacy_score``, naming each offender.

Every refusal raises, and the host shows the message: ``success=false`` for create and
get, ``valid=false`` for a selection.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from guest_sdk import BasePlugin, ConfigProvider, Context, ResourceProvider
from guest_sdk.messages import ResourceInstanceProto, ResourceTypeRegistrationProto

SLUG = "knowledge-base"
INDEX = "kb:index"

#: The JSON Schema of the configuration (the same document as config.schema.json).
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "max_privacy_score": {"type": "integer", "minimum": 0, "maximum": 100,
                              "description": "Highest privacy score an app may select (default 100)."},
    },
    "additionalProperties": False,
}

#: The resource type, as the manifest's ``resource_types`` declares it.
RESOURCE_TYPE: dict[str, Any] = {
    "slug": SLUG, "name": "Knowledge base",
    "description": "A collection of documents an app may answer from.",
    "icon": "book", "has_privacy_score": True, "supports_submissions": True,
}


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class KnowledgeBases(BasePlugin, ResourceProvider, ConfigProvider):
    def __init__(self) -> None:
        super().__init__("resource-provider", "1.0.0", "Knowledge bases for apps")
        self.max_privacy = 100

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.max_privacy = int(config.get("max_privacy_score", "100"))

    def get_config_schema(self) -> dict[str, Any]:
        return CONFIG_SCHEMA

    def get_resource_type_registrations(self) -> list[ResourceTypeRegistrationProto]:
        return [ResourceTypeRegistrationProto(**RESOURCE_TYPE)]

    # -- the store ----------------------------------------------------------------------------
    @staticmethod
    def _check_type(slug: str) -> None:
        if slug != SLUG:
            raise LookupError(f"unknown resource type {slug!r}; this plugin provides {SLUG!r}")

    @staticmethod
    def _index(ctx: Context) -> list[str]:
        raw = ctx.services.kv.get(INDEX)
        return list(json.loads(raw)) if raw is not None else []

    @staticmethod
    def _load(ctx: Context, instance_id: str) -> dict[str, Any] | None:
        raw = ctx.services.kv.get(f"kb:{instance_id}") if instance_id else None
        return json.loads(raw) if raw is not None else None

    @staticmethod
    def _proto(doc: dict[str, Any]) -> ResourceInstanceProto:
        return ResourceInstanceProto(
            id=doc["id"], name=doc["name"], description=doc["description"],
            privacy_score=doc["privacy_score"], is_active=True,
            metadata=json.dumps(doc["metadata"], sort_keys=True).encode())

    # -- ResourceProvider ---------------------------------------------------------------------
    def list_resource_instances(self, ctx: Context, resource_type_slug: str) -> list[ResourceInstanceProto]:
        self._check_type(resource_type_slug)
        docs = (self._load(ctx, i) for i in self._index(ctx))
        return [self._proto(d) for d in docs if d is not None]

    def get_resource_instance(self, ctx: Context, resource_type_slug: str,
                              instance_id: str) -> ResourceInstanceProto:
        self._check_type(resource_type_slug)
        doc = self._load(ctx, instance_id)
        if doc is None:
            raise LookupError(f"no knowledge base {instance_id!r}")
        return self._proto(doc)

    def create_resource_instance(self, ctx: Context, resource_type_slug: str,
                                 payload: bytes) -> ResourceInstanceProto:
        self._check_type(resource_type_slug)
        try:
            data = json.loads(payload)
        except ValueError:
            raise ValueError("the payload must be a JSON object") from None
        if not isinstance(data, dict):
            raise ValueError("the payload must be a JSON object")
        name, description, score = data.get("name"), data.get("description", ""), data.get("privacy_score")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100 or not slugify(name):
            raise ValueError("name must be 1-100 characters with at least one letter or digit")
        if not isinstance(description, str):
            raise ValueError("description must be a string")
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
            raise ValueError("privacy_score must be an integer from 0 to 100")
        instance_id = slugify(name)
        if self._load(ctx, instance_id) is not None:
            raise ValueError(f"a knowledge base {instance_id!r} already exists")
        doc = {"id": instance_id, "name": name.strip(), "description": description.strip(),
               "privacy_score": score,
               "metadata": {"created_at": int(time.time()), "created_by": ctx.user_id}}
        ctx.services.kv.write(f"kb:{instance_id}", json.dumps(doc))
        ctx.services.kv.write(INDEX, json.dumps(self._index(ctx) + [instance_id]))
        ctx.services.logger.info("knowledge base created", id=instance_id, privacy_score=score)
        return self._proto(doc)

    def validate_resource_selection(self, ctx: Context, resource_type_slug: str,
                                    instance_ids: list[str], app_id: int) -> None:
        self._check_type(resource_type_slug)
        unknown, too_private = [], []
        for instance_id in instance_ids:
            doc = self._load(ctx, instance_id)
            if doc is None:
                unknown.append(instance_id)
            elif doc["privacy_score"] > self.max_privacy:
                too_private.append(f"{instance_id} ({doc['privacy_score']})")
        problems = []
        if unknown:
            problems.append(f"unknown knowledge bases: {', '.join(unknown)}")
        if too_private:
            problems.append(f"privacy score above {self.max_privacy}: {', '.join(too_private)}")
        if problems:
            raise ValueError(f"app {app_id}: " + "; ".join(problems))


def create_plugin() -> KnowledgeBases:
    return KnowledgeBases()
