"""Our Go go-plugin host (go/host, go-plugin 1.0.1's client with AI Studio's handshake)
launches ``runtime serve`` and drives it like Studio or the Gateway: the config-only
services, a broker serving the management and event services back, Initialize, the
OpenSession loop, every hook the plugin has (both server-streaming RPCs included), an
event pushed from the host, CloseSession, Shutdown and go-plugin's Kill."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from gohost import ALL_HOOKS, CALLS, ROOT, RUNTIME, _by_rpc, _serve_processes, drive


@pytest.mark.parametrize("runtime_name", ["studio", "gateway"])
def test_go_host_drives_runtime_serve(go_bin: Path, tmp_path: Path, runtime_name: str) -> None:
    lines = drive(go_bin, tmp_path, [*RUNTIME, str(ALL_HOOKS), "--ephemeral"], CALLS,
                  "-runtime", runtime_name, "-publish", "orders=o1", "-session-ms", "500",
                  "-wait-sessions", "1")
    assert lines[0] == {"event": "started", "protocol_version": 1}
    config_only = lines[1]["result"]
    assert config_only["ping"]["healthy"] is True
    assert json.loads(config_only["manifest"]["manifest_json"])["id"] == "com.example.tests.all-hooks"
    assert lines[2]["event"] == "initialize" and lines[2]["response"]["success"] is True
    calls = _by_rpc(lines)
    assert set(calls) == {c["rpc"] for c in CALLS}
    assert not [c for group in calls.values() for c in group if "error" in c]
    pre = calls["ProcessPreAuth"][0]["response"]
    assert pre["block"] is True and pre["status_code"] == 418 and base64.b64decode(pre["body"]) == b"no tea"
    assert [c["response"]["headers"]["x-count"] for c in calls["ProcessPostAuth"]] == ["1", "2"]
    assert calls["OnBeforeWriteHeaders"][0]["response"]["headers"] == {"a": "b", "x-python": "1"}
    assert base64.b64decode(calls["OnBeforeWrite"][0]["response"]["body"]) == b"HELLO"
    regs = calls["GetEndpointRegistrations"][0]["response"]["registrations"]
    assert [(r["path"], r["stream_response"]) for r in regs] == [("/echo", False), ("/stream", True)]
    echo = json.loads(base64.b64decode(calls["HandleEndpointRequest"][0]["response"]["body"]))
    assert echo == {"path": "/echo", "body": "hi"}
    stream = calls["HandleEndpointRequestStream"][0]["chunks"]
    assert [c["type"] for c in stream] == ["HEADERS", "BODY", "BODY", "BODY", "DONE"]
    assert [base64.b64decode(c["data"]) for c in stream[1:4]] == [b"part 0\n", b"part 1\n", b"part 2\n"]
    agent = calls["HandleAgentMessage"][0]["chunks"]
    assert [(c["type"], c["content"]) for c in agent] == [
        ("CONTENT", "one"), ("CONTENT", "two"), ("CONTENT", "three"), ("DONE", "")]
    assert agent[-1]["is_final"] is True
    assert calls["Ping"][0]["response"] == {"timestamp": "5", "healthy": True}
    summary = lines[-1]
    assert summary["event"] == "summary"
    # the plugin's KV and events went over the broker to this host's services
    kv_calls = [c for c in summary["broker_calls"] if c["method"].endswith("PluginKV")]
    assert kv_calls and all(c["plugin_id"] == 7 and c["method_scope"] == "kv.readwrite" for c in kv_calls)
    assert summary["kv"]["count"] == "2"
    assert summary["kv"]["event:orders"] == "o1"  # host event -> Subscribe -> on_event -> KV
    assert summary["kv"]["session"].startswith("session-")
    assert [e["payload"] for e in summary["events_published"]] == ["/v1/x", "/v1/y"]
    assert [e["topic"] for e in summary["events_published"]] == ["seen", "seen"]
    # the session loop: renewed on TIMEOUT, ended by CloseSession
    reasons = [s.get("close_reason") for s in summary["sessions"]]
    assert reasons[0] == "TIMEOUT" and reasons[-1] == "EXPLICIT_CLOSE"
    assert summary["close_session"]["success"] is True and summary["shutdown"]["success"] is True
    # go-plugin's Kill: the controller's Shutdown made it exit well within the 2 s grace
    assert summary["exited"] is True and summary["kill_millis"] < 2000
    deadline = time.monotonic() + 5  # no `runtime serve` left behind
    while _serve_processes(str(ALL_HOOKS)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _serve_processes(str(ALL_HOOKS)) == []


def test_go_host_drives_an_example(go_bin: Path, tmp_path: Path) -> None:
    example = ROOT / "examples" / "echo_endpoint"
    lines = drive(go_bin, tmp_path, [*RUNTIME, str(example), "--ephemeral"], [
        {"rpc": "GetEndpointRegistrations", "request": {}},
        {"rpc": "HandleEndpointRequest", "request": {"method": "POST", "path": "/plugins/echo/echo",
                                                     "relative_path": "/echo",
                                                     "body": base64.b64encode(b'{"a": 1}').decode()}},
        {"rpc": "HandleEndpointRequestStream", "request": {"method": "GET", "path": "/plugins/echo/stream",
                                                           "relative_path": "/stream", "query_string": "n=2"}},
        {"rpc": "ProcessPostAuth", "request": {}},
    ], "-runtime", "gateway", "-no-broker")
    calls = _by_rpc(lines)
    assert {r["path"] for r in calls["GetEndpointRegistrations"][0]["response"]["registrations"]} >= {"/echo", "/stream"}
    echo = calls["HandleEndpointRequest"][0]["response"]
    assert echo["status_code"] == 200 and json.loads(base64.b64decode(echo["body"]))["method"] == "POST"
    stream = calls["HandleEndpointRequestStream"][0]["chunks"]
    assert stream[0]["type"] == "HEADERS" and stream[-1]["type"] == "DONE"
    assert [c["type"] for c in stream[1:-1]] == ["BODY", "BODY"]
    # a hook the plugin lacks: the Go SDK's neutral answer
    assert calls["ProcessPostAuth"][0]["response"]["modified"] is False
    assert lines[-1]["exited"] is True


