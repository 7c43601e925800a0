"""Import fails: raises while its module is imported (on the wasm tier: while building)."""

from __future__ import annotations

from guest_sdk import BasePlugin, PostAuthHandler

raise RuntimeError("this plugin refuses to be imported")


class Never(BasePlugin, PostAuthHandler):  # pragma: no cover - never reached
    pass


def create_plugin() -> Never:  # pragma: no cover - never reached
    return Never("never", "0", "")
