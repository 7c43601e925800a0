"""Manifest provider: an AI Studio manifest without a UI."""

from __future__ import annotations

from guest_sdk import BasePlugin, ManifestProvider

MANIFEST: dict[str, object] = {"id": "com.example.tests.manifest_provider", "version": "1.0.0",
            "name": "Manifest provider", "capabilities": {"hooks": ["studio_ui"]}}


class Provider(BasePlugin, ManifestProvider):
    def __init__(self) -> None:
        super().__init__("manifest-provider", "1.0.0", "Provides a manifest")

    def get_manifest(self) -> dict[str, object]:
        return MANIFEST


def create_plugin() -> Provider:
    return Provider()
