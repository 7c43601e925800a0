"""Stable error codes of the ABI.

Every structured error that crosses the boundary (in either direction) or leaves the
runtime carries one of these codes by name. Numbers are never renumbered or reused;
retired codes stay listed. ABI.md, section "Error codes", explains each one.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ErrorCode"]


class ErrorCode(IntEnum):
    """A stable error code; the name is what travels on the wire and in CLI output."""

    #: A bug in the runtime itself; report it.
    INTERNAL = 1
    #: The envelope's ``v`` does not name an ABI version the receiver speaks.
    ABI_VERSION_MISMATCH = 2
    #: The hook number or name is not in the hook table.
    UNKNOWN_HOOK = 3
    #: The op number or name is not in the op table.
    UNKNOWN_OP = 4
    #: The envelope is not the JSON object the ABI describes.
    MALFORMED_ENVELOPE = 5
    #: An envelope or a value is larger than the limit allows.
    PAYLOAD_TOO_LARGE = 6
    #: An op's or hook's arguments are missing or of the wrong type.
    INVALID_ARGUMENT = 7
    #: The plugin's effective permissions do not include the scope the op needs.
    PERMISSION_DENIED = 8
    #: The key, record or object asked for does not exist.
    NOT_FOUND = 9
    #: The op has no implementation in the embedded (no host) setup.
    UNSUPPORTED_EMBEDDED = 10
    #: The op has no counterpart on the AI Studio / Gateway host the plugin runs under.
    UNSUPPORTED_UNDER_HOST = 11
    #: A gateway op called in the studio runtime, or the reverse (the Go SDK's error).
    WRONG_RUNTIME = 12
    #: The plugin's KV quota (bytes or keys) would be exceeded.
    QUOTA_EXCEEDED = 13
    #: Too many host calls during one hook call, or another count limit.
    LIMIT_EXCEEDED = 14
    #: The hook did not answer before its deadline.
    DEADLINE_EXCEEDED = 15
    #: The instance exceeded its memory limit.
    MEMORY_EXCEEDED = 16
    #: The plugin's code raised an exception; the message holds its traceback.
    PLUGIN_RAISED = 17
    #: The plugin returned a value of the wrong type for the hook.
    BAD_RETURN = 18
    #: The sandbox trapped (wasm) or the instance broke; it has been replaced.
    SANDBOX_BROKEN = 19
    #: No plugin of that name is loaded.
    PLUGIN_NOT_FOUND = 20
    #: The plugin's manifest is missing or invalid.
    MANIFEST_INVALID = 21
    #: The operator's policy file is invalid.
    POLICY_INVALID = 22
    #: The policy does not grant what the plugin's manifest requests.
    POLICY_DENIED = 23
    #: The plugin configuration does not match its schema.
    CONFIG_INVALID = 24
    #: The plugin could not be loaded (import failed, factory failed, ...).
    LOAD_FAILED = 25
    #: The plugin's initialize hook failed.
    INIT_FAILED = 26
    #: The requested isolation tier is not available here.
    TIER_UNAVAILABLE = 27
    #: The hook exists but the plugin does not have the capability and the hook
    #: has no neutral answer (the Go SDK answers a gRPC error there).
    CAPABILITY_MISSING = 28
    #: A stream handle is unknown or already closed, or emit outside a streaming hook.
    STREAM_CLOSED = 29
    #: The caller cancelled the call or the stream.
    CANCELLED = 30
    #: A command-line usage error (bad flag, unreadable file).
    USAGE_ERROR = 31
    #: The input message is not valid proto3 JSON for the hook's request type.
    INPUT_INVALID = 32
    #: The host service behind an op is unavailable (KV backend down, broker gone).
    SERVICE_UNAVAILABLE = 33
    #: The runtime or plugin was closed.
    CLOSED = 34
    #: The op failed on the host side for a reason specific to the op.
    OP_FAILED = 35
