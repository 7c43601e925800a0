"""A KV store in Redis, shared by every gateway that points at the same server.

Each namespace (a plugin's operator-assigned identity) is four Redis keys with a common
hash tag, so a cluster keeps them in one slot::

    <prefix>kv:{<ns>}:data   hash   key -> value
    <prefix>kv:{<ns>}:idx    zset   every live key at score 0 (list by prefix, in order)
    <prefix>kv:{<ns>}:exp    zset   key -> expiry time (keys with a TTL only)
    <prefix>kv:{<ns>}:meta   hash   bytes, keys (the namespace's usage, for the quota)

A plugin's key is a hash field, never part of a Redis key name, so no key can reach
another namespace. Every op is one Lua script, so it is atomic across gateways: the
quota check and the write, and ``increment`` (HINCRBY, exact 64-bit integers) with the
TTL its first call sets. Expired entries are removed by the next op on their namespace.

Time: with the default clock, scripts read the Redis server's clock (``TIME``), so every
gateway agrees on when a window ends; an injected clock (tests) is passed in instead.

Connection failures are ``KVError(SERVICE_UNAVAILABLE)``, never a crash of the caller.
"""

from __future__ import annotations

import time
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from host_abi.errors import ErrorCode

from .kv import KVError, KVStore, Quota, check_key, check_value, quota_exceeded

__all__ = ["RedisKV", "redacted_url"]

