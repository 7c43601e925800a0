"""Key-value stores behind the ``kv.*`` ops.

Entries are addressed by ``(namespace, key)`` kept as two separate values all the way
down (a tuple in memory, two columns in SQLite): no string a plugin writes can be
joined into another plugin's namespace, whatever it contains (``../``, separators,
NUL, prefixes, look-alike characters). The namespace is the identity the operator
assigned to the plugin, never something the plugin chose.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from host_abi.errors import ErrorCode
from host_abi.limits import (KV_DEFAULT_QUOTA_BYTES, KV_DEFAULT_QUOTA_KEYS, KV_MAX_KEY_CHARS,
                             KV_MAX_VALUE_BYTES)

__all__ = ["KVStore", "MemoryKV", "SQLiteKV", "KVError", "Quota", "check_key", "check_value",
           "quota_exceeded"]


class KVError(Exception):
    """A KV op was refused; ``code`` is an ErrorCode."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Quota:
    """What one namespace may hold."""

    max_bytes: int = KV_DEFAULT_QUOTA_BYTES
    max_keys: int = KV_DEFAULT_QUOTA_KEYS


def check_key(key: object) -> str:
    """Validate a key: a non-empty string of at most 255 characters, no control characters.

    Raises:
        KVError: INVALID_ARGUMENT.
    """
    if not isinstance(key, str) or not key:
        raise KVError(ErrorCode.INVALID_ARGUMENT, "a KV key must be a non-empty string")
    if len(key) > KV_MAX_KEY_CHARS:
        raise KVError(ErrorCode.INVALID_ARGUMENT,
                      f"KV key of {len(key)} characters exceeds {KV_MAX_KEY_CHARS}")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        raise KVError(ErrorCode.INVALID_ARGUMENT, "a KV key may not contain control characters (NUL included)")
    return key


def check_value(value: bytes) -> None:
    """Validate a value's size.

    Raises:
        KVError: PAYLOAD_TOO_LARGE.
    """
    if len(value) > KV_MAX_VALUE_BYTES:
        raise KVError(ErrorCode.PAYLOAD_TOO_LARGE,
                      f"KV value of {len(value)} bytes exceeds {KV_MAX_VALUE_BYTES}")


_check_value = check_value


def quota_exceeded(quota: Quota) -> KVError:
    """The error every backend raises when a write would exceed a namespace's quota."""
    return KVError(ErrorCode.QUOTA_EXCEEDED,
                   f"namespace quota of {quota.max_bytes} bytes / {quota.max_keys} keys exceeded")


class KVStore(ABC):
    """The interface every KV backend implements. All methods are thread-safe.

    Backends: :class:`MemoryKV`, :class:`SQLiteKV` (embedded),
    :class:`runtime.broker.kv_redis.RedisKV` and
    :class:`runtime.broker.kv_postgres.PostgresKV` (shared by several gateways; see
    :func:`runtime.broker.shared_state.kv_from_url`). Every backend keeps the same
    semantics: ``(ns, key)`` addressing, TTL measured on ``clock``, list by prefix in
    code-point order, atomic increment whose TTL is set by the increment that creates
    the key, and the per-namespace :class:`Quota`.
    """

    def __init__(self, quota: Quota = Quota(), clock: Callable[[], float] = time.time) -> None:
        self.quota = quota
        self.clock = clock

    @abstractmethod
    def read(self, ns: str, key: str) -> bytes | None: ...

    @abstractmethod
    def write(self, ns: str, key: str, value: bytes, ttl_seconds: float | None) -> bool: ...

    @abstractmethod
    def delete(self, ns: str, key: str) -> bool: ...

    @abstractmethod
    def list(self, ns: str, prefix: str, limit: int) -> list[str]: ...

    @abstractmethod
    def increment(self, ns: str, key: str, delta: int, ttl_seconds: float | None) -> int: ...

    @abstractmethod
    def usage(self, ns: str) -> tuple[int, int]:
        """``(bytes, keys)`` held by ``ns`` (live entries)."""

    def close(self) -> None:
        """Release the backend."""


