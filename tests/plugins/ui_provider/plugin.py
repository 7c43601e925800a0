"""UI provider: assets from an in-memory dict, a manifest and an echoing RPC."""

from __future__ import annotations

import json

from guest_sdk import BasePlugin, UIProvider
from guest_sdk.messages import AssetInfo

ASSETS: dict[str, tuple[bytes, str]] = {
    "/ui/index.html": (b"<html><body>hi</body></html>", "text/html"),
    "/ui/app.js": (b"console.log('hi');", "application/javascript"),
    "/icon.png": (b"\x89PNG\r\n\x1a\n\x00\xff", "image/png"),
}


class UI(BasePlugin, UIProvider):
    def __init__(self) -> None:
        super().__init__("ui-provider", "1.0.0", "Serves admin UI assets")

    def get_asset(self, asset_path: str) -> tuple[bytes, str]:
        if asset_path not in ASSETS:
            raise FileNotFoundError(f"no asset {asset_path}")
        return ASSETS[asset_path]

    def list_assets(self, path_prefix: str) -> list[AssetInfo]:
        return [AssetInfo(path=p, mime_type=m, size=len(c))
                for p, (c, m) in sorted(ASSETS.items()) if p.startswith(path_prefix)]

    def get_manifest(self) -> dict[str, object]:
        return {"id": "com.example.tests.ui_provider", "ui": {"slots": ["sidebar"]}}

    def handle_rpc(self, method: str, payload: str) -> dict[str, object]:
        return {"method": method, "echo": json.loads(payload) if payload else None}


def create_plugin() -> UI:
    return UI()
