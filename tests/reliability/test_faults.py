"""Fault injection: plugins that raise, answer garbage, time out, trap or exit (alone and
in the middle of a chain), a KV backend that is down, broken or slow, and a crash loop.

For each fault: the request gets the hook's fail-policy answer (never an exception, never
a hang), the records a data collector could not take are counted as dropped, a broken
instance is replaced and the next request is served, and a crash loop opens the
plugin's circuit breaker, which half-opens after its cool-down and closes on success.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from host_abi.hooks import HOOKS_BY_NAME
from reliability_helpers import SUBINTERP_STOPS_LOOPS, TIERS, TIMEOUT_MS, FlakyKV
from runtime import Runtime
from runtime.broker.kv import MemoryKV
from runtime.chain import Chain, HttpRequest, HttpResponse
from runtime.dispatch import PluginStatistics

pytestmark = pytest.mark.faults

#: Slack on top of a deadline for a loaded 2-core machine (epoch tick, replacement).
SLACK_S = 1.5


@dataclass(frozen=True)
class Fault:
    mode: str
    code: str
    #: True when the fault breaks the instance (it must be replaced).
    breaks: bool
    tiers: tuple[str, ...]


FAULTS = [
    Fault("raise", "PLUGIN_RAISED", False, ("wasm", "subinterpreter", "inprocess")),
    Fault("garbage", "BAD_RETURN", False, ("wasm", "subinterpreter", "inprocess")),
    Fault("envelope", "MALFORMED_ENVELOPE", False, ("wasm",)),
    Fault("sleep", "DEADLINE_EXCEEDED", True, ("wasm", "subinterpreter", "inprocess")),
    Fault("spin", "DEADLINE_EXCEEDED", True,
          ("wasm", "subinterpreter") if SUBINTERP_STOPS_LOOPS else ("wasm",)),
    Fault("trap", "SANDBOX_BROKEN", True, ("wasm",)),
    Fault("exit", "SANDBOX_BROKEN", True, ("wasm",)),
]


def _request(mode: str) -> dict[str, Any]:
    return {"method": "POST", "path": "/v1/chat", "headers": {"x-fault": mode},
            "body": "{}", "context": {"request_id": "r1"}}


def message(hook: str, mode: str) -> dict[str, Any]:
    """A request of ``hook`` that makes faulty fail as ``mode``."""
    if hook == "process_pre_auth":
        return _request(mode)
    if hook == "process_post_auth":
        return {"request": _request(mode), "app_id": "7", "authenticated": True}
    if hook == "authenticate":
        return {"credential": f"fault:{mode}", "auth_type": "bearer", "request": _request("ok")}
    if hook == "handle_proxy_log":
        return {"app_id": 7, "request_id": f"{mode}:1", "response_code": 200}
    raise AssertionError(hook)


#: (identity, hook, expected fail-policy answer, record dropped)
TARGETS = [
    ("faulty", "process_pre_auth", "closed", False),
    ("faulty", "authenticate", "closed", False),
    ("faulty-open", "process_post_auth", "open", False),
    ("faulty", "handle_proxy_log", "open", True),
    ("faulty-open", "handle_proxy_log", "closed", True),
]


def expected_answer(hook: str, policy: str) -> dict[str, Any]:
    spec = HOOKS_BY_NAME[hook]
    template = spec.fail_open if policy == "open" else spec.fail_closed
    assert template is not None
    return dict(template)


def _delta(after: PluginStatistics, before: PluginStatistics) -> dict[str, int]:
    return {k: v - getattr(before, k) for k, v in vars(after).items()}


def _cases() -> list[Any]:
    return [pytest.param(tier, fault, target, id=f"{tier}-{fault.mode}-{target[0]}-{target[1]}")
            for tier in TIERS for fault in FAULTS if tier in fault.tiers for target in TARGETS]


def _call(rt: Runtime, identity: str, hook: str, mode: str) -> tuple[dict[str, Any], Any, float]:
    started = time.monotonic()
    if mode == "envelope":  # arms a forged answer for the next call of the instance
        answer, error = rt.call_or_fail_answer(identity, hook, message(hook, "envelope"))
        assert error is None, error
        mode = "ok"
    answer, error = rt.call_or_fail_answer(identity, hook, message(hook, mode))
    return answer, error, time.monotonic() - started


@pytest.mark.parametrize("tier,fault,target", _cases())
def test_fault_answered_by_fail_policy(runtimes: dict[str, Runtime], tier: str, fault: Fault,
                                       target: tuple[str, str, str, bool]) -> None:
    identity, hook, policy, is_record = target
    rt = runtimes[tier]
    host = rt.plugin(identity)
    before = host.statistics()
    answer, error, elapsed = _call(rt, identity, hook, fault.mode)
    assert error is not None and error.code == fault.code, error
    # The fail-policy answer, with the reason filled in where the template has one.
    expected = expected_answer(hook, policy)
    assert set(answer) == set(expected)
    for key, value in expected.items():
        if value == "{reason}":
            assert answer[key].startswith(f"plugin {identity} failed ({fault.code})")
        else:
            assert answer[key] == value, key
    assert elapsed < TIMEOUT_MS / 1000 + SLACK_S
    delta = _delta(host.statistics(), before)
    assert delta["fail_policy_answers"] == 1
    assert delta["records_dropped"] == (1 if is_record else 0)
    assert delta["instances_replaced"] == (1 if fault.breaks else 0)
    assert delta["circuit_opened"] == 0
    # The plugin serves the next request (on a replacement instance where it broke).
    answer, error = rt.call_or_fail_answer(identity, hook, message(hook, "ok"))
    assert error is None, error
    assert answer != expected


# -- a plugin failing in the middle of a chain ---------------------------------------------
def _upstream(req: HttpRequest) -> HttpResponse:
    return HttpResponse(200, {"content-type": "application/json"}, b'{"ok":true}')


def _chain(rt: Runtime, post_auth: str) -> Chain:
    return Chain(rt, pre_auth=["steady"], auth="faulty", post_auth=["steady", post_auth],
                 on_response=["steady"], collectors=["faulty", "steady"])


def _http(mode: str, credential: str = "fault:ok", request_id: str = "ok:1") -> HttpRequest:
    return HttpRequest("POST", "/v1/chat", {"authorization": f"Bearer {credential}",
                                            "x-fault": mode}, b"{}", request_id=request_id)


@pytest.mark.parametrize("tier", TIERS)
def test_plugin_dies_mid_chain(make_runtime: Any, tier: str) -> None:
    rt = make_runtime(tier)
    mode = "exit" if tier == "wasm" else "sleep"
    code = "SANDBOX_BROKEN" if tier == "wasm" else "DEADLINE_EXCEEDED"
    # Fail closed (post_auth's default): the chain stops with 503, nothing after it runs.
    result = _chain(rt, "faulty").handle(_http(mode), _upstream)
    assert result.response.status == 503
    assert result.blocked_by == "faulty"
    assert [s.hook for s in result.steps] == ["pre_auth", "auth", "post_auth", "post_auth"]
    assert code in result.steps[-1].detail
    # Fail open (the operator's choice): the request carries on to the upstream and the
    # collectors; the steady collector takes the record.
    result = _chain(rt, "faulty-open").handle(_http(mode), _upstream)
    assert result.response.status == 200
    failed = [s for s in result.steps if s.outcome == "failed"]
    assert [(s.plugin, s.hook) for s in failed] == [("faulty-open", "post_auth")]
    assert code in failed[0].detail
    assert [s.outcome for s in result.steps if s.hook == "data_collection"] == ["collected"] * 2
    # Auth fails closed: 401, never an open door.
    result = _chain(rt, "faulty-open").handle(_http("ok", credential=f"fault:{mode}"), _upstream)
    assert result.response.status == 401
    # A collector failing after the response: the client's answer is intact, the record
    # is counted as dropped, the other collector still takes it.
    dropped = rt.plugin("faulty").statistics().records_dropped
    result = _chain(rt, "faulty-open").handle(_http("ok", request_id=f"{mode}:2"), _upstream)
    assert result.response.status == 200
    assert [s.outcome for s in result.steps if s.hook == "data_collection"] == ["failed", "collected"]
    assert rt.plugin("faulty").statistics().records_dropped == dropped + 1
    # Every instance that broke was replaced: the same chain serves a clean request.
    result = _chain(rt, "faulty").handle(_http("ok"), _upstream)
    assert result.response.status == 200
    assert not [s for s in result.steps if s.outcome == "failed"]


# -- the circuit breaker ---------------------------------------------------------------------
@pytest.mark.parametrize("tier", TIERS)
def test_crash_loop_opens_the_breaker(make_runtime: Any, tier: str) -> None:
    rt = make_runtime(tier, names=("crashloop",))
    host = rt.plugin("crashloop")
    mode = "trap" if tier == "wasm" else "sleep"
    hook = "process_post_auth"
    closed_answer = expected_answer(hook, "closed")
    for _ in range(3):  # breaker_failures: 3
        answer, error = rt.call_or_fail_answer("crashloop", hook, message(hook, mode))
        assert error is not None and error.code != "SERVICE_UNAVAILABLE"
    stats = host.statistics()
    assert stats.instances_replaced == 3 and stats.circuit_opened == 1
    assert host.breaker.state == "open"
    # Open: refused at once with the fail-policy answer; no instance runs or is replaced,
    # whatever the request (a clean one too).
    for mode_now in (mode, "ok"):
        started = time.monotonic()
        answer, error = rt.call_or_fail_answer("crashloop", hook, message(hook, mode_now))
        assert time.monotonic() - started < 0.25
        assert error is not None and error.code == "SERVICE_UNAVAILABLE"
        assert error.message.startswith("circuit open")
        assert answer["block"] is True and answer["status_code"] == closed_answer["status_code"]
    stats = host.statistics()
    assert stats.instances_replaced == 3 and stats.circuit_rejected == 2
    # Half-open after the cool-down (300 ms): a failing trial opens it again at once.
    time.sleep(0.35)
    answer, error = rt.call_or_fail_answer("crashloop", hook, message(hook, mode))
    assert error is not None and error.code != "SERVICE_UNAVAILABLE"
    assert host.breaker.state == "open" and host.statistics().circuit_opened == 2
    answer, error = rt.call_or_fail_answer("crashloop", hook, message(hook, "ok"))
    assert error is not None and error.code == "SERVICE_UNAVAILABLE"
    # A successful trial closes it: the plugin serves again, and failures count from zero.
    time.sleep(0.35)
    answer, error = rt.call_or_fail_answer("crashloop", hook, message(hook, "ok"))
    assert error is None and answer["modified"] is True
    assert host.breaker.state == "closed"
    answer, error = rt.call_or_fail_answer("crashloop", hook, message(hook, mode))
    assert error is not None and error.code != "SERVICE_UNAVAILABLE"
    assert host.breaker.state == "closed"


@pytest.mark.parametrize("tier", TIERS)
def test_failures_that_keep_the_instance_do_not_open_the_breaker(make_runtime: Any, tier: str) -> None:
    rt = make_runtime(tier, names=("crashloop",))
    hook = "process_post_auth"
    for i in range(12):
        _, error = rt.call_or_fail_answer("crashloop", hook,
                                          message(hook, "raise" if i % 2 else "garbage"))
        assert error is not None and error.code in ("PLUGIN_RAISED", "BAD_RETURN")
    stats = rt.plugin("crashloop").statistics()
    assert stats.circuit_opened == 0 and stats.circuit_rejected == 0
    assert stats.instances_replaced == 0
    assert rt.plugin("crashloop").breaker.state == "closed"


# -- the KV backend down, broken or slow ------------------------------------------------------
@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("kv_mode,code", [("down", "SERVICE_UNAVAILABLE"), ("broken", "INTERNAL"),
                                          ("slow", "DEADLINE_EXCEEDED")])
def test_kv_backend_faults(make_runtime: Any, tier: str, kv_mode: str, code: str) -> None:
    kv = FlakyKV(MemoryKV(), delay_s=TIMEOUT_MS / 1000 + 0.3)
    rt = make_runtime(tier, kv=kv, names=("faulty-open",))
    hook = "process_post_auth"
    answer, error = rt.call_or_fail_answer("faulty-open", hook, message(hook, "kv"))
    assert error is None
    kv.mode = kv_mode
    started = time.monotonic()
    answer, error = rt.call_or_fail_answer("faulty-open", hook, message(hook, "kv"))
    elapsed = time.monotonic() - started
    # Down or broken: the op's error reached the plugin, which let it through (its code
    # is the call's); slow: the deadline.
    assert error is not None and error.code == code, error
    assert answer == expected_answer(hook, "open")  # faulty-open: post_auth fails open
    assert elapsed < kv.delay_s + SLACK_S
    # A collector whose KV is down: the record is answered fail-open and counted dropped.
    # With a slow KV, steady (5 s deadline) takes the record late.
    steady = rt.plugin("steady")
    dropped = steady.statistics().records_dropped
    answer, error = rt.call_or_fail_answer("steady", "handle_proxy_log", message("handle_proxy_log", "ok"))
    if kv_mode == "slow":
        assert error is None and answer["handled"] is True
        assert steady.statistics().records_dropped == dropped
    else:
        assert error is not None and answer == expected_answer("handle_proxy_log", "open")
        assert steady.statistics().records_dropped == dropped + 1
    # The backend recovers: the same plugins serve again, and the counters hold exactly
    # the increments that were acknowledged.
    kv.mode = "up"
    time.sleep(kv.delay_s if kv_mode == "slow" else 0)  # let an abandoned slow op finish
    answer, error = rt.call_or_fail_answer("faulty-open", hook, message(hook, "kv"))
    assert error is None and answer["modified"] is True
    answer, error = rt.call_or_fail_answer("steady", "handle_proxy_log", message("handle_proxy_log", "ok"))
    assert error is None and answer["handled"] is True
    if kv_mode == "slow":  # the slow increment completed late; steady took both records
        assert rt.kv.read("faulty-open", "hits") == b"3"
        assert rt.kv.read("steady", "count") == b"2"
    else:  # the refused increments never happened
        assert rt.kv.read("faulty-open", "hits") == b"2"
        assert rt.kv.read("steady", "count") == b"1"


# -- a storm of mixed faults: every request answered ---------------------------------------
@pytest.mark.parametrize("tier", TIERS)
def test_every_request_answered_under_mixed_faults(make_runtime: Any, tier: str) -> None:
    rt = make_runtime(tier)
    modes = [f.mode for f in FAULTS if tier in f.tiers and f.mode not in ("envelope", "sleep", "spin")]
    modes += ["ok"] * len(modes)
    rng = random.Random(9)
    plans = [(rng.choice(modes), rng.choice(modes), rng.choice(modes), rng.choice(modes))
             for _ in range(120)]
    results: list[int] = []
    lock = threading.Lock()

    def run(part: list[tuple[str, str, str, str]]) -> None:
        for post, cred, record, chain_kind in part:
            chain = _chain(rt, "faulty-open" if chain_kind == "ok" else "faulty")
            result = chain.handle(_http(post, credential=f"fault:{cred}",
                                        request_id=f"{record}:1"), _upstream)
            with lock:
                results.append(result.response.status)

    threads = [threading.Thread(target=run, args=(plans[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a request was left without an answer"
    assert len(results) == len(plans)
    assert set(results) <= {200, 401, 503}
    replaced = sum(rt.plugin(n).statistics().instances_replaced for n in ("faulty", "faulty-open"))
    print(f"\n[faults] {tier}: {len(plans)} chained requests with faults, {len(results)} answered "
          f"({results.count(200)} x 200, {results.count(401)} x 401, {results.count(503)} x 503), "
          f"{replaced} instances replaced, "
          f"{sum(rt.plugin(n).statistics().fail_policy_answers for n in ('faulty', 'faulty-open'))} "
          f"fail-policy answers, "
          f"{sum(rt.plugin(n).statistics().records_dropped for n in ('faulty', 'faulty-open'))} "
          f"records counted dropped")
