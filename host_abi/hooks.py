"""The hook table: every call the host makes into a plugin.

A hook is identified by a number that is never renumbered and by a snake_case name
(the PluginService RPC name for RPC hooks, e.g. ``process_post_auth``). Each row says
which request and response message the hook carries, which guest SDK capability
serves it, what the Go SDK answers when the plugin lacks that capability, and how a
failure of the plugin is answered under the fail-closed and fail-open policies.

Answer templates are envelope-form dicts (see :mod:`host_abi.envelope`); a string
value ``"{reason}"`` inside a template is replaced by the failure's description.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "FailPolicy",
    "HookSpec",
    "HOOKS",
    "HOOKS_BY_NAME",
    "hook_by_name",
    "hook_by_number",
    "fill_answer",
]

_PS = "plugin.PluginService"
_CP = "config_provider.ConfigProviderService"


class FailPolicy(str, Enum):
    """What the caller gets when a plugin fails (raises, times out, traps, answers garbage)."""

    #: The hook's fail-closed answer: deny, block or report failure.
    CLOSED = "closed"
    #: The hook's fail-open answer: carry on as if the plugin were not there.
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class HookSpec:
    """One row of the hook table."""

    number: int
    name: str
    #: RPC name on the gRPC service, or None for guest lifecycle hooks.
    rpc: str | None
    #: Full gRPC service name, or None for guest lifecycle hooks.
    service: str | None
    #: The AI Studio hook-type string (``pre_auth``, ``on_response``, ...) or None.
    hook_type: str | None
    #: Guest SDK capability classes that serve this hook (any of them).
    capabilities: tuple[str, ...]
    #: Full name of the request message (``plugin.EnrichedRequest``) or an ABI message.
    request: str
    #: Full name of the response message; for streaming hooks, the chunk message.
    response: str
    #: True when the answer is a stream of chunks emitted through ``stream.emit``.
    streaming: bool
    #: "guest" when the plugin runs it, "host" when the runtime answers it itself.
    answered_by: str
    #: The Go SDK's answer when the plugin lacks the capability; None means an error
    #: (``CAPABILITY_MISSING``), as the Go SDK answers a gRPC error there.
    default_answer: Mapping[str, Any] | None
    #: Fail-closed answer template; None means the caller receives the error itself.
    fail_closed: Mapping[str, Any] | None
    #: Fail-open answer template; None means fail-open is not allowed for this hook.
    fail_open: Mapping[str, Any] | None
    #: The policy applied unless the operator chooses another allowed one.
    default_fail_policy: FailPolicy

    @property
    def allowed_fail_policies(self) -> tuple[FailPolicy, ...]:
        """The fail policies an operator may choose for this hook."""
        if self.fail_open is None:
            return (FailPolicy.CLOSED,)
        return (FailPolicy.CLOSED, FailPolicy.OPEN)

    def fail_answer(self, policy: FailPolicy) -> Mapping[str, Any] | None:
        """The answer template for ``policy``; None means the error goes to the caller."""
        return self.fail_open if policy is FailPolicy.OPEN else self.fail_closed


def _m(**kw: Any) -> Mapping[str, Any]:
    return MappingProxyType(kw)


_BLOCK_503 = _m(
    block=True,
    status_code=503,
    headers=_m(**{"content-type": "application/json"}),
    body='{"error":{"message":"request blocked: a gateway plugin failed","type":"plugin_unavailable"}}',
    error_message="{reason}",
)
_NOT_MODIFIED = _m()
_FAILED = _m(success=False, error_message="{reason}")
_DC_OPEN = _m(success=True, handled=False)
_DC_CLOSED = _m(success=False, handled=False, error_message="{reason}")
_EMPTY = _m()

C, O = FailPolicy.CLOSED, FailPolicy.OPEN


def _h(
    number: int,
    name: str,
    rpc: str | None,
    service: str | None,
    hook_type: str | None,
    capabilities: tuple[str, ...],
    request: str,
    response: str,
    default_answer: Mapping[str, Any] | None,
    fail_closed: Mapping[str, Any] | None,
    fail_open: Mapping[str, Any] | None,
    default_fail_policy: FailPolicy,
    *,
    streaming: bool = False,
    answered_by: str = "guest",
) -> HookSpec:
    return HookSpec(
        number, name, rpc, service, hook_type, capabilities, request, response,
        streaming, answered_by, default_answer, fail_closed, fail_open, default_fail_policy,
    )


#: The hook table, in number order. Numbers 1-35 follow PluginService's RPC order.
HOOKS: tuple[HookSpec, ...] = (
    _h(0, "instance_start", None, None, None, ("BasePlugin",),
       "abi.InstanceStart", "abi.InstanceInfo", None, None, None, C),
    _h(1, "initialize", "Initialize", _PS, None, ("BasePlugin",),
       "plugin.InitRequest", "plugin.InitResponse", _m(success=True), _FAILED, None, C),
    _h(2, "ping", "Ping", _PS, None, ("BasePlugin",),
       "plugin.PingRequest", "plugin.PingResponse", _m(healthy=True),
       _m(healthy=False), None, C, answered_by="host"),
    _h(3, "shutdown", "Shutdown", _PS, None, ("BasePlugin",),
       "plugin.ShutdownRequest", "plugin.ShutdownResponse", _m(success=True),
       _m(success=False), _m(success=True), C),
    _h(4, "process_pre_auth", "ProcessPreAuth", _PS, "pre_auth", ("PreAuthHandler",),
       "plugin.PluginRequest", "plugin.PluginResponse", _NOT_MODIFIED, _BLOCK_503, _NOT_MODIFIED, C),
    _h(5, "authenticate", "Authenticate", _PS, "auth", ("AuthHandler",),
       "plugin.AuthRequest", "plugin.AuthResponse",
       _m(authenticated=False, error_message="plugin does not implement authentication"),
       _m(authenticated=False, error_message="{reason}"), None, C),
    _h(6, "get_app_by_credential", "GetAppByCredential", _PS, "auth", ("AuthHandler",),
       "plugin.GetAppRequest", "plugin.GetAppResponse",
       _m(success=False, error_message="plugin does not implement authentication"),
       _FAILED, None, C),
    _h(7, "get_user_by_credential", "GetUserByCredential", _PS, "auth", ("AuthHandler",),
       "plugin.GetUserRequest", "plugin.GetUserResponse",
       _m(success=False, error_message="plugin does not implement authentication"),
       _FAILED, None, C),
    _h(8, "process_post_auth", "ProcessPostAuth", _PS, "post_auth", ("PostAuthHandler",),
       "plugin.EnrichedRequest", "plugin.PluginResponse", _NOT_MODIFIED, _BLOCK_503, _NOT_MODIFIED, C),
    _h(9, "on_before_write_headers", "OnBeforeWriteHeaders", _PS, "on_response", ("ResponseHandler",),
       "plugin.HeadersRequest", "plugin.HeadersResponse", _NOT_MODIFIED, None, _NOT_MODIFIED, O),
    _h(10, "on_before_write", "OnBeforeWrite", _PS, "on_response", ("ResponseHandler",),
       "plugin.ResponseWriteRequest", "plugin.ResponseWriteResponse", _NOT_MODIFIED, None, _NOT_MODIFIED, O),
    _h(11, "on_stream_complete", "OnStreamComplete", _PS, "on_response", ("StreamCompleteHandler",),
       "plugin.StreamCompleteRequest", "plugin.StreamCompleteResponse", _m(),
       _m(error_message="{reason}"), _m(), O),
    _h(12, "handle_proxy_log", "HandleProxyLog", _PS, "data_collection", ("DataCollector",),
       "plugin.ProxyLogRequest", "plugin.DataCollectionResponse", _DC_OPEN, _DC_CLOSED, _DC_OPEN, O),
    _h(13, "handle_analytics", "HandleAnalytics", _PS, "data_collection", ("DataCollector",),
       "plugin.AnalyticsRequest", "plugin.DataCollectionResponse", _DC_OPEN, _DC_CLOSED, _DC_OPEN, O),
    _h(14, "handle_budget_usage", "HandleBudgetUsage", _PS, "data_collection", ("DataCollector",),
       "plugin.BudgetUsageRequest", "plugin.DataCollectionResponse", _DC_OPEN, _DC_CLOSED, _DC_OPEN, O),
    _h(15, "get_asset", "GetAsset", _PS, "studio_ui", ("UIProvider",),
       "plugin.GetAssetRequest", "plugin.GetAssetResponse", _m(success=False), _FAILED, None, C),
    _h(16, "list_assets", "ListAssets", _PS, "studio_ui", ("UIProvider",),
       "plugin.ListAssetsRequest", "plugin.ListAssetsResponse", _m(success=False), _FAILED, None, C),
    _h(17, "get_manifest", "GetManifest", _PS, "studio_ui",
       ("UIProvider", "AgentPlugin", "ManifestProvider"),
       "plugin.GetManifestRequest", "plugin.GetManifestResponse", _m(success=False), _FAILED, None, C),
    _h(18, "call", "Call", _PS, "studio_ui", ("UIProvider",),
       "plugin.CallRequest", "plugin.CallResponse", _m(success=False), _FAILED, None, C),
    _h(19, "portal_call", "PortalCall", _PS, "portal_ui", ("PortalUIProvider",),
       "plugin.PortalCallRequest", "plugin.PortalCallResponse", _m(success=False), _FAILED, None, C),
    _h(20, "get_config_schema", "GetConfigSchema", _PS, None, ("ConfigProvider",),
       "plugin.GetConfigSchemaRequest", "plugin.GetConfigSchemaResponse",
       _m(success=True, schema_json="{}"), _FAILED, None, C),
    _h(21, "handle_agent_message", "HandleAgentMessage", _PS, "agent", ("AgentPlugin",),
       "plugin.AgentMessageRequest", "plugin.AgentMessageChunk", None,
       _m(type=4, content="{reason}", is_final=True), None, C, streaming=True),
    _h(22, "get_object_hook_registrations", "GetObjectHookRegistrations", _PS, "object_hooks",
       ("ObjectHookHandler",), "plugin.GetObjectHookRegistrationsRequest",
       "plugin.GetObjectHookRegistrationsResponse", _EMPTY, None, None, C),
    _h(23, "handle_object_hook", "HandleObjectHook", _PS, "object_hooks", ("ObjectHookHandler",),
       "plugin.ObjectHookRequest", "plugin.ObjectHookResponse", _m(allow_operation=True),
       _m(allow_operation=False, rejection_reason="{reason}"), None, C),
    _h(24, "execute_scheduled_task", "ExecuteScheduledTask", _PS, None, ("SchedulerPlugin",),
       "plugin.ExecuteScheduledTaskRequest", "plugin.ExecuteScheduledTaskResponse", None,
       _FAILED, None, C),
    _h(25, "accept_edge_payload", "AcceptEdgePayload", _PS, None, ("EdgePayloadReceiver",),
       "plugin.EdgePayloadRequest", "plugin.EdgePayloadResponse",
       _m(success=False, handled=False), _DC_CLOSED, None, C),
    _h(26, "get_endpoint_registrations", "GetEndpointRegistrations", _PS, "custom_endpoint",
       ("CustomEndpointHandler",), "plugin.GetEndpointRegistrationsRequest",
       "plugin.GetEndpointRegistrationsResponse", _EMPTY, None, None, C),
    _h(27, "handle_endpoint_request", "HandleEndpointRequest", _PS, "custom_endpoint",
       ("CustomEndpointHandler",), "plugin.EndpointRequest", "plugin.EndpointResponse",
       _m(status_code=501, error_message="plugin does not implement custom endpoints"),
       _m(status_code=502, error_message="{reason}"), None, C),
    _h(28, "handle_endpoint_request_stream", "HandleEndpointRequestStream", _PS, "custom_endpoint",
       ("CustomEndpointHandler",), "plugin.EndpointRequest", "plugin.EndpointResponseChunk", None,
       _m(type=3, error_message="{reason}"), None, C, streaming=True),
    _h(29, "get_resource_type_registrations", "GetResourceTypeRegistrations", _PS,
       "resource_provider", ("ResourceProvider",), "plugin.GetResourceTypeRegistrationsRequest",
       "plugin.GetResourceTypeRegistrationsResponse", _EMPTY, None, None, C),
    _h(30, "list_resource_instances", "ListResourceInstances", _PS, "resource_provider",
       ("ResourceProvider",), "plugin.ListResourceInstancesRequest",
       "plugin.ListResourceInstancesResponse", _m(success=False), _FAILED, None, C),
    _h(31, "get_resource_instance", "GetResourceInstance", _PS, "resource_provider",
       ("ResourceProvider",), "plugin.GetResourceInstanceRequest",
       "plugin.GetResourceInstanceResponse", _m(success=False), _FAILED, None, C),
    _h(32, "validate_resource_selection", "ValidateResourceSelection", _PS, "resource_provider",
       ("ResourceProvider",), "plugin.ValidateResourceSelectionRequest",
       "plugin.ValidateResourceSelectionResponse", _m(valid=True),
       _m(valid=False, error_message="{reason}"), None, C),
    _h(33, "create_resource_instance", "CreateResourceInstance", _PS, "resource_provider",
       ("ResourceProvider",), "plugin.CreateResourceInstanceRequest",
       "plugin.CreateResourceInstanceResponse", _m(success=False), _FAILED, None, C),
    _h(34, "open_session", "OpenSession", _PS, None, ("SessionAware",),
       "plugin.OpenSessionRequest", "plugin.OpenSessionResponse", None, None, None, C,
       answered_by="host"),
    _h(35, "close_session", "CloseSession", _PS, None, ("SessionAware",),
       "plugin.CloseSessionRequest", "plugin.CloseSessionResponse", None, None, None, C,
       answered_by="host"),
    _h(36, "config_provider.get_config_schema", "GetConfigSchema", _CP, None, ("ConfigProvider",),
       "config_provider.ConfigSchemaRequest", "config_provider.ConfigSchemaResponse",
       _m(success=True, schema_json="{}"), _FAILED, None, C),
    _h(37, "config_provider.get_manifest", "GetManifest", _CP, None,
       ("UIProvider", "AgentPlugin", "ManifestProvider"),
       "config_provider.GetManifestRequest", "config_provider.GetManifestResponse",
       _m(success=True, manifest_json="{}"), _FAILED, None, C),
    _h(38, "config_provider.ping", "Ping", _CP, None, ("BasePlugin",),
       "config_provider.ConfigPingRequest", "config_provider.ConfigPingResponse",
       _m(healthy=True), _m(healthy=False), None, C, answered_by="host"),
    _h(40, "on_session_ready", None, None, None, ("SessionAware",),
       "abi.SessionInfo", "abi.Empty", _EMPTY, None, _EMPTY, O),
    _h(41, "on_session_closing", None, None, None, ("SessionAware",),
       "abi.SessionInfo", "abi.Empty", _EMPTY, None, _EMPTY, O),
    _h(42, "on_event", None, None, None, ("EventSubscriber",),
       "abi.Event", "abi.Empty", _EMPTY, None, _EMPTY, O),
)

HOOKS_BY_NUMBER: Mapping[int, HookSpec] = MappingProxyType({h.number: h for h in HOOKS})
HOOKS_BY_NAME: Mapping[str, HookSpec] = MappingProxyType({h.name: h for h in HOOKS})


def hook_by_number(number: int) -> HookSpec | None:
    """The hook with this number, or None."""
    return HOOKS_BY_NUMBER.get(number)


def hook_by_name(name: str) -> HookSpec | None:
    """The hook with this snake_case name, or None.

    The PluginService RPC name (``ProcessPostAuth``) is accepted too.
    """
    spec = HOOKS_BY_NAME.get(name)
    if spec is None:
        for h in HOOKS:
            if h.rpc == name and h.service == _PS:
                return h
    return spec


def fill_answer(template: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """Copy an answer template, replacing ``"{reason}"`` in string values by ``reason``."""
    out: dict[str, Any] = {}
    for key, value in template.items():
        if isinstance(value, str):
            out[key] = value.replace("{reason}", reason)
        elif isinstance(value, Mapping):
            out[key] = fill_answer(value, reason)
        else:
            out[key] = value
    return out
