"""Every capability end to end: the test plugins of tests/plugins through the Python API
(``Runtime.load`` / ``call`` / ``stream``) and through ``runtime call``.

``HOOK_CASES`` holds one case per hook the guest answers; each runs once through the API
and once through the CLI. The tests after it cover defaults, failures, limits, policy,
state, events, streaming and runtime detection.
"""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from guest_sdk._guest import SDK_VERSION
from host_abi.hooks import HOOKS, hook_by_name
from host_abi.limits import MAX_ENVELOPE_BYTES
from runtime import Runtime
from runtime.broker.kv import SQLiteKV
from runtime.errors import (AbiViolation, ConfigError, DeadlineExceeded, LimitExceeded, LoadError,
                            ManifestError, PermissionDenied, PluginFailed, PolicyError,
                            PluginRuntimeError, ServiceFailure)
from runtime.wire import config_provider_pb2, plugin_pb2

from integration_helpers import (FIXTURES_FILE, REPO, RunCli, RuntimeFactory, call_args,
                                 plugin_dir, plugin_line)


def b64(data: str | bytes) -> str:
    """base64 of ``data`` (str taken as latin-1, as envelope-form bytes are)."""
    raw = data.encode("latin-1") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


#: Fields holding JSON text: compared as parsed JSON, not as text.
JSON_TEXT_FIELDS = frozenset({"manifest_json", "schema_json", "modified_object_json", "metadata_json"})


def normalize(value: Any, extra: frozenset[str] = frozenset()) -> Any:
    """``value`` with non-empty JSON-text fields (those of JSON_TEXT_FIELDS and ``extra``)
    parsed, so that formatting does not matter."""
    fields = JSON_TEXT_FIELDS | extra
    if isinstance(value, list):
        return [normalize(v, extra) for v in value]
    if isinstance(value, dict):
        return {k: json.loads(v) if k in fields and isinstance(v, str) and v
                else normalize(v, extra) for k, v in value.items()}
    return value