class MemoryKV(KVStore):
    """A KV in memory (``--ephemeral``)."""

    def __init__(self, quota: Quota = Quota(), clock: Callable[[], float] = time.time) -> None:
        super().__init__(quota, clock)
        self._data: dict[tuple[str, str], tuple[bytes, float | None]] = {}
        self._lock = threading.Lock()

    def _live(self, ns: str, key: str) -> tuple[bytes, float | None] | None:
        item = self._data.get((ns, key))
        if item is not None and item[1] is not None and item[1] <= self.clock():
            del self._data[(ns, key)]
            return None
        return item

    def read(self, ns: str, key: str) -> bytes | None:
        with self._lock:
            item = self._live(ns, check_key(key))
            return item[0] if item else None

    def _check_quota(self, ns: str, key: str, value: bytes) -> None:
        used, keys = self._usage_locked(ns)
        old = self._live(ns, key)
        new_bytes = used - (len(key.encode()) + len(old[0]) if old else 0) + len(key.encode()) + len(value)
        if new_bytes > self.quota.max_bytes or (old is None and keys + 1 > self.quota.max_keys):
            raise KVError(ErrorCode.QUOTA_EXCEEDED,
                          f"namespace quota of {self.quota.max_bytes} bytes / {self.quota.max_keys} keys exceeded")

    def write(self, ns: str, key: str, value: bytes, ttl_seconds: float | None) -> bool:
        check_key(key)
        _check_value(value)
        with self._lock:
            self._check_quota(ns, key, value)
            created = self._live(ns, key) is None
            expires = self.clock() + ttl_seconds if ttl_seconds and ttl_seconds > 0 else None
            self._data[(ns, key)] = (bytes(value), expires)
            return created

    def delete(self, ns: str, key: str) -> bool:
        with self._lock:
            live = self._live(ns, check_key(key)) is not None
            self._data.pop((ns, key), None)
            return live

    def list(self, ns: str, prefix: str, limit: int) -> list[str]:
        with self._lock:
            keys = sorted(k for (n, k) in list(self._data) if n == ns and k.startswith(prefix)
                          and self._live(n, k) is not None)
        return keys[:limit]

    def increment(self, ns: str, key: str, delta: int, ttl_seconds: float | None) -> int:
        check_key(key)
        with self._lock:
            item = self._live(ns, key)
            if item is None:
                value, expires = 0, (self.clock() + ttl_seconds if ttl_seconds and ttl_seconds > 0 else None)
            else:
                try:
                    value = int(item[0].decode("ascii"))
                except ValueError:
                    raise KVError(ErrorCode.INVALID_ARGUMENT, f"KV key {key!r} does not hold an integer") from None
                expires = item[1]
            value += delta
            encoded = str(value).encode("ascii")
            self._check_quota(ns, key, encoded)
            self._data[(ns, key)] = (encoded, expires)
            return value

    def _usage_locked(self, ns: str) -> tuple[int, int]:
        total = keys = 0
        now = self.clock()
        for (n, k), (v, exp) in self._data.items():
            if n == ns and (exp is None or exp > now):
                total += len(k.encode()) + len(v)
                keys += 1
        return total, keys

    def usage(self, ns: str) -> tuple[int, int]:
        with self._lock:
            return self._usage_locked(ns)


