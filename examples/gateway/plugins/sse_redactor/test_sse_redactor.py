"""The gateway's SSE redactor plugin, through the test harness."""

from __future__ import annotations

import json
from pathlib import Path

from guest_sdk import messages as M
from guest_sdk.testing import harness_for, headers_request, response_write_request

HERE = Path(__file__).parent


def _event(text: str) -> bytes:
    return f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': text}}]})}\n\n".encode()


def test_a_whole_answer_is_redacted() -> None:
    h = harness_for(HERE, config={"words": ["secret", "key"]})
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "the secret key"}}]}
    resp = h.call("on_before_write", response_write_request(body, {"content-type": "application/json"}))
    assert resp.modified and resp.headers["x-redacted"] == "true"
    assert json.loads(resp.body)["choices"][0]["message"]["content"] == "the [redacted] [redacted]"
    untouched = h.call("on_before_write", response_write_request({"choices": [
        {"message": {"content": "fine"}}]}))
    assert not untouched.modified


def test_each_streamed_event_is_redacted_alone() -> None:
    h = harness_for(HERE, config={"words": ["secret"], "replacement": "***"})
    resp = h.call("on_before_write", M.ResponseWriteRequest(body=_event(" secret"), is_stream_chunk=True))
    assert resp.modified
    assert resp.body.decode().startswith("data: ")
    assert json.loads(resp.body.decode()[6:])["choices"][0]["delta"]["content"] == " ***"
    done = h.call("on_before_write", M.ResponseWriteRequest(body=b"data: [DONE]\n\n", is_stream_chunk=True))
    assert not done.modified


def test_headers_are_marked_and_streams_counted() -> None:
    h = harness_for(HERE)
    resp = h.call("on_before_write_headers", headers_request({"content-type": "text/event-stream"}))
    assert resp.modified and resp.headers == {"content-type": "text/event-stream", "x-redactor": "on"}
    done = h.call("on_stream_complete", M.StreamCompleteRequest(accumulated_response=b"x", chunk_count=7))
    assert done.handled
    assert h.kv["streams"] == b"1" and h.kv["stream_events"] == b"7"
