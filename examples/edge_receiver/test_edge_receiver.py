"""The edge_receiver example, through the test harness and through `runtime call`."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import harness_for
from runtime.cli.main import cli

HERE = Path(__file__).parent


def edge(payload: Any, edge_id: str = "edge-1", namespace: str = "eu", ts: int = 1000) -> M.EdgePayloadRequest:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return M.EdgePayloadRequest(payload=data, edge_id=edge_id, edge_namespace=namespace,
                                correlation_id=f"c-{ts}", edge_timestamp=ts, received_timestamp=ts + 5)


def test_usage_reports_keep_the_newest_per_edge_and_count_per_namespace() -> None:
    h = harness_for(HERE)
    for report, ts in (({"kind": "usage", "requests": 3, "tokens": 300}, 1000),
                       ({"kind": "usage", "requests": 5, "tokens": 500}, 2000),
                       ({"kind": "usage", "requests": 1, "tokens": 100}, 1500)):  # arrives late
        resp = h.call("accept_edge_payload", edge(report, ts=ts))
        assert resp.success and resp.handled
    stored = json.loads(h.kv["edge:edge-1:usage"])
    assert stored == {"edge_id": "edge-1", "edge_namespace": "eu", "correlation_id": "c-2000",
                      "edge_timestamp": 2000, "received_timestamp": 2005,
                      "data": {"kind": "usage", "requests": 5, "tokens": 500}}
    assert h.kv["namespace:eu:payloads"] == b"3"
    assert h.kv["namespace:eu:tokens"] == b"900"
    assert [r.message for r in h.logs] == ["edge payload stored", "edge payload stored",
                                           "older edge payload counted, not stored"]


def test_heartbeats_and_namespaces_are_kept_apart() -> None:
    h = harness_for(HERE)
    assert h.call("accept_edge_payload", edge({"kind": "heartbeat", "version": "1.2.0"})).handled
    assert h.call("accept_edge_payload", edge({"kind": "usage"}, edge_id="edge-2", namespace="")).handled
    assert json.loads(h.kv["edge:edge-1:heartbeat"])["data"]["version"] == "1.2.0"
    assert json.loads(h.kv["edge:edge-2:usage"])["edge_namespace"] == ""
    assert h.kv["namespace:eu:payloads"] == b"1" and h.kv["namespace:default:payloads"] == b"1"
    assert "namespace:default:tokens" not in h.kv


def test_unusable_payloads_are_logged_and_not_handled() -> None:
    h = harness_for(HERE)
    cases = [
        (edge(b"\x00not json"), "the payload is not JSON"),
        (edge([1, 2]), "the payload is not a JSON object"),
        (edge({"kind": "metrics"}), "unknown kind 'metrics'"),
        (edge({"kind": "usage", "tokens": -1}), "requests and tokens must be non-negative integers"),
        (edge({"kind": "usage", "requests": "3"}), "requests and tokens must be non-negative integers"),
        (edge({"kind": "usage"}, edge_id=""), "no edge id"),
    ]
    for request, reason in cases:
        resp = h.call("accept_edge_payload", request)
        assert resp.success and not resp.handled
        assert h.logs[-1].level == "warn" and h.logs[-1].fields["reason"] == reason
    assert h.kv == {}


def test_manifest_matches_the_file() -> None:
    manifest = json.loads(harness_for(HERE).call("get_manifest").manifest_json)
    on_disk = json.loads((HERE / "plugin-manifest.json").read_text())
    del on_disk["sandbox"]
    assert manifest == on_disk


def _cli(payload: bytes) -> dict[str, Any]:
    request = {"payload": base64.b64encode(payload).decode(), "edgeId": "edge-9", "edgeNamespace": "us",
               "correlationId": "c-1", "edgeTimestamp": "1714550400"}
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "accept_edge_payload", "--tier", "inprocess",
                                      "--ephemeral", "--runtime", "studio", "--input", "-"],
                                input=json.dumps(request))
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout.splitlines()[0]))


def test_runtime_call_accepts_usage_and_refuses_garbage() -> None:
    ok = _cli(json.dumps({"kind": "usage", "requests": 2, "tokens": 40}).encode())
    assert ok == {"success": True, "handled": True, "error_message": "", "metadata": {}}
    refused = _cli(b"<xml/>")
    assert refused["success"] is True and refused["handled"] is False