def assert_subset(actual: Any, expected: Any, path: str = "") -> None:
    """Every key of ``expected`` dicts is in ``actual`` with an equal value (recursively);
    lists must have the same length."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing from {actual!r}"
            assert_subset(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), \
            f"{path}: expected {len(expected)} items, got {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_subset(a, e, f"{path}[{i}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def proto_fields(full_name: str) -> set[str] | None:
    """Field names of a protocol message (None for ABI messages)."""
    package, _, name = full_name.partition(".")
    module = {"plugin": plugin_pb2, "config_provider": config_provider_pb2}.get(package)
    if module is None:
        return None
    return {f.name for f in getattr(module, name).DESCRIPTOR.fields}


def config_flags(config: dict[str, Any]) -> list[str]:
    flags: list[str] = []
    for key, value in config.items():
        flags += ["--config", f"{key}={value if isinstance(value, str) else json.dumps(value)}"]
    return flags


def kv_value(state_dir: Path, namespace: str, key: str) -> bytes | None:
    """A value of the SQLite KV a ``runtime call --state-dir`` run left behind."""
    kv = SQLiteKV(state_dir / "kv.sqlite3")
    try:
        return kv.read(namespace, key)
    finally:
        kv.close()


# -- the data the plugins work with ------------------------------------------------------
TOKENS = {"tok-1": {"app_id": 5, "user_id": 7}}
ENDPOINT_CONFIG = {"endpoint": "https://api.example.com"}
CONFIG_SCHEMA = {"type": "object", "required": ["endpoint"],
                 "properties": {"endpoint": {"type": "string", "minLength": 1},
                                "retries": {"type": "integer", "minimum": 0}}}
ICON = "\x89PNG\r\n\x1a\n\x00\xff"
APP_JS = "console.log('hi');"
INDEX_HTML = "<html><body>hi</body></html>"
EDGE_PAYLOAD = "\x00\x01\xffbin"
EVENT_RECORD = json.dumps({"topic": "orders", "origin": "plugin:shop@local", "payload": '{"n": 1}'})


@dataclass(frozen=True)
class HookCase:
    """One guest hook exercised through the API and the CLI."""

    hook: str
    plugin: str
    #: Request in envelope form (API); also the CLI input unless ``cli_input`` is given.
    request: dict[str, Any]
    #: Exact API answer (streaming: the list of chunks), JSON-text fields parsed.
    answer: Any
    #: What the CLI prints (subset per object; streaming: one entry per line).
    cli_answer: Any
    cli_input: dict[str, Any] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    runtime: str = "gateway"
    grants: tuple[str, ...] = ()
    #: KV entries of the plugin's namespace after the call.
    kv_after: dict[str, bytes] = field(default_factory=dict)
    #: More fields of this hook's answer that hold JSON text.
    json_fields: frozenset[str] = frozenset()
    label: str = ""

    @property
    def id(self) -> str:
        return self.label or self.hook


HOOK_CASES: list[HookCase] = [
    HookCase("instance_start", "pre_auth", {"runtime": "gateway", "plugin_id": "pre_auth"},
             {"abi": 1, "sdk": SDK_VERSION, "name": "pre-auth-blocker", "version": "1.0.0",
              "description": "Blocks requests with x-block", "capabilities": ["PreAuthHandler"],
              "hooks": [0, 1, 3, 4, 42]},  # every plugin serves on_event (named handlers)
             {"abi": 1, "name": "pre-auth-blocker", "capabilities": ["PreAuthHandler"],
              "hooks": [0, 1, 3, 4, 42]}),
    HookCase("initialize", "auth", {"config": {"tokens": json.dumps(TOKENS)}},
             {"success": True}, {"success": True, "error_message": ""}, config={"tokens": TOKENS}),
    HookCase("shutdown", "pre_auth", {"timeout_seconds": 5}, {"success": True}, {"success": True},
             cli_input={"timeoutSeconds": "5"}),
    HookCase("process_pre_auth", "pre_auth",
             {"method": "GET", "path": "/v1/chat", "headers": {"x-block": "nope"}},
             {"block": True, "status_code": 403, "headers": {"content-type": "text/plain"},
              "body": "blocked: nope", "error_message": "x-block header present"},
             {"modified": False, "status_code": 403, "headers": {"content-type": "text/plain"},
              "body": b64("blocked: nope"), "block": True,
              "error_message": "x-block header present", "context_updates": {}}),
    HookCase("authenticate", "auth", {"credential": "tok-1", "auth_type": "bearer"},
             {"authenticated": True, "app_id": "5", "user_id": "7", "claims": {"auth_type": "bearer"}},
             {"authenticated": True, "app_id": "5", "user_id": "7",
              "claims": {"auth_type": "bearer"}, "error_message": ""},
             config={"tokens": TOKENS}),
    HookCase("get_app_by_credential", "auth", {"credential": "tok-1"},
             {"success": True, "app": {"id": 5, "name": "app-5", "is_active": True}},
             {"success": True, "error_message": "",
              "app": {"id": 5, "name": "app-5", "is_active": True, "description": "",
                      "monthly_budget": 0.0, "metadata": {}, "plugin_resources": []}},
             config={"tokens": TOKENS}),
    HookCase("get_user_by_credential", "auth", {"credential": "tok-1"},
             {"success": True, "user": {"id": 7, "email": "user7@example.com", "is_active": True}},
             {"success": True, "user": {"id": 7, "email": "user7@example.com", "is_active": True,
                                        "name": "", "metadata": {}}},
             config={"tokens": TOKENS}),
    HookCase("process_post_auth", "post_auth",
             {"request": {"method": "POST", "path": "/v1/chat"}, "app_id": "5", "user_id": "7",
              "authenticated": True},
             {"modified": True, "headers": {"x-routed-for-app": "5"},
              "context_updates": {"upstream_override": "https://eu.upstream.example",
                                  "routed_user": "7"}},
             {"modified": True, "block": False, "headers": {"x-routed-for-app": "5"},
              "context_updates": {"upstream_override": "https://eu.upstream.example",
                                  "routed_user": "7"}},
             config={"upstream": "https://eu.upstream.example"}),
    HookCase("on_before_write_headers", "response", {"headers": {"content-type": "text/plain"}},
             {"modified": True, "headers": {"content-type": "text/plain", "x-rewritten": "yes"}},
             {"modified": True, "headers": {"content-type": "text/plain", "x-rewritten": "yes"}}),
    HookCase("on_before_write", "response",
             {"body": "hello world", "headers": {"content-type": "text/plain"}},
             {"modified": True, "body": "HELLO WORLD", "headers": {"content-type": "text/plain"}},
             {"modified": True, "body": b64("HELLO WORLD"), "headers": {"content-type": "text/plain"}},
             cli_input={"body": b64("hello world"), "headers": {"content-type": "text/plain"}}),
    HookCase("on_stream_complete", "stream_complete",
             {"accumulated_response": "data: a\n\ndata: b\n\n", "status_code": 200, "chunk_count": 3},
             {"handled": True, "cached": True},
             {"handled": True, "cached": True, "error_message": ""},
             cli_input={"accumulatedResponse": b64("data: a\n\ndata: b\n\n"), "statusCode": 200,
                        "chunkCount": 3}),
    HookCase("handle_proxy_log", "data_collector", {"app_id": 5, "request_id": "r-1", "response_code": 200},
             {"success": True, "handled": True, "metadata": {"count": "1"}},
             {"success": True, "handled": True, "error_message": "", "metadata": {"count": "1"}},
             kv_after={"count:proxy_log": b"1"}),
    HookCase("handle_analytics", "data_collector",
             {"llm_id": 1, "total_tokens": 42, "cost": 0.5, "request_id": "r-2"},
             {"success": True, "handled": True, "metadata": {"count": "1"}},
             {"success": True, "handled": True, "metadata": {"count": "1"}},
             kv_after={"count:analytics": b"1"}),
    HookCase("handle_budget_usage", "data_collector",
             {"app_id": 5, "tokens_used": 100, "request_id": "r-3"},
             {"success": True, "handled": True, "metadata": {"count": "1"}},
             {"success": True, "handled": True, "metadata": {"count": "1"}},
             cli_input={"appId": 5, "tokensUsed": "100", "requestId": "r-3"},
             kv_after={"count:budget_usage": b"1"}),
    HookCase("get_asset", "ui_provider", {"asset_path": "/icon.png"},
             {"success": True, "content": ICON, "mime_type": "image/png", "content_length": len(ICON)},
             {"success": True, "content": b64(ICON), "mime_type": "image/png",
              "content_length": str(len(ICON)), "error_message": ""}),
    HookCase("list_assets", "ui_provider", {"path_prefix": "/ui/"},
             {"success": True, "assets": [
                 {"path": "/ui/app.js", "mime_type": "application/javascript", "size": len(APP_JS)},
                 {"path": "/ui/index.html", "mime_type": "text/html", "size": len(INDEX_HTML)}]},
             {"success": True, "assets": [
                 {"path": "/ui/app.js", "mime_type": "application/javascript", "size": str(len(APP_JS))},
                 {"path": "/ui/index.html", "mime_type": "text/html", "size": str(len(INDEX_HTML))}]}),
    HookCase("get_manifest", "ui_provider", {},
             {"success": True, "manifest_json": {"id": "com.example.tests.ui_provider",
                                                 "ui": {"slots": ["sidebar"]}}},
             {"success": True, "error_message": "",
              "manifest_json": {"id": "com.example.tests.ui_provider", "ui": {"slots": ["sidebar"]}}}),
    HookCase("call", "ui_provider", {"method": "echo", "payload": '{"n": 1}'},
             {"success": True, "data": {"method": "echo", "echo": {"n": 1}}},
             {"success": True, "data": {"method": "echo", "echo": {"n": 1}}, "error_message": ""},
             json_fields=frozenset({"data"})),
    HookCase("portal_call", "portal_ui",
             {"method": "whoami", "payload": "{}",
              "user_context": {"user_id": 7, "email": "ana@example.com", "name": "Ana"}},
             {"success": True, "data": {"method": "whoami", "email": "ana@example.com",
                                        "user_id": 7, "admin": False}},
             {"success": True, "data": {"method": "whoami", "email": "ana@example.com",
                                        "user_id": 7, "admin": False}},
             cli_input={"method": "whoami", "payload": "{}",
                        "userContext": {"userId": 7, "email": "ana@example.com", "name": "Ana"}},
             json_fields=frozenset({"data"})),
    HookCase("get_config_schema", "config_provider", {},
             {"success": True, "schema_json": CONFIG_SCHEMA},
             {"success": True, "schema_json": CONFIG_SCHEMA, "error_message": ""},
             config=ENDPOINT_CONFIG),
    HookCase("handle_agent_message", "agent", {"session_id": "s-1", "user_message": "hi"},
             [{"content": "1/3 hi"}, {"content": "2/3 hi"}, {"content": "3/3 hi"},
              {"type": 5, "is_final": True, "metadata_json": {"session": "s-1"}}],
             [{"type": "CONTENT", "content": "1/3 hi", "is_final": False, "metadata_json": ""},
              {"type": "CONTENT", "content": "2/3 hi", "is_final": False},
              {"type": "CONTENT", "content": "3/3 hi", "is_final": False},
              {"type": "DONE", "content": "", "is_final": True, "metadata_json": {"session": "s-1"}}],
             grants=("llms.proxy",)),
    HookCase("get_object_hook_registrations", "object_hooks", {},
             {"registrations": [
                 {"object_type": "llm", "hook_types": ["before_create", "before_update"], "priority": 10},
                 {"object_type": "app", "hook_types": ["before_create"], "priority": 20}]},
             {"registrations": [
                 {"object_type": "llm", "hook_types": ["before_create", "before_update"], "priority": 10},
                 {"object_type": "app", "hook_types": ["before_create"], "priority": 20}]}),
    HookCase("handle_object_hook", "object_hooks",
             {"hook_type": "before_create", "object_type": "llm",
              "object_json": '{"name": "internal", "api_endpoint": "http://llm.internal"}'},
             {"rejection_reason": "LLM endpoints must use https"},
             {"allow_operation": False, "rejection_reason": "LLM endpoints must use https",
              "modified": False, "modified_object_json": ""}),
    HookCase("execute_scheduled_task", "scheduler",
             {"schedule": {"id": "nightly", "name": "Nightly", "cron": "0 3 * * *", "enabled": True,
                           "config_json": '{"step": 2}'}},
             {"success": True}, {"success": True, "error_message": ""},
             kv_after={"runs:nightly": b"2"}),
    HookCase("accept_edge_payload", "edge_payload",
             {"payload": EDGE_PAYLOAD, "edge_id": "edge-1", "correlation_id": "c-1"},
             {"success": True, "handled": True}, {"success": True, "handled": True},
             cli_input={"payload": b64(EDGE_PAYLOAD), "edgeId": "edge-1", "correlationId": "c-1"},
             kv_after={"edge:edge-1:c-1": EDGE_PAYLOAD.encode("latin-1")}),
    HookCase("get_endpoint_registrations", "custom_endpoint", {},
             {"registrations": [{"path": "/echo", "methods": ["POST"], "description": "echo"},
                                {"path": "/stream", "methods": ["GET"], "stream_response": True}]},
             {"registrations": [{"path": "/echo", "methods": ["POST"], "stream_response": False},
                                {"path": "/stream", "methods": ["GET"], "stream_response": True}]}),
    HookCase("handle_endpoint_request", "custom_endpoint",
             {"method": "POST", "path": "/plugins/echo/echo",
              "headers": {"content-type": "application/json"}, "body": '{"ping": true}'},
             {"status_code": 200, "body": '{"ping": true}',
              "headers": {"content-type": "application/json", "x-echo-path": "/plugins/echo/echo"}},
             {"status_code": 200, "body": b64('{"ping": true}'), "error_message": "",
              "headers": {"content-type": "application/json", "x-echo-path": "/plugins/echo/echo"}},
             cli_input={"method": "POST", "path": "/plugins/echo/echo",
                        "headers": {"content-type": "application/json"}, "body": b64('{"ping": true}')}),
    HookCase("handle_endpoint_request_stream", "custom_endpoint", {"method": "GET", "path": "/stream"},
             [{"status_code": 200, "headers": {"content-type": "text/event-stream"}},
              {"type": 1, "data": "part 0\n"}, {"type": 1, "data": "part 1\n"},
              {"type": 1, "data": "part 2\n"}, {"type": 2}],
             [{"type": "HEADERS", "status_code": 200, "headers": {"content-type": "text/event-stream"},
               "data": ""},
              {"type": "BODY", "data": b64("part 0\n")}, {"type": "BODY", "data": b64("part 1\n")},
              {"type": "BODY", "data": b64("part 2\n")},
              {"type": "DONE", "status_code": 0, "data": "", "error_message": ""}]),
    HookCase("get_resource_type_registrations", "resource_provider", {},
             {"registrations": [{"slug": "vector-db", "name": "Vector DB", "has_privacy_score": True,
                                 "supports_submissions": True}]},
             {"registrations": [{"slug": "vector-db", "name": "Vector DB", "has_privacy_score": True,
                                 "supports_submissions": True, "description": "", "icon": ""}]}),
    HookCase("list_resource_instances", "resource_provider", {"resource_type_slug": "vector-db"},
             {"success": True, "instances": [
                 {"id": "db-1", "name": "Primary", "privacy_score": 10, "is_active": True},
                 {"id": "db-2", "name": "Archive", "privacy_score": 50, "metadata": '{"region":"eu"}'}]},
             {"success": True, "instances": [
                 {"id": "db-1", "name": "Primary", "privacy_score": 10, "is_active": True, "metadata": ""},
                 {"id": "db-2", "name": "Archive", "is_active": False,
                  "metadata": b64('{"region":"eu"}')}]}),
    HookCase("get_resource_instance", "resource_provider",
             {"resource_type_slug": "vector-db", "instance_id": "db-2"},
             {"success": True, "instance": {"id": "db-2", "name": "Archive", "privacy_score": 50,
                                            "metadata": '{"region":"eu"}'}},
             {"success": True, "instance": {"id": "db-2", "metadata": b64('{"region":"eu"}')}}),
    HookCase("validate_resource_selection", "resource_provider",
             {"resource_type_slug": "vector-db", "instance_ids": ["db-1", "db-9"], "app_id": 5},
             {"valid": False, "error_message": "app 5: unknown instances ['db-9']"},
             {"valid": False, "error_message": "app 5: unknown instances ['db-9']"}),
    HookCase("create_resource_instance", "resource_provider",
             {"resource_type_slug": "vector-db", "payload": '{"name": "fresh"}'},
             {"success": True, "instance": {"id": "new-fresh", "name": "fresh", "is_active": True}},
             {"success": True, "instance": {"id": "new-fresh", "name": "fresh", "is_active": True}},
             cli_input={"resourceTypeSlug": "vector-db", "payload": b64('{"name": "fresh"}')}),
    HookCase("config_provider.get_config_schema", "config_provider", {},
             {"success": True, "schema_json": CONFIG_SCHEMA},
             {"success": True, "schema_json": CONFIG_SCHEMA, "error_message": ""},
             config=ENDPOINT_CONFIG),
    HookCase("config_provider.get_manifest", "manifest_provider", {},
             {"success": True, "manifest_json": {
                 "id": "com.example.tests.manifest_provider", "version": "1.0.0",
                 "name": "Manifest provider", "capabilities": {"hooks": ["studio_ui"]}}},
             {"success": True, "manifest_json": {
                 "id": "com.example.tests.manifest_provider", "version": "1.0.0",
                 "name": "Manifest provider", "capabilities": {"hooks": ["studio_ui"]}}}),
    HookCase("on_session_ready", "session_aware", {"session_id": "s-9"}, {}, {},
             kv_after={"session:ready": b"s-9"}),
    HookCase("on_session_closing", "session_aware", {"session_id": "s-9"}, {}, {},
             kv_after={"session:closing": b"s-9"}),
    HookCase("on_event", "session_aware",
             {"id": "e-1", "topic": "orders", "origin": "plugin:shop@local", "direction": 0,
              "payload": '{"n": 1}'},
             {}, {}, kv_after={"events:count": b"1", "events:1": EVENT_RECORD.encode()}),
]

GUEST_HOOKS = {h.name for h in HOOKS if h.answered_by == "guest"}


def test_every_guest_hook_has_a_case() -> None:
    """The API and CLI tests below run HOOK_CASES: together they cover every guest hook."""
    covered = {c.hook for c in HOOK_CASES}
    assert covered == GUEST_HOOKS, (f"missing: {sorted(GUEST_HOOKS - covered)}, "
                                    f"unknown: {sorted(covered - GUEST_HOOKS)}")
    for case in HOOK_CASES:
        assert hook_by_name(case.hook) is not None


@pytest.mark.parametrize("case", HOOK_CASES, ids=lambda c: c.id)
def test_hook_through_api(case: HookCase, make_runtime: RuntimeFactory) -> None:
    rt = make_runtime(runtime=case.runtime, extra_grants=case.grants)
    host = rt.load(plugin_dir(case.plugin), config=case.config)
    assert host.identity == case.plugin
    spec = hook_by_name(case.hook)
    assert spec is not None
    if spec.streaming:
        answer: Any = list(rt.stream(case.plugin, case.hook, case.request))
    else:
        answer = rt.call(case.plugin, case.hook, case.request)
    assert normalize(answer, case.json_fields) == case.answer
    for key, value in case.kv_after.items():
        assert rt.kv.read(case.plugin, key) == value, key
    stats = host.statistics()
    assert (stats.calls, stats.errors) == (1, 0)


@pytest.mark.parametrize("case", HOOK_CASES, ids=lambda c: c.id)
def test_hook_through_cli(case: HookCase, run_cli: RunCli, tmp_path: Path) -> None:
    spec = hook_by_name(case.hook)
    assert spec is not None
    state = tmp_path / "state"
    extra = ["--runtime", case.runtime, "--input", "-", *config_flags(case.config)]
    for scope in case.grants:
        extra += ["--grant", scope]
    if case.kv_after:
        extra += ["--state-dir", str(state)]
    result = run_cli(call_args(case.plugin, case.hook, *extra, ephemeral=not case.kv_after),
                     input=json.dumps(case.cli_input if case.cli_input is not None else case.request))
    assert result.exit_code == 0, result
    if spec.streaming:
        assert_subset(normalize(result.lines, case.json_fields), case.cli_answer)
        chunk_fields = proto_fields(spec.response)
        assert all(set(line) == chunk_fields for line in result.lines), result.lines
    else:
        assert_subset(normalize(result.doc, case.json_fields), case.cli_answer)
        fields = proto_fields(spec.response)
        if fields is not None:  # every field printed, defaults included
            assert set(result.doc) == fields
    for key, value in case.kv_after.items():
        assert kv_value(state, case.plugin, key) == value, key


# -- output and input forms of `runtime call` ---------------------------------------------
def test_cli_prints_every_field_with_defaults(run_cli: RunCli) -> None:
    result = run_cli(call_args("pre_auth", "process_pre_auth", "--input", "-"),
                     input='{"method": "GET", "path": "/v1/chat"}')
    assert result.exit_code == 0
    assert result.doc == {"modified": True, "status_code": 0,
                          "headers": {"x-pre-auth": "seen GET /v1/chat"}, "body": "",
                          "block": False, "error_message": "", "context_updates": {}}


def test_cli_reads_lower_camel_names_and_base64_from_a_file(run_cli: RunCli, tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"request": {"method": "POST", "remoteAddr": "10.0.0.1",
                                               "body": b64('{"a": 1}')},
                                   "appId": "12", "userId": "3", "authClaims": {"k": "v"}}))
    result = run_cli(call_args("post_auth", "process_post_auth", "--input", str(request)))
    assert result.exit_code == 0
    assert result.doc["headers"] == {"x-routed-for-app": "12"}
    assert result.doc["context_updates"] == {"upstream_override": "https://upstream.example.com",
                                             "routed_user": "3"}


def test_cli_without_input_sends_an_empty_message(run_cli: RunCli) -> None:
    result = run_cli(call_args("post_auth", "process_post_auth"))
    assert result.exit_code == 0
    assert result.doc["headers"] == {"x-routed-for-app": ""}


def test_cli_prints_int64_as_strings(run_cli: RunCli) -> None:
    result = run_cli(call_args("pre_auth", "ping", "--input", "-"), input='{"timestamp": "1700000000123"}')
    assert result.exit_code == 0
    assert result.doc == {"timestamp": "1700000000123", "healthy": True}


# -- hooks the runtime answers itself ------------------------------------------------------
def test_ping_is_answered_by_the_host(rt: Runtime) -> None:
    rt.load(plugin_dir("pre_auth"))
    assert rt.call("pre_auth", "ping", {"timestamp": 42}) == {"timestamp": 42, "healthy": True}
    assert rt.call("pre_auth", "config_provider.ping", {"timestamp": 7}) == {"timestamp": 7,
                                                                            "healthy": True}


def test_open_session_fires_on_session_ready_and_close_session_fires_closing(rt: Runtime) -> None:
    rt.load(plugin_dir("session_aware"))
    answer = rt.call("session_aware", "open_session", {"service_broker_id": 3, "timeout_ms": 50})
    assert answer == {"success": True, "session_id": "session-session_aware-3", "close_reason": 1}
    deadline = time.monotonic() + 5
    while rt.kv.read("session_aware", "session:ready") is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert rt.kv.read("session_aware", "session:ready") == b"session-session_aware-3"
    assert rt.bus.statistics()["subscriptions"] == 1
    assert rt.call("session_aware", "close_session", {"reason": "done"}) == {"success": True}
    # on_session_closing sees the id of the session that was opened
    assert rt.kv.read("session_aware", "session:closing") == b"session-session_aware-3"
    # with the host's numeric plugin ID, the Go SDK's form
    answer = rt.call("session_aware", "open_session", {"service_broker_id": 3, "plugin_id": 12,
                                                        "timeout_ms": 10})
    assert answer["session_id"] == "session-12-3"


# -- more answers of the capability plugins --------------------------------------------------
def test_pre_auth_passes_requests_without_x_block(rt: Runtime) -> None:
    rt.load(plugin_dir("pre_auth"))
    answer = rt.call("pre_auth", "process_pre_auth", {"method": "GET", "path": "/models",
                                                      "headers": {"accept": "*/*"}})
    assert answer == {"modified": True, "headers": {"accept": "*/*", "x-pre-auth": "seen GET /models"}}


def test_auth_refuses_unknown_credentials(rt: Runtime) -> None:
    rt.load(plugin_dir("auth"), config={"tokens": TOKENS})
    assert rt.call("auth", "authenticate", {"credential": "stolen"}) == {
        "error_message": "unknown token"}
    assert rt.call("auth", "get_app_by_credential", {"credential": "stolen"}) == {
        "success": False, "error_message": "\"unknown credential 'stolen'\""}
    assert rt.call("auth", "get_user_by_credential", {"credential": "stolen"}) == {
        "success": False, "error_message": "\"unknown credential 'stolen'\""}


def test_initialize_again_reconfigures_the_instance(rt: Runtime) -> None:
    rt.load(plugin_dir("auth"), config={"tokens": TOKENS})
    tokens = {"tok-2": {"app_id": 8, "user_id": 9}}
    assert rt.call("auth", "initialize", {"config": {"tokens": json.dumps(tokens)}}) == {"success": True}
    assert rt.call("auth", "authenticate", {"credential": "tok-2"})["app_id"] == "8"


def test_initialize_hook_reports_a_refused_config(make_runtime: RuntimeFactory) -> None:
    rt = make_runtime()
    rt.load(plugin_dir("config_provider"), config=ENDPOINT_CONFIG)
    answer = rt.call("config_provider", "initialize", {"config": {"endpoint": "http://plain"}})
    assert answer == {"success": False,
                      "error_message": "ValueError: endpoint must use https, got 'http://plain'"}


def test_data_collector_counts_per_kind(rt: Runtime, run_cli: RunCli, tmp_path: Path) -> None:
    rt.load(plugin_dir("data_collector"))
    for _ in range(3):
        rt.call("data_collector", "handle_proxy_log", {"request_id": "r"})
    rt.call("data_collector", "handle_analytics", {"request_id": "r"})
    assert rt.kv.read("data_collector", "count:proxy_log") == b"3"
    assert rt.kv.read("data_collector", "count:analytics") == b"1"
    assert rt.kv.read("data_collector", "count:budget_usage") is None


def test_ui_provider_unknown_asset_is_an_answer(rt: Runtime, run_cli: RunCli) -> None:
    rt.load(plugin_dir("ui_provider"))
    assert rt.call("ui_provider", "get_asset", {"asset_path": "/nope"}) == {
        "success": False, "error_message": "no asset /nope"}
    result = run_cli(call_args("ui_provider", "get_asset", "--input", "-"), input='{"assetPath": "/nope"}')
    assert result.exit_code == 0  # success=false is an answer
    assert result.doc == {"success": False, "content": "", "mime_type": "", "error_message": "no asset /nope",
                          "content_length": "0"}


def test_object_hooks_modify_other_objects(rt: Runtime) -> None:
    rt.load(plugin_dir("object_hooks"))
    answer = rt.call("object_hooks", "handle_object_hook", {
        "hook_type": "before_create", "object_type": "app", "object_json": '{"name": "shop"}'})
    assert normalize(answer) == {"allow_operation": True, "modified": True, "message": "stamped",
                                 "modified_object_json": {"name": "shop", "reviewed_by": "object_hooks"},
                                 "plugin_metadata": {"hook": "before_create"}}
    answer = rt.call("object_hooks", "handle_object_hook", {
        "hook_type": "before_update", "object_type": "llm",
        "object_json": '{"api_endpoint": "https://api.openai.com"}'})
    assert answer["allow_operation"] is True
    assert json.loads(answer["modified_object_json"])["reviewed_by"] == "object_hooks"


def test_resource_provider_unknown_instance(rt: Runtime) -> None:
    rt.load(plugin_dir("resource_provider"))
    assert rt.call("resource_provider", "get_resource_instance", {
        "resource_type_slug": "vector-db", "instance_id": "db-7"}) == {
        "success": False, "error_message": "'no instance db-7'"}
    assert rt.call("resource_provider", "validate_resource_selection", {
        "resource_type_slug": "vector-db", "instance_ids": ["db-1", "db-2"]}) == {"valid": True}


def test_scheduler_counts_each_schedule(rt: Runtime) -> None:
    rt.load(plugin_dir("scheduler"))
    for schedule_id in ("a", "b", "a"):
        assert rt.call("scheduler", "execute_scheduled_task",
                       {"schedule": {"id": schedule_id, "cron": "* * * * *"}}) == {"success": True}
    assert rt.kv.read("scheduler", "runs:a") == b"2"
    assert rt.kv.read("scheduler", "runs:b") == b"1"


def test_scheduler_bad_config_json_is_a_failure_answer(rt: Runtime) -> None:
    rt.load(plugin_dir("scheduler"))
    answer = rt.call("scheduler", "execute_scheduled_task",
                     {"schedule": {"id": "x", "config_json": "{nope"}})
    assert answer["success"] is False
    assert answer["error_message"].startswith("schedule config_json is not JSON")
    assert rt.kv.read("scheduler", "runs:x") is None


def test_edge_payload_without_correlation_id_is_not_handled(rt: Runtime) -> None:
    rt.load(plugin_dir("edge_payload"))
    assert rt.call("edge_payload", "accept_edge_payload", {"payload": "x"}) == {"success": True,
                                                                                "handled": False}
    assert rt.kv.list("edge_payload", "", 10) == []


# -- the Go SDK's answers for hooks a plugin lacks --------------------------------------------
@pytest.mark.parametrize(("plugin", "hook", "answer"), [
    ("auth", "process_pre_auth", {}),
    ("pre_auth", "authenticate", {"authenticated": False,
                                  "error_message": "plugin does not implement authentication"}),
    ("pre_auth", "get_app_by_credential", {"success": False,
                                           "error_message": "plugin does not implement authentication"}),
    ("pre_auth", "process_post_auth", {}),
    ("pre_auth", "on_before_write", {}),
    ("pre_auth", "handle_proxy_log", {"success": True, "handled": False}),
    ("pre_auth", "get_asset", {"success": False}),
    ("pre_auth", "get_config_schema", {"success": True, "schema_json": "{}"}),
    ("pre_auth", "config_provider.get_manifest", {"success": True, "manifest_json": "{}"}),
    ("pre_auth", "handle_object_hook", {"allow_operation": True}),
    ("pre_auth", "accept_edge_payload", {"success": False, "handled": False}),
    ("pre_auth", "handle_endpoint_request", {"status_code": 501,
                                             "error_message": "plugin does not implement custom endpoints"}),
    ("pre_auth", "get_endpoint_registrations", {}),
    ("pre_auth", "validate_resource_selection", {"valid": True}),
    ("agent", "get_manifest", {"success": True, "manifest_json": "{}"}),  # AgentPlugin's own default
])
def test_go_sdk_default_answers(make_runtime: RuntimeFactory, plugin: str, hook: str,
                                answer: dict[str, Any]) -> None:
    rt = make_runtime(extra_grants={"llms.proxy"})
    rt.load(plugin_dir(plugin))
    assert rt.call(plugin, hook, {}) == answer


def test_go_sdk_default_through_cli_exits_0(run_cli: RunCli) -> None:
    result = run_cli(call_args("auth", "process_pre_auth", "--config", "tokens={}"))
    assert result.exit_code == 0
    assert result.doc == {"modified": False, "status_code": 0, "headers": {}, "body": "", "block": False,
                          "error_message": "", "context_updates": {}}
    result = run_cli(call_args("pre_auth", "authenticate"))
    assert result.exit_code == 0
    assert result.doc == {"authenticated": False, "user_id": "", "app_id": "", "claims": {},
                          "error_message": "plugin does not implement authentication"}


@pytest.mark.parametrize(("plugin", "hook"), [("pre_auth", "execute_scheduled_task"),
                                              ("kv_user", "handle_endpoint_request_stream"),
                                              ("pre_auth", "on_event")])  # no handler, no on_event
def test_hooks_without_a_default_answer_capability_missing(rt: Runtime, plugin: str, hook: str) -> None:
    rt.load(plugin_dir(plugin))
    spec = hook_by_name(hook)
    assert spec is not None
    with pytest.raises(PluginFailed) as info:
        if spec.streaming:
            list(rt.stream(plugin, hook, {}))
        else:
            rt.call(plugin, hook, {})
    assert (info.value.code, info.value.plugin, info.value.hook) == ("CAPABILITY_MISSING", plugin, hook)


def test_agent_message_on_a_non_agent_plugin(rt: Runtime, run_cli: RunCli) -> None:
    rt.load(plugin_dir("pre_auth"))
    with pytest.raises(PluginFailed) as info:
        list(rt.stream("pre_auth", "handle_agent_message", {"user_message": "hi"}))
    assert info.value.code == "CAPABILITY_MISSING"
    assert "AgentPlugin" in info.value.message
    chunks = list(rt.stream("pre_auth", "handle_agent_message", {}, apply_fail_policy=True))
    assert len(chunks) == 1 and chunks[0]["type"] == 4 and chunks[0]["is_final"] is True
    assert "CAPABILITY_MISSING" in chunks[0]["content"]

    result = run_cli(call_args("pre_auth", "handle_agent_message", "--input", "-"),
                     input='{"userMessage": "hi"}')
    assert result.exit_code == 1
    err = result.error
    assert (err["code"], err["plugin"], err["hook"]) == ("CAPABILITY_MISSING", "pre_auth",
                                                        "handle_agent_message")
    assert result.stderr.startswith("error: CAPABILITY_MISSING")

    result = run_cli(call_args("pre_auth", "handle_agent_message", "--apply-fail-policy"))
    assert result.exit_code == 3
    assert result.doc["type"] == "ERROR" and result.doc["is_final"] is True
    assert "CAPABILITY_MISSING" in result.doc["content"]


# -- failing plugins and fail policies -------------------------------------------------------------
ENRICHED = {"request": {"method": "POST", "path": "/v1/chat"}, "app_id": "5"}


def test_raising_plugin_error_carries_traceback_and_place(rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rt.load(plugin_dir("raises"))
    line = plugin_line("raises", "ZeroDivisionError")
    with pytest.raises(PluginFailed) as info:
        rt.call("raises", "process_post_auth", ENRICHED)
    err = info.value
    assert (err.code, err.plugin, err.hook) == ("PLUGIN_RAISED", "raises", "process_post_auth")
    assert err.message == "ZeroDivisionError: division by zero"
    assert err.where == f"plugin.py:{line}"
    assert err.traceback is not None
    assert f'{plugin_dir("raises") / "plugin.py"}", line {line}, in handle_post_auth' in err.traceback
    assert "_guest.py" not in err.traceback  # SDK frames are dropped
    # the traceback reaches the host log too, with the plugin's file:line
    logged = [r.getMessage() for r in caplog.records if r.name == "plugin.raises"]
    assert any(f'plugin.py", line {line}' in m and "ZeroDivisionError" in m for m in logged), logged
    assert rt.plugin("raises").statistics().errors == 1


def test_raising_plugin_through_cli(run_cli: RunCli) -> None:
    line = plugin_line("raises", "ZeroDivisionError")
    result = run_cli(call_args("raises", "process_post_auth"))
    assert result.exit_code == 1
    err = result.error
    assert (err["code"], err["plugin"], err["hook"]) == ("PLUGIN_RAISED", "raises", "process_post_auth")
    assert err["where"] == f"plugin.py:{line}"
    assert f"line {line}, in handle_post_auth" in err["traceback"]
    assert ("error: PLUGIN_RAISED: ZeroDivisionError: division by zero "
            "(plugin=raises, hook=process_post_auth)") in result.stderr.splitlines()
    assert f"line {line}, in handle_post_auth" in result.stderr


BLOCK_BODY = '{"error":{"message":"request blocked: a gateway plugin failed","type":"plugin_unavailable"}}'


def test_fail_closed_answer_for_post_auth(rt: Runtime, run_cli: RunCli) -> None:
    rt.load(plugin_dir("raises"))
    answer, error = rt.call_or_fail_answer("raises", "process_post_auth", ENRICHED)
    assert error is not None and error.code == "PLUGIN_RAISED"
    assert answer == {"block": True, "status_code": 503, "headers": {"content-type": "application/json"},
                      "body": BLOCK_BODY,
                      "error_message": "plugin raises failed (PLUGIN_RAISED): ZeroDivisionError: "
                                       "division by zero"}
    assert rt.plugin("raises").statistics().fail_policy_answers == 1

    result = run_cli(call_args("raises", "process_post_auth", "--apply-fail-policy"))
    assert result.exit_code == 3
    assert result.doc == {"modified": False, "status_code": 503,
                          "headers": {"content-type": "application/json"}, "body": b64(BLOCK_BODY),
                          "block": True, "context_updates": {},
                          "error_message": "plugin raises failed (PLUGIN_RAISED): ZeroDivisionError: "
                                           "division by zero"}
    assert "PLUGIN_RAISED" in result.stderr and "closed fail policy" in result.stderr


def test_fail_open_answer_for_a_failing_data_collector(rt: Runtime, run_cli: RunCli) -> None:
    rt.load(plugin_dir("data_collector"))
    answer, error = rt.call_or_fail_answer("data_collector", "handle_analytics", {"request_id": "fail-1"})
    assert answer == {"success": True, "handled": False}
    assert error is not None and error.code == "PLUGIN_RAISED"
    assert "cannot store analytics record fail-1" in error.message

    result = run_cli(call_args("data_collector", "handle_analytics", "--input", "-", "--apply-fail-policy"),
                     input='{"requestId": "fail-1"}')
    assert result.exit_code == 3
    assert result.doc == {"success": True, "handled": False, "error_message": "", "metadata": {}}
    assert "open fail policy" in result.stderr

    result = run_cli(call_args("data_collector", "handle_analytics", "--input", "-"),
                     input='{"requestId": "fail-1"}')
    assert result.exit_code == 1
    assert result.error["code"] == "PLUGIN_RAISED"


def test_operator_policy_chooses_fail_open_for_post_auth(run_cli: RunCli, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": 1, "plugins": {"raises": {"fail_policy": {"post_auth": "open"}}}}))
    result = run_cli(call_args("raises", "process_post_auth", "--policy", str(policy), "--apply-fail-policy"))
    assert result.exit_code == 3
    assert result.doc["block"] is False and result.doc["modified"] is False
    assert result.doc["status_code"] == 0


def test_policy_may_not_fail_auth_open(run_cli: RunCli, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": 1, "plugins": {"auth": {"fail_policy": {"auth": "open"}}}}))
    result = run_cli(call_args("auth", "authenticate", "--policy", str(policy)))
    assert result.exit_code == 1
    assert result.error["code"] == "POLICY_INVALID"
    assert str(policy) in result.error["message"]


def test_wrong_return_is_bad_return(rt: Runtime, run_cli: RunCli) -> None:
    rt.load(plugin_dir("wrong_return"))
    with pytest.raises(PluginFailed) as info:
        rt.call("wrong_return", "process_post_auth", ENRICHED)
    assert info.value.code == "BAD_RETURN"
    assert info.value.message == "handle_post_auth returned dict, expected PluginResponse"
    result = run_cli(call_args("wrong_return", "process_post_auth"))
    assert result.exit_code == 1
    assert result.error["code"] == "BAD_RETURN"
    result = run_cli(call_args("wrong_return", "process_post_auth", "--apply-fail-policy"))
    assert result.exit_code == 3 and result.doc["status_code"] == 503


# -- deadlines -----------------------------------------------------------------------------------
def test_deadline_through_api_abandons_the_call_and_serves_the_next(rt: Runtime) -> None:
    host = rt.load(plugin_dir("slow"))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as info:
        rt.call("slow", "process_post_auth", ENRICHED, timeout_ms=200)
    assert time.monotonic() - started < 1.0
    assert (info.value.code, info.value.plugin, info.value.hook) == ("DEADLINE_EXCEEDED", "slow",
                                                                    "process_post_auth")
    served = rt.call("slow", "process_post_auth", {"request": {"headers": {"x-no-sleep": "1"}}})
    assert served == {"modified": True, "headers": {"x-slow": "done"}}
    stats = host.statistics()
    assert stats.abandoned_threads == 1
    assert stats.deadlines == 1
    assert stats.instances_replaced == 1
    abandoned = [t for t in threading.enumerate() if t.name.startswith("plugin-slow-1") and t.is_alive()]
    assert abandoned and all(t.daemon for t in abandoned)


def test_deadline_fail_policy_through_api(rt: Runtime) -> None:
    rt.load(plugin_dir("slow"))
    answer, error = rt.call_or_fail_answer("slow", "process_post_auth", ENRICHED, timeout_ms=100)
    assert error is not None and error.code == "DEADLINE_EXCEEDED"
    assert answer["block"] is True and answer["status_code"] == 503
    assert "DEADLINE_EXCEEDED" in answer["error_message"]


def test_deadline_through_cli(run_cli: RunCli) -> None:
    started = time.monotonic()
    result = run_cli(call_args("slow", "process_post_auth", "--timeout-ms", "200"))
    assert time.monotonic() - started < 1.0
    assert result.exit_code == 1
    err = result.error
    assert (err["code"], err["plugin"], err["hook"]) == ("DEADLINE_EXCEEDED", "slow", "process_post_auth")
    assert err["message"] == "no answer within 200 ms"

    started = time.monotonic()
    result = run_cli(call_args("slow", "process_post_auth", "--timeout-ms", "200", "--apply-fail-policy"))
    assert time.monotonic() - started < 1.0
    assert result.exit_code == 3
    assert result.doc["block"] is True and result.doc["status_code"] == 503
    assert "DEADLINE_EXCEEDED" in result.doc["error_message"]


# -- streaming -----------------------------------------------------------------------------------
AGENT_REQUEST = {"session_id": "s-1", "user_message": "hi"}


def test_stream_chunks_reach_the_caller_as_produced(make_runtime: RuntimeFactory) -> None:
    rt = make_runtime(extra_grants={"llms.proxy"})
    rt.load(plugin_dir("agent"), config={"chunk_delay_ms": 500})
    arrivals: list[float] = []
    chunks = []
    for chunk in rt.stream("agent", "handle_agent_message", AGENT_REQUEST):
        arrivals.append(time.monotonic())
        chunks.append(chunk)
    assert [c.get("content") for c in chunks[:3]] == ["1/3 hi", "2/3 hi", "3/3 hi"]
    assert chunks[3]["is_final"] is True
    # the plugin sleeps 0.5 s before the second chunk: the first was already delivered
    assert arrivals[1] - arrivals[0] >= 0.3
    assert arrivals[2] - arrivals[1] >= 0.3


def test_stream_lines_are_flushed_as_produced_by_a_real_process() -> None:
    args = call_args("agent", "handle_agent_message", "--input", "-", "--grant", "llms.proxy",
                     "--config", "chunk_delay_ms=500")
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli.main", *args], cwd=REPO, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({"userMessage": "hi"}))
        proc.stdin.close()
        lines, arrivals = [], []
        for line in proc.stdout:
            arrivals.append(time.monotonic())
            lines.append(json.loads(line))
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert [line["type"] for line in lines] == ["CONTENT", "CONTENT", "CONTENT", "DONE"]
    assert [line["content"] for line in lines[:3]] == ["1/3 hi", "2/3 hi", "3/3 hi"]
    assert arrivals[1] - arrivals[0] >= 0.3


def test_agent_streams_the_fixture_llm_in_studio(make_runtime: RuntimeFactory, run_cli: RunCli) -> None:
    rt = make_runtime(runtime="studio", extra_grants={"llms.proxy"})
    rt.load(plugin_dir("agent"))
    request = {"session_id": "s-2", "user_message": "hello", "config_json": '{"llm_id": 1}'}
    chunks = list(rt.stream("agent", "handle_agent_message", request))
    assert chunks[0] == {"type": 3, "content": "asking LLM 1"}
    assert [c.get("content") for c in chunks[1:-1]] == ["Hello ", "from ", "the ", "fixture ", "LLM."]
    assert chunks[-1] == {"type": 5, "is_final": True, "metadata_json": '{"session": "s-2"}'}

    result = run_cli(call_args("agent", "handle_agent_message", "--input", "-", "--runtime", "studio",
                               "--grant", "llms.proxy", "--fixtures", str(FIXTURES_FILE)),
                     input=json.dumps({"userMessage": "echo me", "configJson": '{"llm_id": 2}'}))
    assert result.exit_code == 0
    # LLM 2 has no canned reply: the fixture LLM echoes the last user message
    assert [line["type"] for line in result.lines] == ["THINKING", "CONTENT", "CONTENT", "DONE"]
    assert [line["content"] for line in result.lines] == ["asking LLM 2", "echo ", "me", ""]


def test_stream_failing_midway(make_runtime: RuntimeFactory, run_cli: RunCli) -> None:
    """studio.call_llm in the gateway runtime: one chunk, then WRONG_RUNTIME."""
    rt = make_runtime(runtime="gateway", extra_grants={"llms.proxy"})
    rt.load(plugin_dir("agent"))
    request = {"user_message": "hello", "config_json": '{"llm_id": 1}'}
    received = []
    with pytest.raises(ServiceFailure) as info:
        for chunk in rt.stream("agent", "handle_agent_message", request):
            received.append(chunk)
    assert received == [{"type": 3, "content": "asking LLM 1"}]
    assert (info.value.code, info.value.hook) == ("WRONG_RUNTIME", "handle_agent_message")
    chunks = list(rt.stream("agent", "handle_agent_message", request, apply_fail_policy=True))
    assert [c.get("type") for c in chunks] == [3, 4]
    assert chunks[-1]["is_final"] is True and "WRONG_RUNTIME" in chunks[-1]["content"]

    args = call_args("agent", "handle_agent_message", "--input", "-", "--runtime", "gateway",
                     "--grant", "llms.proxy")
    text = json.dumps({"userMessage": "x", "configJson": '{"llm_id": 1}'})
    result = run_cli(args, input=text)
    assert result.exit_code == 1  # the stream ends with an error line
    assert len(result.lines) == 2
    assert result.lines[0]["type"] == "THINKING"
    assert result.lines[1]["error"]["code"] == "WRONG_RUNTIME"
    assert result.lines[1]["error"]["hook"] == "handle_agent_message"
    result = run_cli(args + ["--apply-fail-policy"], input=text)
    assert result.exit_code == 3
    assert [line["type"] for line in result.lines] == ["THINKING", "ERROR"]
    assert result.lines[1]["is_final"] is True


# -- events --------------------------------------------------------------------------------------
def test_event_published_by_one_plugin_reaches_another(rt: Runtime) -> None:
    rt.load(plugin_dir("publisher"))
    rt.load(plugin_dir("session_aware"))
    assert rt.call("session_aware", "on_session_ready", {"session_id": "s-1"}) == {}
    answer = rt.call("publisher", "process_post_auth",
                     {"request": {"headers": {"x-topic": "orders"}, "body": '{"id": 42}'}})
    assert answer["modified"] is True and answer["headers"]["x-event-id"]
    rt.call("publisher", "process_post_auth",
            {"request": {"headers": {"x-topic": "refunds"}, "body": "ignored"}})
    assert rt.bus.wait_idle(5)
    assert rt.kv.read("session_aware", "events:count") == b"1"
    assert json.loads(rt.kv.read("session_aware", "events:1") or b"") == {
        "topic": "orders", "origin": "plugin:publisher@local", "payload": '{"id": 42}'}
    assert rt.bus.statistics()["published"] == 2


def test_event_reaches_a_handler_named_at_subscription(rt: Runtime) -> None:
    """A plugin that is no EventSubscriber gets events through the method it named."""
    rt.load(plugin_dir("publisher"))
    rt.load(plugin_dir("named_handler"))
    subscribed = rt.call("named_handler", "process_post_auth", {})
    assert subscribed["headers"]["x-subscription"]
    published = rt.call("publisher", "process_post_auth",
                        {"request": {"headers": {"x-topic": "orders"}, "body": "order 7"}})
    event_id = published["headers"]["x-event-id"]
    assert rt.bus.wait_idle(5)
    assert rt.kv.read("named_handler", f"order:{event_id}") == b"order 7"


# -- logs ------------------------------------------------------------------------------------------
def test_prints_and_tracebacks_reach_the_log(rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rt.load(plugin_dir("prints"))
    assert rt.call("prints", "process_post_auth", {"app_id": "5"}) == {
        "modified": True, "headers": {"x-printed": "yes"}}
    records = [r for r in caplog.records if r.name == "plugin.prints"]
    by_text = {r.getMessage(): r for r in records}
    printed = [r for m, r in by_text.items() if "hello from print 5" in m]
    assert len(printed) == 1
    assert printed[0].levelno == logging.INFO
    assert printed[0].plugin_fields == {"stream": "stdout"}  # type: ignore[attr-defined]
    assert printed[0].hook == "process_post_auth"  # type: ignore[attr-defined]
    warned = [r for m, r in by_text.items() if "a warning on stderr" in m]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    assert any("no newline at the end" in m for m in by_text)  # flushed when the hook ends
    line = plugin_line("prints", "raise LookupError")
    path = plugin_dir("prints") / "plugin.py"
    assert any(f'File "{path}", line {line}, in _fail' in m for m in by_text), list(by_text)
    assert any("LookupError: caught and printed" in m for m in by_text)


def test_prints_never_reach_stdout_of_runtime_call(run_cli: RunCli) -> None:
    result = run_cli(call_args("prints", "process_post_auth", "--input", "-"), input='{"appId": "5"}',
                     process=True)
    assert result.exit_code == 0
    assert len(result.lines) == 1  # exactly one JSON line, no plugin output
    assert result.doc["headers"] == {"x-printed": "yes"}
    assert "hello from print 5" in result.stderr
    assert "a warning on stderr" in result.stderr
    assert f"line {plugin_line('prints', 'raise LookupError')}, in _fail" in result.stderr


def test_initialize_traceback_reaches_the_log(make_runtime: RuntimeFactory,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rt = make_runtime()
    with pytest.raises(LoadError) as info:
        rt.load(plugin_dir("config_provider"), config={"endpoint": "http://plain"})
    assert info.value.code == "INIT_FAILED"
    assert "endpoint must use https" in info.value.message
    line = plugin_line("config_provider", "raise ValueError")
    logged = [r.getMessage() for r in caplog.records if r.name == "plugin.config_provider"]
    assert any(f'plugin.py", line {line}, in initialize' in m for m in logged), logged


# -- limits ----------------------------------------------------------------------------------------
def test_host_call_budget_per_hook_call(rt: Runtime) -> None:
    rt.load(plugin_dir("host_call_flood"))
    for _ in range(2):  # the budget is per call: the second call gets a fresh one
        answer = rt.call("host_call_flood", "process_post_auth", {})
        assert answer["headers"] == {"x-ok": "1000", "x-first-refused": "1000",
                                     "x-refused-limit_exceeded": "1000"}


def test_oversized_request_is_refused_and_the_next_served(rt: Runtime) -> None:
    rt.load(plugin_dir("post_auth"))
    big = {"request": {"body": "x" * (MAX_ENVELOPE_BYTES + 1)}, "app_id": "5"}
    with pytest.raises(LimitExceeded) as info:
        rt.call("post_auth", "process_post_auth", big)
    assert info.value.code == "PAYLOAD_TOO_LARGE"
    assert info.value.plugin == "post_auth"
    assert rt.call("post_auth", "process_post_auth", ENRICHED)["headers"] == {"x-routed-for-app": "5"}


def test_oversized_request_is_measured_in_utf8_bytes(rt: Runtime) -> None:
    rt.load(plugin_dir("post_auth"))
    body = "\xff" * (MAX_ENVELOPE_BYTES // 2 + 1024)  # > MAX_ENVELOPE_BYTES once UTF-8 encoded
    assert len(json.dumps({"body": body}, ensure_ascii=False).encode("utf-8")) > MAX_ENVELOPE_BYTES
    with pytest.raises(LimitExceeded) as info:
        rt.call("post_auth", "process_post_auth", {"request": {"body": body}})
    assert info.value.code == "PAYLOAD_TOO_LARGE"


# -- permissions and KV isolation --------------------------------------------------------------------
def test_kv_without_the_scope_is_permission_denied(rt: Runtime, run_cli: RunCli) -> None:
    rt.load(plugin_dir("kv_not_requested"))
    use_kv = {"request": {"headers": {"x-use-kv": "1"}}}
    with pytest.raises(PermissionDenied) as info:
        rt.call("kv_not_requested", "process_post_auth", use_kv)
    assert info.value.code == "PERMISSION_DENIED"
    assert "kv.readwrite" in info.value.message
    assert info.value.where == f"plugin.py:{plugin_line('kv_not_requested', 'kv.write(')}"
    # the plugin is still served
    assert rt.call("kv_not_requested", "process_post_auth", {}) == {
        "modified": True, "headers": {"x-served": "yes"}}
    assert rt.kv.list("kv_not_requested", "", 10) == []

    result = run_cli(call_args("kv_not_requested", "process_post_auth", "--input", "-"),
                     input=json.dumps({"request": {"headers": {"x-use-kv": "1"}}}))
    assert result.exit_code == 1
    assert result.error["code"] == "PERMISSION_DENIED"


def test_service_error_names_the_refused_op(rt: Runtime) -> None:
    rt.load(plugin_dir("kv_not_requested"))
    with pytest.raises(PermissionDenied) as info:
        rt.call("kv_not_requested", "process_post_auth", {"request": {"headers": {"x-use-kv": "1"}}})
    assert info.value.op == "kv.write"


def kv_steps(rt: Runtime, plugin: str, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answer = rt.call(plugin, "handle_endpoint_request", {"method": "POST", "path": "/kv",
                                                         "body": json.dumps(steps)})
    assert answer["status_code"] == 200
    return json.loads(answer["body"])  # type: ignore[no-any-return]


def test_kv_operations(rt: Runtime) -> None:
    rt.load(plugin_dir("kv_user"))
    results = kv_steps(rt, "kv_user", [
        {"op": "write", "key": "a", "value": "1"},
        {"op": "write", "key": "a", "value": "2"},
        {"op": "write", "key": "b", "value": "x"},
        {"op": "read", "key": "a"},
        {"op": "increment", "key": "n"},
        {"op": "increment", "key": "n", "delta": 41},
        {"op": "increment", "key": "b"},
        {"op": "list"},
        {"op": "list", "prefix": "a"},
        {"op": "delete", "key": "b"},
        {"op": "delete", "key": "b"},
        {"op": "read", "key": "b"},
        {"op": "write", "key": "", "value": "x"},
        {"op": "write", "key": "k" * 256, "value": "x"},
    ])
    assert results == [
        {"ok": True}, {"ok": False}, {"ok": True}, {"ok": "2"}, {"ok": 1}, {"ok": 42},
        {"error": "INVALID_ARGUMENT"}, {"ok": ["a", "b", "n"]}, {"ok": ["a"]},
        {"ok": True}, {"ok": False}, {"error": "NOT_FOUND"},
        {"error": "INVALID_ARGUMENT"}, {"error": "INVALID_ARGUMENT"},
    ]
    assert rt.kv.read("kv_user", "n") == b"42"


def test_another_plugins_keys_are_invisible(rt: Runtime) -> None:
    rt.load(plugin_dir("kv_user"), name="alice")
    rt.load(plugin_dir("kv_user"), name="bob")
    assert kv_steps(rt, "alice", [{"op": "write", "key": "secret", "value": "alice's"}]) == [{"ok": True}]
    assert kv_steps(rt, "bob", [{"op": "read", "key": "secret"}, {"op": "list"},
                                {"op": "delete", "key": "secret"},
                                {"op": "write", "key": "secret", "value": "bob's"}]) == [
        {"error": "NOT_FOUND"}, {"ok": []}, {"ok": False}, {"ok": True}]
    assert kv_steps(rt, "alice", [{"op": "read", "key": "secret"}]) == [{"ok": "alice's"}]
    assert rt.kv.read("bob", "secret") == b"bob's"


CRAFTED_KEYS = ["../other/x", "other/x", "/other/x", "other:x", "other\\x", "..\\other\\x",
                "other\u2215x", "x", "other.x", "%2e%2e/other/x"]


def test_crafted_keys_stay_in_the_plugins_own_namespace(rt: Runtime) -> None:
    rt.load(plugin_dir("kv_user"), name="other")
    rt.load(plugin_dir("greedy_kv"))
    assert kv_steps(rt, "other", [{"op": "write", "key": "x", "value": "secret"}]) == [{"ok": True}]
    keys = CRAFTED_KEYS + ["other\x00x", "\x00"]
    answer = rt.call("greedy_kv", "process_post_auth",
                     {"request": {"headers": {"x-keys": json.dumps(keys)}}})
    results = json.loads(answer["headers"]["x-results"])
    for key in CRAFTED_KEYS:
        assert results[key] == ["NOT_FOUND", "written", "value:greedy"], key
    for key in ("other\x00x", "\x00"):
        assert results[key] == ["INVALID_ARGUMENT"] * 3, key
    assert json.loads(answer["headers"]["x-listed"]) == sorted(CRAFTED_KEYS)
    # the victim's namespace is untouched
    assert rt.kv.list("other", "", 100) == ["x"]
    assert rt.kv.read("other", "x") == b"secret"
    assert kv_steps(rt, "other", [{"op": "list"}]) == [{"ok": ["x"]}]


# -- usage errors of `runtime call` ------------------------------------------------------------------
def test_unknown_hook(run_cli: RunCli, rt: Runtime) -> None:
    result = run_cli(call_args("pre_auth", "process_everything"))
    assert result.exit_code == 2
    assert result.error["code"] == "UNKNOWN_HOOK"
    assert result.error["hook"] == "process_everything"
    assert len(result.stderr.strip().splitlines()) == 1
    rt.load(plugin_dir("pre_auth"))
    with pytest.raises(AbiViolation) as info:
        rt.call("pre_auth", "process_everything", {})
    assert info.value.code == "UNKNOWN_HOOK"


def test_rpc_names_are_accepted_as_hook_names(run_cli: RunCli) -> None:
    result = run_cli(call_args("pre_auth", "ProcessPreAuth", "--input", "-"),
                     input='{"headers": {"x-block": "1"}}')
    assert result.exit_code == 0
    assert result.doc["block"] is True


@pytest.mark.parametrize(("hook", "text", "mention"), [
    ("process_pre_auth", "{bad json", "Failed to load JSON"),
    ("process_pre_auth", '{"method": "GET", "nope": 1}', "nope"),
    ("process_pre_auth", '{"headers": "not a map"}', "headers"),
    ("process_pre_auth", '{"body": "***not base64***"}', "body"),
    ("process_pre_auth", "[1, 2]", "PluginRequest"),
    ("on_event", "{bad json", "not JSON"),
    ("on_event", '["an", "array"]', "JSON object"),
])
def test_malformed_input_is_input_invalid(run_cli: RunCli, hook: str, text: str, mention: str) -> None:
    plugin = "session_aware" if hook == "on_event" else "pre_auth"
    result = run_cli(call_args(plugin, hook, "--input", "-"), input=text)
    assert result.exit_code == 2, result
    assert result.error["code"] == "INPUT_INVALID"
    assert mention in result.error["message"]
    assert result.stderr.startswith("error: INPUT_INVALID")


def test_other_usage_errors(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(call_args("pre_auth", "process_pre_auth", "--input", str(tmp_path / "missing.json")))
    assert (result.exit_code, result.error["code"]) == (2, "USAGE_ERROR")
    result = run_cli(call_args("pre_auth", "process_pre_auth", "--state-dir", str(tmp_path)))
    assert (result.exit_code, result.error["code"]) == (2, "USAGE_ERROR")  # with --ephemeral
    result = run_cli(call_args("pre_auth", "process_pre_auth", "--grant", "everything.forever"))
    assert (result.exit_code, result.error["code"]) == (2, "USAGE_ERROR")
    assert "everything.forever" in result.error["message"]
    result = run_cli(call_args("pre_auth", "process_pre_auth", "--config", "no-equals-sign"))
    assert (result.exit_code, result.error["code"]) == (2, "USAGE_ERROR")


def test_a_tier_that_is_not_here_gives_tier_unavailable(run_cli: RunCli, make_runtime: RuntimeFactory) -> None:
    # the subinterpreter tier runs only plugins the policy trusts
    result = run_cli(call_args("pre_auth", "process_pre_auth", tier="subinterpreter"))
    err = result.error
    assert (err["code"], err["plugin"]) == ("POLICY_DENIED", "pre_auth")
    assert "trusted" in err["message"]
    # the process tier runs go-plugin executables, not Python plugins
    rt = make_runtime(tier="process")
    with pytest.raises(PluginRuntimeError) as info:
        rt.load(plugin_dir("pre_auth"))
    assert info.value.code == "TIER_UNAVAILABLE", info.value
    assert "sandbox.command" in info.value.message


# -- manifests, policy and configuration -----------------------------------------------------------------
def test_malformed_manifest(run_cli: RunCli, rt: Runtime) -> None:
    manifest = plugin_dir("bad_manifest") / "plugin-manifest.json"
    result = run_cli(call_args("bad_manifest", "process_post_auth"))
    assert result.exit_code == 1
    assert result.error["code"] == "MANIFEST_INVALID"
    assert str(manifest) in result.error["message"]
    assert "not valid JSON at line 6" in result.error["message"]
    with pytest.raises(ManifestError) as info:
        rt.load(plugin_dir("bad_manifest"))
    assert str(manifest) in info.value.message


def test_manifest_naming_a_missing_module(run_cli: RunCli, rt: Runtime) -> None:
    result = run_cli(call_args("missing_entry", "process_post_auth"))
    assert result.exit_code == 1
    assert result.error["code"] == "MANIFEST_INVALID"
    message = result.error["message"]
    assert str(plugin_dir("missing_entry") / "plugin-manifest.json") in message
    assert "sandbox.entry" in message and "does_not_exist" in message
    with pytest.raises(ManifestError):
        rt.load(plugin_dir("missing_entry"))


def test_not_a_plugin_directory(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(call_args(tmp_path, "process_post_auth"))
    assert result.exit_code == 1
    assert result.error["code"] == "MANIFEST_INVALID"
    assert str(tmp_path / "plugin-manifest.json") in result.error["message"]


def test_requesting_more_than_the_default_grants(run_cli: RunCli, make_runtime: RuntimeFactory) -> None:
    manifest = plugin_dir("requests_too_much") / "plugin-manifest.json"
    result = run_cli(call_args("requests_too_much", "process_post_auth"))
    assert result.exit_code == 1
    err = result.error
    assert (err["code"], err["plugin"]) == ("POLICY_DENIED", "requests_too_much")
    assert str(manifest) in err["message"] and "apps.write" in err["message"]
    with pytest.raises(PolicyError) as info:
        make_runtime().load(plugin_dir("requests_too_much"))
    assert info.value.code == "POLICY_DENIED"
    # the operator may grant it
    result = run_cli(call_args("requests_too_much", "process_post_auth", "--grant", "apps.write"))
    assert result.exit_code == 0
    make_runtime(extra_grants={"apps.write"}).load(plugin_dir("requests_too_much"))


def test_policy_file_denying_a_requested_scope(run_cli: RunCli, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": 1, "plugins": {"data_collector": {"grants": []}}}))
    result = run_cli(call_args("data_collector", "handle_proxy_log", "--policy", str(policy)))
    assert result.exit_code == 1
    assert result.error["code"] == "POLICY_DENIED"
    assert str(plugin_dir("data_collector") / "plugin-manifest.json") in result.error["message"]
    assert str(policy) in result.error["message"] and "kv.readwrite" in result.error["message"]
    # another identity is not covered by that entry and gets the default grants
    result = run_cli(call_args("data_collector", "handle_proxy_log", "--policy", str(policy),
                               "--name", "collector-2"))
    assert result.exit_code == 0


def test_config_validation(run_cli: RunCli, make_runtime: RuntimeFactory, tmp_path: Path) -> None:
    result = run_cli(call_args("config_provider", "process_post_auth"))
    assert result.exit_code == 1
    assert result.error["code"] == "CONFIG_INVALID"
    assert "endpoint" in result.error["message"]
    result = run_cli(call_args("config_provider", "process_post_auth",
                               "--config", "endpoint=https://x.example", "--config", "retries=-1"))
    assert result.exit_code == 1
    assert result.error["code"] == "CONFIG_INVALID" and "retries" in result.error["message"]
    result = run_cli(call_args("config_provider", "process_post_auth", "--config", "endpoint=http://x"))
    assert result.exit_code == 1
    assert result.error["code"] == "INIT_FAILED" and "must use https" in result.error["message"]
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({"endpoint": "https://x.example", "retries": 2}))
    result = run_cli(call_args("config_provider", "process_post_auth", "--config-file", str(config_file),
                               "--config", "retries=3"))
    assert result.exit_code == 0
    assert result.doc["headers"] == {"x-endpoint": "https://x.example", "x-retries": "3"}

    with pytest.raises(ConfigError) as info:
        make_runtime().load(plugin_dir("config_provider"), config={"endpoint": 5})
    assert info.value.code == "CONFIG_INVALID"
    with pytest.raises(ConfigError):
        make_runtime().load(plugin_dir("config_provider"), config={**ENDPOINT_CONFIG, "extra": 1})


# -- state --------------------------------------------------------------------------------------------
def test_two_runs_on_one_state_dir_share_kv(run_cli: RunCli, tmp_path: Path) -> None:
    state = str(tmp_path / "state")

    def run(steps: list[dict[str, Any]]) -> list[Any]:
        request = {"method": "POST", "path": "/kv", "body": b64(json.dumps(steps))}
        result = run_cli(call_args("kv_user", "handle_endpoint_request", "--input", "-", "--state-dir", state,
                                   ephemeral=False), input=json.dumps(request), process=True)
        assert result.exit_code == 0, result
        return json.loads(base64.b64decode(result.doc["body"]))  # type: ignore[no-any-return]

    assert run([{"op": "write", "key": "greeting", "value": "hello"}, {"op": "increment", "key": "n"}]) == [
        {"ok": True}, {"ok": 1}]
    assert run([{"op": "read", "key": "greeting"}, {"op": "increment", "key": "n"}]) == [
        {"ok": "hello"}, {"ok": 2}]


def test_identity_is_the_kv_namespace(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    for name, expected in (("dc-a", "1"), ("dc-a", "2"), ("dc-b", "1")):
        result = run_cli(call_args("data_collector", "handle_proxy_log", "--state-dir", str(state),
                                   "--name", name, ephemeral=False))
        assert result.exit_code == 0
        assert result.doc["metadata"] == {"count": expected}
    assert kv_value(state, "dc-a", "count:proxy_log") == b"2"
    assert kv_value(state, "dc-b", "count:proxy_log") == b"1"
    assert kv_value(state, "data_collector", "count:proxy_log") is None


def test_ephemeral_runs_share_nothing(run_cli: RunCli) -> None:
    for _ in range(2):
        result = run_cli(call_args("data_collector", "handle_proxy_log"))
        assert result.doc["metadata"] == {"count": "1"}


# -- runtime detection and gateway services -------------------------------------------------------
GATEWAY_REQUEST = {"request": {"headers": {"x-llm-id": "1"}}, "app_id": "5"}
GATEWAY_GRANTS = ("--grant", "apps.read", "--grant", "llms.read", "--fixtures", str(FIXTURES_FILE))


def test_gateway_services_in_the_gateway_runtime(make_runtime: RuntimeFactory, run_cli: RunCli) -> None:
    rt = make_runtime(runtime="gateway", extra_grants={"apps.read", "llms.read"})
    rt.load(plugin_dir("gateway_services"))
    expected = {"x-app-name": "checkout", "x-llm-vendor": "openai", "x-llm-model": "gpt-4o"}
    assert rt.call("gateway_services", "process_post_auth", GATEWAY_REQUEST) == {
        "modified": True, "headers": expected}
    raw = {"request": {"headers": {"x-llm-id": "2", "x-raw": "1"}}, "app_id": "5"}
    assert rt.call("gateway_services", "process_post_auth", raw)["headers"]["x-llm-vendor"] == "anthropic"
    with pytest.raises(ServiceFailure) as info:
        rt.call("gateway_services", "process_post_auth", {"app_id": "99"})
    assert info.value.code == "NOT_FOUND"

    result = run_cli(call_args("gateway_services", "process_post_auth", "--input", "-", "--runtime", "gateway",
                               *GATEWAY_GRANTS), input=json.dumps(GATEWAY_REQUEST))
    assert result.exit_code == 0
    assert result.doc["headers"] == expected


def test_gateway_services_need_their_scopes(run_cli: RunCli) -> None:
    result = run_cli(call_args("gateway_services", "process_post_auth", "--runtime", "gateway"))
    assert result.exit_code == 1
    assert result.error["code"] == "POLICY_DENIED"


@pytest.mark.parametrize("raw", [False, True], ids=["sdk", "raw-op"])
def test_gateway_services_in_the_studio_runtime(make_runtime: RuntimeFactory, run_cli: RunCli,
                                                raw: bool) -> None:
    request = {"request": {"headers": {"x-llm-id": "1", **({"x-raw": "1"} if raw else {})}}, "app_id": "5"}
    rt = make_runtime(runtime="studio", extra_grants={"apps.read", "llms.read"})
    rt.load(plugin_dir("gateway_services"))
    with pytest.raises(ServiceFailure) as info:
        rt.call("gateway_services", "process_post_auth", request)
    assert info.value.code == "WRONG_RUNTIME"
    assert "studio" in info.value.message
    result = run_cli(call_args("gateway_services", "process_post_auth", "--input", "-", "--runtime", "studio",
                               *GATEWAY_GRANTS), input=json.dumps(request))
    assert result.exit_code == 1
    assert (result.error["code"], result.error["hook"]) == ("WRONG_RUNTIME", "process_post_auth")


@pytest.mark.parametrize(("env", "exit_code"), [
    ({}, 1),                                        # nothing set: studio
    ({"PLUGIN_RUNTIME": "gateway"}, 0),
    ({"PLUGIN_RUNTIME": "studio", "GATEWAY_MODE": "edge"}, 1),
    ({"GATEWAY_MODE": "edge"}, 0),
    ({"MICROGATEWAY_MODE": "standalone"}, 0),
])
def test_runtime_detected_from_the_environment(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch,
                                               env: dict[str, str], exit_code: int) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = run_cli(call_args("gateway_services", "process_post_auth", "--input", "-", *GATEWAY_GRANTS),
                     input=json.dumps(GATEWAY_REQUEST))
    assert result.exit_code == exit_code, result
    if exit_code:
        assert result.error["code"] == "WRONG_RUNTIME"
    else:
        assert result.doc["headers"]["x-app-name"] == "checkout"


def test_runtime_flag_overrides_the_environment(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGIN_RUNTIME", "gateway")
    result = run_cli(call_args("gateway_services", "process_post_auth", "--input", "-", "--runtime", "studio",
                               *GATEWAY_GRANTS), input=json.dumps(GATEWAY_REQUEST))
    assert result.exit_code == 1
    assert result.error["code"] == "WRONG_RUNTIME"

