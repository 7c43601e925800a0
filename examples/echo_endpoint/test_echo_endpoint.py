"""The echo_endpoint example, through the test harness and through `runtime call`."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import endpoint_request, harness_for
from runtime.cli.main import cli

HERE = Path(__file__).parent
T = M.EndpointResponseChunk.ChunkType


def test_registrations() -> None:
    regs = harness_for(HERE).call("get_endpoint_registrations").registrations
    assert [(r.path, r.methods, r.stream_response) for r in regs] == [
        ("/echo", ["GET", "POST"], False), ("/stream", ["GET"], True)]


def test_post_echo_describes_the_request() -> None:
    h = harness_for(HERE, config={"greeting": "Hi!", "echo_headers": ["Content-Type", "X-Trace"]})
    req = endpoint_request("POST", "/echo", slug="echo", body={"a": [1, "ü"]}, query="x=1&x=2&empty=",
                           headers={"Content-Type": "application/json", "X-Trace": "t-1",
                                    "Authorization": "Bearer secret"})
    resp = h.call("handle_endpoint_request", req)
    assert resp.status_code == 200 and resp.headers == {"content-type": "application/json"}
    assert json.loads(resp.body) == {
        "greeting": "Hi!", "method": "POST", "path": "/echo",
        "query": {"x": ["1", "2"], "empty": [""]},
        "headers": {"content-type": "application/json", "x-trace": "t-1"},
        "body": '{"a": [1, "\\u00fc"]}', "json": {"a": [1, "ü"]}}


def test_get_echo_and_bad_json() -> None:
    h = harness_for(HERE)
    doc = json.loads(h.call("handle_endpoint_request", endpoint_request("GET", "/echo", headers={
        "User-Agent": "curl/8", "Cookie": "c=1"})).body)
    assert doc["greeting"] == "Hello from echo_endpoint" and doc["method"] == "GET"
    assert doc["headers"] == {"user-agent": "curl/8"} and doc["query"] == {} and doc["body"] == ""
    bad = endpoint_request("POST", "/echo", body=b"{nope", headers={"content-type": "application/json"})
    assert json.loads(h.call("handle_endpoint_request", bad).body)["json_error"] == "the body is not valid JSON"


def test_wrong_method_and_unknown_path() -> None:
    h = harness_for(HERE)
    put = h.call("handle_endpoint_request", endpoint_request("PUT", "/echo"))
    assert put.status_code == 405 and put.headers["allow"] == "GET, POST"
    missing = h.call("handle_endpoint_request", endpoint_request("GET", "/nope"))
    assert missing.status_code == 404 and json.loads(missing.body) == {"error": "no route /nope"}


def test_stream_sends_headers_then_one_event_per_chunk_then_done() -> None:
    h = harness_for(HERE, config={"greeting": "yo"})
    chunks = h.stream("handle_endpoint_request_stream", endpoint_request("GET", "/stream", query="n=4"))
    assert [c.type for c in chunks] == [T.HEADERS, T.BODY, T.BODY, T.BODY, T.BODY, T.DONE]
    assert chunks[0].status_code == 200
    assert chunks[0].headers == {"content-type": "text/event-stream", "cache-control": "no-cache"}
    events = [c.data.decode() for c in chunks[1:-1]]
    assert events[0] == 'data: {"event": 1, "of": 4, "greeting": "yo"}\n\n'
    assert [json.loads(e.removeprefix("data: "))["event"] for e in events] == [1, 2, 3, 4]


def test_stream_bounds_and_unknown_path() -> None:
    h = harness_for(HERE, config={"default_events": 2, "max_events": 5})
    assert len(h.stream("handle_endpoint_request_stream", endpoint_request("GET", "/stream"))) == 4
    for query in ("n=6", "n=0", "n=two"):
        chunks = h.stream("handle_endpoint_request_stream", endpoint_request("GET", "/stream", query=query))
        assert [c.type for c in chunks] == [T.HEADERS, T.BODY, T.DONE] and chunks[0].status_code == 400
        assert json.loads(chunks[1].data) == {"error": "n must be a whole number from 1 to 5"}
    chunks = h.stream("handle_endpoint_request_stream", endpoint_request("GET", "/other"))
    assert chunks[0].status_code == 404


def test_stream_route_through_the_unary_hook_answers_every_event_at_once() -> None:
    resp = harness_for(HERE).call("handle_endpoint_request", endpoint_request("GET", "/stream", query="n=2"))
    assert resp.status_code == 200 and resp.headers["content-type"] == "text/event-stream"
    assert resp.body.count(b"data: ") == 2 and resp.body.endswith(b"\n\n")


def test_schema_matches_the_file() -> None:
    schema = json.loads(harness_for(HERE).call("get_config_schema").schema_json)
    assert schema == json.loads((HERE / "config.schema.json").read_text())


def _cli(hook: str, request: dict[str, object]) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", hook, "--tier", "inprocess", "--ephemeral",
                                      "--runtime", "studio", "--config", "greeting=Hej", "--input", "-"],
                                input=json.dumps(request))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_runtime_call_unary() -> None:
    [out] = _cli("handle_endpoint_request", {"method": "POST", "path": "/plugins/echo/echo",
                                             "relativePath": "/echo", "queryString": "q=1",
                                             "body": base64.b64encode(b"plain text").decode()})
    assert out["status_code"] == 200
    doc = json.loads(base64.b64decode(str(out["body"])))
    assert doc == {"greeting": "Hej", "method": "POST", "path": "/echo", "query": {"q": ["1"]},
                   "headers": {}, "body": "plain text"}


def test_runtime_call_streams_one_line_per_chunk() -> None:
    lines = _cli("handle_endpoint_request_stream", {"method": "GET", "relativePath": "/stream",
                                                    "queryString": "n=3"})
    assert [line["type"] for line in lines] == ["HEADERS", "BODY", "BODY", "BODY", "DONE"]
    assert lines[0]["status_code"] == 200
    assert base64.b64decode(str(lines[3]["data"])) == b'data: {"event": 3, "of": 3, "greeting": "Hej"}\n\n'
