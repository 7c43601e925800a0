"""Host call flood: 2,000 log calls in one hook; counts what was refused."""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PostAuthHandler, ServiceError
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Flood(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("host-call-flood", "1.0.0", "Logs too much")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        ok = 0
        refused: dict[str, int] = {}
        first_refused = -1
        for i in range(2000):
            try:
                ctx.services.logger.debug("flood", i=i)
                ok += 1
            except ServiceError as exc:
                refused[exc.code] = refused.get(exc.code, 0) + 1
                if first_refused < 0:
                    first_refused = i
        headers = {"x-ok": str(ok), "x-first-refused": str(first_refused)}
        headers.update({f"x-refused-{code.lower()}": str(n) for code, n in refused.items()})
        return PluginResponse(modified=True, headers=headers)


def create_plugin() -> Flood:
    return Flood()
