"""Steady: a well-behaved member of a chain, for soak runs and as the neighbour of a
faulty plugin. pre_auth and post_auth add a header, the response hooks pass, data
collection counts records in KV (``count`` key) unless ``x-no-kv`` is in the context."""

from __future__ import annotations

from guest_sdk import (BasePlugin, Context, DataCollector, PostAuthHandler, PreAuthHandler,
                       ResponseHandler)
from guest_sdk.messages import (AnalyticsRequest, BudgetUsageRequest, DataCollectionResponse,
                                EnrichedRequest, HeadersRequest, HeadersResponse, PluginRequest,
                                PluginResponse, ProxyLogRequest, ResponseWriteRequest,
                                ResponseWriteResponse)


class Steady(BasePlugin, PreAuthHandler, PostAuthHandler, ResponseHandler, DataCollector):
    def __init__(self) -> None:
        super().__init__("steady", "1.0.0", "Well behaved")

    def handle_pre_auth(self, ctx: Context, req: PluginRequest) -> PluginResponse:
        return PluginResponse(modified=True, headers={"x-steady-pre": str(len(req.path))})

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        return PluginResponse(modified=True, headers={"x-steady-post": req.app_id or "0"})

    def on_before_write_headers(self, ctx: Context, req: HeadersRequest) -> HeadersResponse:
        return HeadersResponse(modified=False)

    def on_before_write(self, ctx: Context, req: ResponseWriteRequest) -> ResponseWriteResponse:
        return ResponseWriteResponse(modified=False)

    def _count(self, ctx: Context) -> DataCollectionResponse:
        value = ctx.services.kv.increment("count")
        return DataCollectionResponse(success=True, handled=True, metadata={"count": str(value)})

    def handle_proxy_log(self, ctx: Context, req: ProxyLogRequest) -> DataCollectionResponse:
        return self._count(ctx)

    def handle_analytics(self, ctx: Context, req: AnalyticsRequest) -> DataCollectionResponse:
        return self._count(ctx)

    def handle_budget_usage(self, ctx: Context, req: BudgetUsageRequest) -> DataCollectionResponse:
        return self._count(ctx)


def create_plugin() -> Steady:
    return Steady()
