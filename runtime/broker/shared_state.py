"""Choosing the KV and event-bus backends from a URL.

=====================================  =============================================
``kv_url``                             KV store
=====================================  =============================================
``memory:``                            :class:`~runtime.broker.kv.MemoryKV` (this process)
``sqlite:///path/kv.sqlite3``          :class:`~runtime.broker.kv.SQLiteKV` (this machine)
``redis://[:pw@]host:6379/0``          :class:`~runtime.broker.kv_redis.RedisKV`
``rediss://...``, ``unix:///sock``     the same over TLS / a unix socket
``postgresql://user:pw@host:5432/db``  :class:`~runtime.broker.kv_postgres.PostgresKV`
=====================================  =============================================

``events_url``: ``memory:`` (the in-process bus) or a Redis URL
(:class:`~runtime.broker.events_redis.RedisEventBus`: events reach every gateway on it).

Redis URLs take ``?prefix=`` (default ``gps:``) to share a server between deployments;
PostgreSQL URLs take ``?table=`` (default ``gps_kv``). The remaining query parameters are
the client library's (redis-py's ``from_url``, libpq's connection parameters).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from host_abi.errors import ErrorCode

from ..errors import ServiceFailure, UsageError
from .events import Deliver, EventBus
from .kv import KVError, KVStore, MemoryKV, Quota, SQLiteKV

__all__ = ["kv_from_url", "event_bus_from_url", "KV_SCHEMES", "EVENT_SCHEMES"]

KV_SCHEMES = ("memory", "sqlite", "redis", "rediss", "unix", "postgresql", "postgres")
EVENT_SCHEMES = ("memory", "redis", "rediss", "unix")


def _scheme(url: str, allowed: tuple[str, ...], what: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in allowed:
        raise UsageError(f"{what} {url.split('@')[-1]!r}: the scheme must be one of "
                         f"{', '.join(s + ':' for s in allowed)}")
    return scheme


def _missing_extra(exc: ImportError, what: str) -> ServiceFailure:
    return ServiceFailure(f"{what} needs {exc.name or 'a missing package'}: pip install "
                          "'gateway-plugin-sandbox[shared-state]'", code=ErrorCode.SERVICE_UNAVAILABLE)


def kv_from_url(url: str, quota: Quota = Quota(), clock: Callable[[], float] = time.time) -> KVStore:
    """Open the KV store ``url`` names (see the module's table).

    Raises:
        UsageError: an unknown scheme or a malformed URL.
        ServiceFailure: SERVICE_UNAVAILABLE when the server cannot be reached or the
            client library is not installed.
    """
    scheme = _scheme(url, KV_SCHEMES, "kv_url")
    try:
        if scheme == "memory":
            return MemoryKV(quota, clock)
        if scheme == "sqlite":
            parts = urlsplit(url)
            path = unquote(parts.netloc + parts.path)
            if not path:
                raise UsageError("kv_url sqlite: needs a path, e.g. sqlite:///var/lib/gps/kv.sqlite3")
            return SQLiteKV(Path(path), quota, clock)
        if scheme in ("redis", "rediss", "unix"):
            try:
                from .kv_redis import RedisKV
                kv: KVStore = RedisKV(url, quota, clock)
            except ImportError as exc:
                raise _missing_extra(exc, "kv_url redis:") from None
            kv.usage("-")  # reach the server now, not on the first request
            return kv
        try:
            from .kv_postgres import PostgresKV
            return PostgresKV(url, quota, clock)
        except ImportError as exc:
            raise _missing_extra(exc, "kv_url postgresql:") from None
    except KVError as exc:
        raise ServiceFailure(exc.message, code=exc.code) from None
    except ValueError as exc:  # malformed URLs (ports, database numbers)
        raise UsageError(f"kv_url is malformed: {exc}") from None


def event_bus_from_url(url: str | None, deliver: Deliver, node: str = "local") -> EventBus:
    """The event bus ``url`` names (None or ``memory:``: in-process).

    Raises:
        UsageError, ServiceFailure: as :func:`kv_from_url`.
    """
    if url is None or _scheme(url, EVENT_SCHEMES, "events_url") == "memory":
        return EventBus(deliver, node=node)
    try:
        from .events_redis import RedisEventBus
    except ImportError as exc:
        raise _missing_extra(exc, "events_url redis:") from None
    try:
        return RedisEventBus(deliver, url, node=node)
    except ValueError as exc:
        raise UsageError(f"events_url is malformed: {exc}") from None
