"""Helpers and fixtures for the go-plugin bridge tests: launch ``runtime serve`` through our
go-plugin client, and fake host services served back on the broker."""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest

from runtime.bridge.client import PluginProcess
from runtime.wire import (ai_studio_management_pb2, ai_studio_management_pb2_grpc,
                          microgateway_management_pb2, microgateway_management_pb2_grpc,
                          plugin_events_pb2, plugin_events_pb2_grpc)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
PLUGINS = Path(__file__).resolve().parent / "plugins"
RUNTIME = [sys.executable, "-m", "runtime.cli.main"]


@pytest.fixture
def inprocess_policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.json"
    grants = ["kv.readwrite", "events.publish", "events.subscribe", "llms.proxy", "apps.read",
              "llms.read"]
    path.write_text(json.dumps({"version": 1, "defaults": {"tier": "inprocess", "grants": grants}}))
    return path


@pytest.fixture
def socket_dir(tmp_path: Path) -> Path:
    d = tmp_path / "sockets"
    d.mkdir()
    return d


class Launcher:
    def __init__(self, policy: Path, socket_dir: Path, tmp_path: Path) -> None:
        self.policy = policy
        self.socket_dir = socket_dir
        self.tmp_path = tmp_path
        self.started: list[PluginProcess] = []

    def __call__(self, plugin_dir: Path, *args: str, env: dict[str, str] | None = None,
                 policy: bool = True, runtime: str = "studio") -> PluginProcess:
        cmd = [*RUNTIME, "serve", str(plugin_dir), "--ephemeral", *args]
        if policy:
            cmd += ["--policy", str(self.policy)]
        base = {k: v for k, v in os.environ.items()
                if k not in ("PLUGIN_RUNTIME", "GATEWAY_MODE", "MICROGATEWAY_MODE")}
        base["PLUGIN_RUNTIME"] = runtime
        base["XDG_STATE_HOME"] = str(self.tmp_path / "state")
        proc = PluginProcess(cmd, env=base, extra_env=env, cwd=str(REPO),
                             socket_dir=str(self.socket_dir))
        self.started.append(proc)
        return proc.start()


@pytest.fixture
def launch(inprocess_policy: Path, socket_dir: Path, tmp_path: Path) -> Iterator[Launcher]:
    launcher = Launcher(inprocess_policy, socket_dir, tmp_path)
    yield launcher
    for proc in launcher.started:
        proc.stop()
        assert proc.proc is None or proc.proc.poll() is not None, "orphan plugin process"
    leftovers = [p.name for p in socket_dir.iterdir()]
    assert not leftovers, f"stale sockets: {leftovers}"


# -- fake host services -------------------------------------------------------------------------
class FakeKV:
    """What both management services share: KV per plugin ID, every request recorded."""

    def __init__(self) -> None:
        self.data: dict[tuple[int, str], bytes] = {}
        self.requests: list[tuple[str, Any]] = []
        self.lock = threading.Lock()

    def record(self, name: str, request: Any) -> None:
        with self.lock:
            self.requests.append((name, request))

    def wait_for(self, name: str, predicate: Any = None, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for n, req in self.requests:
                    if n == name and (predicate is None or predicate(req)):
                        return req
            time.sleep(0.02)
        raise AssertionError(f"no {name} request within {timeout} s; got "
                             f"{[n for n, _ in self.requests]}")


def _kv_methods(mod: Any, fake: FakeKV) -> dict[str, Any]:
    def write(request: Any, context: grpc.ServicerContext) -> Any:
        fake.record("WritePluginKV", request)
        key = (request.context.plugin_id, request.key)
        created = key not in fake.data
        fake.data[key] = request.value
        return mod.WritePluginKVResponse(created=created)

    def read(request: Any, context: grpc.ServicerContext) -> Any:
        fake.record("ReadPluginKV", request)
        value = fake.data.get((request.context.plugin_id, request.key))
        if value is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "key not found")
        return mod.ReadPluginKVResponse(value=value)

    def delete(request: Any, context: grpc.ServicerContext) -> Any:
        fake.record("DeletePluginKV", request)
        return mod.DeletePluginKVResponse(
            deleted=fake.data.pop((request.context.plugin_id, request.key), None) is not None)

    def get_app(request: Any, context: grpc.ServicerContext) -> Any:
        fake.record("GetApp", request)
        return mod.GetAppResponse(app=mod.AppInfo(id=request.app_id, name=f"app {request.app_id}"))

    def get_llm(request: Any, context: grpc.ServicerContext) -> Any:
        fake.record("GetLLM", request)
        return mod.GetLLMResponse(llm=mod.LLMInfo(id=request.llm_id, name="fake", vendor="openai",
                                                  default_model="gpt-4o"))

    def call_llm(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        fake.record("CallLLM", request)
        words = f"reply to {request.messages[-1].content}".split(" ")
        for word in words:
            yield mod.CallLLMResponse(success=True, content=word + " ")
        yield mod.CallLLMResponse(success=True, done=True)

    methods = {"WritePluginKV": write, "ReadPluginKV": read, "DeletePluginKV": delete,
               "GetApp": get_app, "GetLLM": get_llm}
    if hasattr(mod, "CallLLMRequest"):
        methods["CallLLM"] = call_llm
    return methods


class StudioManagement(ai_studio_management_pb2_grpc.AIStudioManagementServiceServicer):
    def __init__(self, fake: FakeKV) -> None:
        for name, fn in _kv_methods(ai_studio_management_pb2, fake).items():
            setattr(self, name, fn)


class GatewayManagement(microgateway_management_pb2_grpc.MicrogatewayManagementServiceServicer):
    def __init__(self, fake: FakeKV) -> None:
        for name, fn in _kv_methods(microgateway_management_pb2, fake).items():
            setattr(self, name, fn)


class FakeEvents(plugin_events_pb2_grpc.PluginEventServiceServicer):
    """PluginEventService: records publishes, lets the test push events to subscribers."""

    def __init__(self, fake: FakeKV) -> None:
        self.fake = fake
        self.subscribers: list["queue.Queue[plugin_events_pb2.EventMessage | None]"] = []
        self.cancelled = threading.Event()
        self._n = 0

    def Publish(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.fake.record("Publish", request)
        if not request.topic:
            return plugin_events_pb2.PublishResponse(success=False, error_message="topic is required")
        self._n += 1
        return plugin_events_pb2.PublishResponse(success=True, event_id=f"evt-{self._n}")

    def Subscribe(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        self.fake.record("Subscribe", request)
        q: "queue.Queue[plugin_events_pb2.EventMessage | None]" = queue.Queue()
        self.subscribers.append(q)
        context.add_callback(lambda: (self.cancelled.set(), q.put(None)))
        while True:
            item = q.get()
            if item is None or not context.is_active():
                return
            yield item

    def push(self, event: plugin_events_pb2.EventMessage) -> None:
        for q in list(self.subscribers):
            q.put(event)


def wait_until(predicate: Any, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached within {timeout} s")
