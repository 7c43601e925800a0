"""The usage_collector example, through the test harness and through `runtime call`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import harness_for
from runtime.broker.kv import SQLiteKV
from runtime.cli.main import cli

HERE = Path(__file__).parent
MAY_1 = 1714550400  # 2024-05-01T08:00:00Z
MAY_2 = MAY_1 + 86400


def test_proxy_logs_count_requests_and_errors_per_app_and_day() -> None:
    h = harness_for(HERE)
    for app_id, code, ts in ((7, 200, MAY_1), (7, 502, MAY_1), (8, 200, MAY_1), (7, 200, MAY_2)):
        resp = h.call("handle_proxy_log", M.ProxyLogRequest(app_id=app_id, response_code=code,
                                                             timestamp=ts, vendor="openai"))
        assert resp.success and resp.handled
    assert resp.metadata == {"day": "2024-05-02", "requests": "1"}
    assert h.kv == {"requests:2024-05-01:app:7": b"2", "errors:2024-05-01:app:7": b"1",
                    "requests:2024-05-01:app:8": b"1", "requests:2024-05-02:app:7": b"1"}
    assert [r.message for r in h.logs] == ["proxy log"] * 4
    assert h.logs[1].fields["status"] == 502


def test_analytics_add_up_tokens_and_cost() -> None:
    h = harness_for(HERE)
    h.call("handle_analytics", M.AnalyticsRequest(app_id=7, model_name="gpt-4o", prompt_tokens=100,
                                                  response_tokens=50, total_tokens=150, cost=0.0125,
                                                  timestamp=MAY_1))
    resp = h.call("handle_analytics", M.AnalyticsRequest(app_id=7, model_name="gpt-4o", prompt_tokens=10,
                                                         response_tokens=5, cost=0.5, timestamp=MAY_1))
    assert resp.metadata == {"day": "2024-05-01", "tokens_today": "165"}
    assert h.kv["tokens:2024-05-01:app:7:prompt"] == b"110"
    assert h.kv["tokens:2024-05-01:app:7:response"] == b"55"
    assert h.kv["tokens:2024-05-01:app:7:total"] == b"165"
    assert h.kv["tokens:2024-05-01:model:gpt-4o"] == b"165"
    assert h.kv["cost_micros:2024-05-01:app:7"] == b"512500"


def test_budget_snapshots_keep_the_newest_record() -> None:
    h = harness_for(HERE)
    newer = M.BudgetUsageRequest(app_id=7, llm_id=2, tokens_used=900, cost=1.5, requests_count=12,
                                 period_start=MAY_1 - 3600, period_end=MAY_1, timestamp=MAY_1)
    older = M.BudgetUsageRequest(app_id=7, llm_id=2, tokens_used=100, cost=0.1, timestamp=MAY_1 - 60)
    assert h.call("handle_budget_usage", newer).metadata == {"stored": "true"}
    assert h.call("handle_budget_usage", older).metadata == {"stored": "false"}
    snapshot = json.loads(h.kv["budget:app:7:llm:2"])
    assert snapshot["tokens_used"] == 900 and snapshot["cost"] == 1.5 and snapshot["requests_count"] == 12
    assert snapshot["timestamp"] == MAY_1 and snapshot["period_start"] == MAY_1 - 3600


def test_completed_streams_are_counted() -> None:
    h = harness_for(HERE)
    req = M.StreamCompleteRequest(accumulated_response=b"data: {}\n\n", status_code=200, chunk_count=12,
                                  context=M.PluginContext(request_id="r1", app_id=9))
    assert h.call("on_stream_complete", req).handled
    h.call("on_stream_complete", req)
    streams = {k: v for k, v in h.kv.items() if k.startswith("streams:")}
    chunks = {k: v for k, v in h.kv.items() if k.startswith("stream_chunks:")}
    assert list(streams.values()) == [b"2"] and list(streams)[0].endswith(":app:9")
    assert list(chunks.values()) == [b"24"]


def test_report_requests_are_answered_on_the_event_bus() -> None:
    h = harness_for(HERE, config={"report_topic": "reports"})
    h.call("on_session_ready", {"session_id": "s-1"})
    assert list(h.subscriptions.values()) == [("usage.report.request", "")]
    h.call("handle_proxy_log", M.ProxyLogRequest(app_id=7, response_code=429, timestamp=MAY_1))
    h.call("handle_analytics", M.AnalyticsRequest(app_id=7, prompt_tokens=3, response_tokens=4,
                                                  cost=0.25, timestamp=MAY_1))
    h.deliver_event("usage.report.request", {"app_id": 7, "day": "2024-05-01"})
    assert [e.topic for e in h.published] == ["reports"]
    assert json.loads(h.published[0].payload) == {
        "app_id": 7, "day": "2024-05-01", "requests": 1, "errors": 1, "prompt_tokens": 3,
        "response_tokens": 4, "total_tokens": 7, "cost": 0.25, "streams": 0}


def test_malformed_report_requests_are_logged_and_dropped() -> None:
    h = harness_for(HERE)
    h.deliver_event("usage.report.request", b"not json")
    h.deliver_event("usage.report.request", {"day": "2024-05-01"})
    h.deliver_event("something.else", {"app_id": 7, "day": "2024-05-01"})
    assert h.published == []
    assert [r.message for r in h.logs] == ["malformed report request ignored"] * 2


def test_schema_matches_the_file() -> None:
    schema = json.loads(harness_for(HERE).call("get_config_schema").schema_json)
    assert schema == json.loads((HERE / "config.schema.json").read_text())


def test_runtime_call_counts_into_the_state_dir(tmp_path: Path) -> None:
    record = {"appId": 7, "modelName": "claude", "promptTokens": 20, "responseTokens": 30,
              "totalTokens": 50, "cost": 0.002, "timestamp": str(MAY_1)}
    (tmp_path / "in.json").write_text(json.dumps(record))
    for expected in ("50", "100"):
        result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "handle_analytics", "--tier",
                                          "inprocess", "--runtime", "gateway", "--state-dir",
                                          str(tmp_path / "state"), "--input", str(tmp_path / "in.json")])
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout.splitlines()[0])
        assert out == {"success": True, "handled": True, "error_message": "",
                       "metadata": {"day": "2024-05-01", "tokens_today": expected}}
    kv = SQLiteKV(tmp_path / "state" / "kv.sqlite3")
    try:
        assert kv.read("usage_collector", "tokens:2024-05-01:model:claude") == b"100"
        assert kv.read("usage_collector", "cost_micros:2024-05-01:app:7") == b"4000"
    finally:
        kv.close()