class SQLiteKV(KVStore):
    """A KV in one SQLite file in WAL mode; several processes may share it."""

    def __init__(self, path: str | Path, quota: Quota = Quota(),
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(quota, clock)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []  # every thread's connection, for close()
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, "
                     "value BLOB NOT NULL, expires_at REAL, PRIMARY KEY (ns, key)) WITHOUT ROWID")
        conn.commit()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def read(self, ns: str, key: str) -> bytes | None:
        row = self._conn().execute(
            "SELECT value FROM kv WHERE ns=? AND key=? AND (expires_at IS NULL OR expires_at>?)",
            (ns, check_key(key), self.clock())).fetchone()
        return bytes(row[0]) if row else None

    def _quota_check(self, conn: sqlite3.Connection, ns: str, key: str, value: bytes) -> bool:
        now = self.clock()
        old = conn.execute("SELECT length(CAST(key AS BLOB))+length(value) FROM kv WHERE ns=? AND key=? AND "
                           "(expires_at IS NULL OR expires_at>?)", (ns, key, now)).fetchone()
        used, keys = conn.execute("SELECT coalesce(sum(length(CAST(key AS BLOB))+length(value)),0), count(*) "
                                  "FROM kv WHERE ns=? AND (expires_at IS NULL OR expires_at>?)",
                                  (ns, now)).fetchone()
        new = used - (old[0] if old else 0) + len(key.encode()) + len(value)
        if new > self.quota.max_bytes or (old is None and keys + 1 > self.quota.max_keys):
            raise KVError(ErrorCode.QUOTA_EXCEEDED,
                          f"namespace quota of {self.quota.max_bytes} bytes / {self.quota.max_keys} keys exceeded")
        return old is None

    def write(self, ns: str, key: str, value: bytes, ttl_seconds: float | None) -> bool:
        check_key(key)
        _check_value(value)
        conn = self._conn()
        expires = self.clock() + ttl_seconds if ttl_seconds and ttl_seconds > 0 else None
        conn.execute("BEGIN IMMEDIATE")
        try:
            created = self._quota_check(conn, ns, key, value)
            conn.execute("INSERT OR REPLACE INTO kv (ns, key, value, expires_at) VALUES (?,?,?,?)",
                         (ns, key, value, expires))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return created

    def delete(self, ns: str, key: str) -> bool:
        cur = self._conn().execute("DELETE FROM kv WHERE ns=? AND key=? AND "
                                   "(expires_at IS NULL OR expires_at>?)",
                                   (ns, check_key(key), self.clock()))
        return cur.rowcount > 0

    def list(self, ns: str, prefix: str, limit: int) -> list[str]:
        rows = self._conn().execute(
            "SELECT key FROM kv WHERE ns=? AND substr(key,1,?)=? AND "
            "(expires_at IS NULL OR expires_at>?) ORDER BY key LIMIT ?",
            (ns, len(prefix), prefix, self.clock(), limit)).fetchall()
        return [r[0] for r in rows]

    def increment(self, ns: str, key: str, delta: int, ttl_seconds: float | None) -> int:
        check_key(key)
        conn = self._conn()
        now = self.clock()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT value, expires_at FROM kv WHERE ns=? AND key=? AND "
                               "(expires_at IS NULL OR expires_at>?)", (ns, key, now)).fetchone()
            if row is None:
                value, expires = 0, (now + ttl_seconds if ttl_seconds and ttl_seconds > 0 else None)
            else:
                try:
                    value = int(bytes(row[0]).decode("ascii"))
                except ValueError:
                    raise KVError(ErrorCode.INVALID_ARGUMENT, f"KV key {key!r} does not hold an integer") from None
                expires = row[1]
            value += delta
            encoded = str(value).encode("ascii")
            self._quota_check(conn, ns, key, encoded)
            conn.execute("INSERT OR REPLACE INTO kv (ns, key, value, expires_at) VALUES (?,?,?,?)",
                         (ns, key, encoded, expires))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return value

    def usage(self, ns: str) -> tuple[int, int]:
        row = self._conn().execute(
            "SELECT coalesce(sum(length(CAST(key AS BLOB))+length(value)),0), count(*) FROM kv "
            "WHERE ns=? AND (expires_at IS NULL OR expires_at>?)", (ns, self.clock())).fetchone()
        return int(row[0]), int(row[1])

    def close(self) -> None:
        """Close every thread's connection (a thread still using one gets an error)."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()
