"""The base class every plugin derives from."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import Context

__all__ = ["BasePlugin"]


class BasePlugin:
    """A plugin: a name, a version, a description, and a lifecycle.

    Subclass it together with the capability classes of :mod:`guest_sdk.capabilities`
    the plugin implements, and expose a factory (``module:factory`` in the manifest's
    ``sandbox.entry``) that returns an instance.

    The runtime may create several instances of one plugin (a pool) and replace any of
    them at any time, so:

    * ``initialize`` runs on **every** instance and must be idempotent;
    * keep shared state in KV (``ctx.services.kv``), not in attributes;
    * session hooks, scheduled tasks and each event go to exactly one instance.
    """

    def __init__(self, name: str, version: str = "0.0.0", description: str = "") -> None:
        self.name = name
        self.version = version
        self.description = description

    def initialize(self, ctx: "Context", config: dict[str, str]) -> None:
        """Receive the configuration, flattened to strings (PROTOCOL.md 5.3).

        Raise to refuse it: the load fails with ``INIT_FAILED`` and the message.
        """

    def shutdown(self, ctx: "Context") -> None:
        """Release what the instance holds; called before the instance is dropped."""
