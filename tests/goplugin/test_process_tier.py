"""The process tier runs a real go-plugin plugin (go/plugin, built with go-plugin 1.0.1):
handshake, hooks through PluginService, KV and events through the broker back into the
runtime's services, restarts, deadlines, shutdown with the controller and a kill after the
grace period, and no process or socket left behind."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from runtime import Runtime, RuntimeConfig
from runtime.backends import process as process_tier
from runtime.errors import ManifestError, PluginRuntimeError

from gohost import children_named

POST_AUTH = {"request": {"method": "POST", "path": "/v1/chat", "headers": {"a": "b"}}, "app_id": "7"}


def _runtime(**kw: Any) -> Runtime:
    return Runtime(RuntimeConfig(tier="process", ephemeral=True, **kw))


def _wait(cond: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_hooks_reach_the_go_plugin(make_go_plugin: Callable[..., Path]) -> None:
    with _runtime() as rt:
        host = rt.load(make_go_plugin(), name="gp", config={"greeting": "hi"})
        assert host.info.sdk == "go-plugin" and host.info.name == "Go test plugin"
        answer = rt.call("gp", "process_post_auth", POST_AUTH)
        assert answer == {"modified": True, "headers": {"x-go-plugin": "hi"},
                          "context_updates": {"go_plugin": "seen"}}
        blocked = rt.call("gp", "process_pre_auth", {"headers": {"x-block": "1"}})
        assert blocked["block"] is True and blocked["status_code"] == 403
        assert blocked["body"] == "blocked by the go plugin"
        assert rt.call("gp", "process_pre_auth", {"headers": {}}) == {}
        headers = rt.call("gp", "on_before_write_headers", {"headers": {"content-type": "x"}})
        assert headers == {"modified": True, "headers": {"content-type": "x", "x-go-response": "1"}}
        body = rt.call("gp", "on_before_write", {"body": "a secret here"})
        assert body["modified"] is True and body["body"] == "a [redacted] here"
        manifest = json.loads(rt.call("gp", "get_manifest", {})["manifest_json"])
        assert manifest["id"] == "com.example.goplugin"
        cp = rt.call("gp", "config_provider.get_manifest", {})
        assert json.loads(cp["manifest_json"])["name"] == "Go test plugin"
        # server-streaming RPC: one chunk per path segment between HEADERS and DONE
        chunks = list(rt.stream("gp", "handle_endpoint_request_stream",
                                {"path": "/plugins/x/a/b", "path_segments": ["a", "b"]}))
        assert [c.get("type", 0) for c in chunks] == [0, 1, 1, 2]
        assert [c.get("data") for c in chunks[1:3]] == ["a\n", "b\n"]
        # an RPC the Go plugin leaves UNIMPLEMENTED gets the Go SDK's neutral answer
        assert rt.call("gp", "on_stream_complete", {}) == {}
        assert rt.call("gp", "get_config_schema", {}) == {"success": True, "schema_json": "{}"}
        # a hook type the manifest does not list is answered without a call
        assert rt.call("gp", "authenticate", {})["authenticated"] is False
        assert [p.identity for p in rt.plugins_for("process_post_auth")] == ["gp"]
        assert rt.plugins_for("authenticate") == []


def test_bad_request_is_a_structured_error(make_go_plugin: Callable[..., Path]) -> None:
    with _runtime() as rt:
        rt.load(make_go_plugin(), name="gp")
        with pytest.raises(PluginRuntimeError) as err:
            rt.call("gp", "process_post_auth", {"request": {"headers": "not a map"}})
        assert err.value.code == "INVALID_ARGUMENT"
        assert rt.call("gp", "process_post_auth", POST_AUTH)["modified"] is True


@pytest.mark.parametrize("runtime_name", ["studio", "gateway"])
def test_kv_through_the_broker(make_go_plugin: Callable[..., Path], runtime_name: str) -> None:
    """The Go plugin's ReadPluginKV/WritePluginKV reach the runtime's KV (Studio's or the
    Gateway's management service, as the plugin's runtime says), in its own namespace."""
    with _runtime(runtime=runtime_name) as rt:
        rt.load(make_go_plugin(), name="gp", config={"count_requests": True})
        counts = [rt.call("gp", "process_post_auth", POST_AUTH)["headers"]["x-go-count"]
                  for _ in range(3)]
        assert counts == ["1", "2", "3"]
        assert rt.kv.read("gp", "go-requests") == b"3"
        rt.kv.write("gp", "go-requests", b"41", None)
        assert rt.call("gp", "process_post_auth", POST_AUTH)["headers"]["x-go-count"] == "42"
        assert rt.broker.op_counts["kv.read"] >= 3 and rt.broker.op_counts["kv.write"] >= 4


def test_kv_is_refused_without_the_grant(make_go_plugin: Callable[..., Path]) -> None:
    with _runtime() as rt:
        rt.load(make_go_plugin(services=[]), name="gp", config={"count_requests": True})
        with pytest.raises(PluginRuntimeError) as err:
            rt.call("gp", "process_post_auth", POST_AUTH)
        assert err.value.code == "PLUGIN_RAISED" and "PERMISSION_DENIED" in err.value.message
        assert rt.kv.read("gp", "go-requests") is None


def test_events_both_ways(make_go_plugin: Callable[..., Path]) -> None:
    """Publish from Go reaches the runtime's bus; an event published in the runtime
    reaches the Go plugin's Subscribe stream (it stores the payload in KV)."""
    seen: list[Any] = []
    with _runtime() as rt:
        rt.load(make_go_plugin(services=["kv.readwrite", "events.publish", "events.subscribe"]),
                name="gp", config={"publish_topic": "go.requests", "subscribe_topic": "to.go"})
        sub = rt.bus.subscribe("watcher", "go.requests")
        original = rt._deliver_event

        def deliver(s: Any, event: Any) -> None:
            if s.id == sub.id:
                seen.append(event)
            else:
                original(s, event)

        rt.bus._deliver = deliver  # type: ignore[attr-defined]
        answer = rt.call("gp", "process_post_auth", POST_AUTH)
        assert answer["headers"]["x-go-event"]
        assert _wait(lambda: bool(seen))
        assert seen[0].topic == "go.requests" and seen[0].payload == b"/v1/chat"
        assert seen[0].origin.startswith("plugin:gp@")  # the identity the operator gave
        for _ in range(50):  # the Go side subscribes shortly after its first session opens
            rt.bus.publish("python", "to.go", b"ping from python", 0)
            if _wait(lambda: rt.kv.read("gp", "event:to.go") is not None, 0.2):
                break
        assert rt.kv.read("gp", "event:to.go") == b"ping from python"


