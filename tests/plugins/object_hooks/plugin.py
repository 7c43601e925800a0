"""Object hooks: refuses LLMs whose endpoint is not https, stamps everything else."""

from __future__ import annotations

import json

from guest_sdk import BasePlugin, Context, ObjectHookHandler
from guest_sdk.messages import ObjectHookRegistration, ObjectHookRequest, ObjectHookResponse


class Reviewer(BasePlugin, ObjectHookHandler):
    def __init__(self) -> None:
        super().__init__("object-reviewer", "1.0.0", "Reviews objects")

    def get_object_hook_registrations(self) -> list[ObjectHookRegistration]:
        return [ObjectHookRegistration(object_type="llm", hook_types=["before_create", "before_update"],
                                       priority=10),
                ObjectHookRegistration(object_type="app", hook_types=["before_create"], priority=20)]

    def handle_object_hook(self, ctx: Context, req: ObjectHookRequest) -> ObjectHookResponse:
        obj = json.loads(req.object_json) if req.object_json else {}
        if req.object_type == "llm" and not str(obj.get("api_endpoint", "")).startswith("https://"):
            return ObjectHookResponse(allow_operation=False,
                                      rejection_reason="LLM endpoints must use https")
        obj["reviewed_by"] = "object_hooks"
        return ObjectHookResponse(allow_operation=True, modified=True,
                                  modified_object_json=json.dumps(obj, sort_keys=True),
                                  plugin_metadata={"hook": req.hook_type}, message="stamped")


def create_plugin() -> Reviewer:
    return Reviewer()
