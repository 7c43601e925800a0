"""The message_modifier example, through the test harness and through `runtime call`."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from click.testing import CliRunner

from guest_sdk.testing import chat_body, harness_for, plugin_request
from runtime.cli.main import cli

HERE = Path(__file__).parent


def test_appends_instruction_to_last_user_message() -> None:
    h = harness_for(HERE, config={"instruction": "Answer in French."})
    body = json.dumps({"messages": [{"role": "user", "content": "first"},
                                    {"role": "assistant", "content": "ok"},
                                    {"role": "user", "content": "Héllo"}]}).encode()
    resp = h.call("process_pre_auth", plugin_request(body))
    assert resp.modified and not resp.block
    messages = json.loads(resp.body)["messages"]
    assert messages[0]["content"] == "first"
    assert messages[2]["content"] == "Héllo\n\nAnswer in French."
    assert resp.headers["content-length"] == str(len(resp.body))


def test_content_parts_get_a_text_part() -> None:
    h = harness_for(HERE, config={"instruction": "Be brief."})
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    resp = h.call("process_pre_auth", plugin_request(body))
    assert json.loads(resp.body)["messages"][0]["content"][-1] == {"type": "text", "text": "Be brief."}


def test_non_chat_requests_pass_untouched() -> None:
    h = harness_for(HERE)
    for body in (b"", b"not json", b'{"prompt": "x"}', b'{"messages": [{"role": "system", "content": "s"}]}'):
        resp = h.call("process_pre_auth", plugin_request(body))
        assert not resp.modified and resp.body == b""


def test_runtime_call_contract(tmp_path: Path) -> None:
    request = {"method": "POST", "path": "/v1/chat/completions",
               "body": base64.b64encode(chat_body("hi")).decode()}
    (tmp_path / "in.json").write_text(json.dumps(request))
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "process_pre_auth", "--tier",
                                      "inprocess", "--ephemeral", "--input", str(tmp_path / "in.json"),
                                      "--config", "instruction=Use bullet points."])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout.splitlines()[0])
    assert answer["modified"] is True and answer["block"] is False and answer["status_code"] == 0
    body = json.loads(base64.b64decode(answer["body"]))
    assert body["messages"][0]["content"] == "hi\n\nUse bullet points."
