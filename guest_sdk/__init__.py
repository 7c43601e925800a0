"""The Python SDK for gateway plugins: what a plugin author imports.

A plugin derives from :class:`BasePlugin` and the capability classes it implements,
uses the typed messages of :mod:`guest_sdk.messages`, and reaches host services
through ``ctx.services`` (``kv``, ``logger``, ``events``, ``gateway``, ``studio``).
The same code runs unchanged on every tier (wasm, subinterpreter, in-process).
"""

from __future__ import annotations

from . import messages
from .capabilities import (AgentPlugin, AuthHandler, ConfigProvider, CustomEndpointHandler,
                           DataCollector, EdgePayloadReceiver, EventSubscriber,
                           ManifestProvider, ObjectHookHandler, PortalUIProvider,
                           PostAuthHandler, PreAuthHandler, ResourceProvider, ResponseHandler,
                           SchedulerPlugin, SessionAware, StreamCompleteHandler, UIProvider)
from .context import Context, RuntimeKind
from .errors import (InvalidArgument, LimitExceeded, NotFound, PayloadTooLarge,
                     PermissionDenied, QuotaExceeded, ServiceError, ServiceUnavailable,
                     StreamCancelled, UnsupportedEmbedded, UnsupportedUnderHost, WrongRuntime)
from .events import Event
from .plugin import BasePlugin
from .services import Direction
from .streams import ChunkStream

__version__ = "0.1.0"

__all__ = [
    "AgentPlugin", "AuthHandler", "BasePlugin", "ChunkStream", "ConfigProvider", "Context",
    "CustomEndpointHandler", "DataCollector", "Direction", "EdgePayloadReceiver", "Event",
    "EventSubscriber", "InvalidArgument", "LimitExceeded", "ManifestProvider", "NotFound",
    "ObjectHookHandler", "PayloadTooLarge", "PermissionDenied", "PortalUIProvider",
    "PostAuthHandler", "PreAuthHandler", "QuotaExceeded", "ResourceProvider",
    "ResponseHandler", "RuntimeKind", "SchedulerPlugin", "ServiceError", "ServiceUnavailable",
    "SessionAware", "StreamCancelled", "StreamCompleteHandler", "UIProvider",
    "UnsupportedEmbedded", "UnsupportedUnderHost", "WrongRuntime", "messages",
]
