"""Resource provider: one resource type with two fixed instances; creation echoes."""

from __future__ import annotations

import json

from guest_sdk import BasePlugin, Context, ResourceProvider
from guest_sdk.messages import ResourceInstanceProto, ResourceTypeRegistrationProto

INSTANCES = {
    "db-1": ResourceInstanceProto(id="db-1", name="Primary", privacy_score=10, is_active=True),
    "db-2": ResourceInstanceProto(id="db-2", name="Archive", privacy_score=50,
                                  metadata=b'{"region":"eu"}'),
}


class Resources(BasePlugin, ResourceProvider):
    def __init__(self) -> None:
        super().__init__("resource-provider", "1.0.0", "Vector databases")

    def get_resource_type_registrations(self) -> list[ResourceTypeRegistrationProto]:
        return [ResourceTypeRegistrationProto(slug="vector-db", name="Vector DB",
                                              has_privacy_score=True, supports_submissions=True)]

    def _check(self, slug: str) -> None:
        if slug != "vector-db":
            raise KeyError(f"unknown resource type {slug!r}")

    def list_resource_instances(self, ctx: Context, resource_type_slug: str) -> list[ResourceInstanceProto]:
        self._check(resource_type_slug)
        return list(INSTANCES.values())

    def get_resource_instance(self, ctx: Context, resource_type_slug: str,
                              instance_id: str) -> ResourceInstanceProto:
        self._check(resource_type_slug)
        if instance_id not in INSTANCES:
            raise KeyError(f"no instance {instance_id}")
        return INSTANCES[instance_id]

    def validate_resource_selection(self, ctx: Context, resource_type_slug: str,
                                    instance_ids: list[str], app_id: int) -> None:
        unknown = [i for i in instance_ids if i not in INSTANCES]
        if unknown:
            raise ValueError(f"app {app_id}: unknown instances {unknown}")

    def create_resource_instance(self, ctx: Context, resource_type_slug: str,
                                 payload: bytes) -> ResourceInstanceProto:
        self._check(resource_type_slug)
        data = json.loads(payload)
        return ResourceInstanceProto(id=f"new-{data['name']}", name=data["name"], is_active=True)


def create_plugin() -> Resources:
    return Resources()
