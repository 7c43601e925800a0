"""The response_modifier example, through the test harness and through `runtime call`."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from click.testing import CliRunner

from guest_sdk.testing import harness_for, headers_request, response_write_request
from guest_sdk import messages as M
from runtime.cli.main import cli

HERE = Path(__file__).parent
ANSWER = {"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi."}}]}


def test_headers_marked_and_removed() -> None:
    h = harness_for(HERE, config={"remove_headers": ["Server"]})
    req = headers_request({"content-type": "application/json", "server": "upstream/1.0"})
    req.context = M.PluginContext(request_id="req-42")
    resp = h.call("on_before_write_headers", req)
    assert resp.modified
    assert resp.headers == {"content-type": "application/json", "x-gateway-processed": "true",
                            "x-gateway-request-id": "req-42"}


def test_body_footer_appended() -> None:
    h = harness_for(HERE, config={"footer": " -- via gateway", "header_prefix": "x-demo-"})
    raw = json.dumps(ANSWER).encode()
    resp = h.call("on_before_write", response_write_request(raw, {"content-type": "application/json"}))
    assert resp.modified
    assert json.loads(resp.body)["choices"][0]["message"]["content"] == "Hi. -- via gateway"
    assert resp.headers["x-demo-body-delta"] == str(len(resp.body) - len(raw))


def test_body_untouched_without_footer_or_json() -> None:
    assert not harness_for(HERE).call("on_before_write", response_write_request(ANSWER)).modified
    h = harness_for(HERE, config={"footer": "!"})
    assert not h.call("on_before_write", response_write_request(b"plain text")).modified


def test_runtime_call_both_hooks(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "h.json").write_text(json.dumps({"headers": {"a": "b"}, "context": {"requestId": "r9"}}))
    result = runner.invoke(cli, ["call", str(HERE), "--hook", "on_before_write_headers", "--tier",
                                 "inprocess", "--ephemeral", "--input", str(tmp_path / "h.json")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["headers"] == {"a": "b", "x-gateway-processed": "true",
                                                    "x-gateway-request-id": "r9"}
    body = base64.b64encode(json.dumps(ANSWER).encode()).decode()
    (tmp_path / "b.json").write_text(json.dumps({"body": body}))
    result = runner.invoke(cli, ["call", str(HERE), "--hook", "on_before_write", "--tier", "inprocess",
                                 "--ephemeral", "--input", str(tmp_path / "b.json"), "--config", "footer=!"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["modified"] is True
    assert json.loads(base64.b64decode(out["body"]))["choices"][0]["message"]["content"] == "Hi.!"
