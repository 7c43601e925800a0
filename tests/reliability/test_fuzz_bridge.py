"""Fuzzing every RPC of the bridge's servicers (``plugin.PluginService`` and
``config_provider.ConfigProviderService``) in-process with random and mutated protobuf
requests, against the steady test plugin on the wasm tier (in-process when wasm is not
installed). Every call answers its response message or ends with a gRPC status whose
details name a known code; never another exception, never INTERNAL from the bridge
itself, never a hang.

``OpenSession`` is left out: it is the session loop, an RPC that blocks by design until
the host closes the session or its ``timeout_ms`` (up to hours) runs out.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import grpc
import pytest
from google.protobuf.message import Message
from hypothesis import given

from fuzz_strategies import messages, per_item_settings
from host_abi.errors import ErrorCode
from host_abi.hooks import HOOKS, HookSpec
from reliability_helpers import STEADY, TIERS, cache_dir
from runtime import Runtime, RuntimeConfig
from runtime.bridge.servicers import (CONFIG_PROVIDER_SERVICE, PLUGIN_SERVICE,
                                      ConfigProviderServicer, PluginServiceServicer)
from runtime.messages import message_class

pytestmark = pytest.mark.fuzz

CODES = {c.name for c in ErrorCode}
RPCS = [spec for spec in HOOKS if spec.service in (PLUGIN_SERVICE, CONFIG_PROVIDER_SERVICE)
        and spec.rpc and spec.name != "open_session"]


class Aborted(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code, self.details = code, details


class FakeContext:
    """The part of grpc.ServicerContext the servicers use."""

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise Aborted(code, details)

    def is_active(self) -> bool:
        return True

    def time_remaining(self) -> float:
        return 30.0

    def invocation_metadata(self) -> tuple[Any, ...]:
        return ()


@pytest.fixture(scope="module")
def servicers(wasm_built: bool) -> Iterator[dict[str, Any]]:
    tier = TIERS[0]
    rt = Runtime(RuntimeConfig(tier=tier, ephemeral=True))
    if tier == "wasm":
        from runtime.backends.wasm import WasmBackend
        rt._backends["wasm"] = WasmBackend(cache_dir=cache_dir())
    host = rt.load(STEADY, name="steady")
    yield {PLUGIN_SERVICE: PluginServiceServicer(host), CONFIG_PROVIDER_SERVICE: ConfigProviderServicer(host)}
    rt.close()


@pytest.mark.parametrize("spec", RPCS, ids=lambda s: f"{s.service.split('.')[0]}.{s.rpc}")
def test_fuzz_rpc(servicers: dict[str, Any], spec: HookSpec) -> None:
    request_cls = message_class(spec.request)
    response_cls = message_class(spec.response)
    assert request_cls is not None and response_cls is not None
    method = getattr(servicers[spec.service], str(spec.rpc))

    @per_item_settings(len(RPCS))
    @given(messages(request_cls))
    def run(request: Message) -> None:
        started = time.monotonic()
        try:
            if spec.streaming:
                out = list(method(request, FakeContext()))
                assert all(isinstance(m, response_cls) for m in out)
            else:
                assert isinstance(method(request, FakeContext()), response_cls)
        except Aborted as exc:
            code = exc.details.partition(":")[0]
            assert code in CODES, exc
            assert code != "INTERNAL", exc
        assert time.monotonic() - started < 10, "an RPC took more than 10 s"

    run()
