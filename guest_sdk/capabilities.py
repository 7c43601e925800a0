"""The capability interfaces of the AI Studio plugin model, one class each.

A plugin declares a capability by deriving from its class and implementing its
abstract methods; the runtime learns the set from the instance (hook ``instance_start``)
and answers the Go SDK's neutral default for hooks the plugin lacks. Method names are
the Go SDK's, in snake_case.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Iterable

from .messages import (App, AgentMessageChunk, AgentMessageRequest, AssetInfo, AuthRequest,
                       AuthResponse, DataCollectionResponse, EdgePayloadRequest,
                       EndpointRegistration, EndpointRequest, EndpointResponse,
                       EndpointResponseChunk, EnrichedRequest, HeadersRequest, HeadersResponse,
                       ObjectHookRegistration, ObjectHookRequest, ObjectHookResponse,
                       PluginRequest, PluginResponse, PortalUserContext, ProxyLogRequest,
                       AnalyticsRequest, BudgetUsageRequest, ResourceInstanceProto,
                       ResourceTypeRegistrationProto, ResponseWriteRequest,
                       ResponseWriteResponse, ScheduleDefinition, StreamCompleteRequest,
                       StreamCompleteResponse, User)

if TYPE_CHECKING:
    from .context import Context
    from .events import Event
    from .streams import ChunkStream

__all__ = [
    "PreAuthHandler", "AuthHandler", "PostAuthHandler", "ResponseHandler",
    "StreamCompleteHandler", "DataCollector", "CustomEndpointHandler", "UIProvider",
    "PortalUIProvider", "ConfigProvider", "ManifestProvider", "AgentPlugin",
    "ObjectHookHandler", "SchedulerPlugin", "EdgePayloadReceiver", "ResourceProvider",
    "SessionAware", "EventSubscriber", "CAPABILITIES",
]

#: A JSON document: text, bytes of UTF-8 text, or a value to encode.
JsonDoc = str | bytes | dict[str, Any] | list[Any]


class PreAuthHandler(ABC):
    """Hook ``pre_auth``: see (and block or rewrite) a request before authentication."""

    @abstractmethod
    def handle_pre_auth(self, ctx: "Context", req: PluginRequest) -> PluginResponse:
        """Answer ``PluginResponse(block=True, ...)`` to stop the request, ``modified=True``
        with headers/body to rewrite it, or ``PluginResponse()`` to let it pass."""


class AuthHandler(ABC):
    """Hook ``auth``: authenticate a request with a custom credential."""

    @abstractmethod
    def handle_auth(self, ctx: "Context", req: AuthRequest) -> AuthResponse:
        """Answer ``AuthResponse(authenticated=True, app_id=..., user_id=...)`` or refuse."""

    @abstractmethod
    def get_app_by_credential(self, ctx: "Context", credential: str) -> App:
        """The app a credential belongs to; raise when there is none."""

    @abstractmethod
    def get_user_by_credential(self, ctx: "Context", credential: str) -> User:
        """The user a credential belongs to; raise when there is none."""


class PostAuthHandler(ABC):
    """Hook ``post_auth``: enrich, rewrite, route or block an authenticated request."""

    @abstractmethod
    def handle_post_auth(self, ctx: "Context", req: EnrichedRequest) -> PluginResponse:
        """As :meth:`PreAuthHandler.handle_pre_auth`; ``context_updates`` also reach the
        host request context (e.g. ``upstream_override``)."""


class ResponseHandler(ABC):
    """Hook ``on_response``: rewrite response headers and bodies."""

    @abstractmethod
    def on_before_write_headers(self, ctx: "Context", req: HeadersRequest) -> HeadersResponse:
        """With ``modified=True`` the returned headers replace the whole set."""

    @abstractmethod
    def on_before_write(self, ctx: "Context", req: ResponseWriteRequest) -> ResponseWriteResponse:
        """With ``modified=True`` the returned body (and headers) replace the original."""


class StreamCompleteHandler(ABC):
    """Hook ``on_response`` after a streamed reply: see the whole accumulated stream."""

    @abstractmethod
    def on_stream_complete(self, ctx: "Context", req: StreamCompleteRequest) -> StreamCompleteResponse:
        """Informational: the host only aggregates the flags."""


class DataCollector(ABC):
    """Hook ``data_collection``: receive proxy logs, analytics and budget records."""

    @abstractmethod
    def handle_proxy_log(self, ctx: "Context", req: ProxyLogRequest) -> DataCollectionResponse: ...

    @abstractmethod
    def handle_analytics(self, ctx: "Context", req: AnalyticsRequest) -> DataCollectionResponse: ...

    @abstractmethod
    def handle_budget_usage(self, ctx: "Context", req: BudgetUsageRequest) -> DataCollectionResponse: ...


class CustomEndpointHandler(ABC):
    """Hook ``custom_endpoint``: serve HTTP routes under ``/plugins/{slug}/``."""

    @abstractmethod
    def get_endpoint_registrations(self) -> Iterable[EndpointRegistration]:
        """The routes to serve (paths start with ``/``; ``/*`` is a catch-all)."""

    @abstractmethod
    def handle_endpoint_request(self, ctx: "Context", req: EndpointRequest) -> EndpointResponse:
        """A unary reply (status 0 means 200)."""

    def handle_endpoint_request_stream(self, ctx: "Context", req: EndpointRequest,
                                       stream: "ChunkStream[EndpointResponseChunk]") -> None:
        """A streamed reply: ``stream.send(EndpointResponseChunk(...))`` for HEADERS, each
        BODY chunk (flushed at once) and DONE. Not overriding it answers an error."""
        raise NotImplementedError("this plugin does not stream endpoint responses")


class UIProvider(ABC):
    """Hook ``studio_ui``: admin UI assets, manifest and RPC."""

    @abstractmethod
    def get_asset(self, asset_path: str) -> tuple[bytes, str]:
        """The asset's content and MIME type; raise when it does not exist."""

    @abstractmethod
    def list_assets(self, path_prefix: str) -> Iterable[AssetInfo]:
        """The assets under ``path_prefix``."""

    @abstractmethod
    def get_manifest(self) -> JsonDoc:
        """The AI Studio manifest (PROTOCOL.md section 10) as JSON."""

    @abstractmethod
    def handle_rpc(self, method: str, payload: str) -> JsonDoc:
        """An admin-UI RPC; ``payload`` is JSON text; the answer is JSON."""


class PortalUIProvider(ABC):
    """Hook ``portal_ui``: end-user portal RPC, with the portal user's identity."""

    @abstractmethod
    def handle_portal_rpc(self, method: str, payload: str, user: PortalUserContext) -> JsonDoc:
        """Authorise ``user`` yourself: the portal is not the admin UI."""


class ConfigProvider(ABC):
    """Describe the plugin's configuration with a JSON Schema."""

    @abstractmethod
    def get_config_schema(self) -> JsonDoc:
        """The JSON Schema the configuration is validated against before ``initialize``."""


class ManifestProvider(ABC):
    """Provide the AI Studio manifest without a UI."""

    @abstractmethod
    def get_manifest(self) -> JsonDoc: ...


class AgentPlugin(ABC):
    """Hook ``agent``: a conversational agent that streams its reply."""

    @abstractmethod
    def handle_agent_message(self, ctx: "Context", req: AgentMessageRequest,
                             stream: "ChunkStream[AgentMessageChunk]") -> None:
        """Send chunks with ``stream.send(AgentMessageChunk(...))`` as they are produced;
        the last one should have ``is_final=True``."""

    def get_manifest(self) -> JsonDoc:
        return "{}"


class ObjectHookHandler(ABC):
    """Hook ``object_hooks``: approve, reject or modify CRUD operations on Studio objects."""

    @abstractmethod
    def get_object_hook_registrations(self) -> Iterable[ObjectHookRegistration]: ...

    @abstractmethod
    def handle_object_hook(self, ctx: "Context", req: ObjectHookRequest) -> ObjectHookResponse: ...


class SchedulerPlugin(ABC):
    """Run scheduled tasks (schedules from the manifest or created through the service API)."""

    @abstractmethod
    def execute_scheduled_task(self, ctx: "Context", schedule: ScheduleDefinition,
                               config: dict[str, Any]) -> None:
        """Raise to report failure. ``config`` is the schedule's ``config_json`` parsed."""


class EdgePayloadReceiver(ABC):
    """Receive payloads that edge instances of this plugin sent to the control plane."""

    @abstractmethod
    def accept_edge_payload(self, ctx: "Context", payload: EdgePayloadRequest) -> bool:
        """True when the payload was handled."""


class ResourceProvider(ABC):
    """Provide resource types and instances that Apps can be bound to."""

    @abstractmethod
    def get_resource_type_registrations(self) -> Iterable[ResourceTypeRegistrationProto]: ...

    @abstractmethod
    def list_resource_instances(self, ctx: "Context", resource_type_slug: str) -> Iterable[ResourceInstanceProto]: ...

    @abstractmethod
    def get_resource_instance(self, ctx: "Context", resource_type_slug: str,
                              instance_id: str) -> ResourceInstanceProto: ...

    @abstractmethod
    def validate_resource_selection(self, ctx: "Context", resource_type_slug: str,
                                    instance_ids: list[str], app_id: int) -> None:
        """Raise to refuse the selection (the message is shown)."""

    @abstractmethod
    def create_resource_instance(self, ctx: "Context", resource_type_slug: str,
                                 payload: bytes) -> ResourceInstanceProto: ...


class SessionAware(ABC):
    """Be told when the host session (and its services) is ready and when it closes."""

    @abstractmethod
    def on_session_ready(self, ctx: "Context") -> None:
        """A good moment to subscribe to events or create schedules. Runs on one instance."""

    @abstractmethod
    def on_session_closing(self, ctx: "Context") -> None: ...


class EventSubscriber(ABC):
    """Receive events of the topics the plugin subscribed to."""

    @abstractmethod
    def on_event(self, ctx: "Context", event: "Event") -> None: ...


#: Every capability class by name (the names the hook table uses).
CAPABILITIES: dict[str, type] = {
    cls.__name__: cls
    for cls in (PreAuthHandler, AuthHandler, PostAuthHandler, ResponseHandler,
                StreamCompleteHandler, DataCollector, CustomEndpointHandler, UIProvider,
                PortalUIProvider, ConfigProvider, ManifestProvider, AgentPlugin,
                ObjectHookHandler, SchedulerPlugin, EdgePayloadReceiver, ResourceProvider,
                SessionAware, EventSubscriber)
}
