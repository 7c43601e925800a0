"""Invariants of the hook and op tables."""

from __future__ import annotations

from host_abi import schema
from host_abi.errors import ErrorCode
from host_abi.hooks import HOOKS, FailPolicy, fill_answer, hook_by_name, hook_by_number
from host_abi.ops import DEFAULT_GRANTS, GATEWAY_SCOPES, OPS, SANDBOX_SCOPES, STUDIO_SCOPES

KNOWN_CAPABILITIES = {"BasePlugin", "PreAuthHandler", "AuthHandler", "PostAuthHandler",
                      "ResponseHandler", "StreamCompleteHandler", "DataCollector",
                      "CustomEndpointHandler", "UIProvider", "PortalUIProvider", "ConfigProvider",
                      "ManifestProvider", "AgentPlugin", "ObjectHookHandler", "SchedulerPlugin",
                      "EdgePayloadReceiver", "ResourceProvider", "SessionAware", "EventSubscriber"}


def test_numbers_and_names_are_unique() -> None:
    assert len({h.number for h in HOOKS}) == len(HOOKS)
    assert len({h.name for h in HOOKS}) == len(HOOKS)
    assert len({o.number for o in OPS}) == len(OPS)
    assert len({o.name for o in OPS}) == len(OPS)


def test_every_plugin_service_rpc_is_a_hook_in_rpc_order() -> None:
    rpcs = [r for r in schema.SERVICES["plugin.PluginService"]]
    hooks = [h for h in HOOKS if h.service == "plugin.PluginService"]
    assert [h.rpc for h in hooks] == [r.name for r in rpcs]
    assert [h.number for h in hooks] == list(range(1, 36))
    for hook, rpc in zip(hooks, rpcs):
        assert hook.request == rpc.request and hook.response == rpc.response
        assert hook.streaming == rpc.server_streaming


def test_config_provider_rpcs_are_hooks() -> None:
    rpcs = {r.name: r for r in schema.SERVICES["config_provider.ConfigProviderService"]}
    hooks = {h.rpc: h for h in HOOKS if h.service == "config_provider.ConfigProviderService"}
    assert set(hooks) == set(rpcs)
    for name, h in hooks.items():
        assert h.name == "config_provider." + {"GetConfigSchema": "get_config_schema",
                                               "GetManifest": "get_manifest", "Ping": "ping"}[name]
        assert (h.request, h.response) == (rpcs[name].request, rpcs[name].response)


def test_messages_named_by_hooks_exist() -> None:
    for h in HOOKS:
        for name in (h.request, h.response):
            assert name.startswith("abi.") or name in schema.MESSAGES, (h.name, name)


def test_capabilities_are_sdk_classes() -> None:
    for h in HOOKS:
        assert set(h.capabilities) <= KNOWN_CAPABILITIES, h.name


def test_fail_policies_follow_the_rules() -> None:
    for h in HOOKS:
        assert h.default_fail_policy in h.allowed_fail_policies, h.name
        if h.hook_type in ("auth", "object_hooks"):
            assert h.allowed_fail_policies == (FailPolicy.CLOSED,), h.name
    for name in ("process_pre_auth", "process_post_auth"):
        h = hook_by_name(name)
        assert h is not None and h.default_fail_policy is FailPolicy.CLOSED
        closed = fill_answer(h.fail_closed or {}, "why")
        assert closed["block"] is True and closed["status_code"] == 503
        assert closed["error_message"] == "why"
    for h in HOOKS:
        if h.hook_type in ("on_response", "data_collection"):
            assert h.default_fail_policy is FailPolicy.OPEN, h.name


def test_go_sdk_defaults_as_in_the_reference() -> None:
    assert hook_by_name("config_provider.get_manifest").default_answer == {  # type: ignore[union-attr]
        "success": True, "manifest_json": "{}"}
    assert hook_by_name("get_manifest").default_answer == {"success": False}  # type: ignore[union-attr]
    assert hook_by_name("handle_agent_message").default_answer is None  # type: ignore[union-attr]
    assert hook_by_name("validate_resource_selection").default_answer == {"valid": True}  # type: ignore[union-attr]
    assert hook_by_name("handle_endpoint_request").default_answer["status_code"] == 501  # type: ignore[index,union-attr]


def test_host_answered_and_lifecycle_hooks() -> None:
    assert {h.name for h in HOOKS if h.answered_by == "host"} == {
        "ping", "open_session", "close_session", "config_provider.ping"}
    for name in ("on_session_ready", "on_session_closing", "on_event", "instance_start"):
        h = hook_by_name(name)
        assert h is not None and h.answered_by == "guest" and h.rpc is None


def test_lookup_by_rpc_name_and_number() -> None:
    assert hook_by_name("ProcessPostAuth") is hook_by_number(8) is hook_by_name("process_post_auth")
    assert hook_by_name("nope") is None and hook_by_number(999) is None


def test_op_scopes_are_known_and_runtime_ops_are_scoped() -> None:
    known = STUDIO_SCOPES | GATEWAY_SCOPES | SANDBOX_SCOPES
    for o in OPS:
        assert o.scope is None or o.scope in known, o.name
        assert o.runtime in ("any", "gateway", "studio")
        if o.name.startswith("gateway."):
            assert o.runtime == "gateway" and o.studio_rpc is None
        if o.name.startswith(("studio.", "scheduler.")):
            assert o.runtime == "studio" and o.gateway_rpc is None
    assert DEFAULT_GRANTS <= known
    assert {o.name for o in OPS} >= {"kv.read", "kv.write", "kv.delete", "kv.list", "kv.increment",
                                     "log", "events.publish", "events.subscribe",
                                     "events.subscribe_all", "events.unsubscribe", "stream.emit"}


def test_kv_list_and_increment_have_no_host_rpc() -> None:
    for o in OPS:
        if o.name in ("kv.list", "kv.increment"):
            assert o.studio_rpc is None and o.gateway_rpc is None


def test_error_codes_are_stable() -> None:
    # numbers are never renumbered: pin a few, and uniqueness of all
    assert ErrorCode.INTERNAL == 1 and ErrorCode.UNKNOWN_HOOK == 3
    assert ErrorCode.PERMISSION_DENIED == 8 and ErrorCode.UNSUPPORTED_EMBEDDED == 10
    assert len({c.value for c in ErrorCode}) == len(ErrorCode)
