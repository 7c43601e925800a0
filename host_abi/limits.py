"""Default limits of the ABI. Operators may lower or raise each in their policy.

Units are in the names. ABI.md, section "Limits", gives the reasons.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_HOOK_TIMEOUT_MS",
    "DEFAULT_STREAM_TIMEOUT_MS",
    "DEFAULT_MEMORY_LIMIT_BYTES",
    "MAX_ENVELOPE_BYTES",
    "MAX_HOST_CALLS_PER_CALL",
    "KV_MAX_KEY_CHARS",
    "KV_MAX_VALUE_BYTES",
    "KV_DEFAULT_QUOTA_BYTES",
    "KV_DEFAULT_QUOTA_KEYS",
    "LOG_LINES_PER_SECOND",
    "LOG_BURST_LINES",
    "LOG_MAX_MESSAGE_CHARS",
    "EVENT_QUEUE_LENGTH",
]

#: Deadline of one unary hook call. The reference hosts allow 30 s on the request path;
#: a sandboxed plugin on a gateway fast path gets far less by default.
DEFAULT_HOOK_TIMEOUT_MS = 2_000
#: Deadline of a whole streaming hook (agent reply, streamed endpoint); the Gateway's
#: PLUGIN_ENDPOINT_STREAM_TIMEOUT default is 5 minutes.
DEFAULT_STREAM_TIMEOUT_MS = 300_000
#: Linear memory one wasm instance may grow to.
DEFAULT_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
#: Largest envelope (UTF-8 bytes) accepted in either direction. A 5 MiB KV value in
#: latin-1 form takes about 2x its size once UTF-8 encoded for random bytes, and up to 6x
#: when every byte is a control character (JSON writes those as \u00XX), so 32 MiB lets
#: every legal KV value through.
MAX_ENVELOPE_BYTES = 32 * 1024 * 1024
#: Host calls (ops) one hook call may make.
MAX_HOST_CALLS_PER_CALL = 1_000
#: KV key length, as in the reference hosts.
KV_MAX_KEY_CHARS = 255
#: KV value size, as in the reference hosts.
KV_MAX_VALUE_BYTES = 5 * 1024 * 1024
#: Bytes of keys plus values one plugin may keep in the embedded KV.
KV_DEFAULT_QUOTA_BYTES = 64 * 1024 * 1024
#: Keys one plugin may keep in the embedded KV.
KV_DEFAULT_QUOTA_KEYS = 100_000
#: Log lines per second per plugin after the burst; excess lines are counted and dropped.
LOG_LINES_PER_SECOND = 100
#: Log lines a plugin may write at once before the rate applies.
LOG_BURST_LINES = 200
#: Longest log message kept; longer ones are cut and marked.
LOG_MAX_MESSAGE_CHARS = 8_192
#: Events queued per subscriber before new ones are dropped (the reference uses 100).
EVENT_QUEUE_LENGTH = 100
