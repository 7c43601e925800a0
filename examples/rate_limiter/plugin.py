"""Rate limiter: a fixed-window request counter per client, shared through KV.

Every instance of the plugin (and every gateway running it) counts in the same KV
counter, so the limit holds however many instances serve the traffic. A window opens
with a client's first request and lasts ``window_seconds``: the counter is created by
``kv.increment(key, ttl_seconds=window)`` and expires with the window, and the window's
end is stored next to it so a refusal can say when to retry.

``key_by`` chooses the client and, with it, the phase that counts:

* ``remote_addr`` counts in **pre_auth** (before authentication, so it also protects
  the auth step); the port of the address is ignored;
* ``app`` and ``user`` count in **post_auth**, where the authenticated app and user
  are known.

The other phase lets requests pass untouched, so each request is counted once. Within
the limit the request goes on with ``x-ratelimit-limit`` / ``x-ratelimit-remaining``
headers added (pre/post-auth headers go upstream with the request). Over the limit it
is blocked with 429, a JSON error body and ``retry-after`` / ``x-ratelimit-*`` headers.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from guest_sdk import BasePlugin, ConfigProvider, Context, PostAuthHandler, PreAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginRequest, PluginResponse

KEY_BY = ("app", "remote_addr", "user")

#: The JSON Schema of the configuration (the same document as config.schema.json).
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "limit": {"type": "integer", "minimum": 1,
                  "description": "Requests allowed per window and client (default 60)."},
        "window_seconds": {"type": "integer", "minimum": 1, "maximum": 86400,
                           "description": "Length of a window in seconds (default 60)."},
        "key_by": {"enum": list(KEY_BY),
                   "description": "What identifies a client: app, remote_addr (default) or user."},
    },
    "additionalProperties": False,
}


def client_address(remote_addr: str) -> str:
    """``remote_addr`` without its port: ``1.2.3.4:5678`` -> ``1.2.3.4``, ``[::1]:80`` -> ``::1``."""
    addr = remote_addr.strip()
    if addr.startswith("["):
        return addr[1:].partition("]")[0]
    if addr.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        return addr.partition(":")[0]
    return addr


class RateLimiter(BasePlugin, PreAuthHandler, PostAuthHandler, ConfigProvider):
    def __init__(self) -> None:
        super().__init__("rate-limiter", "1.0.0", "Fixed-window rate limits shared through KV")
        self.limit = 60
        self.window = 60
        self.key_by = "remote_addr"

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        limit = int(config.get("limit", "60"))
        window = int(config.get("window_seconds", "60"))
        key_by = config.get("key_by", "remote_addr")
        if limit < 1 or window < 1:
            raise ValueError("limit and window_seconds must be at least 1")
        if key_by not in KEY_BY:
            raise ValueError(f"key_by must be one of {', '.join(KEY_BY)}, not {key_by!r}")
        self.limit, self.window, self.key_by = limit, window, key_by

    def get_config_schema(self) -> dict[str, Any]:
        return CONFIG_SCHEMA

    # -- the two phases -----------------------------------------------------------------------
    def handle_pre_auth(self, ctx: Context, req: PluginRequest) -> PluginResponse:
        if self.key_by != "remote_addr":
            return PluginResponse()
        return self._count(ctx, client_address(req.remote_addr))

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        if self.key_by == "remote_addr":
            return PluginResponse()
        client = req.app_id if self.key_by == "app" else req.user_id
        return self._count(ctx, client if client not in ("", "0") else "")

    # -- the counter ----------------------------------------------------------------------------
    def _count(self, ctx: Context, client: str) -> PluginResponse:
        key = f"rl:{self.key_by}:{client or 'unknown'}"
        kv = ctx.services.kv
        now = time.time()
        count = kv.increment(key, ttl_seconds=self.window)
        if count == 1:  # this request opened the window
            kv.write(key + ":reset", repr(now + self.window), ttl_seconds=self.window)
        headers = {"x-ratelimit-limit": str(self.limit),
                   "x-ratelimit-remaining": str(max(0, self.limit - count))}
        if count <= self.limit:
            return PluginResponse(modified=True, headers=headers)
        stored = kv.get(key + ":reset")
        reset = float(stored) if stored else now + self.window
        retry_after = min(self.window, max(1, math.ceil(reset - now)))
        ctx.services.logger.info("rate limit exceeded", client=key, count=count, limit=self.limit)
        body = json.dumps({"error": {
            "message": f"rate limit exceeded: {self.limit} requests per {self.window} s",
            "type": "rate_limit_exceeded", "retry_after": retry_after}}).encode()
        headers.update({"content-type": "application/json", "retry-after": str(retry_after),
                        "x-ratelimit-reset": str(math.ceil(reset))})
        return PluginResponse(block=True, status_code=429, headers=headers, body=body,
                              error_message="rate limit exceeded")


def create_plugin() -> RateLimiter:
    return RateLimiter()
