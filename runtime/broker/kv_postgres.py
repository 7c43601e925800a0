"""A KV store in PostgreSQL (psycopg 3), shared by every gateway on the same database.

One table (``gps_kv`` unless the URL's ``table`` parameter names another)::

    ns text, key text, value bytea, expires_at double precision, PRIMARY KEY (ns, key)

``ns`` and ``key`` are separate columns all the way down, so no key reaches another
namespace. Writes and increments run in a transaction holding an advisory lock on the
namespace, so the quota check and the write, and ``increment`` with the TTL its first
call sets, are atomic across gateways. Keys list in code-point order (``COLLATE "C"``),
whatever the database's collation.

Time: with the default clock the database's clock decides expiry, so every gateway
agrees on it; an injected clock (tests) is passed in instead. Expired rows of a
namespace are deleted by its next write.

Each thread keeps one connection (autocommit); a broken one is replaced on the next
call. Connection failures are ``KVError(SERVICE_UNAVAILABLE)``.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable

from host_abi.errors import ErrorCode

from .kv import KVError, KVStore, Quota, check_key, check_value, quota_exceeded
from .kv_redis import _split_options, _utf8, redacted_url

__all__ = ["PostgresKV"]

_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_NOW = "coalesce(%(now)s::float8, extract(epoch from clock_timestamp())::float8)"


class PostgresKV(KVStore):
    """A KV in PostgreSQL: ``PostgresKV("postgresql://user:pw@host:5432/db?table=gps_kv")``.

    The other query parameters are libpq's (``sslmode``, ``connect_timeout``, ...). The
    table is created when missing.
    """

    def __init__(self, url: str, quota: Quota = Quota(), clock: Callable[[], float] = time.time,
                 *, table: str | None = None) -> None:
        super().__init__(quota, clock)
        try:
            import psycopg
        except ImportError:  # pragma: no cover - depends on the installation
            raise KVError(ErrorCode.SERVICE_UNAVAILABLE, "the PostgreSQL KV needs psycopg: "
                          "pip install 'gateway-plugin-sandbox[shared-state]'") from None
        self._psycopg = psycopg
        clean, options = _split_options(url, ("table",))
        self._conninfo = clean
        self.url = redacted_url(url)
        self.table = table or options.get("table", "gps_kv")
        if not _TABLE.match(self.table):
            raise KVError(ErrorCode.INVALID_ARGUMENT, f"table {self.table!r} must match {_TABLE.pattern}")
        self._server_clock = clock is time.time
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Any] = []
        t = self.table

        def create(conn: Any) -> None:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                             (f"gps-kv-schema:{t}",))
                conn.execute(f"CREATE TABLE IF NOT EXISTS {t} (ns text NOT NULL, key text NOT NULL, "
                             "value bytea NOT NULL, expires_at double precision, "
                             "PRIMARY KEY (ns, key))")
        self._with_conn(create)

    # -- connections --------------------------------------------------------------------------
    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _with_conn(self, fn: Callable[[Any], Any]) -> Any:
        try:
            return fn(self._conn())
        except KVError:
            raise
        except self._psycopg.OperationalError as exc:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                try:
                    conn.close()
                except self._psycopg.Error:
                    pass
                self._local.conn = None
            raise KVError(ErrorCode.SERVICE_UNAVAILABLE,
                          f"the PostgreSQL KV at {self.url} is unreachable: {exc}") from None
        except self._psycopg.Error as exc:
            raise KVError(ErrorCode.SERVICE_UNAVAILABLE,
                          f"the PostgreSQL KV at {self.url} failed: {exc}") from None

    def _params(self, ns: str, **extra: Any) -> dict[str, Any]:
        return {"ns": ns, "now": None if self._server_clock else float(self.clock()), **extra}

    @staticmethod
    def _text(key: str) -> str:
        _utf8(key)
        return key

    # -- the interface ----------------------------------------------------------------------
    def read(self, ns: str, key: str) -> bytes | None:
        p = self._params(ns, key=self._text(check_key(key)))

        def op(conn: Any) -> bytes | None:
            row = conn.execute(f"SELECT value FROM {self.table} WHERE ns=%(ns)s AND key=%(key)s AND "
                               f"(expires_at IS NULL OR expires_at > {_NOW})", p).fetchone()
            return bytes(row[0]) if row else None
        result: bytes | None = self._with_conn(op)
        return result

    def _begin(self, conn: Any, p: dict[str, Any]) -> None:
        """Inside a transaction: lock the namespace, fix ``now``, drop its expired rows."""
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%(lock)s, 0))",
                     {"lock": f"gps-kv:{self.table}:{p['ns']}"})
        p["now"] = conn.execute(f"SELECT {_NOW}", p).fetchone()[0]
        conn.execute(f"DELETE FROM {self.table} WHERE ns=%(ns)s AND expires_at <= %(now)s", p)

    def _check_quota(self, conn: Any, p: dict[str, Any], value: bytes) -> bool:
        """Raise QUOTA_EXCEEDED if writing ``value`` at ``p['key']`` would exceed the quota;
        True when the key is new."""
        old = conn.execute(f"SELECT octet_length(key) + octet_length(value) FROM {self.table} "
                           "WHERE ns=%(ns)s AND key=%(key)s", p).fetchone()
        used, keys = conn.execute(f"SELECT coalesce(sum(octet_length(key) + octet_length(value)), 0), "
                                  f"count(*) FROM {self.table} WHERE ns=%(ns)s", p).fetchone()
        new = int(used) - (int(old[0]) if old else 0) + len(p["key"].encode()) + len(value)
        if new > self.quota.max_bytes or (old is None and keys + 1 > self.quota.max_keys):
            raise quota_exceeded(self.quota)
        return old is None

    def write(self, ns: str, key: str, value: bytes, ttl_seconds: float | None) -> bool:
        check_value(value)
        p = self._params(ns, key=self._text(check_key(key)), value=bytes(value))

        def op(conn: Any) -> bool:
            with conn.transaction():
                self._begin(conn, p)
                created = self._check_quota(conn, p, p["value"])
                p["expires"] = p["now"] + ttl_seconds if ttl_seconds and ttl_seconds > 0 else None
                conn.execute(f"INSERT INTO {self.table} (ns, key, value, expires_at) VALUES "
                             "(%(ns)s, %(key)s, %(value)s, %(expires)s) ON CONFLICT (ns, key) DO UPDATE "
                             "SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at", p)
            return created
        result: bool = self._with_conn(op)
        return result

    def delete(self, ns: str, key: str) -> bool:
        p = self._params(ns, key=self._text(check_key(key)))

        def op(conn: Any) -> bool:
            cur = conn.execute(f"DELETE FROM {self.table} WHERE ns=%(ns)s AND key=%(key)s AND "
                               f"(expires_at IS NULL OR expires_at > {_NOW})", p)
            return bool(cur.rowcount > 0)
        result: bool = self._with_conn(op)
        return result

    def list(self, ns: str, prefix: str, limit: int) -> list[str]:
        p = self._params(ns, prefix=self._text(prefix), limit=max(0, int(limit)))

        def op(conn: Any) -> list[str]:
            rows = conn.execute(f"SELECT key FROM {self.table} WHERE ns=%(ns)s AND "
                                "starts_with(key, %(prefix)s) AND "
                                f"(expires_at IS NULL OR expires_at > {_NOW}) "
                                'ORDER BY key COLLATE "C" LIMIT %(limit)s', p).fetchall()
            return [r[0] for r in rows]
        result: list[str] = self._with_conn(op)
        return result

    def increment(self, ns: str, key: str, delta: int, ttl_seconds: float | None) -> int:
        p = self._params(ns, key=self._text(check_key(key)))

        def op(conn: Any) -> int:
            with conn.transaction():
                self._begin(conn, p)
                row = conn.execute(f"SELECT value, expires_at FROM {self.table} "
                                   "WHERE ns=%(ns)s AND key=%(key)s", p).fetchone()
                if row is None:
                    value = 0
                    expires = p["now"] + ttl_seconds if ttl_seconds and ttl_seconds > 0 else None
                else:
                    try:
                        value = int(bytes(row[0]).decode("ascii"))
                    except ValueError:
                        raise KVError(ErrorCode.INVALID_ARGUMENT,
                                      f"KV key {key!r} does not hold an integer") from None
                    expires = row[1]
                value += int(delta)
                encoded = str(value).encode("ascii")
                self._check_quota(conn, p, encoded)
                conn.execute(f"INSERT INTO {self.table} (ns, key, value, expires_at) VALUES "
                             "(%(ns)s, %(key)s, %(value)s, %(expires)s) ON CONFLICT (ns, key) DO UPDATE "
                             "SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at",
                             {**p, "value": encoded, "expires": expires})
            return value
        result: int = self._with_conn(op)
        return result

    def usage(self, ns: str) -> tuple[int, int]:
        p = self._params(ns)

        def op(conn: Any) -> tuple[int, int]:
            used, keys = conn.execute(
                f"SELECT coalesce(sum(octet_length(key) + octet_length(value)), 0), count(*) "
                f"FROM {self.table} WHERE ns=%(ns)s AND (expires_at IS NULL OR expires_at > {_NOW})",
                p).fetchone()
            return int(used), int(keys)
        result: tuple[int, int] = self._with_conn(op)
        return result

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except self._psycopg.Error:
                pass
        self._local = threading.local()
