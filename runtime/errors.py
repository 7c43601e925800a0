"""Errors the runtime raises. Every one carries a stable ``code`` (a
:class:`host_abi.ErrorCode` name) and, where known, the ``plugin``, ``hook`` and ``op``.

::

    PluginRuntimeError                 root; catch it to catch them all
    ├── ManifestError                  MANIFEST_INVALID (names the file and the field)
    ├── PolicyError                    POLICY_INVALID, POLICY_DENIED
    ├── ConfigError                    CONFIG_INVALID
    ├── LoadError                      LOAD_FAILED, INIT_FAILED
    ├── TierUnavailable                TIER_UNAVAILABLE
    ├── AbiViolation                   UNKNOWN_HOOK, UNKNOWN_OP, MALFORMED_ENVELOPE,
    │                                  ABI_VERSION_MISMATCH, INVALID_ARGUMENT, INPUT_INVALID
    ├── PermissionDenied               PERMISSION_DENIED
    ├── LimitExceeded                  PAYLOAD_TOO_LARGE, LIMIT_EXCEEDED, QUOTA_EXCEEDED
    │   ├── DeadlineExceeded           DEADLINE_EXCEEDED
    │   └── MemoryExceeded             MEMORY_EXCEEDED
    ├── PluginFailed                   PLUGIN_RAISED, BAD_RETURN, CAPABILITY_MISSING, and any
    │                                  code a plugin's hook answered (traceback attached)
    ├── SandboxBroken                  SANDBOX_BROKEN (the instance was replaced)
    ├── ServiceFailure                 NOT_FOUND, UNSUPPORTED_*, WRONG_RUNTIME, SERVICE_UNAVAILABLE
    └── UsageError (also a RuntimeError of the host API: misuse, closed runtime, unknown plugin)
"""

from __future__ import annotations

from typing import Any

from host_abi.errors import ErrorCode

__all__ = [
    "PluginRuntimeError", "ManifestError", "PolicyError", "ConfigError", "LoadError",
    "TierUnavailable", "AbiViolation", "PermissionDenied", "LimitExceeded",
    "DeadlineExceeded", "MemoryExceeded", "PluginFailed", "SandboxBroken", "ServiceFailure",
    "UsageError", "error_for_code",
]


class PluginRuntimeError(Exception):
    """Root of the runtime's errors: ``code`` (stable name), ``message`` and context."""

    default_code = ErrorCode.INTERNAL

    def __init__(self, message: str, *, code: ErrorCode | str | None = None,
                 plugin: str | None = None, hook: str | None = None, op: str | None = None,
                 traceback: str | None = None, where: str | None = None) -> None:
        super().__init__(message)
        if code is None:
            code = self.default_code
        self.code: str = code.name if isinstance(code, ErrorCode) else str(code)
        self.message = message
        self.plugin = plugin
        self.hook = hook
        self.op = op
        self.traceback = traceback
        self.where = where

    def __str__(self) -> str:
        ctx = ", ".join(f"{k}={v}" for k, v in (("plugin", self.plugin), ("hook", self.hook),
                                                ("op", self.op)) if v)
        return f"{self.code}: {self.message}" + (f" ({ctx})" if ctx else "")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, plugin={self.plugin!r}, hook={self.hook!r})"

    def to_json(self) -> dict[str, Any]:
        """The ``{"error": {...}}`` object the CLI prints."""
        err: dict[str, Any] = {"code": self.code, "message": self.message,
                               "plugin": self.plugin, "hook": self.hook}
        if self.op:
            err["op"] = self.op
        if self.where:
            err["where"] = self.where
        if self.traceback:
            err["traceback"] = self.traceback
        return {"error": err}


class ManifestError(PluginRuntimeError):
    default_code = ErrorCode.MANIFEST_INVALID


class PolicyError(PluginRuntimeError):
    default_code = ErrorCode.POLICY_INVALID


class ConfigError(PluginRuntimeError):
    default_code = ErrorCode.CONFIG_INVALID


class LoadError(PluginRuntimeError):
    default_code = ErrorCode.LOAD_FAILED


class TierUnavailable(PluginRuntimeError):
    default_code = ErrorCode.TIER_UNAVAILABLE


class AbiViolation(PluginRuntimeError):
    default_code = ErrorCode.MALFORMED_ENVELOPE


class PermissionDenied(PluginRuntimeError):
    default_code = ErrorCode.PERMISSION_DENIED


class LimitExceeded(PluginRuntimeError):
    default_code = ErrorCode.LIMIT_EXCEEDED


class DeadlineExceeded(LimitExceeded):
    default_code = ErrorCode.DEADLINE_EXCEEDED


class MemoryExceeded(LimitExceeded):
    default_code = ErrorCode.MEMORY_EXCEEDED


class PluginFailed(PluginRuntimeError):
    default_code = ErrorCode.PLUGIN_RAISED


class SandboxBroken(PluginRuntimeError):
    default_code = ErrorCode.SANDBOX_BROKEN


class ServiceFailure(PluginRuntimeError):
    default_code = ErrorCode.OP_FAILED


class UsageError(PluginRuntimeError, RuntimeError):
    default_code = ErrorCode.USAGE_ERROR


_BY_CODE: dict[str, type[PluginRuntimeError]] = {
    "MANIFEST_INVALID": ManifestError, "POLICY_INVALID": PolicyError,
    "POLICY_DENIED": PolicyError, "CONFIG_INVALID": ConfigError, "LOAD_FAILED": LoadError,
    "INIT_FAILED": LoadError, "TIER_UNAVAILABLE": TierUnavailable,
    "UNKNOWN_HOOK": AbiViolation, "UNKNOWN_OP": AbiViolation, "MALFORMED_ENVELOPE": AbiViolation,
    "ABI_VERSION_MISMATCH": AbiViolation, "INVALID_ARGUMENT": AbiViolation,
    "INPUT_INVALID": AbiViolation, "PERMISSION_DENIED": PermissionDenied,
    "PAYLOAD_TOO_LARGE": LimitExceeded, "LIMIT_EXCEEDED": LimitExceeded,
    "QUOTA_EXCEEDED": LimitExceeded, "DEADLINE_EXCEEDED": DeadlineExceeded,
    "MEMORY_EXCEEDED": MemoryExceeded, "PLUGIN_RAISED": PluginFailed, "BAD_RETURN": PluginFailed,
    "CAPABILITY_MISSING": PluginFailed, "SANDBOX_BROKEN": SandboxBroken,
    "PLUGIN_NOT_FOUND": UsageError, "USAGE_ERROR": UsageError, "CLOSED": UsageError,
}


def error_for_code(code: str, message: str, **context: Any) -> PluginRuntimeError:
    """The exception class for an error code (service codes map to ServiceFailure)."""
    cls = _BY_CODE.get(code, ServiceFailure)
    return cls(message, code=code, **context)
