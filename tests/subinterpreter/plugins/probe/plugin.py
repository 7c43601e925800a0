"""Probe: ``handle_post_auth`` does what the ``x-mode`` header says.

* ``spin``: a pure-Python loop that never ends;
* ``swallow``: a loop that catches BaseException (a deadline too) for ``x-seconds``;
* ``cwork``: ``sum(range(x-n))``, C-level work the deadline cannot interrupt;
* ``sleep``: ``time.sleep(x-seconds)``;
* ``kv``: reads the KV key ``x-key`` and answers it in ``x-value``;
* ``count``: sleeps ``x-seconds`` (default 0), adds one to a module-level counter and
  answers it (one counter per interpreter);
* ``thread``: answers the OS thread's id in ``x-thread``;
* anything else: answers at once.
"""

from __future__ import annotations

import sys
import threading
import time

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse

COUNT = 0


def _swallow(end: float) -> int:
    """Loop until ``end``, catching every exception (twice nested, so one landing in a
    handler is caught too)."""
    caught = 0
    while True:
        try:
            try:
                while time.monotonic() < end:
                    pass
                return caught
            except BaseException:  # noqa: B036 - the point of this mode
                caught += 1
        except BaseException:  # noqa: B036
            caught += 1


class Probe(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("probe", "1.0.0", "Subinterpreter probe")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        global COUNT
        headers = req.request.headers if req.request is not None else {}
        mode = headers.get("x-mode", "")
        if mode == "spin":
            while True:
                pass
        if mode == "swallow":
            caught = _swallow(time.monotonic() + float(headers.get("x-seconds", "1")))
            return PluginResponse(modified=True, headers={"x-caught": str(caught)})
        if mode == "cwork":
            total = sum(range(int(headers.get("x-n", "1000"))))
            return PluginResponse(modified=True, headers={"x-sum": str(total)})
        if mode == "sleep":
            time.sleep(float(headers.get("x-seconds", "1")))
        if mode == "kv":
            value = ctx.services.kv.read(headers.get("x-key", "k")).decode()
            return PluginResponse(modified=True, headers={"x-value": value})
        if mode == "thread":
            return PluginResponse(modified=True, headers={"x-thread": str(threading.get_native_id())})
        if mode == "count":
            time.sleep(float(headers.get("x-seconds", "0")))  # keeps the instance busy
            COUNT += 1
            return PluginResponse(modified=True, headers={"x-count": str(COUNT),
                                                          "x-modules": str(id(sys.modules))})
        return PluginResponse(modified=True, headers={"x-probe": "ok"})


def create_plugin() -> Probe:
    return Probe()
