"""Hostile: misbehaves on purpose, chosen by the request path of process_post_auth.

* ``/spin``: an infinite loop (the deadline must stop it);
* ``/bomb``: grows a bytearray by 1 MiB per step until memory runs out;
* ``/escape``: tries to reach outside the sandbox (files, environment, network,
  processes, threads) and reports each attempt in a header: ``ok`` would be a breach;
* ``/print``: prints to stdout and stderr (both must reach the host's log op);
* ``/lazy``: imports stdlib modules inside the hook (only build-time imports exist);
* ``/raise``: raises, to check the error envelope and its traceback;
* anything else: answers ``x-hostile: calm``.
"""

from __future__ import annotations

import json
import os
import sys

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse

from . import probes

try:  # imported at build time, so the module itself exists in the guest
    import socket
except ImportError:  # pragma: no cover - depends on the guest's stdlib
    socket = None  # type: ignore[assignment]


class Hostile(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("hostile", "1.0.0", "Misbehaves on purpose")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        path = req.request.path if req.request is not None else ""
        if path == "/spin":
            n = 0
            while True:
                n += 1
        if path == "/bomb":
            hoard = bytearray()
            while True:
                hoard += b"\x01" * (1 << 20)
        if path == "/escape":
            return PluginResponse(modified=True, headers=probes.escape_attempts(
                socket, int(req.request.headers.get("x-port", "1"))))
        if path == "/print":
            print("hello from the guest", req.app_id)
            sys.stderr.write("a warning from the guest\n")
            return PluginResponse(modified=True, headers={"x-printed": "yes"})
        if path == "/lazy":
            import base64
            import hmac
            import uuid
            digest = hmac.new(b"k", b"m", "sha256").hexdigest()[:8]
            return PluginResponse(modified=True, headers={
                "x-b64": base64.b64encode(b"hi").decode(), "x-hmac": digest,
                "x-uuid-len": str(len(str(uuid.uuid4())))})
        if path == "/raise":
            raise LookupError("raised on purpose")
        return PluginResponse(modified=True, headers={"x-hostile": "calm",
                                                      "x-pid": str(os.getpid()),
                                                      "x-json": json.dumps([1])})


def create_plugin() -> Hostile:
    return Hostile()
