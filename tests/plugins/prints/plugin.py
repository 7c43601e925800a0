"""Prints: writes to stdout and stderr inside a hook, including a caught traceback."""

from __future__ import annotations

import sys
import traceback

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse


def _fail() -> None:
    raise LookupError("caught and printed")  # the traceback points here


class Printer(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("printer", "1.0.0", "Talks a lot")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        print("hello from print", req.app_id)
        sys.stderr.write("a warning on stderr\n")
        sys.stdout.write("no newline at the end")
        try:
            _fail()
        except LookupError:
            traceback.print_exc()
        return PluginResponse(modified=True, headers={"x-printed": "yes"})


def create_plugin() -> Printer:
    return Printer()
