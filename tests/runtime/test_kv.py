"""KV stores: namespacing that no key can escape, TTL, list, atomic increment, limits, quota,
the same suite on every backend (memory, SQLite, Redis, PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Iterator

import pytest

from host_abi.errors import ErrorCode
from host_abi.limits import KV_MAX_KEY_CHARS, KV_MAX_VALUE_BYTES
from runtime.broker.kv import KVError, KVStore, MemoryKV, Quota, SQLiteKV
from service_servers import unique_name


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def open_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path, quota: Quota,
               clock: Callable[[], float]) -> KVStore:
    """A fresh, empty store of ``backend`` (Redis and PostgreSQL: the session's servers,
    tests/service_servers.py, under a fresh key prefix / table)."""
    if backend == "memory":
        return MemoryKV(quota, clock)
    if backend == "sqlite":
        return SQLiteKV(tmp_path / "kv.sqlite3", quota, clock)
    if backend == "redis":
        from runtime.broker.kv_redis import RedisKV
        return RedisKV(request.getfixturevalue("redis_url"), quota, clock,
                       prefix=unique_name("t") + ":")
    from runtime.broker.kv_postgres import PostgresKV
    return PostgresKV(request.getfixturevalue("postgres_url"), quota, clock, table=unique_name("kv"))


#: Every KV backend runs the same suite: the embedded ones and the shared ones.
BACKENDS = ["memory", "sqlite", "redis", "postgres"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[KVStore, Clock]]:
    clock = Clock()
    kv = open_store(request.param, request, tmp_path, Quota(max_bytes=10_000, max_keys=20), clock)
    yield kv, clock
    kv.close()


ESCAPES = ["../b/secret", "b/secret", "/b/secret", "b\\secret", "b:secret", "b_secret",
           "b" + "\u2215" + "secret", "\uff42/secret", "secret", "b", "%2e%2e/b/secret"]


def test_no_key_reaches_another_namespace(store: tuple[KVStore, Clock]) -> None:
    kv, _ = store
    kv.write("b", "secret", b"B's value", None)
    for key in ESCAPES:
        assert kv.read("a", key) is None, key
        kv.write("a", key, b"A wrote this", None)
    assert kv.read("b", "secret") == b"B's value"
    assert kv.list("b", "", 100) == ["secret"]
    assert sorted(kv.list("a", "", 100)) == sorted(ESCAPES)
    assert not kv.delete("a", "../b/secret") or kv.read("b", "secret") == b"B's value"


@pytest.mark.parametrize("key", ["", "a\x00b", "line\nbreak", "x" * (KV_MAX_KEY_CHARS + 1)])
def test_bad_keys_are_refused(store: tuple[KVStore, Clock], key: str) -> None:
    kv, _ = store
    with pytest.raises(KVError) as info:
        kv.write("a", key, b"v", None)
    assert info.value.code is ErrorCode.INVALID_ARGUMENT


def test_key_length_limit_both_sides(store: tuple[KVStore, Clock]) -> None:
    kv, _ = store
    kv.write("a", "k" * KV_MAX_KEY_CHARS, b"v", None)
    assert kv.read("a", "k" * KV_MAX_KEY_CHARS) == b"v"


def test_value_limit(tmp_path: Path) -> None:
    kv = MemoryKV(Quota(max_bytes=20 * 1024 * 1024))
    kv.write("a", "big", b"x" * KV_MAX_VALUE_BYTES, None)
    with pytest.raises(KVError) as info:
        kv.write("a", "bigger", b"x" * (KV_MAX_VALUE_BYTES + 1), None)
    assert info.value.code is ErrorCode.PAYLOAD_TOO_LARGE


def test_ttl_expires(store: tuple[KVStore, Clock]) -> None:
    kv, clock = store
    assert kv.write("a", "k", b"v", 10) is True
    clock.now += 9.9
    assert kv.read("a", "k") == b"v"
    clock.now += 0.2
    assert kv.read("a", "k") is None
    assert kv.list("a", "", 10) == []
    assert kv.write("a", "k", b"again", None) is True  # expired: created anew


def test_write_reports_created_and_delete_reports_existed(store: tuple[KVStore, Clock]) -> None:
    kv, _ = store
    assert kv.write("a", "k", b"1", None) is True
    assert kv.write("a", "k", b"2", None) is False
    assert kv.read("a", "k") == b"2"
    assert kv.delete("a", "k") is True
    assert kv.delete("a", "k") is False


def test_list_by_prefix_sorted_and_limited(store: tuple[KVStore, Clock]) -> None:
    kv, _ = store
    for k in ["user:2", "user:1", "order:1", "user:10"]:
        kv.write("a", k, b"v", None)
    assert kv.list("a", "user:", 10) == ["user:1", "user:10", "user:2"]
    assert kv.list("a", "user:", 2) == ["user:1", "user:10"]
    assert kv.list("a", "%", 10) == [] and kv.list("a", "_", 10) == []  # no LIKE wildcards


def test_increment_is_atomic_and_keeps_ttl(store: tuple[KVStore, Clock]) -> None:
    kv, clock = store
    assert kv.increment("a", "n", 1, 60) == 1
    assert kv.increment("a", "n", 5, None) == 6
    clock.now += 61
    assert kv.increment("a", "n", 1, None) == 1  # the window expired with the first TTL

    def bump() -> None:
        for _ in range(200):
            kv.increment("a", "c", 1, None)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert kv.read("a", "c") == b"800"


def test_increment_of_a_non_integer(store: tuple[KVStore, Clock]) -> None:
    kv, _ = store
    kv.write("a", "s", b"text", None)
    with pytest.raises(KVError) as info:
        kv.increment("a", "s", 1, None)
    assert info.value.code is ErrorCode.INVALID_ARGUMENT


def test_quota_by_bytes_and_keys(store: tuple[KVStore, Clock]) -> None:
    kv, _ = store
    kv.write("a", "big", b"x" * 9_000, None)
    with pytest.raises(KVError) as info:
        kv.write("a", "more", b"x" * 2_000, None)
    assert info.value.code is ErrorCode.QUOTA_EXCEEDED
    kv.write("a", "big", b"x" * 9_990, None)  # replacing counts the old value out
    kv.write("b", "more", b"x" * 2_000, None)  # other namespaces have their own quota
    for i in range(20):
        kv.write("c", f"k{i}", b"v", None)
    with pytest.raises(KVError):
        kv.write("c", "k20", b"v", None)
    assert kv.usage("c") == (sum(len(f"k{i}") + 1 for i in range(20)), 20)


def test_sqlite_survives_reopen_and_is_shared(tmp_path: Path) -> None:
    one = SQLiteKV(tmp_path / "kv.sqlite3")
    two = SQLiteKV(tmp_path / "kv.sqlite3")
    one.write("a", "k", b"v", None)
    assert two.read("a", "k") == b"v"
    one.close()
    two.close()
    again = SQLiteKV(tmp_path / "kv.sqlite3")
    assert again.read("a", "k") == b"v"
    mode = again._conn().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    again.close()
