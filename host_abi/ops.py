"""The op table: every call a plugin can make into the host through ``call(op, payload)``.

Each op has a number that is never renumbered, a dotted name, the scope the plugin's
effective permissions must hold (None: always allowed), the runtime it belongs to
(``any``, or ``gateway``/``studio`` for the Go SDK's Gateway()/Studio() services),
what it does in the embedded setup (no AI Studio host), and the management RPC it maps
to under Studio and under the Gateway (None: no RPC exists, and the op answers
``UNSUPPORTED_UNDER_HOST`` there, except the ops the runtime serves itself:
``log`` and ``stream.*``, see :attr:`OpSpec.served_by_runtime`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

__all__ = ["OpSpec", "OPS", "OPS_BY_NAME", "OPS_BY_NUMBER", "op_by_name", "op_by_number",
           "SANDBOX_SCOPES", "STUDIO_SCOPES", "GATEWAY_SCOPES", "DEFAULT_GRANTS"]

_STUDIO = "ai_studio_management.AIStudioManagementService/"
_GATEWAY = "microgateway_management.MicrogatewayManagementService/"
_EVENTS = "plugin_events.PluginEventService/"


@dataclass(frozen=True, slots=True)
class OpSpec:
    """One row of the op table."""

    number: int
    name: str
    #: Scope the plugin's effective permissions must hold; None means always allowed.
    scope: str | None
    #: "any", "gateway" or "studio": the Go SDK service the op belongs to.
    runtime: str
    #: Argument names (see ABI.md for types).
    args: tuple[str, ...]
    #: What the ``ok`` result holds.
    result: str
    #: True when the embedded setup implements the op; else it answers UNSUPPORTED_EMBEDDED.
    embedded: bool
    #: Full RPC path under Studio, or None (UNSUPPORTED_UNDER_HOST).
    studio_rpc: str | None
    #: Full RPC path under the Gateway, or None (UNSUPPORTED_UNDER_HOST).
    gateway_rpc: str | None
    #: True when the op opens a stream read with ``stream.read`` by handle.
    streaming: bool = False
    #: One line of documentation.
    doc: str = ""

    @property
    def served_by_runtime(self) -> bool:
        """True for ops the runtime answers itself in every setup (``log``, ``stream.*``):
        they have no management RPC, yet never answer UNSUPPORTED_UNDER_HOST."""
        return self.name == "log" or self.name.startswith("stream.")


def _o(number: int, name: str, scope: str | None, runtime: str, args: tuple[str, ...],
       result: str, embedded: bool, studio: str | None, gateway: str | None,
       doc: str, streaming: bool = False) -> OpSpec:
    return OpSpec(number, name, scope, runtime, args, result, embedded, studio, gateway,
                  streaming, doc)


#: The op table, in number order.
OPS: tuple[OpSpec, ...] = (
    _o(1, "log", None, "any", ("level", "message", "fields"), "{}", True, None, None,
       "Write a log line (levels: trace, debug, info, warn, error); under a host: "
       "go-plugin JSON log lines on stderr. Rate-limited per plugin."),
    _o(2, "kv.read", "kv.readwrite", "any", ("key",), '{"value": bytes}', True,
       _STUDIO + "ReadPluginKV", _GATEWAY + "ReadPluginKV",
       "Read a key of the plugin's own namespace; NOT_FOUND when missing or expired."),
    _o(3, "kv.write", "kv.readwrite", "any", ("key", "value", "ttl_seconds"),
       '{"created": bool}', True, _STUDIO + "WritePluginKV", _GATEWAY + "WritePluginKV",
       "Upsert a key; ttl_seconds > 0 sets an expiry."),
    _o(4, "kv.delete", "kv.readwrite", "any", ("key",), '{"deleted": bool}', True,
       _STUDIO + "DeletePluginKV", _GATEWAY + "DeletePluginKV", "Delete a key."),
    _o(5, "kv.list", "kv.readwrite", "any", ("prefix", "limit"), '{"keys": [str]}', True,
       None, None, "List the plugin's keys starting with prefix (no host RPC exists)."),
    _o(6, "kv.increment", "kv.readwrite", "any", ("key", "delta", "ttl_seconds"),
       '{"value": int}', True, None, None,
       "Atomically add delta to an integer counter, creating it at 0; ttl_seconds applies "
       "when the key is created. Our extension for counters shared across gateway instances."),
    _o(10, "events.publish", "events.publish", "any", ("topic", "payload", "direction"),
       '{"event_id": str}', True, _EVENTS + "Publish", _EVENTS + "Publish",
       "Publish an event; direction 0 local, 1 up (edge to control), 2 down. The origin is "
       "the plugin identity the operator assigned."),
    _o(11, "events.subscribe", "events.subscribe", "any", ("topic", "handler"),
       '{"subscription_id": str}', True, _EVENTS + "Subscribe", _EVENTS + "Subscribe",
       "Subscribe the plugin (not the instance) to a topic; events arrive through the "
       "on_event hook, handler names the plugin method to call."),
    _o(12, "events.subscribe_all", "events.subscribe", "any", ("handler",),
       '{"subscription_id": str}', True, _EVENTS + "Subscribe", _EVENTS + "Subscribe",
       "Subscribe to every topic."),
    _o(13, "events.unsubscribe", "events.subscribe", "any", ("subscription_id",),
       '{"removed": bool}', True, _EVENTS + "Subscribe", _EVENTS + "Subscribe",
       "End a subscription (under a host: cancel the Subscribe stream)."),
    _o(20, "stream.emit", None, "any", ("chunk",), '{"cancel": bool}', True, None, None,
       "Emit one chunk of the current streaming hook's answer; cancel=true asks the plugin "
       "to stop. Only valid during a streaming hook."),
    _o(21, "stream.read", None, "any", ("handle",), '{"chunk": {...}} or {"done": true}', True,
       None, None, "Read the next chunk of a stream opened by a streaming op."),
    _o(22, "stream.close", None, "any", ("handle",), "{}", True, None, None,
       "Close a stream opened by a streaming op."),
    # Gateway services (the Go SDK's Gateway(), gateway runtime only).
    _o(100, "gateway.get_app", "apps.read", "gateway", ("app_id",), '{"app": App}', True,
       None, _GATEWAY + "GetApp", "Look up an app."),
    _o(101, "gateway.list_apps", "apps.read", "gateway", ("page", "limit", "is_active"),
       '{"apps": [App], "total_count": int}', True, None, _GATEWAY + "ListApps", "List apps."),
    _o(102, "gateway.get_llm", "llms.read", "gateway", ("llm_id",), '{"llm": LLM}', True,
       None, _GATEWAY + "GetLLM", "Look up an LLM."),
    _o(103, "gateway.list_llms", "llms.read", "gateway", ("vendor", "page", "limit", "is_active"),
       '{"llms": [LLM], "total_count": int}', True, None, _GATEWAY + "ListLLMs", "List LLMs."),
    _o(104, "gateway.get_budget_status", "budget.read", "gateway", ("app_id", "llm_id"),
       "budget status", True, None, _GATEWAY + "GetBudgetStatus", "Budget of an app."),
    _o(105, "gateway.list_model_prices", "pricing.read", "gateway", ("vendor",),
       '{"prices": [ModelPrice]}', True, None, _GATEWAY + "ListModelPrices", "List prices."),
    _o(106, "gateway.get_model_price", "pricing.read", "gateway", ("model_name", "vendor"),
       '{"price": ModelPrice}', True, None, _GATEWAY + "GetModelPrice", "Price of a model."),
    _o(107, "gateway.validate_credential", "credentials.validate", "gateway", ("secret",),
       "credential check", True, None, _GATEWAY + "ValidateCredential",
       "Validate an API credential."),
    _o(108, "gateway.send_to_control", "control.send", "gateway",
       ("payload", "correlation_id", "metadata"), '{"success": bool}', False, None,
       _GATEWAY + "QueueControlPayload", "Queue a payload for the control plane (edge mode)."),
    _o(109, "gateway.get_license_info", None, "gateway", (), "license info", True, None,
       _GATEWAY + "GetLicenseInfo", "License information."),
    # Studio services (the Go SDK's Studio(), studio runtime only).
    _o(200, "studio.list_apps", "apps.read", "studio", ("page", "limit", "is_active"),
       '{"apps": [App], "total_count": int}', True, _STUDIO + "ListApps", None, "List apps."),
    _o(201, "studio.get_app", "apps.read", "studio", ("app_id",), '{"app": App}', True,
       _STUDIO + "GetApp", None, "Look up an app."),
    _o(202, "studio.update_app", "apps.write", "studio", ("app_id", "app"), '{"app": App}',
       False, _STUDIO + "UpdateApp", None, "Update an app."),
    _o(203, "studio.patch_app_metadata", "apps.write", "studio", ("app_id", "metadata"),
       "{}", False, _STUDIO + "PatchAppMetadata", None, "Merge keys into an app's metadata."),
    _o(210, "studio.list_llms", "llms.read", "studio", ("page", "limit"),
       '{"llms": [LLM], "total_count": int}', True, _STUDIO + "ListLLMs", None, "List LLMs."),
    _o(211, "studio.get_llm", "llms.read", "studio", ("llm_id",), '{"llm": LLM}', True,
       _STUDIO + "GetLLM", None, "Look up an LLM."),
    _o(212, "studio.call_llm", "llms.proxy", "studio",
       ("llm_id", "model", "messages", "temperature", "max_tokens"), '{"handle": int}', True,
       _STUDIO + "CallLLM", None,
       "Open a streamed LLM completion; read it with stream.read, close with stream.close.",
       streaming=True),
    _o(220, "studio.list_tools", "tools.read", "studio", ("page", "limit"),
       '{"tools": [Tool], "total_count": int}', True, _STUDIO + "ListTools", None, "List tools."),
    _o(221, "studio.get_tool", "tools.read", "studio", ("tool_id",), '{"tool": Tool}', True,
       _STUDIO + "GetTool", None, "Look up a tool."),
    _o(222, "studio.execute_tool", "tools.call", "studio", ("tool_id", "operation_id", "parameters"),
       "tool result", False, _STUDIO + "ExecuteTool", None, "Run a tool operation."),
    _o(230, "studio.get_plugin", "plugins.read", "studio", ("plugin_id",), '{"plugin": Plugin}',
       False, _STUDIO + "GetPlugin", None, "Look up a plugin record."),
    _o(231, "studio.update_plugin_config", "plugins.write", "studio", ("plugin_id", "config_json"),
       "{}", False, _STUDIO + "UpdatePluginConfig", None, "Store a plugin's configuration."),
    _o(240, "studio.query_datasource", "datasources.query", "studio",
       ("datasource_id", "query", "max_results"), "results", False,
       _STUDIO + "QueryDatasource", None, "Query a datasource."),
    _o(250, "scheduler.create", "scheduler.manage", "studio",
       ("id", "name", "cron", "timezone", "enabled", "timeout_seconds", "config"),
       '{"schedule": Schedule}', True, _STUDIO + "CreateSchedule", None, "Create a schedule."),
    _o(251, "scheduler.get", "scheduler.manage", "studio", ("id",), '{"schedule": Schedule}',
       True, _STUDIO + "GetSchedule", None, "Look up a schedule."),
    _o(252, "scheduler.list", "scheduler.manage", "studio", (), '{"schedules": [Schedule]}',
       True, _STUDIO + "ListSchedules", None, "List the plugin's schedules."),
    _o(253, "scheduler.update", "scheduler.manage", "studio",
       ("id", "name", "cron", "timezone", "enabled", "timeout_seconds", "config"),
       '{"schedule": Schedule}', True, _STUDIO + "UpdateSchedule", None, "Update a schedule."),
    _o(254, "scheduler.delete", "scheduler.manage", "studio", ("id",), "{}", True,
       _STUDIO + "DeleteSchedule", None, "Delete a schedule."),
    _o(260, "studio.get_license_info", None, "studio", (), "license info", True,
       _STUDIO + "GetLicenseInfo", None, "License information."),
)

OPS_BY_NUMBER: Mapping[int, OpSpec] = MappingProxyType({o.number: o for o in OPS})
OPS_BY_NAME: Mapping[str, OpSpec] = MappingProxyType({o.name: o for o in OPS})

#: Scopes of our own, for ops AI Studio has no scope for.
SANDBOX_SCOPES: frozenset[str] = frozenset({"events.publish", "events.subscribe"})
#: AI Studio's service scopes (PROTOCOL.md section 10).
STUDIO_SCOPES: frozenset[str] = frozenset({
    "plugins.read", "plugins.write", "plugins.config", "llms.read", "llms.write", "llms.config",
    "llms.proxy", "analytics.read", "analytics.detailed", "analytics.reports", "apps.read",
    "apps.write", "tools.read", "tools.write", "tools.operations", "tools.call",
    "datasources.read", "datasources.write", "datasources.embeddings", "datasources.query",
    "data-catalogues.read", "data-catalogues.write", "tags.read", "tags.write", "filters.read",
    "filters.write", "pricing.read", "pricing.write", "vendors.read", "system.read",
    "kv.readwrite", "scheduler.manage",
})
#: Scopes only the Gateway defines.
GATEWAY_SCOPES: frozenset[str] = frozenset({"budget.read", "credentials.validate", "control.send"})
#: What the built-in operator policy grants every plugin unless the policy says otherwise:
#: its own KV namespace (quota-bounded) and events under its own origin.
DEFAULT_GRANTS: frozenset[str] = frozenset({"kv.readwrite", "events.publish", "events.subscribe"})


def op_by_number(number: int) -> OpSpec | None:
    """The op with this number, or None."""
    return OPS_BY_NUMBER.get(number)


def op_by_name(name: str) -> OpSpec | None:
    """The op with this name, or None."""
    return OPS_BY_NAME.get(name)