def test_restart_after_kill(make_go_plugin: Callable[..., Path]) -> None:
    with _runtime() as rt:
        rt.load(make_go_plugin(), name="gp", config={"count_requests": True})
        assert rt.call("gp", "process_post_auth", POST_AUTH)["headers"]["x-go-count"] == "1"
        [pid] = children_named("goplugin")
        os.kill(pid, signal.SIGKILL)
        assert _wait(lambda: len(children_named("goplugin")) == 1
                     and children_named("goplugin") != [pid])
        # restarted and re-initialised (the config still applies); KV lives in the host
        assert rt.call("gp", "process_post_auth", POST_AUTH)["headers"]["x-go-count"] == "2"
        # death during a call: the call fails as SANDBOX_BROKEN, the next one is served
        with pytest.raises(PluginRuntimeError) as err:
            rt.call("gp", "process_pre_auth", {"headers": {"x-exit": "1"}})
        assert err.value.code == "SANDBOX_BROKEN" and "status 3" in err.value.message
        assert rt.call("gp", "process_post_auth", POST_AUTH)["headers"]["x-go-count"] == "3"
        assert _wait(lambda: len(children_named("goplugin")) == 1)
    assert _wait(lambda: children_named("goplugin") == [])


def test_deadline(make_go_plugin: Callable[..., Path]) -> None:
    with _runtime() as rt:
        rt.load(make_go_plugin(), name="gp")
        with pytest.raises(PluginRuntimeError) as err:
            rt.call("gp", "process_pre_auth", {"headers": {"x-sleep-ms": "2000"}}, timeout_ms=100)
        assert err.value.code == "DEADLINE_EXCEEDED"
        assert rt.call("gp", "process_pre_auth", {"headers": {"x-sleep-ms": "1"}}) == {}


