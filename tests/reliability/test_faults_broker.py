"""Fault injection: the connection to the host's service broker dropped. Under
``runtime serve`` the broker forwards ops to the AI Studio / Gateway host's management
service (runtime/broker/forwarding.py); here a fake Gateway host serves
``WritePluginKV`` on a Unix socket, goes away, and comes back. While it is gone, the
plugin's op answers SERVICE_UNAVAILABLE and the request gets its fail-policy answer;
once it is back, the same plugins are served again."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest

from reliability_helpers import TIERS, new_runtime
from runtime import Runtime
from runtime.broker.forwarding import ForwardingServices
from runtime.wire import microgateway_management_pb2 as mg

pytestmark = pytest.mark.faults

PATH = "/microgateway_management.MicrogatewayManagementService/WritePluginKV"


class FakeHost:
    """A Gateway host's management service that answers WritePluginKV."""

    def __init__(self, socket: Path) -> None:
        self.address = f"unix://{socket}"
        self.writes: list[str] = []
        self.server: grpc.Server | None = None

    def _write(self, request: Any, context: Any) -> Any:
        self.writes.append(request.key)
        return mg.WritePluginKVResponse(created=True)

    def start(self) -> None:
        from concurrent.futures import ThreadPoolExecutor
        server = grpc.server(ThreadPoolExecutor(max_workers=2))
        handler = grpc.method_handlers_generic_handler(
            "microgateway_management.MicrogatewayManagementService",
            {"WritePluginKV": grpc.unary_unary_rpc_method_handler(
                self._write, request_deserializer=mg.WritePluginKVRequest.FromString,
                response_serializer=mg.WritePluginKVResponse.SerializeToString)})
        server.add_generic_rpc_handlers((handler,))
        server.add_insecure_port(self.address)
        server.start()
        self.server = server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(None).wait(5)
            self.server = None


@pytest.fixture
def hosted(tmp_path: Path, wasm_built: bool) -> Iterator[tuple[Runtime, FakeHost]]:
    host = FakeHost(tmp_path / "broker.sock")
    host.start()
    channel = grpc.insecure_channel(host.address)
    rt = new_runtime(TIERS[0], names=("faulty", "faulty-open"))
    rt.broker.remote = ForwardingServices(lambda: channel, 1, "gateway")
    try:
        yield rt, host
    finally:
        rt.close()
        channel.close()
        host.stop()


def _post_auth(mode: str) -> dict[str, Any]:
    return {"request": {"method": "POST", "path": "/v1/chat", "headers": {"x-fault": mode}},
            "app_id": "7"}


def test_broker_connection_dropped(hosted: tuple[Runtime, FakeHost]) -> None:
    rt, host = hosted
    answer, error = rt.call_or_fail_answer("faulty", "process_post_auth", _post_auth("kvwrite"))
    assert error is None and host.writes == ["last"]
    host.stop()  # the host's broker goes away
    for name, expected in (("faulty", "closed"), ("faulty-open", "open")):
        started = time.monotonic()
        answer, error = rt.call_or_fail_answer(name, "process_post_auth", _post_auth("kvwrite"))
        assert error is not None and error.code == "SERVICE_UNAVAILABLE", error
        assert time.monotonic() - started < 5
        if expected == "closed":
            assert answer["block"] is True and answer["status_code"] == 503
        else:
            assert answer == {}
        # Hooks that need no host service are still served.
        answer, error = rt.call_or_fail_answer(name, "process_post_auth", _post_auth("ok"))
        assert error is None
    host.start()  # back on the same socket: the channel reconnects
    deadline = time.monotonic() + 30
    while True:
        answer, error = rt.call_or_fail_answer("faulty", "process_post_auth", _post_auth("kvwrite"))
        if error is None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert error is None, error
    assert host.writes == ["last", "last"]  # the write while it was gone never arrived
