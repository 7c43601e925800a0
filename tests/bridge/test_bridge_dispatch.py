"""The bridge's hot path: the fast protobuf-to-envelope conversion gives exactly what
runtime.messages gives, and measure mode reports one dispatch sample per unary call."""

from __future__ import annotations

import pytest

from runtime.bridge.fastwire import from_envelope as fast_from
from runtime.bridge.fastwire import to_envelope as fast
from runtime.cli.bench import bench_request
from runtime.errors import AbiViolation
from runtime.messages import from_envelope, to_envelope as reference
from runtime.wire import plugin_pb2 as P

from bridge_helpers import EXAMPLES, Launcher

MESSAGES = [
    from_envelope(bench_request(), P.EnrichedRequest),
    P.EnrichedRequest(),
    P.PluginResponse(modified=True, body=b"\xff\x00caf\xc3\xa9", headers={"a": "b"}),
    P.AgentMessageRequest(user_message="hi", available_tools=[P.AgentToolInfo(name="t1"), P.AgentToolInfo()],
                          history=[P.AgentConversationMessage(role="user", content="x")]),
    P.EndpointResponseChunk(type=P.EndpointResponseChunk.BODY, data=b"\x80\x81", status_code=200),
    P.GetAppResponse(success=True, app=P.App(id=3, name="n", metadata={"k": "v"})),
    P.AuthResponse(authenticated=False, claims={"x": "y"}),
]


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: type(m).__name__)
def test_fast_conversion_matches_the_reference(msg: object) -> None:
    assert fast(msg) == reference(msg)  # type: ignore[arg-type]
    assert fast(msg) == reference(msg)  # type: ignore[arg-type]  # with the kinds learnt


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: type(m).__name__)
def test_fast_parsing_matches_the_reference(msg: object) -> None:
    env = reference(msg)  # type: ignore[arg-type]
    cls = type(msg)
    assert fast_from({**env, "not_a_field": 1}, cls) == from_envelope(env, cls) == msg  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [
    {"modified": "yes"}, {"headers": [1]}, {"body": 3}, {"headers": {"a": 1}},
    {"status_code": 1.5}, {"context_updates": {"k": 2}},
])
def test_fast_parsing_refuses_what_the_reference_refuses(bad: dict[str, object]) -> None:
    with pytest.raises(AbiViolation) as ref:
        from_envelope(bad, P.PluginResponse)
    with pytest.raises(AbiViolation) as got:
        fast_from(bad, P.PluginResponse)
    assert (got.value.code, got.value.message) == (ref.value.code, ref.value.message)


def test_fast_parsing_names_nested_fields() -> None:
    bad = {"request": {"headers": {"a": 1}}}
    with pytest.raises(AbiViolation) as ref:
        from_envelope(bad, P.EnrichedRequest)
    with pytest.raises(AbiViolation) as got:
        fast_from(bad, P.EnrichedRequest)
    assert got.value.message == ref.value.message and "request.headers" in got.value.message


@pytest.mark.slow
def test_measure_mode_reports_one_sample_per_unary_call(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher", env={"RUNTIME_SERVE_MEASURE": "1"})
    stub = proc.plugin_service()
    assert stub.Initialize(P.InitRequest(config={})).success
    for _ in range(25):
        assert stub.ProcessPostAuth(from_envelope(bench_request(), P.EnrichedRequest)).modified
    proc.stop()
    record = next(r for r in proc.log_records() if r["@message"] == "dispatch overhead")
    assert record["dispatch_n"] == 25
    assert 0 < record["dispatch_p50_us"] <= record["dispatch_p99_us"]


@pytest.mark.slow
def test_without_measure_mode_nothing_is_reported(launch: Launcher) -> None:
    proc = launch(EXAMPLES / "request_enricher")
    assert proc.plugin_service().ProcessPostAuth(P.EnrichedRequest()).modified in (True, False)
    proc.stop()
    assert not [r for r in proc.log_records() if r["@message"] == "dispatch overhead"]