def test_shutdown_is_graceful(make_go_plugin: Callable[..., Path]) -> None:
    rt = _runtime()
    rt.load(make_go_plugin(), name="gp")
    assert len(children_named("goplugin")) == 1
    dirs = [p for p in process_tier._live]
    assert len(dirs) == 1 and Path(dirs[0].dir).is_dir()
    socket_dir = Path(dirs[0].dir)
    assert any(p.name.startswith("plugin") for p in socket_dir.iterdir())  # its socket is ours
    t0 = time.monotonic()
    rt.close()
    assert time.monotonic() - t0 < process_tier.GRACE_S
    assert dirs[0].popen.returncode == 0  # it exited by itself after GRPCController/Shutdown
    assert not socket_dir.exists()
    assert children_named("goplugin") == []


def test_kill_after_grace_period(make_go_plugin: Callable[..., Path]) -> None:
    rt = _runtime()
    rt.load(make_go_plugin(), name="gp", config={"hang_on_shutdown": True})
    [proc] = list(process_tier._live)
    t0 = time.monotonic()
    rt.close()
    elapsed = time.monotonic() - t0
    assert process_tier.GRACE_S <= elapsed < process_tier.GRACE_S + 3
    assert proc.popen.returncode == -signal.SIGKILL
    assert children_named("goplugin") == []


def test_pool_of_processes(make_go_plugin: Callable[..., Path], tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": 1, "defaults": {"grants": ["kv.readwrite"]},
                                  "plugins": {"gp": {"tier": "process", "limits": {"pool_size": 3}}}}))
    with Runtime(RuntimeConfig(policy=policy, ephemeral=True)) as rt:
        rt.load(make_go_plugin(), name="gp", config={"count_requests": True})
        assert len(children_named("goplugin")) == 3
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: rt.call("gp", "process_post_auth", POST_AUTH), range(30)))
        assert all(a["modified"] for a in answers)
    assert children_named("goplugin") == []


def test_tier_and_manifest_errors(make_go_plugin: Callable[..., Path], tmp_path: Path) -> None:
    go_dir = make_go_plugin()
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True)) as rt:
        with pytest.raises(PluginRuntimeError) as err:
            rt.load(go_dir, name="gp")
        assert err.value.code == "TIER_UNAVAILABLE" and "process tier" in err.value.message
    with _runtime() as rt:
        with pytest.raises(PluginRuntimeError) as err:
            rt.load(Path(__file__).resolve().parents[2] / "examples" / "request_enricher")
        assert err.value.code == "TIER_UNAVAILABLE" and "sandbox.command" in err.value.message
    with pytest.raises(ManifestError, match="not an executable file"):
        from runtime.manifest import load_manifest
        load_manifest(make_go_plugin("missing", command=["bin/nothing-here"]))
    with pytest.raises(ManifestError, match="outside the plugin directory"):
        from runtime.manifest import load_manifest
        load_manifest(make_go_plugin("escape", command=["../goplugin/x"]))


def _script_plugin(make_go_plugin: Callable[..., Path], tmp_path: Path, name: str, body: str) -> Path:
    script = tmp_path / f"{name}.sh"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return make_go_plugin(name, command=[str(script)])


@pytest.mark.parametrize("body, expected", [
    ("echo 'hello there'; sleep 5", "unrecognized remote plugin message: 'hello there'"),
    ("echo '2|1|unix|/tmp/x|grpc|'; sleep 5", "incompatible core API version with plugin: plugin 2"),
    ("echo '1|2|unix|/tmp/x|grpc|'; sleep 5", "incompatible API version with plugin: plugin 2"),
    ("echo '1|1|unix|/tmp/x|netrpc|'; sleep 5", "only grpc"),
    ("echo '1|1|pipe|/tmp/x|grpc|'; sleep 5", "unknown network type 'pipe'"),
    ("echo '1|1|unix|/tmp/x|grpc|'" + "A" * 60 + "; sleep 5", "AutoMTLS"),
    ("echo 'not today' >&2; exit 1", "exited with status 1 before its handshake; its stderr ended with: not today"),
])
def test_bad_handshakes(make_go_plugin: Callable[..., Path], tmp_path: Path, body: str,
                        expected: str) -> None:
    plugin = _script_plugin(make_go_plugin, tmp_path, "bad", body)
    with _runtime() as rt:
        with pytest.raises(PluginRuntimeError) as err:
            rt.load(plugin, name="bad")
        assert err.value.code == "LOAD_FAILED" and expected in err.value.message
    assert children_named("bad.sh") == [] and not process_tier._live


