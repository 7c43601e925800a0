"""The gRPC bridge: PluginService / ConfigProviderService / health served from a loaded
plugin, over real channels on unix sockets (in-process server and the bench_server
child process)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from runtime import Runtime, RuntimeConfig
from runtime.bridge.servicers import ConfigProviderServicer, PluginServiceServicer, create_server, grpc_status_for
from runtime.errors import PluginRuntimeError, error_for_code
from runtime.wire import config_provider_pb2, config_provider_pb2_grpc, plugin_pb2, plugin_pb2_grpc

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "request_enricher"
INSTRUCTION = "Be brief."
SCHEMA = {"type": "object", "properties": {"instruction": {"type": "string"},
                                           "header_name": {"type": "string"}}}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}


def _post_auth_request(body: Any = CHAT) -> plugin_pb2.EnrichedRequest:
    return plugin_pb2.EnrichedRequest(
        request=plugin_pb2.PluginRequest(method="POST", path="/v1/chat/completions",
                                         headers={"content-type": "application/json"},
                                         body=json.dumps(body).encode()),
        app_id="42", user_id="7", authenticated=True)


class Served:
    def __init__(self, channel: grpc.Channel, runtime: Runtime) -> None:
        self.channel = channel
        self.runtime = runtime
        self.plugin = plugin_pb2_grpc.PluginServiceStub(channel)
        self.config = config_provider_pb2_grpc.ConfigProviderServiceStub(channel)
        self.health = health_pb2_grpc.HealthStub(channel)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    sock = tmp_path_factory.mktemp("bridge") / "p.sock"
    rt = Runtime(RuntimeConfig(tier="inprocess", ephemeral=True))
    host = rt.load(EXAMPLE, config={"instruction": INSTRUCTION})
    server, bound = create_server(host, f"unix://{sock}")
    assert bound == f"unix://{sock}"
    server.start()
    channel = grpc.insecure_channel(bound)
    try:
        yield Served(channel, rt)
    finally:
        channel.close()
        server.stop(None).wait()
        rt.close()


def test_generated_methods_cover_both_services() -> None:
    assert PluginServiceServicer.ProcessPostAuth is not plugin_pb2_grpc.PluginServiceServicer.ProcessPostAuth
    assert "EnrichedRequest" not in (PluginServiceServicer.Ping.__doc__ or "")
    assert "plugin.PluginResponse" in (PluginServiceServicer.ProcessPostAuth.__doc__ or "")
    assert ConfigProviderServicer.GetConfigSchema.__name__ == "GetConfigSchema"
    rpcs = [n for n in vars(plugin_pb2_grpc.PluginServiceServicer) if not n.startswith("_")]
    assert len(rpcs) == 35
    assert all(n in vars(PluginServiceServicer) for n in rpcs)


def test_process_post_auth_adds_the_system_message(served: Served) -> None:
    answer = served.plugin.ProcessPostAuth(_post_auth_request(), timeout=5)
    assert answer.modified is True
    assert answer.block is False
    assert dict(answer.headers) == {"x-app-id": "42"}
    body = json.loads(answer.body)
    assert body["messages"] == [{"role": "user", "content": "Hello"},
                                {"role": "system", "content": INSTRUCTION}]
    assert body["model"] == "gpt-4o"


def test_process_post_auth_passes_a_non_chat_body(served: Served) -> None:
    answer = served.plugin.ProcessPostAuth(_post_auth_request({"input": "x"}), timeout=5)
    assert answer.modified is False
    assert answer.body == b""


def test_missing_hooks_answer_the_go_sdk_defaults(served: Served) -> None:
    pre = served.plugin.ProcessPreAuth(plugin_pb2.PluginRequest(method="GET", path="/"), timeout=5)
    assert pre.modified is False and pre.block is False
    auth = served.plugin.Authenticate(plugin_pb2.AuthRequest(credential="k", auth_type="bearer"), timeout=5)
    assert auth.authenticated is False
    assert auth.error_message == "plugin does not implement authentication"
    endpoint = served.plugin.HandleEndpointRequest(plugin_pb2.EndpointRequest(path="/x"), timeout=5)
    assert endpoint.status_code == 501


def test_streaming_hook_without_capability_ends_with_the_error_chunk(served: Served) -> None:
    chunks = list(served.plugin.HandleAgentMessage(
        plugin_pb2.AgentMessageRequest(session_id="s", user_message="hi"), timeout=5))
    assert len(chunks) == 1
    assert chunks[0].type == plugin_pb2.AgentMessageChunk.ERROR
    assert chunks[0].is_final is True
    assert "CAPABILITY_MISSING" in chunks[0].content
    assert "AgentPlugin" in chunks[0].content
    endpoint = list(served.plugin.HandleEndpointRequestStream(plugin_pb2.EndpointRequest(path="/s"), timeout=5))
    assert [c.type for c in endpoint] == [plugin_pb2.EndpointResponseChunk.ERROR]
    assert "CustomEndpointHandler" in endpoint[0].error_message


def test_ping_echoes_the_timestamp(served: Served) -> None:
    answer = served.plugin.Ping(plugin_pb2.PingRequest(timestamp=1_700_000_000_123), timeout=5)
    assert answer.timestamp == 1_700_000_000_123 and answer.healthy is True
    answer2 = served.config.Ping(config_provider_pb2.ConfigPingRequest(timestamp=99), timeout=5)
    assert answer2.timestamp == 99 and answer2.healthy is True


def test_health_reports_plugin_serving(served: Served) -> None:
    answer = served.health.Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=5)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_config_provider_answers_schema_and_manifest(served: Served) -> None:
    schema = served.config.GetConfigSchema(config_provider_pb2.ConfigSchemaRequest(), timeout=5)
    assert schema.success is True
    assert json.loads(schema.schema_json) == SCHEMA
    manifest = served.config.GetManifest(config_provider_pb2.GetManifestRequest(), timeout=5)
    assert manifest.success is True
    assert json.loads(manifest.manifest_json)["id"] == "com.example.request-enricher"
    plugin_schema = served.plugin.GetConfigSchema(plugin_pb2.GetConfigSchemaRequest(), timeout=5)
    assert json.loads(plugin_schema.schema_json) == SCHEMA


def test_open_session_blocks_until_close_session(served: Served) -> None:
    timed_out = served.plugin.OpenSession(plugin_pb2.OpenSessionRequest(service_broker_id=3, timeout_ms=50),
                                          timeout=5)
    assert timed_out.success is True
    assert timed_out.close_reason == plugin_pb2.OpenSessionResponse.TIMEOUT
    assert timed_out.session_id.endswith("-3")
    started = time.monotonic()
    parked = served.plugin.OpenSession.future(
        plugin_pb2.OpenSessionRequest(service_broker_id=3, timeout_ms=4000), timeout=10)
    time.sleep(0.1)
    assert not parked.done()  # it really blocks, and other RPCs still run meanwhile
    assert served.plugin.Ping(plugin_pb2.PingRequest(timestamp=5), timeout=5).timestamp == 5
    assert served.plugin.CloseSession(plugin_pb2.CloseSessionRequest(reason="unload"), timeout=5).success
    assert parked.result().close_reason == plugin_pb2.OpenSessionResponse.EXPLICIT_CLOSE
    assert time.monotonic() - started < 3


# -- failures without a fail-policy answer become gRPC statuses ---------------------------------
class _FailingHost:
    """Stands in for a PluginHost: fails every call with ``error``, or answers ``answer``."""

    identity = "fake"

    def __init__(self) -> None:
        self.error: PluginRuntimeError | None = None
        self.answer: dict[str, Any] = {}

    def call_or_fail_answer(self, spec: Any, msg: Any) -> tuple[dict[str, Any], None]:
        if self.error is not None:
            raise self.error
        return self.answer, None

    def stream(self, spec: Any, msg: Any, *, apply_fail_policy: bool = False) -> Iterator[dict[str, Any]]:
        yield {"type": 0, "content": "first"}
        if self.error is not None:
            raise self.error
        yield self.answer

    def fail_answer(self, spec: Any, error: PluginRuntimeError) -> dict[str, Any] | None:
        if spec.name == "process_post_auth":
            return {"block": True, "status_code": 503, "error_message": f"failed: {error.code}"}
        return None


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_FailingHost, plugin_pb2_grpc.PluginServiceStub]]:
    fake = _FailingHost()
    server, bound = create_server(fake, "127.0.0.1:0", max_workers=4)  # type: ignore[arg-type]
    assert bound.startswith("127.0.0.1:") and not bound.endswith(":0")
    server.start()
    channel = grpc.insecure_channel(bound)
    try:
        yield fake, plugin_pb2_grpc.PluginServiceStub(channel)
    finally:
        channel.close()
        server.stop(None).wait()


@pytest.mark.parametrize(("code", "status"), [
    ("PERMISSION_DENIED", grpc.StatusCode.PERMISSION_DENIED),
    ("DEADLINE_EXCEEDED", grpc.StatusCode.DEADLINE_EXCEEDED),
    ("CAPABILITY_MISSING", grpc.StatusCode.UNIMPLEMENTED),
    ("INVALID_ARGUMENT", grpc.StatusCode.INVALID_ARGUMENT),
    ("INPUT_INVALID", grpc.StatusCode.INVALID_ARGUMENT),
    ("MALFORMED_ENVELOPE", grpc.StatusCode.INVALID_ARGUMENT),
    ("NOT_FOUND", grpc.StatusCode.NOT_FOUND),
    ("PLUGIN_RAISED", grpc.StatusCode.INTERNAL),
    ("SANDBOX_BROKEN", grpc.StatusCode.INTERNAL),
])
def test_errors_without_fail_answer_map_to_grpc_status(failing: Any, code: str, status: grpc.StatusCode) -> None:
    fake, stub = failing
    fake.error = error_for_code(code, "it went wrong")
    assert grpc_status_for(code) is status
    with pytest.raises(grpc.RpcError) as info:
        stub.GetEndpointRegistrations(plugin_pb2.GetEndpointRegistrationsRequest(), timeout=5)
    assert info.value.code() is status
    assert info.value.details() == f"{code}: it went wrong"


def test_stream_failure_without_fail_answer_aborts_after_the_chunks_sent(failing: Any) -> None:
    fake, stub = failing
    fake.error = error_for_code("PLUGIN_RAISED", "boom")
    call = stub.HandleAgentMessage(plugin_pb2.AgentMessageRequest(), timeout=5)
    first = next(call)
    assert first.content == "first"
    with pytest.raises(grpc.RpcError) as info:
        next(call)
    assert info.value.code() is grpc.StatusCode.INTERNAL
    assert info.value.details() == "PLUGIN_RAISED: boom"


def test_an_answer_that_does_not_fit_gets_the_fail_answer(failing: Any) -> None:
    fake, stub = failing
    fake.error = None
    fake.answer = {"modified": True, "headers": {"x-count": 7}}  # map<string,string> given an int
    answer = stub.ProcessPostAuth(_post_auth_request(), timeout=5)
    assert answer.block is True and answer.status_code == 503
    assert answer.error_message == "failed: BAD_RETURN"
    fake.answer = {"registrations": "not a list of registrations"}
    with pytest.raises(grpc.RpcError) as info:  # no fail answer: the error itself
        stub.GetEndpointRegistrations(plugin_pb2.GetEndpointRegistrationsRequest(), timeout=5)
    assert info.value.code() is grpc.StatusCode.INTERNAL
    assert info.value.details().startswith("BAD_RETURN: the plugin's answer is not a valid")


def test_create_server_refuses_an_unbindable_address(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="cannot bind"):
        create_server(_FailingHost(), f"unix://{tmp_path}/missing-dir/p.sock")  # type: ignore[arg-type]


# -- the bench_server child process ---------------------------------------------------------------
def _read_line(stream: Any, timeout: float) -> str:
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return out[0] if out else ""


@pytest.mark.slow
def test_bench_server_process_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    sock = tmp_path / "b.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime.bridge.bench_server", str(EXAMPLE), "--socket", str(sock),
         "--config", f"instruction={INSTRUCTION}", "--name", "enricher"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _read_line(proc.stdout, 10) == "READY\n", proc.stderr.read() if proc.poll() is not None else ""
        with grpc.insecure_channel(f"unix://{sock}") as channel:
            answer = plugin_pb2_grpc.PluginServiceStub(channel).ProcessPostAuth(_post_auth_request(), timeout=5)
        assert answer.modified is True
        assert json.loads(answer.body)["messages"][-1] == {"role": "system", "content": INSTRUCTION}
        started = time.monotonic()
        proc.terminate()
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 5
        assert proc.stdout.read() == ""  # nothing but READY on stdout
        assert not sock.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()


@pytest.mark.slow
def test_bench_server_stops_when_stdin_closes(tmp_path: Path) -> None:
    sock = tmp_path / "b.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime.bridge.bench_server", str(EXAMPLE), "--socket", str(sock)],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert _read_line(proc.stdout, 10) == "READY\n"
        proc.stdin.close()
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
