"""`runtime serve` as a go-plugin plugin process, driven through our go-plugin client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from runtime.bridge.client import PluginProcess, PluginStartError, handshake_env
from runtime.bridge.goplugin import parse_handshake
from runtime.wire import (ai_studio_management_pb2_grpc, config_provider_pb2, grpc_stdio_pb2,
                          microgateway_management_pb2_grpc, plugin_events_pb2,
                          plugin_events_pb2_grpc, plugin_pb2)

from bridge_helpers import (EXAMPLES, PLUGINS, REPO, RUNTIME, FakeEvents, FakeKV, GatewayManagement,
                      Launcher, StudioManagement, wait_until)

P = plugin_pb2
pytestmark = pytest.mark.slow


def _endpoint(stub: object, steps: list[dict[str, object]]) -> list[dict[str, object]]:
    resp = stub.HandleEndpointRequest(P.EndpointRequest(method="POST", relative_path="/run",  # type: ignore[attr-defined]
                                                         body=json.dumps(steps).encode()), timeout=20)
    assert resp.status_code == 200, resp
    return json.loads(resp.body)


# -- the process contract ---------------------------------------------------------------------
def test_handshake_line_socket_health_and_json_logs(launch: Launcher, socket_dir: Path) -> None:
    proc = launch(EXAMPLES / "request_enricher")
    assert proc.handshake is not None
    assert proc.handshake.network == "unix" and proc.handshake.protocol == "grpc"
    assert re.fullmatch(re.escape(str(socket_dir)) + r"/plugin\d+", proc.handshake.address)
    assert os.path.exists(proc.handshake.address)
    assert proc.health_check("plugin") == 1
    assert proc.health_check("") == 1
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"instruction": "Be kind."})).success
    proc.stop()
    assert proc.stdout_after_handshake == []
    records = proc.log_records()
    assert records and all(set(r) >= {"@level", "@message", "@timestamp"} for r in records)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)", r["@timestamp"])
               for r in records)
    non_json = [line for line in proc.stderr_lines if not line.startswith("{")]
    assert non_json == []


def test_the_handshake_line_is_exactly_the_go_form(tmp_path: Path, inprocess_policy: Path) -> None:
    env = {**os.environ, **handshake_env(str(tmp_path))}
    with subprocess.Popen([*RUNTIME, "serve", str(EXAMPLES / "request_enricher"), "--policy",
                           str(inprocess_policy), "--ephemeral"], cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          stdin=subprocess.DEVNULL) as p:
        try:
            assert p.stdout is not None
            line = p.stdout.readline().decode()
            assert re.fullmatch(r"1\|1\|unix\|" + re.escape(str(tmp_path)) + r"/plugin\d+\|grpc\|\n", line)
            parse_handshake(line)
        finally:
            p.send_signal(signal.SIGTERM)
            assert p.wait(timeout=5) == 0
            assert p.stdout is not None and p.stdout.read() == b"", "nothing after the handshake"
    assert not list(tmp_path.glob("plugin*")), "the socket is removed on SIGTERM"


def test_refuses_to_run_without_the_magic_cookie(inprocess_policy: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AI_STUDIO_PLUGIN"}
    r = subprocess.run([*RUNTIME, "serve", str(EXAMPLES / "request_enricher")], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "not meant to be run by hand" in r.stderr and "AI_STUDIO_PLUGIN=v1" in r.stderr
    r = subprocess.run([*RUNTIME, "serve", str(EXAMPLES / "request_enricher")], cwd=REPO,
                       env={**env, "AI_STUDIO_PLUGIN": "v2"}, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "AI_STUDIO_PLUGIN=v1" in r.stderr


@pytest.mark.parametrize("extra, message", [
    ({"PLUGIN_CLIENT_CERT": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
     "grpc/grpc#41089"),
    ({"PLUGIN_PROTOCOL_VERSIONS": "2,3"}, "incompatible plugin protocol"),
    ({"PLUGIN_PROTOCOL_VERSIONS": "one"}, "not a list of integers"),
])
def test_refusals_are_clear_and_start_nothing(extra: dict[str, str], message: str,
                                              inprocess_policy: Path, socket_dir: Path) -> None:
    env = {**os.environ, **handshake_env(str(socket_dir)), **extra}
    r = subprocess.run([*RUNTIME, "serve", str(EXAMPLES / "request_enricher"), "--policy",
                        str(inprocess_policy), "--ephemeral"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and r.stdout == ""
    assert message in r.stderr
    assert not list(socket_dir.iterdir())


def test_the_socket_gets_the_group_of_plugin_unix_socket_group(launch: Launcher) -> None:
    import grp
    import stat
    gid = os.getgid()
    for group in (str(gid), grp.getgrgid(gid).gr_name):
        proc = launch(EXAMPLES / "request_enricher", env={"PLUGIN_UNIX_SOCKET_GROUP": group})
        assert proc.handshake is not None
        st = os.stat(proc.handshake.address)
        assert st.st_gid == gid and stat.S_IMODE(st.st_mode) == 0o660
        assert proc.health_check() == 1
        proc.stop()


def test_an_unknown_socket_group_is_a_clear_error(launch: Launcher) -> None:
    with pytest.raises(PluginStartError, match="PLUGIN_UNIX_SOCKET_GROUP='no-such-group': no such group"):
        launch(EXAMPLES / "request_enricher", env={"PLUGIN_UNIX_SOCKET_GROUP": "no-such-group"})


def test_protocol_versions_offering_1_are_accepted(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher", env={"PLUGIN_PROTOCOL_VERSIONS": "3,1,2"})
    assert proc.health_check() == 1


def test_broker_multiplexing_is_declined_with_a_warning(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher", env={"PLUGIN_MULTIPLEX_GRPC": "true"})
    assert proc.handshake is not None and proc.health_check() == 1
    proc.stop()
    assert any("PLUGIN_MULTIPLEX_GRPC" in r["@message"] and r["@level"] == "warn"
               for r in proc.log_records())


def test_a_plugin_that_cannot_load_exits_before_the_handshake(launch: Launcher, tmp_path: Path) -> None:
    with pytest.raises(PluginStartError, match="exited before we could connect"):
        launch(tmp_path / "no-such-plugin")


def test_tcp_listens_inside_the_port_range(launch: Launcher) -> None:
    import socket as s
    probe = s.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    proc = launch(EXAMPLES / "request_enricher", "--network", "tcp",
                  env={"PLUGIN_MIN_PORT": str(port), "PLUGIN_MAX_PORT": str(port + 20)})
    assert proc.handshake is not None and proc.handshake.network == "tcp"
    host, _, got = proc.handshake.address.rpartition(":")
    assert host == "127.0.0.1" and port <= int(got) <= port + 20
    assert proc.health_check() == 1


def test_stdout_after_the_handshake_goes_to_grpc_stdio(launch: Launcher) -> None:
    proc = launch(PLUGINS / "raw_stdout")
    stub = proc.plugin_service()
    assert stub.ProcessPostAuth(P.EnrichedRequest(app_id="9")).headers["x-written"] == "yes"
    stream = proc.stdio(timeout_s=10)
    got = b""
    for chunk in stream:
        assert chunk.channel == grpc_stdio_pb2.StdioData.STDOUT
        got += chunk.data
        if b"\n" in got:
            break
    stream.cancel()
    assert got == b"raw bytes on fd 1 for app 9\n"
    proc.stop()
    assert proc.stdout_after_handshake == [], "nothing but the handshake on the real stdout"


def test_print_reaches_the_log_not_stdout(launch: Launcher) -> None:
    proc = launch(REPO / "tests" / "plugins" / "prints")
    stub = proc.plugin_service()
    assert stub.ProcessPostAuth(P.EnrichedRequest(app_id="9")).headers["x-printed"] == "yes"
    proc.stop()
    assert proc.stdout_after_handshake == []
    assert any("hello from print 9" in r["@message"] for r in proc.log_records())


# -- hooks ------------------------------------------------------------------------------------
def test_unary_hooks_and_the_go_sdk_answers_for_missing_capabilities(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher")
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"instruction": "Be kind.", "plugin_id": "7",
                                                 "has_service_api": "true"})).success
    ping = stub.Ping(P.PingRequest(timestamp=1234))
    assert ping.timestamp == 1234 and ping.healthy
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()
    resp = stub.ProcessPostAuth(P.EnrichedRequest(request=P.PluginRequest(body=body), app_id="3"))
    assert resp.modified and json.loads(resp.body)["messages"][-1] == {"role": "system",
                                                                      "content": "Be kind."}
    # capabilities the plugin lacks: the Go SDK's answers
    assert stub.ProcessPreAuth(P.PluginRequest()).modified is False
    auth = stub.Authenticate(P.AuthRequest(credential="x"))
    assert not auth.authenticated and auth.error_message
    assert stub.HandleObjectHook(P.ObjectHookRequest()).allow_operation
    assert list(stub.GetEndpointRegistrations(P.GetEndpointRegistrationsRequest()).registrations) == []
    assert stub.HandleEndpointRequest(P.EndpointRequest()).status_code == 501
    assert stub.ValidateResourceSelection(P.ValidateResourceSelectionRequest()).valid
    with pytest.raises(grpc.RpcError) as err:
        list(stub.HandleAgentMessage(P.AgentMessageRequest(user_message="hi")))
    assert err.value.code() != grpc.StatusCode.OK
    cfg = proc.config_provider()
    assert cfg.Ping(config_provider_pb2.ConfigPingRequest(timestamp=5)).healthy
    schema = cfg.GetConfigSchema(config_provider_pb2.ConfigSchemaRequest())
    assert schema.success
    manifest = cfg.GetManifest(config_provider_pb2.GetManifestRequest())
    assert manifest.success


def test_initialize_gives_every_instance_the_flat_config_with_reserved_keys(launch: Launcher) -> None:
    proc = launch(PLUGINS / "host_user")
    stub = proc.plugin_service()
    config = {"greeting": "hi", "limit": "1e+06", "nested": '{"x":1}', "_plugin_id": "12"}
    assert stub.Initialize(P.InitRequest(config=config)).success
    assert _endpoint(stub, [{"op": "config"}]) == [{"ok": config}]


def test_a_configuration_the_plugin_refuses_is_success_false(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "custom_auth")
    stub = proc.plugin_service()
    answer = stub.Initialize(P.InitRequest(config={"tokens": "[1, 2]"}))
    assert not answer.success and "tokens must be a JSON object" in answer.error_message
    assert proc.health_check() == 1


def test_concurrent_calls_are_served_side_by_side(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher")
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"instruction": "Hi."})).success
    body = json.dumps({"messages": []}).encode()

    def one(i: int) -> str:
        resp = stub.ProcessPostAuth(P.EnrichedRequest(app_id=str(i), request=P.PluginRequest(body=body)))
        return resp.headers["x-app-id"]
    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(one, range(40)), key=int) == [str(i) for i in range(40)]


def test_server_streaming_rpcs_stream(launch: Launcher) -> None:
    agent = launch(EXAMPLES / "echo_agent")
    stub = agent.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"words_per_chunk": "1"})).success
    chunks = list(stub.HandleAgentMessage(P.AgentMessageRequest(user_message="one two three")))
    types = [c.type for c in chunks]
    assert len(chunks) >= 4 and types[-1] == P.AgentMessageChunk.DONE and chunks[-1].is_final
    assert "one" in "".join(c.content for c in chunks)

    endpoint = launch(EXAMPLES / "echo_endpoint")
    stub = endpoint.plugin_service()
    assert stub.Initialize(P.InitRequest(config={})).success
    regs = stub.GetEndpointRegistrations(P.GetEndpointRegistrationsRequest()).registrations
    assert [(r.path, r.stream_response) for r in regs] == [("/echo", False), ("/stream", True)]
    echo = stub.HandleEndpointRequest(P.EndpointRequest(method="POST", relative_path="/echo", body=b"hi"))
    assert echo.status_code == 200 and json.loads(echo.body)["body"] == "hi"
    stream = stub.HandleEndpointRequestStream(P.EndpointRequest(method="GET", relative_path="/stream",
                                                                 query_string="n=3"))
    first = next(stream)  # arrives before the stream ends
    assert first.type == P.EndpointResponseChunk.HEADERS and first.status_code == 200
    rest = list(stream)
    assert [c.type for c in rest] == [P.EndpointResponseChunk.BODY] * 3 + [P.EndpointResponseChunk.DONE]


def test_every_hook_of_the_auth_and_data_collection_examples(launch: Launcher, tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps({"apps": [{"id": 7, "name": "Ana's app", "is_active": True}]}))
    auth = launch(EXAMPLES / "custom_auth", "--fixtures", str(fixtures))
    stub = auth.plugin_service()
    tokens = json.dumps({"tok-ana": {"app_id": 7, "user_id": 42, "email": "ana@example.com"}})
    assert stub.Initialize(P.InitRequest(config={"tokens": tokens, "_plugin_id": "3"})).success
    ok = stub.Authenticate(P.AuthRequest(credential="Bearer tok-ana", auth_type="bearer"))
    assert ok.authenticated and ok.app_id == "7" and ok.user_id == "42"
    assert not stub.Authenticate(P.AuthRequest(credential="Bearer nope", auth_type="bearer")).authenticated
    app = stub.GetAppByCredential(P.GetAppRequest(credential="Bearer tok-ana"))
    assert app.success and app.app.id == 7 and app.app.name == "Ana's app"  # embedded look-up
    user = stub.GetUserByCredential(P.GetUserRequest(credential="Bearer tok-ana"))
    assert user.success and user.user.id == 42 and user.user.email == "ana@example.com"
    missing = stub.GetUserByCredential(P.GetUserRequest(credential="Bearer nope"))
    assert not missing.success and missing.error_message
    schema = json.loads(stub.GetConfigSchema(P.GetConfigSchemaRequest()).schema_json)
    assert "tokens" in schema["properties"]

    collector = launch(EXAMPLES / "usage_collector")
    stub = collector.plugin_service()
    assert stub.Initialize(P.InitRequest(config={})).success
    assert stub.HandleProxyLog(P.ProxyLogRequest(app_id=1, response_code=200, timestamp=1714550400)).handled
    analytics = stub.HandleAnalytics(P.AnalyticsRequest(app_id=1, total_tokens=10, timestamp=1714550400))
    assert analytics.success and analytics.metadata["tokens_today"] == "10"
    budget = stub.HandleBudgetUsage(P.BudgetUsageRequest(app_id=1, llm_id=2, cost=0.5, timestamp=5))
    assert budget.success and budget.metadata["stored"] == "true"
    assert stub.OnStreamComplete(P.StreamCompleteRequest(chunk_count=3)).handled
    # on_response hooks it does not implement: the Go SDK's neutral answers
    assert not stub.OnBeforeWriteHeaders(P.HeadersRequest()).modified
    assert not stub.OnBeforeWrite(P.ResponseWriteRequest()).modified


# -- sessions ---------------------------------------------------------------------------------
def test_open_session_blocks_until_timeout_then_until_close(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher")
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"plugin_id": "5"})).success
    started = time.monotonic()
    answer = stub.OpenSession(P.OpenSessionRequest(plugin_id=5, timeout_ms=400))
    assert time.monotonic() - started >= 0.38
    assert answer.success and answer.close_reason == P.OpenSessionResponse.TIMEOUT
    assert answer.session_id == "session-5-0"
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(stub.OpenSession, P.OpenSessionRequest(plugin_id=5, timeout_ms=30000))
        time.sleep(0.3)
        assert not pending.done()
        assert stub.Ping(P.PingRequest(timestamp=1)).healthy  # other RPCs run meanwhile
        assert stub.CloseSession(P.CloseSessionRequest(reason="unload")).success
        closed = pending.result(timeout=5)
    assert closed.close_reason == P.OpenSessionResponse.EXPLICIT_CLOSE


# -- the session broker -----------------------------------------------------------------------
def _serve_host(proc: PluginProcess, runtime: str, fake: FakeKV, events: FakeEvents) -> int:
    def register(server: grpc.Server) -> None:
        if runtime == "studio":
            ai_studio_management_pb2_grpc.add_AIStudioManagementServiceServicer_to_server(
                StudioManagement(fake), server)
        else:
            microgateway_management_pb2_grpc.add_MicrogatewayManagementServiceServicer_to_server(
                GatewayManagement(fake), server)
        plugin_events_pb2_grpc.add_PluginEventServiceServicer_to_server(events, server)
    return proc.serve_on_broker(register)


@pytest.mark.parametrize("runtime", ["studio", "gateway"])
def test_broker_round_trip_to_the_hosts_management_service(launch: Launcher, runtime: str) -> None:
    fake = FakeKV()
    events = FakeEvents(fake)
    proc = launch(PLUGINS / "host_user", "-v", runtime=runtime)
    broker_id = _serve_host(proc, runtime, fake, events)
    stub = proc.plugin_service()
    keys = ({"plugin_id": "42", "service_broker_id": str(broker_id), "has_service_api": "true"}
            if runtime == "studio" else {"_plugin_id": "42", "_service_broker_id": str(broker_id)})
    assert stub.Initialize(P.InitRequest(config=keys)).success

    with ThreadPoolExecutor(1) as pool:
        session = pool.submit(stub.OpenSession, P.OpenSessionRequest(
            service_broker_id=broker_id, plugin_id=42, timeout_ms=30000))
        # SessionAware.on_session_ready: a KV write and a Subscribe stream, on the host
        ready = fake.wait_for("WritePluginKV", lambda r: r.key == "session:ready")
        assert ready.context.plugin_id == 42 and ready.context.method_scope == "kv.readwrite"
        assert ready.value == f"session-42-{broker_id}".encode()
        sub = fake.wait_for("Subscribe")
        assert sub.topic == "orders" and sub.plugin_id == "42"
        wait_until(lambda: events.subscribers, what="a subscriber")
        events.push(plugin_events_pb2.EventMessage(id="e1", topic="orders", origin="control",
                                                   payload=b'{"n":1}'))
        got = fake.wait_for("WritePluginKV", lambda r: r.key == "event:e1")
        assert got.value == b'{"n":1}' and got.context.plugin_id == 42

        results = _endpoint(stub, [
            {"op": "kv.write", "key": "a", "value": "1"},
            {"op": "kv.read", "key": "a"},
            {"op": "kv.read", "key": "missing"},
            {"op": "kv.delete", "key": "a"},
            {"op": "kv.list"},
            {"op": "kv.increment", "key": "n"},
            {"op": "events.publish", "topic": "t", "payload": "x"},
        ])
        assert results[0] == {"ok": True}
        assert results[1] == {"ok": "1"}
        assert results[2]["error"] == "NOT_FOUND"
        assert results[3] == {"ok": True}
        assert results[4]["error"] == "UNSUPPORTED_UNDER_HOST"
        assert results[5]["error"] == "UNSUPPORTED_UNDER_HOST"
        assert results[6] == {"ok": "evt-1"}
        publish = fake.wait_for("Publish")
        assert publish.plugin_id == "42" and publish.payload == b"x"
        assert (42, "a") not in fake.data

        assert stub.CloseSession(P.CloseSessionRequest(reason="unload")).success
        assert session.result(timeout=5).close_reason == P.OpenSessionResponse.EXPLICIT_CLOSE
    fake.wait_for("WritePluginKV", lambda r: r.key == "session:closing")
    dials = [r for r in proc.log_records() if r["@message"].startswith("broker: dialled")]
    assert len(dials) == 1, "the broker connection is dialled once and shared"


def test_gateway_lookups_go_to_the_gateways_management_service(launch: Launcher) -> None:
    fake = FakeKV()
    proc = launch(REPO / "tests" / "plugins" / "gateway_services", runtime="gateway")
    broker_id = _serve_host(proc, "gateway", fake, FakeEvents(fake))
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"_plugin_id": "9", "_service_broker_id": str(broker_id)})).success
    resp = stub.ProcessPostAuth(P.EnrichedRequest(app_id="3", request=P.PluginRequest(headers={"x-llm-id": "2"})))
    assert resp.headers["x-app-name"] == "app 3"
    assert resp.headers["x-llm-vendor"] == "openai" and resp.headers["x-llm-model"] == "gpt-4o"
    app = fake.wait_for("GetApp")
    assert app.app_id == 3 and app.context.plugin_id == 9 and app.context.method_scope == "apps.read"
    assert fake.wait_for("GetLLM").context.method_scope == "llms.read"


def test_a_streamed_llm_call_streams_from_studio(launch: Launcher) -> None:
    fake = FakeKV()
    proc = launch(EXAMPLES / "echo_agent")
    broker_id = _serve_host(proc, "studio", fake, FakeEvents(fake))
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"plugin_id": "4", "service_broker_id": str(broker_id),
                                                 "llm_id": "3"})).success
    chunks = list(stub.HandleAgentMessage(P.AgentMessageRequest(user_message="hello")))
    text = "".join(c.content for c in chunks if c.type == P.AgentMessageChunk.CONTENT)
    assert text.split() == ["reply", "to", "hello"]
    assert chunks[-1].type == P.AgentMessageChunk.DONE
    call = fake.wait_for("CallLLM")
    assert call.llm_id == 3 and call.context.plugin_id == 4 and call.context.method_scope == "llms.proxy"


def test_a_broker_id_in_the_request_is_used_while_none_is_known(launch: Launcher) -> None:
    fake = FakeKV()
    proc = launch(PLUGINS / "host_user")
    broker_id = _serve_host(proc, "studio", fake, FakeEvents(fake))
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"plugin_id": "8"})).success  # no broker yet
    answer = stub.ExecuteScheduledTask(P.ExecuteScheduledTaskRequest(
        schedule=P.ScheduleDefinition(id="nightly"), service_broker_id=broker_id))
    assert answer.success, answer
    write = fake.wait_for("WritePluginKV", lambda r: r.key == "task:nightly")
    assert write.context.plugin_id == 8 and write.value == b"ran"


def test_permissions_are_checked_before_forwarding(launch: Launcher) -> None:
    fake = FakeKV()
    proc = launch(PLUGINS / "host_user")
    broker_id = _serve_host(proc, "studio", fake, FakeEvents(fake))
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"plugin_id": "1", "service_broker_id": str(broker_id)})).success
    results = _endpoint(stub, [{"op": "studio.get_app", "args": {"app_id": 3}},
                               {"op": "gateway.get_app", "args": {"app_id": 3}}])
    assert results[0]["error"] == "PERMISSION_DENIED"
    assert results[1]["error"] == "WRONG_RUNTIME"
    assert [n for n, _ in fake.requests] == [], "refused ops never reach the host"


def test_without_a_host_the_embedded_services_answer(launch: Launcher) -> None:
    proc = launch(PLUGINS / "host_user")
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"plugin_id": "1"})).success
    results = _endpoint(stub, [{"op": "kv.write", "key": "a", "value": "1"},
                               {"op": "kv.increment", "key": "n"}, {"op": "kv.list"}])
    assert results == [{"ok": True}, {"ok": 1}, {"ok": ["a", "n"]}]


# -- bad input --------------------------------------------------------------------------------
def test_malformed_payloads_and_unknown_rpcs_get_clear_errors(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher")
    assert proc.channel is not None
    raw = proc.channel.unary_unary("/plugin.PluginService/ProcessPostAuth")
    with pytest.raises(grpc.RpcError) as err:
        raw(b"\xff\xff\xff\xff", timeout=5)
    assert err.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT)
    unknown = proc.channel.unary_unary("/plugin.PluginService/NoSuchRpc")
    with pytest.raises(grpc.RpcError) as err:
        unknown(b"", timeout=5)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    other = proc.channel.unary_unary("/no.Such/Service")
    with pytest.raises(grpc.RpcError) as err:
        other(b"", timeout=5)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    # a message of the wrong type that happens to parse: an answer, not a crash
    wrong = proc.channel.unary_unary("/plugin.PluginService/ProcessPostAuth",
                                     response_deserializer=P.PluginResponse.FromString)
    wrong(P.PingRequest(timestamp=99).SerializeToString(), timeout=10)
    assert proc.health_check() == 1, "still serving"


def test_a_broker_id_that_never_connects_is_a_clear_service_error(launch: Launcher) -> None:
    proc = launch(PLUGINS / "host_user")
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"plugin_id": "1", "service_broker_id": "77"})).success
    started = time.monotonic()
    results = _endpoint(stub, [{"op": "kv.read", "key": "a"}])
    assert results[0]["error"] == "SERVICE_UNAVAILABLE"
    assert "broker id 77" in results[0]["message"]
    assert time.monotonic() - started < 15
    assert proc.health_check() == 1


def test_a_broker_announced_but_gone_is_a_clear_service_error(launch: Launcher) -> None:
    fake = FakeKV()
    proc = launch(PLUGINS / "host_user")
    broker_id = _serve_host(proc, "studio", fake, FakeEvents(fake))
    for b in proc._brokered:
        b.server.stop(0)
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"plugin_id": "1", "service_broker_id": str(broker_id)})).success
    results = _endpoint(stub, [{"op": "kv.write", "key": "a", "value": "1"}])
    assert results[0]["error"] == "SERVICE_UNAVAILABLE"


HOST_SCRIPT = r"""
import json, sys, time, threading
from runtime.bridge.client import PluginProcess
from runtime.wire import plugin_pb2 as P
proc = PluginProcess(json.loads(sys.argv[1]), socket_dir=sys.argv[2], cwd=sys.argv[3]).start()
stub = proc.plugin_service()
stub.Initialize(P.InitRequest(config={"plugin_id": "1"}))
threading.Thread(target=lambda: stub.OpenSession(P.OpenSessionRequest(timeout_ms=60000)), daemon=True).start()
print(proc.proc.pid, flush=True)
time.sleep(120)
"""


def test_a_host_that_vanishes_mid_session_leaves_no_orphan_and_no_socket(
        inprocess_policy: Path, socket_dir: Path) -> None:
    cmd = [*RUNTIME, "serve", str(EXAMPLES / "request_enricher"), "--policy", str(inprocess_policy),
           "--ephemeral"]
    with subprocess.Popen([sys.executable, "-c", HOST_SCRIPT, json.dumps(cmd), str(socket_dir),
                           str(REPO)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as host:
        _vanish(host, socket_dir)


def _vanish(host: "subprocess.Popen[bytes]", socket_dir: Path) -> None:
    try:
        assert host.stdout is not None
        plugin_pid = int(host.stdout.readline())
        assert list(socket_dir.iterdir())
        time.sleep(0.3)  # the session is open
        host.kill()
        host.wait()

        def gone() -> bool:
            try:
                os.kill(plugin_pid, 0)
            except ProcessLookupError:
                return True
            # a zombie is gone for our purpose only once reaped; check its state
            try:
                with open(f"/proc/{plugin_pid}/stat") as f:
                    return f.read().split(")")[1].split()[0] == "Z"
            except FileNotFoundError:
                return True
        wait_until(gone, timeout=5, what="the plugin's exit")
        assert not list(socket_dir.iterdir()), "stale socket"
    finally:
        if host.poll() is None:
            host.kill()


def test_controller_shutdown_exits_within_two_seconds(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher")
    socket_path = proc.handshake.address if proc.handshake else ""
    assert proc.stop() == 0
    assert proc.exit_seconds is not None and proc.exit_seconds < 2.0
    assert not os.path.exists(socket_path)


def test_a_plugin_that_hangs_in_shutdown_still_exits_within_two_seconds(launch: Launcher) -> None:
    proc = launch(PLUGINS / "stuck_shutdown")
    stub = proc.plugin_service()
    assert stub.ProcessPostAuth(P.EnrichedRequest()).headers["x-alive"] == "yes"
    assert proc.stop() == 0, "a clean exit, not the kill after the grace period"
    assert proc.exit_seconds is not None and proc.exit_seconds < 2.0
    assert any("did not stop" in r["@message"] for r in proc.log_records())


def test_sigint_is_ignored_like_go_plugin(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher")
    assert proc.proc is not None
    proc.proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    assert proc.proc.poll() is None and proc.health_check() == 1


def test_the_wasm_tier_is_the_default(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher", policy=False)
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={"instruction": "Short."})).success
    body = json.dumps({"messages": []}).encode()
    resp = stub.ProcessPostAuth(P.EnrichedRequest(request=P.PluginRequest(body=body)))
    assert json.loads(resp.body)["messages"] == [{"role": "system", "content": "Short."}]
    assert any("on the wasm tier" in r["@message"] for r in proc.log_records())
