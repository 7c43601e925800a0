"""Our Go go-plugin host (go/host) drives our Go plugin (go/plugin): config-only services,
a broker serving KV and events back, Initialize, the OpenSession loop, calls (a stream
included), an event pushed from the host, CloseSession, Shutdown and go-plugin's Kill.
(tests/goplugin/test_serve_from_go.py drives ``runtime serve`` with the same host.)"""

from __future__ import annotations

import json
from pathlib import Path

from gohost import _by_rpc, drive


def test_go_host_drives_the_go_plugin(go_bin: Path, tmp_path: Path) -> None:
    lines = drive(go_bin, tmp_path, [str(go_bin / "goplugin")], [
        {"rpc": "ProcessPostAuth", "request": {"request": {"path": "/a"}}},
        {"rpc": "ProcessPostAuth", "request": {"request": {"path": "/b"}}},
        {"rpc": "HandleEndpointRequestStream", "request": {"path_segments": ["x", "y"]}},
        {"rpc": "Authenticate", "request": {}},
    ], "-config", json.dumps({"count_requests": "true", "subscribe_topic": "t1"}),
        "-publish", "t1=hello", "-session-ms", "300", "-wait-sessions", "1")
    calls = _by_rpc(lines)
    assert [c["response"]["headers"]["x-go-count"] for c in calls["ProcessPostAuth"]] == ["1", "2"]
    assert [c["type"] for c in calls["HandleEndpointRequestStream"][0]["chunks"]] == [
        "HEADERS", "BODY", "BODY", "DONE"]
    assert calls["Authenticate"][0]["code"] == "Unimplemented"
    summary = lines[-1]
    assert summary["kv"] == {"go-requests": "2", "event:t1": "hello"}
    assert summary["exited"] is True
