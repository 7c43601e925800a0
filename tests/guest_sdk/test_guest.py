"""The guest entry: every outcome of a hook is an envelope, never an exception."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from guest_sdk import (AgentPlugin, BasePlugin, ChunkStream, Context, NotFound, PostAuthHandler,
                       PreAuthHandler)
from guest_sdk import messages as M
from guest_sdk._guest import create_instance, install_output_capture
from guest_sdk.testing import HookFailed, PluginHarness, agent_request, enriched_request
from host_abi.envelope import decode_answer, encode_request
from host_abi.hooks import HOOKS_BY_NAME


class Plugin(BasePlugin, PostAuthHandler, AgentPlugin):
    def __init__(self, mode: str = "ok") -> None:
        super().__init__("t", "1.2.3", "test plugin")
        self.mode = mode

    def handle_post_auth(self, ctx: Context, req: M.EnrichedRequest) -> M.PluginResponse:
        if self.mode == "raise":
            return 1 / 0  # type: ignore[return-value]
        if self.mode == "dict":
            return {"modified": True}  # type: ignore[return-value]
        if self.mode == "kv":
            ctx.services.kv.read("missing")
        if self.mode == "print":
            print("hello from the plugin")
            sys.stderr.write("a warning\n")
        return M.PluginResponse(modified=True, headers={"x-app": req.app_id})

    def handle_agent_message(self, ctx: Context, req: M.AgentMessageRequest,
                             stream: ChunkStream[M.AgentMessageChunk]) -> None:
        for word in req.user_message.split():
            stream.send(M.AgentMessageChunk(content=word))
        stream.send(M.AgentMessageChunk(type=M.AgentMessageChunk.ChunkType.DONE, is_final=True))


def harness(mode: str = "ok", **kw: Any) -> PluginHarness:
    return PluginHarness(lambda: Plugin(mode), **kw)


def test_typed_answer_and_capabilities() -> None:
    h = harness()
    assert h.capabilities == ("AgentPlugin", "PostAuthHandler")
    resp = h.call("process_post_auth", enriched_request(b"{}", app_id=9))
    assert resp == M.PluginResponse(modified=True, headers={"x-app": "9"})


def test_missing_capability_gets_go_sdk_default_or_error() -> None:
    h = harness()
    assert h.call("process_pre_auth", {}) == M.PluginResponse()
    assert h.call("authenticate", {}).error_message == "plugin does not implement authentication"
    with pytest.raises(HookFailed) as info:
        h.call("handle_endpoint_request_stream", {})
    assert info.value.code == "CAPABILITY_MISSING"


def test_raise_gives_traceback_with_plugin_line() -> None:
    with pytest.raises(HookFailed) as info:
        harness("raise").call("process_post_auth", enriched_request(b"{}"))
    assert info.value.code == "PLUGIN_RAISED"
    assert "ZeroDivisionError" in info.value.message
    assert info.value.where and info.value.where.startswith("test_guest.py:")
    assert "return 1 / 0" in (info.value.traceback or "")
    assert "guest_sdk/_guest.py" not in (info.value.traceback or "")  # SDK frames are dropped


def test_wrong_return_type_is_bad_return() -> None:
    with pytest.raises(HookFailed) as info:
        harness("dict").call("process_post_auth", enriched_request(b"{}"))
    assert info.value.code == "BAD_RETURN"
    assert "handle_post_auth returned dict, expected PluginResponse" in info.value.message


def test_uncaught_service_error_keeps_its_code() -> None:
    with pytest.raises(HookFailed) as info:
        harness("kv").call("process_post_auth", enriched_request(b"{}"))
    assert info.value.code == "NOT_FOUND"


def test_streams_are_emitted_in_order() -> None:
    chunks = harness().stream("handle_agent_message", agent_request("one two three"))
    assert [c.content for c in chunks[:3]] == ["one", "two", "three"]
    assert chunks[-1].is_final and chunks[-1].type == M.AgentMessageChunk.ChunkType.DONE


def test_prints_become_log_lines() -> None:
    install_output_capture()
    h = harness("print")
    h.call("process_post_auth", enriched_request(b"{}"))
    assert [(r.level, r.message) for r in h.logs] == [("info", "hello from the plugin"),
                                                      ("warn", "a warning")]


def test_bad_envelopes_and_unknown_hooks_answer_errors() -> None:
    inst = create_instance(Plugin, lambda op, p: '{"v":1,"ok":{}}')
    post = HOOKS_BY_NAME["process_post_auth"].number
    for hook, payload, code in [
        (9999, encode_request({}), "UNKNOWN_HOOK"),
        (2, encode_request({}), "UNKNOWN_HOOK"),  # ping is answered by the host
        (post, "not json", "MALFORMED_ENVELOPE"),
        (post, '{"v": 7, "msg": {}}', "ABI_VERSION_MISMATCH"),
        (post, '{"v": 1, "msg": {"request": {"body": "\\u20ac"}}}', "INVALID_ARGUMENT"),
        (post, '{"v": 1, "msg": {"request": "not an object"}}', "INVALID_ARGUMENT"),
        (post, '{"v": 1, "msg": {"request": {"headers": 5}}}', "INVALID_ARGUMENT"),
    ]:
        ok, err = decode_answer(inst.handle(hook, payload))
        assert not ok and err["code"] == code, (hook, payload, err)
    ok, value = decode_answer(inst.handle(post, encode_request({"app_id": "1"})))
    assert ok and value["modified"] is True


def test_factory_must_return_a_plugin() -> None:
    with pytest.raises(TypeError, match="not a guest_sdk.BasePlugin"):
        create_instance(lambda: object(), lambda op, p: "")


def test_instance_start_reports_hooks_and_runtime() -> None:
    inst = create_instance(Plugin, lambda op, p: '{"v":1,"ok":{}}')
    ok, info = decode_answer(inst.handle(0, encode_request({"runtime": "gateway", "plugin_id": "p"})))
    assert ok and info["name"] == "t" and info["version"] == "1.2.3" and info["abi"] == 1
    assert {8, 21, 1, 3} <= set(info["hooks"]) and 4 not in info["hooks"]
    ok, err = decode_answer(inst.handle(0, encode_request({"runtime": "mars"})))
    assert not ok and err["code"] == "INVALID_ARGUMENT"
    json.dumps(info)


def test_host_writes_during_an_op_are_not_captured(capsys: pytest.CaptureFixture[str]) -> None:
    # On the in-process tier the host serves ops in the plugin's thread; a host that
    # writes to stderr while serving (e.g. logging's last-resort handler) must not be
    # captured back into the plugin's log, which would loop.
    install_output_capture()
    calls = []

    def host(op: int, payload: str) -> str:
        calls.append(op)
        sys.stderr.write("host side\n")
        return '{"v":1,"ok":{}}'

    inst = create_instance(lambda: Plugin("print"), host)
    ok, _ = decode_answer(inst.handle(8, encode_request({"app_id": "1"})))
    assert ok and calls == [1, 1]  # one log op per captured plugin line, no more
    assert capsys.readouterr().err.count("host side") == 2


def test_harness_flattens_config_as_the_runtime() -> None:
    seen: dict[str, str] = {}

    class Keeps(Plugin):
        def initialize(self, ctx: Context, config: dict[str, str]) -> None:
            seen.update(config)

    PluginHarness(Keeps, config={"n": 1000000, "b": True, "l": [1, 2], "s": "x"})
    assert seen == {"n": "1e+06", "b": "true", "l": "[1,2]", "s": "x"}
