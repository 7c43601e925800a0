"""Gateway services: looks the request's app and LLM up and reports them in headers.

The header ``x-llm-id`` names the LLM. With ``x-raw`` the ops are called through
``ctx.services.call`` directly, skipping the SDK's own runtime check.
"""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Lookup(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("gateway-services", "1.0.0", "Looks up apps and LLMs")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        headers = req.request.headers if req.request is not None else {}
        app_id = int(req.app_id or "0")
        llm_id = int(headers.get("x-llm-id", "0"))
        if "x-raw" in headers:
            app = ctx.services.call("gateway.get_app", {"app_id": app_id})["app"]
            llm = ctx.services.call("gateway.get_llm", {"llm_id": llm_id})["llm"]
        else:
            app = ctx.services.gateway.get_app(app_id)
            llm = ctx.services.gateway.get_llm(llm_id)
        return PluginResponse(modified=True, headers={
            "x-app-name": str(app.get("name", "")), "x-llm-vendor": str(llm.get("vendor", "")),
            "x-llm-model": str(llm.get("default_model", ""))})


def create_plugin() -> Lookup:
    return Lookup()