def test_plugins_die_with_a_killed_host(make_go_plugin: Callable[..., Path]) -> None:
    """A host killed without closing (SIGKILL: no atexit, no close) leaves no plugin."""
    import subprocess
    import sys
    plugin = make_go_plugin()
    script = ("import sys, time\n"
              "from runtime import Runtime, RuntimeConfig\n"
              "rt = Runtime(RuntimeConfig(tier='process', ephemeral=True))\n"
              f"rt.load({str(plugin)!r}, name='gp')\n"
              "rt.call('gp', 'process_pre_auth', {})\n"
              "print('ready', flush=True)\n"
              "time.sleep(60)\n")
    host = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert host.stdout is not None and host.stdout.readline().strip() == "ready"
        plugins = [int(p) for p in os.listdir("/proc") if p.isdigit()
                   and _parent_of(int(p)) == host.pid]
        assert plugins, "the host has no plugin process"
        host.kill()
        host.wait()
        assert _wait(lambda: not any(_alive(p) for p in plugins))
        left = list(Path(tempfile.gettempdir()).glob(f"gps-plugin-{host.pid}-*"))
        assert left  # the killed host could not remove its socket directory ...
        process_tier.ProcessBackend()
        assert not any(p.exists() for p in left)  # ... the next backend does
    finally:
        host.kill()
        host.wait()
        if host.stdout is not None:
            host.stdout.close()


def _parent_of(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat[stat.rindex(")") + 2:].split()[1])


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def test_stream_closed_early_by_the_consumer(make_go_plugin: Callable[..., Path]) -> None:
    with _runtime() as rt:
        rt.load(make_go_plugin(), name="gp")
        stream = rt.stream("gp", "handle_endpoint_request_stream",
                           {"path_segments": [str(i) for i in range(200)]})
        assert next(stream).get("status_code") == 200
        stream.close()
        chunks = list(rt.stream("gp", "handle_endpoint_request_stream", {"path_segments": ["z"]}))
        assert [c.get("type", 0) for c in chunks] == [0, 1, 2]


def test_reload_replaces_the_process(make_go_plugin: Callable[..., Path]) -> None:
    with _runtime() as rt:
        rt.load(make_go_plugin(), name="gp", config={"count_requests": True, "greeting": "v1"})
        assert rt.call("gp", "process_post_auth", POST_AUTH)["headers"]["x-go-count"] == "1"
        [old] = children_named("goplugin")
        rt.reload("gp", config={"count_requests": True, "greeting": "v2"})
        answer = rt.call("gp", "process_post_auth", POST_AUTH)
        assert answer["headers"] == {"x-go-plugin": "v2", "x-go-count": "2"}  # same KV namespace
        assert _wait(lambda: len(children_named("goplugin")) == 1 and old not in children_named("goplugin"))
    assert children_named("goplugin") == []


def test_plugin_output_reaches_the_plugin_log(make_go_plugin: Callable[..., Path],
                                              caplog: pytest.LogCaptureFixture) -> None:
    """stderr (go-plugin JSON log lines, ``[LEVEL]`` text) and GRPCStdio output of a plugin
    reach the plugin's log with their levels."""
    import logging
    import sys
    script = Path(__file__).with_name("fake_stdio_plugin.py")
    caplog.set_level(logging.INFO, logger="plugin.fake")
    with _runtime() as rt:
        rt.load(make_go_plugin("fake", command=[sys.executable, str(script)]), name="fake")
        assert rt.call("fake", "process_post_auth", POST_AUTH)["headers"] == {"x-fake": "1"}

        def seen() -> dict[str, int]:
            return {r.getMessage().split("] ", 1)[-1].split(" stream=")[0]: r.levelno
                    for r in caplog.records if r.name == "plugin.fake"}

        assert _wait(lambda: len(seen()) >= 3)
        assert seen() == {"json warning": logging.WARNING, "text error": logging.ERROR,
                          "printed after the handshake": logging.INFO}


def test_initialize_refused(make_go_plugin: Callable[..., Path]) -> None:
    with _runtime() as rt:
        with pytest.raises(PluginRuntimeError) as err:
            rt.load(make_go_plugin(), name="gp", config={"fail_init": True})
        assert err.value.code == "INIT_FAILED" and "fail_init is set" in err.value.message
        assert _wait(lambda: children_named("goplugin") == [])
        assert not process_tier._live
