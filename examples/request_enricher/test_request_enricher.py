"""The request_enricher example, through the test harness and through `runtime call`."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from click.testing import CliRunner

from guest_sdk.testing import chat_body, enriched_request, harness_for
from runtime.cli.main import cli

HERE = Path(__file__).parent


def test_adds_system_instruction_and_app_header() -> None:
    h = harness_for(HERE, config={"instruction": "Be brief.", "header_name": "x-app"})
    resp = h.call("process_post_auth", enriched_request(chat_body("Héllo"), app_id=7))
    assert resp.modified
    assert resp.headers == {"x-app": "7"}
    assert json.loads(resp.body)["messages"] == [{"role": "user", "content": "Héllo"},
                                                 {"role": "system", "content": "Be brief."}]


def test_non_chat_body_passes() -> None:
    h = harness_for(HERE)
    assert not h.call("process_post_auth", enriched_request(b"plain")).modified
    assert not h.call("process_post_auth", enriched_request({"prompt": "x"})).modified


def test_runtime_call_rejects_a_config_the_schema_refuses() -> None:
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "process_post_auth", "--tier",
                                      "inprocess", "--ephemeral", "--config", "colour=blue"])
    assert result.exit_code == 1
    err = json.loads(result.stdout)["error"]
    assert err["code"] == "CONFIG_INVALID" and "colour" in err["message"]


def test_runtime_call_contract(tmp_path: Path) -> None:
    request = {"request": {"body": base64.b64encode(chat_body("hi")).decode(),
                           "context": {"appId": 5}}, "appId": "5", "authenticated": True}
    (tmp_path / "in.json").write_text(json.dumps(request))
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "process_post_auth", "--tier",
                                      "inprocess", "--ephemeral", "--input", str(tmp_path / "in.json")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["headers"] == {"x-app-id": "5"}
    assert out["context_updates"] == {} and out["error_message"] == ""
