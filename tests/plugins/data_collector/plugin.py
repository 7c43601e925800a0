"""Data collector: counts proxy logs, analytics and budget records in KV.

A record whose ``request_id`` starts with ``fail`` makes the hook raise.
"""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, DataCollector
from guest_sdk.messages import (AnalyticsRequest, BudgetUsageRequest, DataCollectionResponse,
                                ProxyLogRequest)


class Collector(BasePlugin, DataCollector):
    def __init__(self) -> None:
        super().__init__("data-collector", "1.0.0", "Counts records")

    def _count(self, ctx: Context, kind: str, request_id: str) -> DataCollectionResponse:
        if request_id.startswith("fail"):
            raise RuntimeError(f"cannot store {kind} record {request_id}")
        value = ctx.services.kv.increment(f"count:{kind}")
        return DataCollectionResponse(success=True, handled=True, metadata={"count": str(value)})

    def handle_proxy_log(self, ctx: Context, req: ProxyLogRequest) -> DataCollectionResponse:
        return self._count(ctx, "proxy_log", req.request_id)

    def handle_analytics(self, ctx: Context, req: AnalyticsRequest) -> DataCollectionResponse:
        return self._count(ctx, "analytics", req.request_id)

    def handle_budget_usage(self, ctx: Context, req: BudgetUsageRequest) -> DataCollectionResponse:
        return self._count(ctx, "budget_usage", req.request_id)


def create_plugin() -> Collector:
    return Collector()
