"""Config provider: a schema with a required key; ``initialize`` refuses plain http."""

from __future__ import annotations

from guest_sdk import BasePlugin, ConfigProvider, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse

SCHEMA: dict[str, object] = {
    "type": "object",
    "required": ["endpoint"],
    "properties": {"endpoint": {"type": "string", "minLength": 1},
                   "retries": {"type": "integer", "minimum": 0}},
}


class Configured(BasePlugin, ConfigProvider, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("config-provider", "1.0.0", "Needs an endpoint")
        self.endpoint = ""
        self.retries = "0"

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        endpoint = config["endpoint"]
        if not endpoint.startswith("https://"):
            raise ValueError(f"endpoint must use https, got {endpoint!r}")
        self.endpoint = endpoint
        self.retries = config.get("retries", "0")

    def get_config_schema(self) -> dict[str, object]:
        return SCHEMA

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        return PluginResponse(modified=True, headers={"x-endpoint": self.endpoint,
                                                      "x-retries": self.retries})


def create_plugin() -> Configured:
    return Configured()
