"""Stdlib lazy imports: standard-library calls that import a module on first use.

A componentize-py guest can import only what was imported while it was pre-initialised,
so each of these fails in the sandbox unless the build preloads the module. The answer
maps each check to its result (or the exception it raised), for the test to compare
with the in-process tier.
"""

from __future__ import annotations

import codecs
import datetime
import json
import time

from guest_sdk import BasePlugin, Context, PostAuthHandler
from guest_sdk.messages import EnrichedRequest, PluginResponse

CHECKS = {
    "datetime.strptime": lambda: datetime.datetime.strptime("2024-01-02 03:04", "%Y-%m-%d %H:%M").isoformat(),
    "time.strptime": lambda: list(time.strptime("2024-02-03", "%Y-%m-%d")[:3]),
    "json.loads(utf-16)": lambda: json.loads('{"a": 1}'.encode("utf-16")),
    "json.loads(utf-16-le)": lambda: json.loads('{"a": 1}'.encode("utf-16-le")),
    "json.loads(utf-32)": lambda: json.loads('{"a": 1}'.encode("utf-32")),
    "utf-8-sig": lambda: b"\xef\xbb\xbfok".decode("utf-8-sig"),
    "idna": lambda: "b\u00fccher.example".encode("idna").decode(),
    "cp1252": lambda: b"\x80\x93".decode("cp1252"),
    "unicode_escape": lambda: b"a\\nb".decode("unicode_escape"),
    "raw_unicode_escape": lambda: "\u00e9".encode("raw_unicode_escape").decode("latin-1"),
    "hex": lambda: codecs.encode(b"hi", "hex").decode(),
    "base64": lambda: codecs.encode(b"hi", "base64").decode(),
}


class StdlibLazy(BasePlugin, PostAuthHandler):
    def __init__(self) -> None:
        super().__init__("stdlib-lazy", "1.0.0", "Runs stdlib calls that import lazily")

    def handle_post_auth(self, ctx: Context, req: EnrichedRequest) -> PluginResponse:
        results: dict[str, object] = {}
        for name, check in CHECKS.items():
            try:
                results[name] = check()
            except Exception as exc:  # noqa: BLE001 - the test reports it
                results[name] = f"{type(exc).__name__}: {exc}"
        return PluginResponse(modified=True, headers={"x-results": json.dumps(results, sort_keys=True)})


def create_plugin() -> StdlibLazy:
    return StdlibLazy()
