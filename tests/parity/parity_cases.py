"""The table of the parity suite: representative requests for every hook each example and
each loadable test plugin serves, the failure paths (errors, fail policies, deadlines,
streams that fail midway) and the multi-plugin flows (events, KV isolation).

The one-hook cases of the integration suite (``test_capabilities.HOOK_CASES``, every guest
hook with its exact expected answer) are reused as they are; the rest is written here.
Requests are in envelope form (proto field names, bytes fields as latin-1 strings).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from host_abi.hooks import HOOKS
from host_abi.limits import MAX_ENVELOPE_BYTES
from parity_helpers import WAIT_EVENTS, WAIT_SESSION, Case, Load, call, fail, wait_kv

_INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
if str(_INTEGRATION) not in sys.path:
    sys.path.append(str(_INTEGRATION))
try:
    from test_capabilities import HOOK_CASES, normalize as capabilities_normalize
except ImportError:  # pragma: no cover - the integration suite is part of this repository
    HOOK_CASES, capabilities_normalize = [], None


def _hook_case(c: Any) -> Case:
    step = call(c.hook, c.request, expect=c.answer, json_fields=c.json_fields)
    return Case(f"hooks/{c.id}", (Load(c.plugin, config=dict(c.config)),), (step,),
                runtime=c.runtime, grants=tuple(c.grants))


#: Every guest hook, reused from tests/integration/test_capabilities.py with its answer.
HOOK_TABLE = [_hook_case(c) for c in HOOK_CASES]

# -- shared data -------------------------------------------------------------------------------
TOKENS = {"tok-1": {"app_id": 5, "user_id": 7}}
ENRICHED = {"request": {"method": "POST", "path": "/v1/chat"}, "app_id": "5"}
CHAT = json.dumps({"model": "gpt-4o", "messages": [
    {"role": "system", "content": "Be kind."},
    {"role": "user", "content": "Résume le contrat n° 2024-117 — coût 4 200 € « urgent »"}]},
    ensure_ascii=False).encode("utf-8").decode("latin-1")
CHAT_PARTS = json.dumps({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]})
ANSWER = json.dumps({"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi."}}]})
STAMP = 1735689600  # 2025-01-01T00:00:00Z: fixed timestamps keep answers off the clock
GUEST_HOOKS = [h.name for h in HOOKS if h.answered_by == "guest"
               and h.name not in ("instance_start", "initialize", "shutdown")]

# -- the test plugins (tests/plugins), beyond HOOK_TABLE ---------------------------------------
PLUGIN_CASES = [
    Case("pre_auth/answers-and-sdk-defaults", (Load("pre_auth"),), (
        call("process_pre_auth", {"method": "GET", "path": "/models", "headers": {"accept": "*/*"}}),
        call("process_pre_auth", {"headers": {"x-block": "ünï"}}),
        call("ping", {"timestamp": 42}), call("config_provider.ping", {"timestamp": 7}),
        # every other guest hook with an empty request: the Go SDK's default answers, or
        # CAPABILITY_MISSING where there is none
        *[call(h) for h in GUEST_HOOKS if h not in ("process_pre_auth",)],
        fail("handle_agent_message", {"user_message": "hi"}),
        call("shutdown", {"timeout_seconds": 5}),
    )),
    Case("auth/refusals-and-reinitialize", (Load("auth", config={"tokens": TOKENS}),), (
        call("authenticate", {"credential": "stolen"}),
        call("get_app_by_credential", {"credential": "stolen"}),
        call("get_user_by_credential", {"credential": "stolen"}),
        call("initialize", {"config": {"tokens": json.dumps({"tok-2": {"app_id": 8, "user_id": 9}})}}),
        call("authenticate", {"credential": "tok-2", "auth_type": "bearer"}),
        fail("authenticate", {"credential": "tok-1"}),
    )),
    Case("config_provider/refused-at-load", (Load("config_provider", config={"endpoint": "http://plain"}),), ()),
    Case("config_provider/invalid-config", (Load("config_provider", config={"endpoint": 5}),), ()),
    Case("config_provider/initialize-hook", (Load("config_provider", config={"endpoint": "https://x.example",
                                                                             "retries": 2}),), (
        call("process_post_auth", ENRICHED),
        call("initialize", {"config": {"endpoint": "http://plain"}}),
        call("get_config_schema"), call("config_provider.get_config_schema"),
    )),
    Case("data_collector/counts-and-fail-open", (Load("data_collector"),), (
        *[call("handle_proxy_log", {"request_id": "r"})] * 3,
        call("handle_analytics", {"request_id": "r"}),
        call("handle_analytics", {"request_id": "fail-1"}),
        fail("handle_analytics", {"request_id": "fail-2"}),
        fail("handle_budget_usage", {"request_id": "fail-3"}),
    )),
    Case("ui_provider/assets-and-rpc", (Load("ui_provider"),), (
        call("get_asset", {"asset_path": "/nope"}), call("get_asset", {"asset_path": "/ui/app.js"}),
        call("list_assets", {"path_prefix": "/"}), call("list_assets", {"path_prefix": "/none/"}),
        call("call", {"method": "echo", "payload": ""}),
        call("call", {"method": "echo", "payload": "{not json"}),
        call("get_manifest"), call("config_provider.get_manifest"),
    )),
    Case("portal_ui/admin-and-not", (Load("portal_ui"),), (
        call("portal_call", {"method": "m", "payload": "{}", "user_context": {"user_id": 1, "is_admin": True}}),
        call("portal_call", {"method": "", "payload": ""}),
    )),
    Case("manifest_provider/both-manifest-hooks", (Load("manifest_provider"),), (
        call("get_manifest"), call("config_provider.get_manifest"), call("get_config_schema"),
    )),
    Case("object_hooks/stamps", (Load("object_hooks"),), (
        call("handle_object_hook", {"hook_type": "before_create", "object_type": "app",
                                    "object_json": '{"name": "shop"}'}),
        call("handle_object_hook", {"hook_type": "before_update", "object_type": "llm",
                                    "object_json": '{"api_endpoint": "https://api.openai.com"}'}),
        call("handle_object_hook", {"hook_type": "before_create", "object_type": "llm", "object_json": "{bad"}),
    )),
    Case("resource_provider/refusals", (Load("resource_provider"),), (
        call("get_resource_instance", {"resource_type_slug": "vector-db", "instance_id": "db-7"}),
        call("get_resource_instance", {"resource_type_slug": "graph-db", "instance_id": "db-1"}),
        call("list_resource_instances", {"resource_type_slug": "graph-db"}),
        call("validate_resource_selection", {"resource_type_slug": "vector-db", "instance_ids": ["db-1", "db-2"]}),
        call("create_resource_instance", {"resource_type_slug": "vector-db", "payload": "not json"}),
    )),
    Case("scheduler/counts-and-bad-config", (Load("scheduler"),), (
        *[call("execute_scheduled_task", {"schedule": {"id": i, "cron": "* * * * *"}}) for i in "aba"],
        call("execute_scheduled_task", {"schedule": {"id": "x", "config_json": "{nope"}}),
    )),
    Case("edge_payload/unhandled", (Load("edge_payload"),), (
        call("accept_edge_payload", {"payload": "x"}),
        call("accept_edge_payload", {"payload": "\x00\xff", "edge_id": "e", "correlation_id": "c"}),
    )),
    Case("custom_endpoint/both-forms", (Load("custom_endpoint"),), (
        call("get_endpoint_registrations"),
        call("handle_endpoint_request", {"method": "POST", "path": "/x", "body": "\x00\x01\xff"}),
        call("handle_endpoint_request_stream", {"method": "GET", "path": "/stream"}),
        fail("handle_endpoint_request_stream", {"method": "GET", "path": "/stream"}),
    )),
    Case("response/both-hooks", (Load("response"),), (
        call("on_before_write_headers", {"headers": {"a": "b"}}),
        call("on_before_write", {"body": "héllo ünïcode", "headers": {}}),
    )),
    Case("stream_complete/error-and-small", (Load("stream_complete"),), (
        call("on_stream_complete", {"status_code": 502}),
        call("on_stream_complete", {"status_code": 200, "chunk_count": 2}),
    )),
    Case("gateway_services/gateway", (Load("gateway_services"),), (
        call("process_post_auth", {"request": {"headers": {"x-llm-id": "1"}}, "app_id": "5"}),
        call("process_post_auth", {"request": {"headers": {"x-llm-id": "2", "x-raw": "1"}}, "app_id": "5"}),
        call("process_post_auth", {"app_id": "99"}),
        fail("process_post_auth", {"app_id": "99"}),
    ), grants=("apps.read", "llms.read")),
    Case("gateway_services/studio-runtime", (Load("gateway_services"),), (
        call("process_post_auth", {"request": {"headers": {"x-llm-id": "1"}}, "app_id": "5"}),
        call("process_post_auth", {"request": {"headers": {"x-llm-id": "1", "x-raw": "1"}}, "app_id": "5"}),
    ), runtime="studio", grants=("apps.read", "llms.read")),
    Case("greedy_kv/crafted-keys", (Load("kv_user", name="other"), Load("greedy_kv")), (
        call("handle_endpoint_request", {"method": "POST", "path": "/kv", "body": json.dumps(
            [{"op": "write", "key": "x", "value": "secret"}])}, plugin="other"),
        call("process_post_auth", {"request": {"headers": {"x-keys": json.dumps(
            ["../other/x", "other/x", "/other/x", "other:x", "other\\x", "..\\other\\x", "other\u2215x",
             "x", "other.x", "%2e%2e/other/x", "other\x00x", "\x00"])}}}, plugin="greedy_kv"),
    )),
    Case("host_call_flood/budget-per-call", (Load("host_call_flood"),), (
        call("process_post_auth"), call("process_post_auth"),
    ), unlogged="2000 log lines a call meet the host's log rate limit, a token bucket on the "
                "monotonic clock: how many get through depends on the speed of the tier"),
    Case("kv_not_requested/permission-denied", (Load("kv_not_requested"),), (
        call("process_post_auth", {"request": {"headers": {"x-use-kv": "1"}}}),
        fail("process_post_auth", {"request": {"headers": {"x-use-kv": "1"}}}),
        call("process_post_auth"),
    )),
    Case("kv_user/operations", (Load("kv_user"),), (
        call("handle_endpoint_request", {"method": "POST", "path": "/kv", "body": json.dumps([
            {"op": "write", "key": "a", "value": "1"}, {"op": "write", "key": "a", "value": "2"},
            {"op": "write", "key": "b", "value": "x"}, {"op": "read", "key": "a"},
            {"op": "increment", "key": "n"}, {"op": "increment", "key": "n", "delta": 41},
            {"op": "increment", "key": "b"}, {"op": "list"}, {"op": "list", "prefix": "a"},
            {"op": "delete", "key": "b"}, {"op": "delete", "key": "b"}, {"op": "read", "key": "b"},
            {"op": "write", "key": "", "value": "x"}, {"op": "write", "key": "k" * 256, "value": "x"},
            {"op": "write", "key": "big", "value": "v" * 70000}, {"op": "write", "key": "t", "value": "x",
                                                                   "ttl_seconds": 60}])}),
        call("handle_endpoint_request", {"method": "POST", "path": "/kv", "body": '[{"op": "nope"}]'}),
        call("get_endpoint_registrations"),
    )),
    Case("kv_user/two-identities", (Load("kv_user", name="alice"), Load("kv_user", name="bob")), (
        call("handle_endpoint_request", {"method": "POST", "body": json.dumps(
            [{"op": "write", "key": "secret", "value": "alice's"}])}, plugin="alice"),
        call("handle_endpoint_request", {"method": "POST", "body": json.dumps(
            [{"op": "read", "key": "secret"}, {"op": "list"}, {"op": "delete", "key": "secret"},
             {"op": "write", "key": "secret", "value": "bob's"}])}, plugin="bob"),
    )),
    Case("events/publisher-to-subscriber", (Load("publisher"), Load("session_aware")), (
        call("on_session_ready", {"session_id": "s-1"}, plugin="session_aware"),
        call("process_post_auth", {"request": {"headers": {"x-topic": "orders"}, "body": '{"id": 42}'}},
             plugin="publisher"),
        call("process_post_auth", {"request": {"headers": {"x-topic": "refunds"}, "body": "ignored"}},
             plugin="publisher"),
        call("process_post_auth", {}, plugin="publisher"),
        WAIT_EVENTS,
    )),
    Case("events/named-handler", (Load("publisher"), Load("named_handler")), (
        call("process_post_auth", {}, plugin="named_handler"),
        call("process_post_auth", {"request": {"headers": {"x-topic": "orders"}, "body": "order 7"}},
             plugin="publisher"),
        WAIT_EVENTS,
        call("on_event", {"id": "e-1", "topic": "orders", "payload": "direct", "handler": "record_order"},
             plugin="named_handler"),
        call("on_event", {"id": "e-2", "topic": "orders", "payload": "x", "handler": "_private"},
             plugin="named_handler"),
    )),
    Case("session_aware/open-and-close", (Load("session_aware"),), (
        call("open_session", {"service_broker_id": 3, "timeout_ms": 50}),
        wait_kv("session:ready"),
        call("close_session", {"reason": "done"}),
        call("on_event", {"id": "e-9", "topic": "orders", "origin": "plugin:x@local", "payload": "ü"}),
    )),
    Case("prints/stdout-stderr-and-a-printed-traceback", (Load("prints"),), (
        call("process_post_auth", {"app_id": "5"}), call("process_post_auth", {"app_id": "6"}),
    )),
    Case("raises/error-and-fail-closed", (Load("raises"),), (
        call("process_post_auth", ENRICHED), fail("process_post_auth", ENRICHED),
    )),
    Case("raises/operator-fails-open", (Load("raises"),), (fail("process_post_auth", ENRICHED),),
         policy={"version": 1, "plugins": {"raises": {"fail_policy": {"post_auth": "open"}}}}),
    Case("wrong_return/bad-return", (Load("wrong_return"),), (
        call("process_post_auth", ENRICHED), fail("process_post_auth", ENRICHED),
    )),
    Case("post_auth/oversized-requests", (Load("post_auth"),), (
        call("process_post_auth", {"request": {"body": "x" * (MAX_ENVELOPE_BYTES + 1)}, "app_id": "5"}),
        call("process_post_auth", {"request": {"body": "\xff" * (MAX_ENVELOPE_BYTES // 2 + 1024)}}),
        call("process_post_auth", ENRICHED),
        call("process_post_auth", {"request": {"body": "\xff" * 1000, "headers": {"é": "ü"}},
                                   "app_id": "\u00e9", "user_id": "x" * 5000}),
    )),
    Case("slow/served-without-sleeping", (Load("slow"),), (
        call("process_post_auth", {"request": {"headers": {"x-no-sleep": "1"}}}),
    )),
    Case("agent/streams", (Load("agent"),), (
        call("handle_agent_message", {"session_id": "s-1", "user_message": "hi ünï"}),
        call("handle_agent_message", {"session_id": "s-2", "user_message": "hello", "config_json": '{"llm_id": 1}'}),
        call("handle_agent_message", {"user_message": "echo me", "config_json": '{"llm_id": 2}'}),
        call("handle_agent_message", {"user_message": "x", "config_json": "{bad"}),
        call("get_manifest"), call("config_provider.get_manifest"),
    ), runtime="studio", grants=("llms.proxy",)),
    Case("agent/stream-failing-midway", (Load("agent"),), (
        call("handle_agent_message", {"user_message": "hello", "config_json": '{"llm_id": 1}'}),
        fail("handle_agent_message", {"user_message": "hello", "config_json": '{"llm_id": 1}'}),
    ), grants=("llms.proxy",)),
    Case("scheduled/session-and-tasks", (Load("scheduled"),), (
        call("get_manifest"), call("config_provider.get_manifest"),
        call("open_session", {"service_broker_id": 1, "timeout_ms": 20}), WAIT_SESSION,
        call("execute_scheduled_task", {"context": {"request_id": "run-1"},
                                        "schedule": {"id": "every-minute", "config_json": '{"step": 2}'}}),
        call("execute_scheduled_task", {"schedule": {"id": "london-8am"}}),
        call("close_session"),
        call("on_session_ready", {"session_id": "s-2"}), call("on_session_closing", {"session_id": "s-2"}),
    ), runtime="studio", grants=("scheduler.manage",)),
]

# -- the examples ------------------------------------------------------------------------------
ANA = {"tok-ana": {"app_id": 5, "user_id": 7, "email": "ana@example.com", "name": "Ana"},
       "tok-bob": {"app_id": 9, "user_id": 8}}
LLM_OK = {"name": "  GPT-4o ", "vendor": "OpenAI", "api_endpoint": "https://api.openai.com/v1/",
          "privacy_score": 60, "short_description": "General model"}


def _endpoint(method: str, relative: str, query: str = "", body: str = "", **headers: str) -> dict[str, Any]:
    return {"method": method, "path": f"/plugins/echo{relative}", "relative_path": relative,
            "query_string": query, "body": body, "headers": headers}


def _chat_answer(*contents: str) -> str:
    return json.dumps({"id": "c1", "choices": [{"index": i, "message": {"role": "assistant", "content": c}}
                                               for i, c in enumerate(contents)]})


EXAMPLE_CASES = [
    Case("message_modifier/requests", (Load("examples/message_modifier", config={"instruction": "Réponds en français."}),), (
        call("process_pre_auth", {"method": "POST", "path": "/v1/chat/completions", "body": CHAT}),
        call("process_pre_auth", {"body": CHAT_PARTS}),
        call("process_pre_auth", {"body": '{"messages": [{"role": "system", "content": "x"}]}'}),
        call("process_pre_auth", {"body": "not json"}), call("process_pre_auth"),
        call("get_config_schema"), call("config_provider.get_config_schema"),
    )),
    Case("request_enricher/requests", (Load("examples/request_enricher", config={"header_name": "x-app"}),), (
        call("process_post_auth", {"request": {"method": "POST", "body": CHAT}, "app_id": "12"}),
        call("process_post_auth", {"request": {"body": '{"prompt": "x"}'}}),
        call("process_post_auth", {"request": {"body": "[1, 2"}}),
        call("process_post_auth"),
        call("get_manifest"), call("config_provider.get_manifest"),
        call("get_config_schema"), call("config_provider.get_config_schema"),
    )),
    Case("response_modifier/both-hooks", (Load("examples/response_modifier", config={
            "footer": " — via gateway ✓", "remove_headers": ["Server"], "header_prefix": "x-demo-"}),), (
        call("on_before_write_headers", {"headers": {"content-type": "application/json", "server": "up/1"},
                                         "context": {"request_id": "req-42"}}),
        call("on_before_write", {"body": ANSWER, "headers": {"content-type": "application/json"}}),
        call("on_before_write", {"body": "plain text"}),
        call("on_before_write", {"body": ANSWER, "is_stream_chunk": True}),
        call("get_config_schema"),
    )),
    Case("custom_auth/gateway", (Load("examples/custom_auth", config={"tokens": ANA}),), (
        call("authenticate", {"credential": "Bearer tok-ana", "auth_type": "bearer"}),
        call("authenticate", {"credential": "tok-bob"}),
        call("authenticate", {"credential": "Bearer nope"}),
        call("authenticate", {"credential": "   "}),
        call("authenticate", {"credential": "tok-ana", "auth_type": "basic"}),
        call("get_app_by_credential", {"credential": "Bearer tok-ana"}),
        call("get_app_by_credential", {"credential": "tok-bob"}),
        call("get_app_by_credential", {"credential": "nope"}),
        call("get_user_by_credential", {"credential": "tok-ana"}),
        call("get_user_by_credential", {"credential": "tok-bob"}),
        call("on_session_ready", {"session_id": "s-1"}), call("on_session_closing", {"session_id": "s-1"}),
        call("get_config_schema"), call("config_provider.get_config_schema"),
    ), grants=("apps.read",)),
    Case("custom_auth/without-app-lookup", (Load("examples/custom_auth", config={"tokens": ANA}),), (
        call("get_app_by_credential", {"credential": "tok-ana"}),
    ), runtime="studio", grants=("apps.read",)),
    Case("rate_limiter/remote-addr", (Load("examples/rate_limiter", config={"limit": 2, "window_seconds": 60}),), (
        *[call("process_pre_auth", {"remote_addr": f"10.0.0.1:{port}", "body": CHAT}) for port in (1, 2, 3)],
        call("process_pre_auth", {"remote_addr": "[2001:db8::1]:443"}),
        call("process_post_auth", {"app_id": "7"}),
        call("get_config_schema"), call("config_provider.get_config_schema"),
    ), clock="a refusal says when the window resets (x-ratelimit-reset, the stored window end)"),
    Case("rate_limiter/per-app", (Load("examples/rate_limiter", config={"limit": 1, "key_by": "app"}),), (
        call("process_pre_auth", {"remote_addr": "10.0.0.1"}),
        call("process_post_auth", {"app_id": "7"}), call("process_post_auth", {"app_id": "7"}),
        call("process_post_auth", {"app_id": "0"}),
    ), clock="a refusal says when the window resets (x-ratelimit-reset, the stored window end)"),
    Case("usage_collector/records", (Load("examples/usage_collector", config={"retention_days": 2}),), (
        call("handle_proxy_log", {"app_id": 7, "vendor": "openai", "response_code": 200, "timestamp": STAMP,
                                  "request_id": "r1"}),
        call("handle_proxy_log", {"app_id": 7, "response_code": 502, "timestamp": STAMP}),
        call("handle_analytics", {"app_id": 7, "model_name": "gpt-4o", "prompt_tokens": 10,
                                  "response_tokens": 5, "cost": 0.0123, "currency": "USD", "timestamp": STAMP}),
        call("handle_analytics", {"app_id": 7, "total_tokens": 9, "timestamp": STAMP}),
        call("handle_budget_usage", {"app_id": 7, "llm_id": 1, "tokens_used": 100, "cost": 1.5,
                                     "requests_count": 3, "timestamp": STAMP + 60}),
        call("handle_budget_usage", {"app_id": 7, "llm_id": 1, "tokens_used": 1, "timestamp": STAMP}),
        call("on_event", {"id": "e-1", "topic": "usage.report.request", "origin": "plugin:ui@local",
                          "payload": json.dumps({"app_id": 7, "day": "2025-01-01"})}),
        call("on_event", {"id": "e-2", "topic": "usage.report.request", "payload": "not json"}),
        call("on_event", {"id": "e-3", "topic": "other", "payload": "{}"}),
        call("on_session_ready", {"session_id": "s-1"}), call("on_session_closing", {"session_id": "s-1"}),
        call("get_config_schema"), call("config_provider.get_config_schema"),
    )),
    Case("usage_collector/streams-and-session", (Load("examples/usage_collector"),), (
        call("on_stream_complete", {"accumulated_response": "data: a\n\n", "status_code": 200, "chunk_count": 4,
                                    "context": {"app_id": 7}}),
        call("open_session", {"service_broker_id": 2, "timeout_ms": 20}), WAIT_SESSION,
        call("close_session"),
    ), clock="on_stream_complete counts under the UTC day the stream ended (today)"),
    Case("echo_agent/echo", (Load("examples/echo_agent", config={"prefix": "<< ", "suffix": " >>", "words_per_chunk": 2}),), (
        call("handle_agent_message", {"session_id": "s", "user_message": "one two three"}),
        call("handle_agent_message", {"user_message": "  spaced   out, ünïcode!  "}),
        call("handle_agent_message", {"user_message": "   "}),
        call("handle_agent_message", {"user_message": "x", "config_json": "[1]"}),
        call("get_config_schema"), call("config_provider.get_config_schema"),
        call("get_manifest"), call("config_provider.get_manifest"),
    ), grants=("llms.proxy",)),
    Case("echo_agent/llm-in-studio", (Load("examples/echo_agent", config={"system_prompt": "Be brief."}),), (
        call("handle_agent_message", {"user_message": "hi", "config_json": '{"llm_id": 1}',
                                      "history": [{"role": "user", "content": "earlier"}]}),
        call("handle_agent_message", {"user_message": "echo me", "config_json": '{"llm_id": 2, "model": "m"}'}),
        call("handle_agent_message", {"user_message": "hi", "config_json": '{"llm_id": 99}'}),
    ), runtime="studio", grants=("llms.proxy",)),
    Case("echo_agent/llm-in-gateway", (Load("examples/echo_agent", config={"llm_id": 1}),), (
        call("handle_agent_message", {"user_message": "hi"}),
    ), grants=("llms.proxy",)),
    Case("llm_validator/objects", (Load("examples/llm_validator", config={"blocked_vendors": ["Evil"], "min_privacy_score": 50,
                                                                 "priority": 3}),), (
        call("get_object_hook_registrations"),
        call("handle_object_hook", {"hook_type": "before_create", "object_type": "llm", "timestamp": STAMP,
                                    "object_json": json.dumps(LLM_OK), "operation_id": "op-1"}),
        call("handle_object_hook", {"hook_type": "before_update", "object_type": "llm", "timestamp": STAMP,
                                    "object_json": json.dumps({**LLM_OK, "name": "GPT-4o",
                                                               "api_endpoint": "https://api.openai.com/v1"})}),
        call("handle_object_hook", {"hook_type": "before_create", "object_type": "llm", "timestamp": STAMP,
                                    "object_json": json.dumps({"vendor": "evil", "api_endpoint": "http://x",
                                                               "privacy_score": 10})}),
        call("handle_object_hook", {"hook_type": "before_create", "object_type": "llm",
                                    "object_json": '{"privacy_score": "high"}'}),
        call("handle_object_hook", {"hook_type": "before_create", "object_type": "llm", "object_json": "[]"}),
        call("handle_object_hook", {"hook_type": "after_delete", "object_type": "app", "object_json": "{}"}),
        call("get_manifest"), call("config_provider.get_manifest"), call("get_config_schema"),
        call("config_provider.get_config_schema"),
    )),
    Case("scheduler_demo/session-and-tasks", (Load("examples/scheduler_demo"),), (
        call("open_session", {"service_broker_id": 1, "timeout_ms": 20}), WAIT_SESSION,
        call("execute_scheduled_task", {"schedule": {"id": "minute-counter", "config_json": '{"step": 3}'}}),
        call("execute_scheduled_task", {"schedule": {"id": "daily-report", "config_json": '{"keep_days": 2}'}}),
        call("execute_scheduled_task", {"schedule": {"id": "nope"}}),
        call("get_manifest"), call("config_provider.get_manifest"),
        call("close_session"),
    ), runtime="studio", grants=("scheduler.manage",),
        clock="the daily report is stamped with the time and the UTC day it ran"),
    Case("scheduler_demo/schedules-not-manageable", (Load("examples/scheduler_demo"),), (
        call("on_session_ready", {"session_id": "s"}),
        call("execute_scheduled_task", {"schedule": {"id": "minute-counter"}}),
        call("on_session_closing", {"session_id": "s"}),
    ), grants=("scheduler.manage",)),
    Case("echo_endpoint/routes", (Load("examples/echo_endpoint", config={"greeting": "Grüß dich", "max_events": 5,
                                                               "echo_headers": ["content-type", "x-trace"]}),), (
        call("get_endpoint_registrations"),
        call("handle_endpoint_request", _endpoint("GET", "/echo", "a=1&a=2&b=", **{"X-Trace": "t-1"})),
        call("handle_endpoint_request", _endpoint("POST", "/echo", body='{"ping": "ü"}',
                                                  **{"content-type": "application/json"})),
        call("handle_endpoint_request", _endpoint("POST", "/echo", body="{bad", **{"content-type": "application/json"})),
        call("handle_endpoint_request", _endpoint("DELETE", "/echo")),
        call("handle_endpoint_request", _endpoint("GET", "/stream", "n=2")),
        call("handle_endpoint_request", _endpoint("GET", "/stream", "n=99")),
        call("handle_endpoint_request", _endpoint("GET", "/nowhere")),
        call("handle_endpoint_request_stream", _endpoint("GET", "/stream", "n=3")),
        call("handle_endpoint_request_stream", _endpoint("GET", "/stream", "n=zero")),
        call("handle_endpoint_request_stream", _endpoint("GET", "/elsewhere")),
        call("get_config_schema"), call("config_provider.get_config_schema"),
    )),
    Case("portal_feedback/portal-and-admin", (Load("examples/portal_feedback", config={"max_text_length": 20}),), (
        call("portal_call", {"method": "submit", "payload": json.dumps({"text": " Très bien ", "rating": 5}),
                             "user_context": {"user_id": 7, "email": "ana@example.com", "name": "Ana"}}),
        call("portal_call", {"method": "submit", "payload": json.dumps({"text": "meh", "rating": 2}),
                             "user_context": {"user_id": 8, "email": "bob@example.com"}}),
        call("portal_call", {"method": "submit", "payload": json.dumps({"text": "x" * 21, "rating": 3}),
                             "user_context": {"user_id": 7}}),
        call("portal_call", {"method": "submit", "payload": json.dumps({"text": "ok", "rating": 9}),
                             "user_context": {"user_id": 7}}),
        call("portal_call", {"method": "list_mine", "payload": "", "user_context": {"user_id": 7}}),
        call("portal_call", {"method": "submit", "payload": "[]", "user_context": {"user_id": 7}}),
        call("portal_call", {"method": "hack", "payload": "{}", "user_context": {"user_id": 7}}),
        call("portal_call", {"method": "list_mine", "payload": "{}"}),
        call("call", {"method": "list_all", "payload": '{"limit": 1}'}),
        call("call", {"method": "delete", "payload": '{"id": 1}'}),
        call("call", {"method": "delete", "payload": '{"id": 1}'}),
        call("call", {"method": "list_all", "payload": ""}),
        call("call", {"method": "list_all", "payload": '{"limit": 0}'}),
        call("call", {"method": "drop_all", "payload": "{}"}),
        call("get_asset", {"asset_path": "/ui/webc/feedback-form.js"}),
        call("get_asset", {"asset_path": "/ui/missing.js"}),
        call("list_assets", {"path_prefix": "/ui/webc/"}),
        call("get_manifest"), call("config_provider.get_manifest"),
    ), clock="a feedback item records when it was submitted (created_at)"),
    Case("edge_receiver/payloads", (Load("examples/edge_receiver"),), (
        call("accept_edge_payload", {"payload": json.dumps({"kind": "usage", "requests": 12, "tokens": 3400}),
                                     "edge_id": "edge-1", "edge_namespace": "eu", "correlation_id": "c-1",
                                     "edge_timestamp": STAMP + 10, "received_timestamp": STAMP + 11}),
        call("accept_edge_payload", {"payload": json.dumps({"kind": "usage", "requests": 1, "tokens": 5}),
                                     "edge_id": "edge-1", "edge_namespace": "eu", "edge_timestamp": STAMP}),
        call("accept_edge_payload", {"payload": json.dumps({"kind": "heartbeat", "version": "1.2.0"}),
                                     "edge_id": "edge-2", "edge_timestamp": STAMP}),
        call("accept_edge_payload", {"payload": "\xff not json", "edge_id": "edge-1"}),
        call("accept_edge_payload", {"payload": '{"kind": "gossip"}', "edge_id": "edge-1"}),
        call("accept_edge_payload", {"payload": '{"kind": "usage", "tokens": -1}', "edge_id": "edge-1"}),
        call("accept_edge_payload", {"payload": '["usage"]', "edge_id": "edge-1"}),
        call("accept_edge_payload", {"payload": '{"kind": "heartbeat"}'}),
        call("get_manifest"), call("config_provider.get_manifest"),
    )),
    Case("resource_provider/knowledge-bases", (Load("examples/resource_provider", config={"max_privacy_score": 40}),), (
        call("get_resource_type_registrations"),
        call("create_resource_instance", {"resource_type_slug": "knowledge-base", "context": {"user_id": 7},
                                          "payload": json.dumps({"name": "Product Docs", "privacy_score": 20,
                                                                 "description": " Manuals "})}),
        call("create_resource_instance", {"resource_type_slug": "knowledge-base",
                                          "payload": json.dumps({"name": "HR files", "privacy_score": 90})}),
        call("create_resource_instance", {"resource_type_slug": "knowledge-base",
                                          "payload": json.dumps({"name": "product docs!", "privacy_score": 1})}),
        call("create_resource_instance", {"resource_type_slug": "knowledge-base", "payload": '{"name": "x"}'}),
        call("create_resource_instance", {"resource_type_slug": "knowledge-base", "payload": "\xff"}),
        call("create_resource_instance", {"resource_type_slug": "other", "payload": "{}"}),
        call("list_resource_instances", {"resource_type_slug": "knowledge-base"}),
        call("get_resource_instance", {"resource_type_slug": "knowledge-base", "instance_id": "product-docs"}),
        call("get_resource_instance", {"resource_type_slug": "knowledge-base", "instance_id": "nope"}),
        call("validate_resource_selection", {"resource_type_slug": "knowledge-base", "app_id": 5,
                                             "instance_ids": ["product-docs"]}),
        call("validate_resource_selection", {"resource_type_slug": "knowledge-base", "app_id": 5,
                                             "instance_ids": ["product-docs", "hr-files", "ghost"]}),
        call("get_config_schema"), call("config_provider.get_config_schema"),
    ), clock="an instance records when it was created (metadata.created_at)"),
    Case("markdown_cleaner/answers", (Load("examples/markdown_cleaner", config={"keep_links": False}),), (
        call("on_before_write", {"body": _chat_answer(
            "# Títle\n\n**Bold** and *it* with `code`, a [link](https://e.com) and ~~gone~~.\n\n"
            "1. one\n2. two\n   - nested\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nverbatim\n```",
            "plain"), "headers": {"content-type": "application/json"}}),
        call("on_before_write", {"body": _chat_answer("nothing to do")}),
        call("on_before_write", {"body": "not json"}),
        call("on_before_write", {"body": _chat_answer("**x**"), "is_stream_chunk": True}),
        call("on_before_write_headers", {"headers": {"a": "b"}}),
        call("get_config_schema"), call("config_provider.get_config_schema"),
    )),
]

#: Cases whose wasm answers are known to differ, each for a reason the test states.
DEADLINE_CASES = [
    Case("slow/deadline", (Load("slow"),), (
        call("process_post_auth", ENRICHED, timeout_ms=200),
        fail("process_post_auth", ENRICHED, timeout_ms=200),
        call("process_post_auth", {"request": {"headers": {"x-no-sleep": "1"}}}),
    )),
]

CASES = HOOK_TABLE + PLUGIN_CASES + EXAMPLE_CASES


def case_id(case: Case) -> str:
    return case.id
