"""Boundary: exercises the host <-> guest boundary, chosen by the request path of post_auth.

* ``/echo``: answers the request's body and headers back (bytes and text both ways);
* ``/log``: makes ``x-n`` log calls whose message is ``x-size`` characters long;
* ``/raw``: calls the host import ``x-n`` times with a ``x-size``-character log envelope,
  below the SDK's encoding and decoding (the boundary's own cost), and answers the
  host's last answer, as it arrived, in ``x-answer``;
* ``/host``: makes one ``log`` call and reports the host's answer in ``x-host``
  (``ok`` or ``err:<code>``), so a failing host import is visible to the test;
* ``/work``: runs a fixed loop of ``x-n`` iterations, between two log calls (``start``,
  ``end``) that tell the host when the guest was inside that loop;
* anything else: answers ``x-boundary: calm``.
"""

from __future__ import annotations

from guest_sdk import BasePlugin, Context, PostAuthHandler, ServiceError
from guest_sdk.messages import EnrichedRequest, PluginResponse


class Boundary(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("boundary", "1.0.0", "Exercises the call boundary")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        request = req.request
        path = request.path if request is not None else ""
        headers = dict(request.headers) if request is not None else {}
        if path == "/echo":
            assert request is not None
            return PluginResponse(modified=True, headers=headers, body=request.body)
        if path == "/log":
            n = int(headers.get("x-n", "1"))
            message = "m" * int(headers.get("x-size", "0"))
            for i in range(n):
                ctx.services.logger.info(message, i=i)
            return PluginResponse(modified=True, headers={"x-logged": str(n)})
        if path == "/raw":
            n = int(headers.get("x-n", "1"))
            envelope = '{"v":1,"args":{"level":"info","message":"%s","fields":{}}}' % (
                "m" * int(headers.get("x-size", "0")))
            raw = ctx.services.call._host_call  # the import itself, as the SDK calls it
            answer = ""
            for _ in range(n):
                answer = raw(1, envelope)
            return PluginResponse(modified=True, headers={"x-called": str(n), "x-answer": answer})
        if path == "/host":
            try:
                ctx.services.call("log", {"level": "info", "message": headers.get("x-message", ""),
                                          "fields": {}})
                outcome = "ok"
            except ServiceError as exc:
                outcome = f"err:{exc.code}"
            return PluginResponse(modified=True, headers={"x-host": outcome})
        if path == "/work":
            ctx.services.logger.info("start")
            total = 0
            for i in range(int(headers.get("x-n", "1000"))):
                total = (total + i * i) % 1000003
            ctx.services.logger.info("end")
            return PluginResponse(modified=True, headers={"x-total": str(total)})
        return PluginResponse(modified=True, headers={"x-boundary": "calm"})


def create_plugin() -> Boundary:
    return Boundary()
