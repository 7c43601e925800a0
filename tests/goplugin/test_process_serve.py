"""Both directions of the bridge with Python at each end: the process tier launches
``runtime serve`` (a go-plugin plugin process running a Python plugin on the wasm tier)
like any go-plugin executable. Hooks, streams, and the served plugin's KV and events
travel over the broker into the outer runtime's services."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from runtime import Runtime, RuntimeConfig

from gohost import children_named
from gohost import ALL_HOOKS


def test_process_tier_runs_runtime_serve(tmp_path: Path) -> None:
    # built first, as `runtime package` does: a cold build inside `runtime serve` can
    # take longer than the go-plugin handshake timeout on a busy 2-core machine
    build = subprocess.run([sys.executable, "-m", "runtime.cli.main", "build", str(ALL_HOOKS)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    plugin = tmp_path / "served"
    plugin.mkdir()
    (plugin / "plugin-manifest.json").write_text(json.dumps({
        "id": "com.example.served", "version": "1.0.0", "name": "all hooks, served",
        "capabilities": {"hooks": ["pre_auth", "post_auth", "on_response", "custom_endpoint", "agent"]},
        "permissions": {"services": ["kv.readwrite", "events.publish", "events.subscribe"]},
        "sandbox": {"command": [str(Path(sys.executable).with_name("runtime")), "serve", str(ALL_HOOKS),
                                "--ephemeral"]}}))
    with Runtime(RuntimeConfig(tier="process", ephemeral=True)) as rt:
        rt.load(plugin, name="served")
        assert len(children_named("runtime")) == 1
        counts = [rt.call("served", "process_post_auth", {"request": {"path": "/p"}})["headers"]["x-count"]
                  for _ in range(2)]
        assert counts == ["1", "2"]
        assert rt.kv.read("served", "count") == b"2"  # the outer runtime's KV, over the broker
        assert rt.call("served", "process_pre_auth", {"headers": {"x-block": "1"}})["status_code"] == 418
        chunks = list(rt.stream("served", "handle_agent_message", {"user_message": "a b"}))
        assert [c.get("content", "") for c in chunks] == ["a", "b", ""] and chunks[-1]["is_final"]
        # the served plugin subscribed when its session opened; an event of the outer
        # runtime reaches it and it writes the payload to KV
        deadline = time.monotonic() + 20
        while rt.kv.read("served", "event:orders") is None and time.monotonic() < deadline:
            rt.bus.publish("outside", "orders", b"o9", 0)
            time.sleep(0.2)
        assert rt.kv.read("served", "event:orders") == b"o9"
        assert rt.kv.read("served", "session") is not None
    assert children_named("runtime") == []