_PRELUDE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, k in ipairs(dead) do
  local v = redis.call('HGET', KEYS[1], k)
  if v then
    redis.call('HINCRBY', KEYS[4], 'bytes', -(#k + #v))
    redis.call('HINCRBY', KEYS[4], 'keys', -1)
    redis.call('HDEL', KEYS[1], k)
  end
  redis.call('ZREM', KEYS[3], k)
end
if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
local used = tonumber(redis.call('HGET', KEYS[4], 'bytes') or '0')
local nkeys = tonumber(redis.call('HGET', KEYS[4], 'keys') or '0')
"""

_READ = _PRELUDE + """
return redis.call('HGET', KEYS[1], ARGV[2])
"""

# ARGV: now, key, value, ttl ('' none), max_bytes, max_keys
_WRITE = _PRELUDE + """
local key, value = ARGV[2], ARGV[3]
local old = redis.call('HGET', KEYS[1], key)
local delta = #key + #value
if old then delta = delta - (#key + #old) end
if used + delta > tonumber(ARGV[5]) or ((not old) and nkeys + 1 > tonumber(ARGV[6])) then
  return {'QUOTA'}
end
redis.call('HSET', KEYS[1], key, value)
redis.call('HINCRBY', KEYS[4], 'bytes', delta)
if not old then
  redis.call('HINCRBY', KEYS[4], 'keys', 1)
  redis.call('ZADD', KEYS[3], 0, key)
end
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), key)
else
  redis.call('ZREM', KEYS[2], key)
end
if old then return {'OK', 0} end
return {'OK', 1}
"""

_DELETE = _PRELUDE + """
local key = ARGV[2]
local old = redis.call('HGET', KEYS[1], key)
if not old then return 0 end
redis.call('HDEL', KEYS[1], key)
redis.call('ZREM', KEYS[3], key)
redis.call('ZREM', KEYS[2], key)
redis.call('HINCRBY', KEYS[4], 'bytes', -(#key + #old))
redis.call('HINCRBY', KEYS[4], 'keys', -1)
return 1
"""

# ARGV: now, prefix, limit
_LIST = _PRELUDE + """
local limit = tonumber(ARGV[3])
if limit <= 0 then return {} end
if ARGV[2] == '' then
  return redis.call('ZRANGEBYLEX', KEYS[3], '-', '+', 'LIMIT', 0, limit)
end
return redis.call('ZRANGEBYLEX', KEYS[3], '[' .. ARGV[2], '(' .. ARGV[2] .. '\\255', 'LIMIT', 0, limit)
"""

# ARGV: now, key, delta, ttl ('' none), max_bytes, max_keys
_INCREMENT = _PRELUDE + """
local key = ARGV[2]
local old = redis.call('HGET', KEYS[1], key)
if old and not string.match(old, '^%-?%d+$') then return {'NOTINT'} end
local r = redis.pcall('HINCRBY', KEYS[1], key, ARGV[3])
if type(r) == 'table' and r.err then return {'RANGE'} end
local new = redis.call('HGET', KEYS[1], key)
local delta = #key + #new
if old then delta = delta - (#key + #old) end
if used + delta > tonumber(ARGV[5]) or ((not old) and nkeys + 1 > tonumber(ARGV[6])) then
  if old then redis.call('HSET', KEYS[1], key, old) else redis.call('HDEL', KEYS[1], key) end
  return {'QUOTA'}
end
redis.call('HINCRBY', KEYS[4], 'bytes', delta)
if not old then
  redis.call('HINCRBY', KEYS[4], 'keys', 1)
  redis.call('ZADD', KEYS[3], 0, key)
  if ARGV[4] ~= '' then redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), key) end
end
return {'OK', new}
"""

_USAGE = _PRELUDE + """
return {used, nkeys}
"""


def redacted_url(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[2]}"))


def _split_options(url: str, names: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """Take this module's own query parameters (``names``) out of ``url``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k in names}
    rest = [(k, v) for k, v in query if k not in names]
    return urlunsplit(parts._replace(query=urlencode(rest))), ours


def _utf8(key: str) -> bytes:
    try:
        return key.encode("utf-8")
    except UnicodeEncodeError:
        raise KVError(ErrorCode.INVALID_ARGUMENT, "a KV key must be valid Unicode text "
                      "(no lone surrogates)") from None


class RedisKV(KVStore):
    """A KV in Redis: ``RedisKV("redis://127.0.0.1:6379/0?prefix=gps:")``.

    ``prefix`` (query parameter or argument, default ``gps:``) starts every Redis key
    this store uses, so several deployments can share one server. The other query
    parameters are redis-py's (``redis.Redis.from_url``); ``rediss://`` uses TLS.
    """

    def __init__(self, url: str, quota: Quota = Quota(), clock: Callable[[], float] = time.time,
                 *, prefix: str | None = None, client: Any = None) -> None:
        super().__init__(quota, clock)
        try:
            import redis
        except ImportError:  # pragma: no cover - depends on the installation
            raise KVError(ErrorCode.SERVICE_UNAVAILABLE, "the Redis KV needs redis-py: "
                          "pip install 'gateway-plugin-sandbox[shared-state]'") from None
        self._redis = redis
        clean, options = _split_options(url, ("prefix",))
        self.url = redacted_url(url)
        self.prefix = prefix if prefix is not None else options.get("prefix", "gps:")
        self._server_clock = clock is time.time
        self.client = client if client is not None else redis.Redis.from_url(
            clean, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30)
        self._read = self.client.register_script(_READ)
        self._write = self.client.register_script(_WRITE)
        self._delete = self.client.register_script(_DELETE)
        self._list = self.client.register_script(_LIST)
        self._increment = self.client.register_script(_INCREMENT)
        self._usage = self.client.register_script(_USAGE)

    # -- helpers ---------------------------------------------------------------------------
    def _keys(self, ns: str) -> list[bytes]:
        base = f"{self.prefix}kv:{{{ns}}}:".encode("utf-8", "surrogatepass")
        return [base + b"data", base + b"exp", base + b"idx", base + b"meta"]

    def _now(self) -> str:
        return "" if self._server_clock else repr(float(self.clock()))

    def _run(self, script: Any, ns: str, *args: Any) -> Any:
        try:
            return script(keys=self._keys(ns), args=[self._now(), *args])
        except (self._redis.exceptions.ConnectionError, self._redis.exceptions.TimeoutError) as exc:
            raise KVError(ErrorCode.SERVICE_UNAVAILABLE,
                          f"the Redis KV at {self.url} is unreachable: {exc}") from None
        except self._redis.exceptions.RedisError as exc:
            raise KVError(ErrorCode.SERVICE_UNAVAILABLE,
                          f"the Redis KV at {self.url} failed: {exc}") from None

    @staticmethod
    def _ttl(ttl_seconds: float | None) -> str:
        return repr(float(ttl_seconds)) if ttl_seconds and ttl_seconds > 0 else ""

    # -- the interface ----------------------------------------------------------------------
    def read(self, ns: str, key: str) -> bytes | None:
        value = self._run(self._read, ns, _utf8(check_key(key)))
        return bytes(value) if value is not None else None

    def write(self, ns: str, key: str, value: bytes, ttl_seconds: float | None) -> bool:
        k = _utf8(check_key(key))
        check_value(value)
        answer = self._run(self._write, ns, k, bytes(value), self._ttl(ttl_seconds),
                           self.quota.max_bytes, self.quota.max_keys)
        if answer[0] == b"QUOTA":
            raise quota_exceeded(self.quota)
        return bool(answer[1])

    def delete(self, ns: str, key: str) -> bool:
        return bool(self._run(self._delete, ns, _utf8(check_key(key))))

    def list(self, ns: str, prefix: str, limit: int) -> list[str]:
        keys = self._run(self._list, ns, _utf8(prefix), int(limit))
        return [k.decode("utf-8") for k in keys]

    def increment(self, ns: str, key: str, delta: int, ttl_seconds: float | None) -> int:
        k = _utf8(check_key(key))
        answer = self._run(self._increment, ns, k, str(int(delta)), self._ttl(ttl_seconds),
                           self.quota.max_bytes, self.quota.max_keys)
        if answer[0] == b"NOTINT":
            raise KVError(ErrorCode.INVALID_ARGUMENT, f"KV key {key!r} does not hold an integer")
        if answer[0] == b"RANGE":
            raise KVError(ErrorCode.INVALID_ARGUMENT,
                          f"incrementing KV key {key!r} by {delta} leaves the 64-bit integer range")
        if answer[0] == b"QUOTA":
            raise quota_exceeded(self.quota)
        return int(answer[1])

    def usage(self, ns: str) -> tuple[int, int]:
        used, keys = self._run(self._usage, ns)
        return int(used), int(keys)

    def close(self) -> None:
        try:
            self.client.close()
        except self._redis.exceptions.RedisError:
            pass
