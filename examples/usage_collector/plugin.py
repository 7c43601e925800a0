"""Usage collector: aggregates the Gateway's data-collection records into KV counters.

Instead of appending records to files (a sandboxed plugin has no file system), the
collector keeps per-app, per-day (UTC) totals in KV, updated with atomic
``kv.increment`` so any number of instances can collect at once:

* proxy logs     -> ``requests:<day>:app:<id>`` and ``errors:<day>:app:<id>`` (status >= 400)
* analytics      -> ``tokens:<day>:app:<id>:prompt|response|total`` and
                    ``cost_micros:<day>:app:<id>`` (cost in millionths of the currency unit:
                    KV counters are integers), plus ``tokens:<day>:model:<name>``
* budget usage   -> ``budget:app:<id>:llm:<id>``, a JSON snapshot; an older record never
                    replaces a newer one
* streamed replies (``on_stream_complete``) -> ``streams:<day>:app:<id>`` and
  ``stream_chunks:<day>:app:<id>``

Counters expire ``retention_days`` after they are created. Each record also writes one
log line. The day is the record's own timestamp (UTC), else the time of arrival.

When the session is ready the plugin subscribes to ``report_request_topic``; an event
there with ``{"app_id": 7, "day": "2025-01-31"}`` is answered by publishing that app's
totals for the day on ``report_topic``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from guest_sdk import (BasePlugin, ConfigProvider, Context, DataCollector, Event, EventSubscriber,
                       SessionAware, StreamCompleteHandler)
from guest_sdk.messages import (AnalyticsRequest, BudgetUsageRequest, DataCollectionResponse,
                                ProxyLogRequest, StreamCompleteRequest, StreamCompleteResponse)

#: The JSON Schema of the configuration (the same document as config.schema.json).
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "retention_days": {"type": "integer", "minimum": 1, "maximum": 3660,
                           "description": "Days a counter lives after it is created (default 35)."},
        "report_request_topic": {"type": "string", "minLength": 1,
                                 "description": "Topic of report requests (default usage.report.request)."},
        "report_topic": {"type": "string", "minLength": 1,
                         "description": "Topic the reports are published on (default usage.report)."},
    },
    "additionalProperties": False,
}

MICROS = 1_000_000


def day_of(timestamp: int) -> str:
    """The UTC day (YYYY-MM-DD) of a Unix timestamp in seconds; 0 means now."""
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp or time.time()))


def _done(**metadata: str) -> DataCollectionResponse:
    return DataCollectionResponse(success=True, handled=True, metadata=metadata)


class UsageCollector(BasePlugin, DataCollector, StreamCompleteHandler, SessionAware,
                     EventSubscriber, ConfigProvider):
    def __init__(self) -> None:
        super().__init__("usage-collector", "1.0.0", "Aggregates usage records into KV")
        self.ttl = 35 * 86400
        self.request_topic = "usage.report.request"
        self.report_topic = "usage.report"

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.ttl = int(config.get("retention_days", "35")) * 86400
        self.request_topic = config.get("report_request_topic", "usage.report.request")
        self.report_topic = config.get("report_topic", "usage.report")

    def get_config_schema(self) -> dict[str, Any]:
        return CONFIG_SCHEMA

    def _add(self, ctx: Context, key: str, delta: int = 1) -> int:
        return ctx.services.kv.increment(key, delta, ttl_seconds=self.ttl)

    # -- DataCollector ------------------------------------------------------------------------
    def handle_proxy_log(self, ctx: Context, req: ProxyLogRequest) -> DataCollectionResponse:
        day = day_of(req.timestamp)
        requests = self._add(ctx, f"requests:{day}:app:{req.app_id}")
        if req.response_code >= 400:
            self._add(ctx, f"errors:{day}:app:{req.app_id}")
        ctx.services.logger.info("proxy log", app_id=req.app_id, vendor=req.vendor,
                                 status=req.response_code, request_id=req.request_id)
        return _done(day=day, requests=str(requests))

    def handle_analytics(self, ctx: Context, req: AnalyticsRequest) -> DataCollectionResponse:
        day = day_of(req.timestamp)
        prefix = f"tokens:{day}:app:{req.app_id}"
        total = req.total_tokens or req.prompt_tokens + req.response_tokens
        self._add(ctx, prefix + ":prompt", req.prompt_tokens)
        self._add(ctx, prefix + ":response", req.response_tokens)
        day_total = self._add(ctx, prefix + ":total", total)
        if req.model_name:
            self._add(ctx, f"tokens:{day}:model:{req.model_name}", total)
        self._add(ctx, f"cost_micros:{day}:app:{req.app_id}", round(req.cost * MICROS))
        ctx.services.logger.info("analytics", app_id=req.app_id, model=req.model_name,
                                 tokens=total, cost=req.cost, currency=req.currency)
        return _done(day=day, tokens_today=str(day_total))

    def handle_budget_usage(self, ctx: Context, req: BudgetUsageRequest) -> DataCollectionResponse:
        key = f"budget:app:{req.app_id}:llm:{req.llm_id}"
        stored = ctx.services.kv.get(key)
        if stored is not None and json.loads(stored).get("timestamp", 0) > req.timestamp:
            ctx.services.logger.debug("older budget record ignored", app_id=req.app_id)
            return _done(stored="false")
        snapshot = {"app_id": req.app_id, "llm_id": req.llm_id, "tokens_used": req.tokens_used,
                    "cost": req.cost, "requests_count": req.requests_count,
                    "prompt_tokens": req.prompt_tokens, "completion_tokens": req.completion_tokens,
                    "period_start": req.period_start, "period_end": req.period_end,
                    "timestamp": req.timestamp}
        ctx.services.kv.write(key, json.dumps(snapshot, sort_keys=True), ttl_seconds=self.ttl)
        ctx.services.logger.info("budget usage", app_id=req.app_id, llm_id=req.llm_id,
                                 cost=req.cost, requests=req.requests_count)
        return _done(stored="true")

    # -- StreamCompleteHandler ----------------------------------------------------------------
    def on_stream_complete(self, ctx: Context, req: StreamCompleteRequest) -> StreamCompleteResponse:
        day = day_of(0)
        app_id = ctx.app_id
        self._add(ctx, f"streams:{day}:app:{app_id}")
        self._add(ctx, f"stream_chunks:{day}:app:{app_id}", req.chunk_count)
        ctx.services.logger.info("stream complete", app_id=app_id, chunks=req.chunk_count,
                                 status=req.status_code, bytes=len(req.accumulated_response))
        return StreamCompleteResponse(handled=True)

    # -- SessionAware and EventSubscriber -----------------------------------------------------
    def on_session_ready(self, ctx: Context) -> None:
        ctx.services.events.subscribe(self.request_topic)
        ctx.services.logger.info("listening for report requests", topic=self.request_topic)

    def on_session_closing(self, ctx: Context) -> None:
        ctx.services.logger.info("usage collector session closing", session_id=ctx.session_id)

    def on_event(self, ctx: Context, event: Event) -> None:
        if event.topic != self.request_topic:
            return
        try:
            ask = event.json()
            app_id, day = int(ask["app_id"]), str(ask["day"])
        except (ValueError, KeyError, TypeError):
            ctx.services.logger.warn("malformed report request ignored", origin=event.origin)
            return
        ctx.services.events.publish(self.report_topic, self.report(ctx, app_id, day))

    def report(self, ctx: Context, app_id: int, day: str) -> dict[str, Any]:
        """One app's totals for one day, read from the counters."""
        def count(key: str) -> int:
            value = ctx.services.kv.get(key)
            return int(value) if value is not None else 0

        tokens = f"tokens:{day}:app:{app_id}"
        return {"app_id": app_id, "day": day,
                "requests": count(f"requests:{day}:app:{app_id}"),
                "errors": count(f"errors:{day}:app:{app_id}"),
                "prompt_tokens": count(tokens + ":prompt"),
                "response_tokens": count(tokens + ":response"),
                "total_tokens": count(tokens + ":total"),
                "cost": count(f"cost_micros:{day}:app:{app_id}") / MICROS,
                "streams": count(f"streams:{day}:app:{app_id}")}


def create_plugin() -> UsageCollector:
    return UsageCollector()
