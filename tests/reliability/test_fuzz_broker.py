"""Fuzzing every op of the op table through ``ServiceBroker.handle``: random and mutated
arguments for each op number (and unknown numbers). The op-payload target's examples are
spread over the ops (``per_item_settings``: 10,000 in the long mode is 233 per op). The
broker answers every call with an envelope (never raises); an error is a known code
other than INTERNAL (a bug in the host)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz_strategies import envelope_texts, fuzz_settings, json_values, mutated_text, per_item_settings
from host_abi.envelope import decode_answer, encode_args
from host_abi.errors import ErrorCode
from host_abi.ops import GATEWAY_SCOPES, OPS, SANDBOX_SCOPES, STUDIO_SCOPES, OpSpec
from runtime.broker.events import EventBus
from runtime.broker.fixtures import Fixtures
from runtime.broker.kv import MemoryKV, Quota
from runtime.broker.logs import PluginLogger
from runtime.broker.scheduler import Scheduler
from runtime.broker.services import CallState, ServiceBroker
from runtime.policy import EffectivePlugin, Limits

pytestmark = pytest.mark.fuzz

CODES = {c.name for c in ErrorCode}
ALL_SCOPES = frozenset(STUDIO_SCOPES | GATEWAY_SCOPES | SANDBOX_SCOPES)


def _plugin(runtime: str, scopes: frozenset[str]) -> EffectivePlugin:
    return EffectivePlugin(identity="fuzz", tier="wasm", trust="untrusted", runtime=runtime,
                           scopes=scopes, limits=Limits(max_host_calls=1 << 62), fail_policy={},
                           config={})


PLUGINS = {(r, granted): _plugin(r, ALL_SCOPES if granted else frozenset())
           for r in ("studio", "gateway") for granted in (True, False)}
BROKER = ServiceBroker(MemoryKV(Quota(max_bytes=1 << 20, max_keys=200)), PluginLogger(),
                       EventBus(lambda sub, event: None), Fixtures(),
                       Scheduler(lambda schedule, fire_at: None))

#: Values an argument may plausibly take, besides any JSON value.
_PLAUSIBLE = (st.text(max_size=30) | st.integers(-(2**70), 2**70) | st.floats()
              | st.sampled_from(["", "a", "../x", "\x00", "*", "0 * * * *", "UTC", "Mars/Olympus"])
              | st.binary(max_size=30).map(lambda b: b.decode("latin-1")))


@st.composite
def op_calls(draw: Any, spec: OpSpec) -> str:
    """An op request for ``spec``: its arguments with random values, extra keys, or a
    valid-looking envelope mutated, or any envelope text."""
    names = list(spec.args) or ["x"]
    args = draw(st.dictionaries(st.sampled_from(names) | st.text(max_size=8),
                                _PLAUSIBLE | json_values, max_size=len(names) + 2))
    text = encode_args(args)
    return draw(st.one_of(st.just(text), st.just(text), mutated_text(text), envelope_texts("args")))


def check_answer(answer: Any) -> None:
    assert isinstance(answer, str)
    ok, value = decode_answer(answer)
    if not ok:
        assert value["code"] in CODES, value
        assert value["code"] != "INTERNAL", value


@pytest.mark.parametrize("spec", OPS, ids=lambda s: s.name)
def test_fuzz_op(spec: OpSpec) -> None:
    @per_item_settings(len(OPS))
    @given(op_calls(spec), st.sampled_from(sorted(PLUGINS)), st.booleans())
    def run(payload: str, plugin_key: tuple[str, bool], streaming: bool) -> None:
        emit = (lambda chunk: False) if streaming else None
        state = CallState(PLUGINS[plugin_key], "process_post_auth", emit)
        started = time.monotonic()
        try:
            check_answer(BROKER.handle(state, spec.number, payload))
            # A stream opened by the call is read to the end and closed like a plugin would.
            for handle in list(state.streams):
                for _ in range(1000):
                    answer = BROKER.handle(state, 21, encode_args({"handle": handle}))
                    check_answer(answer)
                    if '"done":true' in answer or '"err"' in answer:
                        break
                check_answer(BROKER.handle(state, 22, encode_args({"handle": handle})))
        finally:
            state.close_streams()
        assert time.monotonic() - started < 5, "an op took more than 5 s"

    run()


@fuzz_settings()
@given(st.integers(-(2**63), 2**63) | st.sampled_from([0, 7, 99, 261, 1 << 32]), envelope_texts("args"))
def test_fuzz_unknown_op_numbers(op: int, payload: str) -> None:
    state = CallState(PLUGINS[("studio", True)], "process_post_auth")
    check_answer(BROKER.handle(state, op, payload))
