"""Clocks: reports what the guest sees of time and randomness, chosen by request path.

Every answer carries one header, ``x-report``, a JSON object:

* ``/read``: two readings of each clock taken in one call with work in between
  (``time.time_ns``, ``time.monotonic_ns``, ``datetime.now``), the resolutions
  ``time.get_clock_info`` reports, ``os.urandom(16)``, ``random.random()`` and
  ``uuid.uuid4()``, and ``perf_counter_ns`` and ``process_time_ns``;
* ``/sleep``: ``time.sleep(0.01)`` (``?n=<ms>``: that long) and the monotonic readings
  around it; ``/select?n=<ms>``: ``select.select`` with that timeout;
* ``/busy``: waits one second by reading the wall clock in a loop (never ends on a
  frozen clock: only the deadline stops it);
* ``/loop-clock?n=N``, ``/loop-urandom?n=N``: N reads of ``time.time_ns()`` or
  ``os.urandom(16)`` (the host times the call to measure a read);
* ``/urandom?n=N``: the length of ``os.urandom(N)``;
* anything else: ``{}``.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import select
import time
import uuid

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


def _work() -> int:
    """Some guest work between two readings (a few milliseconds)."""
    return sum(i * i for i in range(20000))


def _read() -> dict[str, object]:
    wall1, mono1, dt1 = time.time_ns(), time.monotonic_ns(), datetime.datetime.now()
    _work()
    wall2, mono2, dt2 = time.time_ns(), time.monotonic_ns(), datetime.datetime.now()
    return {
        "wall": [wall1, wall2], "mono": [mono1, mono2],
        "datetime": [dt1.isoformat(), dt2.isoformat()],
        "res_wall": time.get_clock_info("time").resolution,
        "res_mono": time.get_clock_info("monotonic").resolution,
        "urandom": os.urandom(16).hex(), "random": random.random(), "uuid": str(uuid.uuid4()),
        "perf": time.perf_counter_ns(), "process": time.process_time_ns(),
    }


def _sleep(ms: int = 10) -> dict[str, object]:
    before = time.monotonic_ns()
    time.sleep(ms / 1000)
    return {"mono": [before, time.monotonic_ns()]}


def _select(ms: int) -> dict[str, object]:
    before = time.monotonic_ns()
    select.select([], [], [], ms / 1000)
    return {"mono": [before, time.monotonic_ns()]}


def _busy() -> dict[str, object]:
    start = time.time()
    n = 0
    while time.time() - start < 1.0:
        n += 1
    return {"reads": n}


class Clocks(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("clocks", "1.0.0", "Reports clocks and randomness")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        path = req.request.path if req.request is not None else ""
        path, _, query = path.partition("?")
        n = int(query[2:]) if query.startswith("n=") else 0
        report: dict[str, object] = {}
        if path == "/read":
            report = _read()
        elif path == "/sleep":
            report = _sleep(n or 10)
        elif path == "/select":
            report = _select(n)
        elif path == "/busy":
            report = _busy()
        elif path == "/loop-clock":
            for _ in range(n):
                time.time_ns()
        elif path == "/loop-urandom":
            for _ in range(n):
                os.urandom(16)
        elif path == "/urandom":
            report = {"length": len(os.urandom(n))}
        return PluginResponse(modified=True, headers={"x-report": json.dumps(report)})


def create_plugin() -> Clocks:
    return Clocks()
