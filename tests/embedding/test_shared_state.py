"""Shared state across gateway instances: the KV and event-bus backends chosen by URL
(Redis, PostgreSQL), reached from several clients and processes at once.

The same-semantics suite of every KV backend is tests/runtime/test_kv.py (parametrised
over memory, sqlite, redis and postgres); this file covers what only a shared backend
has: several clients, several processes, the server's clock, the bus between runtimes,
and choosing them through RuntimeConfig, the policy and the CLI.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from host_abi.errors import ErrorCode
from runtime import Runtime, RuntimeConfig
from runtime.broker.events import Event, EventBus, Subscription
from runtime.broker.kv import KVError, KVStore, MemoryKV, SQLiteKV
from runtime.broker.shared_state import event_bus_from_url, kv_from_url
from runtime.cli.main import cli
from runtime.errors import ServiceFailure, UsageError
from runtime.policy import policy_from_dict
from service_servers import free_port, unique_name

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "tests" / "plugins"


def _redis(redis_url: str, prefix: str) -> str:
    return f"{redis_url}?prefix={prefix}:"


def _postgres(postgres_url: str, table: str) -> str:
    return f"{postgres_url}?table={table}"


@pytest.fixture(params=["redis", "postgres"])
def shared_url(request: pytest.FixtureRequest) -> str:
    """A kv_url of a fresh, empty store on each shared backend."""
    if request.param == "redis":
        return _redis(request.getfixturevalue("redis_url"), unique_name("t"))
    return _postgres(request.getfixturevalue("postgres_url"), unique_name("kv"))


def test_kv_from_url_picks_the_backend(tmp_path: Path, redis_url: str, postgres_url: str) -> None:
    from runtime.broker.kv_postgres import PostgresKV
    from runtime.broker.kv_redis import RedisKV
    cases: list[tuple[str, type[KVStore]]] = [
        ("memory:", MemoryKV), (f"sqlite:///{tmp_path}/kv.sqlite3", SQLiteKV),
        (_redis(redis_url, unique_name("t")), RedisKV),
        (_postgres(postgres_url, unique_name("kv")), PostgresKV)]
    for url, cls in cases:
        kv = kv_from_url(url)
        try:
            assert type(kv) is cls
            kv.write("a", "k", b"v", None)
            assert kv.read("a", "k") == b"v"
        finally:
            kv.close()
    assert (tmp_path / "kv.sqlite3").is_file()


@pytest.mark.parametrize("url", ["mysql://x/y", "kv.sqlite3", "http://127.0.0.1/"])
def test_an_unknown_scheme_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError) as info:
        kv_from_url(url)
    assert "scheme must be one of" in info.value.message


def test_an_unreachable_server_is_service_unavailable() -> None:
    port = free_port()  # nothing listens there
    for url in (f"redis://127.0.0.1:{port}/0", f"postgresql://gps@127.0.0.1:{port}/gps"):
        started = time.monotonic()
        with pytest.raises(ServiceFailure) as info:
            kv_from_url(url)
        assert info.value.code == "SERVICE_UNAVAILABLE", url
        assert str(port) in info.value.message
        assert time.monotonic() - started < 10


def test_a_password_never_reaches_a_message() -> None:
    port = free_port()
    with pytest.raises(ServiceFailure) as info:
        kv_from_url(f"redis://:hunter2@127.0.0.1:{port}/0")
    assert "hunter2" not in info.value.message and "***" in info.value.message


def test_a_server_going_away_is_a_structured_error_then_recovers(redis_url: str) -> None:
    from runtime.broker.kv_redis import RedisKV
    kv = RedisKV(redis_url, prefix=unique_name("t") + ":")
    kv.write("a", "k", b"v", None)
    kv.client.connection_pool.disconnect()  # the connection drops; the next op reconnects
    assert kv.read("a", "k") == b"v"
    kv.close()


def test_two_clients_share_one_store(shared_url: str) -> None:
    one, two = kv_from_url(shared_url), kv_from_url(shared_url)
    try:
        one.write("rl", "k", b"from one", None)
        assert two.read("rl", "k") == b"from one"
        assert two.increment("rl", "n", 2, 60) == 2
        assert one.increment("rl", "n", 3, None) == 5
        assert one.list("rl", "", 10) == ["k", "n"]
        assert two.usage("rl") == (len("kfrom one") + len("n5"), 2)
        assert two.delete("rl", "k") and one.read("rl", "k") is None
    finally:
        one.close()
        two.close()


def test_ttl_runs_on_the_servers_clock(shared_url: str) -> None:
    kv = kv_from_url(shared_url)  # the default clock: the server decides expiry
    try:
        kv.write("a", "short", b"v", 0.4)
        assert kv.increment("a", "window", 1, 0.4) == 1
        kv.write("a", "long", b"v", 60)
        assert kv.read("a", "short") == b"v"
        deadline = time.monotonic() + 5
        while kv.read("a", "short") is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert kv.read("a", "short") is None
        assert kv.increment("a", "window", 1, 0.4) == 1  # a new window
        assert kv.list("a", "", 10) == ["long", "window"]
    finally:
        kv.close()


def _bump(url: str, n: int, results: Any) -> None:
    kv = kv_from_url(url)
    try:
        results.put([kv.increment("shared", "counter", 1, 600) for _ in range(n)])
    finally:
        kv.close()


def test_increments_from_two_processes_are_atomic(shared_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=_bump, args=(shared_url, 150, results)) for _ in range(2)]
    for p in procs:
        p.start()
    seen = results.get(timeout=60) + results.get(timeout=60)
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert sorted(seen) == list(range(1, 301))  # every value handed out exactly once
    kv = kv_from_url(shared_url)
    assert kv.read("shared", "counter") == b"300"
    kv.close()


# -- the event bus over Redis --------------------------------------------------------------
class Collector:
    def __init__(self) -> None:
        self.got: list[tuple[str, Event]] = []

    def __call__(self, sub: Subscription, event: Event) -> None:
        self.got.append((sub.plugin, event))


def _wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_events_reach_every_runtime_on_the_redis_bus_once(redis_url: str) -> None:
    url = _redis(redis_url, unique_name("t"))
    a_seen, b_seen = Collector(), Collector()
    a = event_bus_from_url(url, a_seen, node="gw-a")
    b = event_bus_from_url(url, b_seen, node="gw-b")
    other = event_bus_from_url(_redis(redis_url, unique_name("other")), Collector(), node="gw-c")
    try:
        a.subscribe("audit", "orders")
        b.subscribe("audit", "orders")
        b.subscribe("everything", None)
        b.subscribe("audit", "other-topic")
        other.subscribe("audit", None)
        sent = a.publish("shop", "orders", b"\x00\xffbytes", 0)
        assert sent.origin == "plugin:shop@gw-a"
        assert _wait_for(lambda: len(a_seen.got) == 1 and len(b_seen.got) == 2)
        time.sleep(0.2)  # nothing more arrives
        assert [(p, e.id) for p, e in a_seen.got] == [("audit", sent.id)]
        assert sorted(p for p, _ in b_seen.got) == ["audit", "everything"]
        assert all(e == sent for _, e in a_seen.got + b_seen.got)  # payload bytes intact
        assert other.statistics()["received"] == 0  # another prefix is another bus
        assert a.statistics()["published"] == 1 and b.statistics()["received"] == 1
    finally:
        for bus in (a, b, other):
            bus.close()


def test_the_bus_url_is_checked() -> None:
    assert type(event_bus_from_url(None, Collector())) is EventBus
    with pytest.raises(UsageError):
        event_bus_from_url("postgresql://x/y", Collector())
    with pytest.raises(ServiceFailure) as info:
        event_bus_from_url(f"redis://127.0.0.1:{free_port()}/0", Collector())
    assert info.value.code == "SERVICE_UNAVAILABLE"


# -- through the runtime ---------------------------------------------------------------------
def _pre_auth(addr: str) -> dict[str, Any]:
    return {"method": "POST", "path": "/v1/chat/completions", "remote_addr": addr,
            "headers": {}, "body": "{}"}


def test_two_runtimes_share_rate_limits_through_the_policy(redis_url: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPS_TEST_KV", _redis(redis_url, unique_name("t")))
    policy = policy_from_dict({"version": 1, "services": {"kv_url": "${GPS_TEST_KV}"},
                               "plugins": {"rate_limiter": {"config": {"limit": 3}}}})
    runtimes = [Runtime(RuntimeConfig(policy=policy, tier="inprocess")) for _ in range(2)]
    try:
        for rt in runtimes:
            rt.load(REPO / "examples" / "rate_limiter")
        blocked = [runtimes[i % 2].call("rate_limiter", "process_pre_auth",
                                        _pre_auth("198.51.100.7:1")).get("block", False)
                   for i in range(6)]
        assert blocked == [False, False, False, True, True, True]
        assert runtimes[0].kv.read("rate_limiter", "rl:remote_addr:198.51.100.7") == b"6"
        assert not (tmp_path / "kv.sqlite3").exists()
    finally:
        for rt in runtimes:
            rt.close()


def test_runtime_config_kv_url_beats_the_policy(redis_url: str, postgres_url: str) -> None:
    pg = _postgres(postgres_url, unique_name("kv"))
    policy = policy_from_dict({"version": 1, "services": {"kv_url": _redis(redis_url, "unused")}})
    with Runtime(RuntimeConfig(policy=policy, kv_url=pg, tier="inprocess")) as rt:
        assert type(rt.kv).__name__ == "PostgresKV"
    with Runtime(RuntimeConfig(policy=policy, ephemeral=True, tier="inprocess")) as rt:
        assert type(rt.kv) is MemoryKV  # an explicit choice of the embedder wins


def test_events_cross_runtimes(redis_url: str) -> None:
    url = _redis(redis_url, unique_name("t"))
    pub = Runtime(RuntimeConfig(kv_url=url, events_url=url, node="gw-1", tier="inprocess"))
    sub = Runtime(RuntimeConfig(kv_url=url, events_url=url, node="gw-2", tier="inprocess"))
    try:
        pub.load(PLUGINS / "publisher")
        sub.load(PLUGINS / "named_handler")
        request = {"request": {"method": "POST", "path": "/", "headers": {}, "body": ""}}
        sub.call("named_handler", "process_post_auth", request)  # subscribes to "orders"
        answer = pub.call("publisher", "process_post_auth", {"request": {
            "method": "POST", "path": "/", "headers": {"x-topic": "orders"}, "body": "order 66"}})
        event_id = answer["headers"]["x-event-id"]
        key = f"order:{event_id}"
        assert _wait_for(lambda: sub.kv.read("named_handler", key) is not None)
        assert pub.kv.read("named_handler", key) == b"order 66"  # one KV for both
    finally:
        pub.close()
        sub.close()


def _cli(args: list[str]) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["call", str(REPO / "examples" / "rate_limiter"), "--hook",
                                      "process_pre_auth", "--tier", "inprocess", *args])
    return result.exit_code, json.loads(result.stdout.splitlines()[0])


def test_runtime_call_kv_url(tmp_path: Path, shared_url: str) -> None:
    request = {"remoteAddr": "192.0.2.7:4242", "body": base64.b64encode(b"{}").decode()}
    (tmp_path / "in.json").write_text(json.dumps(request))
    args = ["--kv-url", shared_url, "--input", str(tmp_path / "in.json"), "--config", "limit=1"]
    code, first = _cli(args)
    assert code == 0 and first["block"] is False, first
    code, second = _cli(args)
    assert code == 0 and second["block"] is True and second["status_code"] == 429, second
    code, both = _cli(args + ["--ephemeral"])
    assert code == 2 and "exclude each other" in both["error"]["message"]
    code, down = _cli(["--kv-url", f"redis://127.0.0.1:{free_port()}/0"])
    assert code == 1 and down["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_errors_keep_their_codes_on_shared_backends(shared_url: str) -> None:
    kv = kv_from_url(shared_url)
    try:
        kv.write("a", "s", b"text", None)
        with pytest.raises(KVError) as info:
            kv.increment("a", "s", 1, None)
        assert info.value.code is ErrorCode.INVALID_ARGUMENT
        with pytest.raises(KVError) as info:
            kv.write("a", "\ud800", b"v", None)  # not encodable: refused, not a crash
        assert info.value.code is ErrorCode.INVALID_ARGUMENT
    finally:
        kv.close()
