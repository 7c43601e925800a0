"""The per-call context a plugin method receives."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from .services import Services

__all__ = ["Context", "RuntimeKind"]


class RuntimeKind(str, Enum):
    """Which host's services the plugin talks to (PROTOCOL.md section 6)."""

    STUDIO = "studio"
    GATEWAY = "gateway"


class Context:
    """What a hook call knows about its request and the plugin's services.

    Attributes mirror the Go SDK's context: ``runtime``, ``request_id``, ``app_id``,
    ``user_id``, ``session_id``, ``vendor``, ``llm_id``, ``llm_slug``, ``metadata``,
    ``trace_context``, ``edge_id``, ``edge_namespace`` and ``services`` (``kv``,
    ``logger``, ``events``, ``gateway``, ``studio``). ``plugin_id`` is the identity
    the operator assigned; ``hook`` is the running hook's name.
    """

    __slots__ = ("runtime", "plugin_id", "hook", "request_id", "app_id", "user_id",
                 "session_id", "vendor", "llm_id", "llm_slug", "metadata", "trace_context",
                 "edge_id", "edge_namespace", "services")

    def __init__(self, services: "Services", runtime: RuntimeKind, plugin_id: str, hook: str,
                 plugin_context: Mapping[str, Any] | None = None, session_id: str = "") -> None:
        pc = plugin_context or {}
        self.services = services
        self.runtime = runtime
        self.plugin_id = plugin_id
        self.hook = hook
        self.request_id: str = pc.get("request_id", "")
        self.vendor: str = pc.get("vendor", "")
        self.llm_id: int = pc.get("llm_id", 0)
        self.llm_slug: str = pc.get("llm_slug", "")
        self.app_id: int = pc.get("app_id", 0)
        self.user_id: int = pc.get("user_id", 0)
        self.metadata: dict[str, str] = dict(pc.get("metadata") or {})
        self.trace_context: dict[str, str] = dict(pc.get("trace_context") or {})
        self.edge_id: str = self.metadata.get("edge_id", "")
        self.edge_namespace: str = self.metadata.get("edge_namespace", "")
        self.session_id: str = session_id or self.metadata.get("session_id", "")

    def __repr__(self) -> str:
        return (f"Context(runtime={self.runtime.value!r}, plugin_id={self.plugin_id!r}, "
                f"hook={self.hook!r}, request_id={self.request_id!r}, app_id={self.app_id})")
