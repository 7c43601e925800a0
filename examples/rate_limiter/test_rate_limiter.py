"""The rate_limiter example, through the test harness and through `runtime call`."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import chat_body, enriched_request, harness_for, plugin_request
from runtime.cli.main import cli

HERE = Path(__file__).parent


def _from(addr: str) -> M.PluginRequest:
    return plugin_request(chat_body("hi"), remote_addr=addr)


def test_the_request_after_the_limit_is_blocked_with_429() -> None:
    h = harness_for(HERE, config={"limit": 3, "window_seconds": 60})
    for remaining in ("2", "1", "0"):
        resp = h.call("process_pre_auth", _from("10.0.0.1:5000"))
        assert resp.modified and not resp.block
        assert resp.headers == {"x-ratelimit-limit": "3", "x-ratelimit-remaining": remaining}
    resp = h.call("process_pre_auth", _from("10.0.0.1:5001"))  # same client, another port
    assert resp.block and resp.status_code == 429
    assert resp.error_message == "rate limit exceeded"
    retry_after = int(resp.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert resp.headers["x-ratelimit-remaining"] == "0" and resp.headers["x-ratelimit-limit"] == "3"
    assert resp.headers["content-type"] == "application/json"
    assert abs(int(resp.headers["x-ratelimit-reset"]) - (time.time() + retry_after)) <= 2
    assert json.loads(resp.body) == {"error": {
        "message": "rate limit exceeded: 3 requests per 60 s", "type": "rate_limit_exceeded",
        "retry_after": retry_after}}
    assert h.kv["rl:remote_addr:10.0.0.1"] == b"4"
    assert [r.message for r in h.logs] == ["rate limit exceeded"]


def test_another_client_has_its_own_window() -> None:
    h = harness_for(HERE, config={"limit": 1})
    assert not h.call("process_pre_auth", _from("10.0.0.1")).block
    assert h.call("process_pre_auth", _from("10.0.0.1")).block
    assert not h.call("process_pre_auth", _from("10.0.0.2:80")).block
    assert not h.call("process_pre_auth", _from("[2001:db8::1]:443")).block
    assert h.call("process_pre_auth", _from("2001:db8::1")).block
    assert sorted(h.kv) == ["rl:remote_addr:10.0.0.1", "rl:remote_addr:10.0.0.1:reset",
                            "rl:remote_addr:10.0.0.2", "rl:remote_addr:10.0.0.2:reset",
                            "rl:remote_addr:2001:db8::1", "rl:remote_addr:2001:db8::1:reset"]


def test_retry_after_counts_down_to_the_end_of_the_window() -> None:
    h = harness_for(HERE, config={"limit": 1, "window_seconds": 3600})
    h.call("process_pre_auth", _from("10.0.0.1"))
    h.kv["rl:remote_addr:10.0.0.1:reset"] = repr(time.time() + 10).encode()
    resp = h.call("process_pre_auth", _from("10.0.0.1"))
    assert resp.block and int(resp.headers["retry-after"]) == 10


def test_counters_are_shared_by_every_instance() -> None:
    config = {"limit": 2, "window_seconds": 60}
    first = harness_for(HERE, config=config)
    second = harness_for(HERE, config=config)
    second.kv = first.kv  # two instances, one KV namespace: what the runtime gives a pool
    assert not first.call("process_pre_auth", _from("10.0.0.9")).block
    assert second.call("process_pre_auth", _from("10.0.0.9")).headers["x-ratelimit-remaining"] == "0"
    assert first.call("process_pre_auth", _from("10.0.0.9")).block
    assert second.call("process_pre_auth", _from("10.0.0.9")).block
    assert first.kv["rl:remote_addr:10.0.0.9"] == b"4"


def test_app_and_user_keys_count_after_auth_only() -> None:
    h = harness_for(HERE, config={"limit": 1, "key_by": "app"})
    pre = h.call("process_pre_auth", _from("10.0.0.1"))
    assert not pre.modified and h.kv == {}
    assert not h.call("process_post_auth", enriched_request(chat_body(), app_id=7)).block
    assert h.call("process_post_auth", enriched_request(chat_body(), app_id=7)).block
    assert not h.call("process_post_auth", enriched_request(chat_body(), app_id=8)).block

    h = harness_for(HERE, config={"limit": 1, "key_by": "user"})
    assert not h.call("process_post_auth", enriched_request(chat_body(), app_id=7, user_id="u1")).block
    assert not h.call("process_post_auth", enriched_request(chat_body(), app_id=7, user_id="u2")).block
    assert h.call("process_post_auth", enriched_request(chat_body(), app_id=8, user_id="u1")).block
    assert "rl:user:u1" in h.kv and "rl:app:7" not in h.kv


def test_schema_matches_the_file() -> None:
    schema = json.loads(harness_for(HERE).call("get_config_schema").schema_json)
    assert schema == json.loads((HERE / "config.schema.json").read_text())


def _run(args: list[str]) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "process_pre_auth", "--tier",
                                      "inprocess", "--runtime", "gateway", *args])
    return result.exit_code, json.loads(result.stdout.splitlines()[0])


def test_runtime_call_two_runs_share_the_counter(tmp_path: Path) -> None:
    request = {"method": "POST", "path": "/v1/chat/completions", "remoteAddr": "192.0.2.7:4242",
               "body": base64.b64encode(chat_body("hi")).decode()}
    (tmp_path / "in.json").write_text(json.dumps(request))
    args = ["--state-dir", str(tmp_path / "state"), "--input", str(tmp_path / "in.json"),
            "--config", "limit=1", "--config", "window_seconds=600"]
    code, first = _run(args)
    assert code == 0, first
    assert first["block"] is False and first["headers"] == {"x-ratelimit-limit": "1",
                                                            "x-ratelimit-remaining": "0"}
    code, second = _run(args)
    assert code == 0, second
    assert second["block"] is True and second["status_code"] == 429
    assert 1 <= int(second["headers"]["retry-after"]) <= 600
    body = json.loads(base64.b64decode(second["body"]))
    assert body["error"]["type"] == "rate_limit_exceeded"


def test_runtime_call_refuses_an_unknown_key_by() -> None:
    code, out = _run(["--ephemeral", "--config", "key_by=ip"])
    assert code == 1
    assert out["error"]["code"] == "CONFIG_INVALID" and "key_by" in out["error"]["message"]
