"""Host services user: the request body lists service calls to run; on_session_ready
writes KV and subscribes to ``orders``; each event is written to KV as ``event:<id>``.

Body: a JSON list such as ``[{"op": "kv.write", "key": "a", "value": "1"},
{"op": "kv.read", "key": "a"}, {"op": "events.publish", "topic": "t", "payload": "x"}]``;
the reply is the list of results, each ``{"ok": value}`` or ``{"error": code}``.
"""

from __future__ import annotations

import json
from typing import Any

from guest_sdk import (BasePlugin, Context, CustomEndpointHandler, Event, EventSubscriber,
                       SchedulerPlugin, ServiceError, SessionAware)
from guest_sdk.messages import (EndpointRegistration, EndpointRequest, EndpointResponse,
                                ScheduleDefinition)


class HostUser(BasePlugin, CustomEndpointHandler, SessionAware, EventSubscriber, SchedulerPlugin):
    def __init__(self) -> None:
        super().__init__("host-user", "1.0.0", "Uses the host's services")

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.config = dict(config)

    def on_session_ready(self, ctx: Context) -> None:
        ctx.services.kv.write("session:ready", ctx.session_id)
        ctx.services.events.subscribe("orders")

    def on_session_closing(self, ctx: Context) -> None:
        ctx.services.kv.write("session:closing", ctx.session_id)

    def on_event(self, ctx: Context, event: Event) -> None:
        ctx.services.kv.write(f"event:{event.id}", event.payload)

    def execute_scheduled_task(self, ctx: Context, schedule: ScheduleDefinition,
                               config: dict[str, Any]) -> None:
        ctx.services.kv.write(f"task:{schedule.id}", "ran")

    def get_endpoint_registrations(self) -> list[EndpointRegistration]:
        return [EndpointRegistration(path="/run", methods=["POST"])]

    def _run(self, ctx: Context, step: dict[str, Any]) -> Any:
        kv, op = ctx.services.kv, step["op"]
        if op == "kv.write":
            return kv.write(step["key"], step["value"], step.get("ttl_seconds"))
        if op == "kv.read":
            return kv.read(step["key"]).decode("utf-8")
        if op == "kv.delete":
            return kv.delete(step["key"])
        if op == "kv.list":
            return kv.list(step.get("prefix", ""))
        if op == "kv.increment":
            return kv.increment(step["key"], 1)
        if op == "events.publish":
            return ctx.services.events.publish(step["topic"], step["payload"].encode())
        if op == "config":
            return self.config
        return ctx.services.call(op, step.get("args", {}))

    def handle_endpoint_request(self, ctx: Context, req: EndpointRequest) -> EndpointResponse:
        results = []
        for step in json.loads(req.body or b"[]"):
            try:
                results.append({"ok": self._run(ctx, step)})
            except ServiceError as exc:
                results.append({"error": exc.code, "message": str(exc)})
        return EndpointResponse(status_code=200, body=json.dumps(results).encode())


def create_plugin() -> HostUser:
    return HostUser()
