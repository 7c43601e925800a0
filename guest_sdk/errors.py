"""Errors a plugin sees when a host service refuses or fails an op.

``ServiceError`` is the root; each subclass matches one :class:`host_abi.ErrorCode`.
Catching ``ServiceError`` catches them all. An uncaught one leaves the hook as an
error with its own code (a plugin that lets ``PermissionDenied`` escape makes the
caller see ``PERMISSION_DENIED``, not a generic failure).
"""

from __future__ import annotations

from host_abi.errors import ErrorCode

__all__ = [
    "ServiceError", "NotFound", "PermissionDenied", "UnsupportedEmbedded",
    "UnsupportedUnderHost", "WrongRuntime", "QuotaExceeded", "LimitExceeded",
    "InvalidArgument", "PayloadTooLarge", "ServiceUnavailable", "StreamCancelled",
    "error_from_answer",
]


class ServiceError(Exception):
    """A host op answered an error. ``code`` is the :class:`ErrorCode` name."""

    code: str = "OP_FAILED"

    def __init__(self, message: str, *, code: str | None = None, op: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.op = op

    def __str__(self) -> str:
        where = f" ({self.op})" if self.op else ""
        return f"{self.code}{where}: {self.message}"


class NotFound(ServiceError):
    """The key or record does not exist."""
    code = "NOT_FOUND"


class PermissionDenied(ServiceError):
    """The operator's policy does not grant the scope this op needs."""
    code = "PERMISSION_DENIED"


class UnsupportedEmbedded(ServiceError):
    """The op has no implementation when no AI Studio host is present."""
    code = "UNSUPPORTED_EMBEDDED"


class UnsupportedUnderHost(ServiceError):
    """The host the plugin runs under has no RPC for this op."""
    code = "UNSUPPORTED_UNDER_HOST"


class WrongRuntime(ServiceError):
    """A gateway service used in the studio runtime, or the reverse."""
    code = "WRONG_RUNTIME"


class QuotaExceeded(ServiceError):
    """The plugin's KV quota would be exceeded."""
    code = "QUOTA_EXCEEDED"


class LimitExceeded(ServiceError):
    """Too many host calls in one hook call, or another count limit."""
    code = "LIMIT_EXCEEDED"


class InvalidArgument(ServiceError):
    """The op's arguments were refused (key too long, bad direction, ...)."""
    code = "INVALID_ARGUMENT"


class PayloadTooLarge(ServiceError):
    """A value or envelope is over its size limit."""
    code = "PAYLOAD_TOO_LARGE"


class ServiceUnavailable(ServiceError):
    """The service behind the op is down."""
    code = "SERVICE_UNAVAILABLE"


class StreamCancelled(ServiceError):
    """The receiver of a streamed answer went away; stop producing chunks."""
    code = "CANCELLED"


_BY_CODE: dict[str, type[ServiceError]] = {
    cls.code: cls
    for cls in (NotFound, PermissionDenied, UnsupportedEmbedded, UnsupportedUnderHost,
                WrongRuntime, QuotaExceeded, LimitExceeded, InvalidArgument, PayloadTooLarge,
                ServiceUnavailable, StreamCancelled)
}


def error_from_answer(err: dict[str, object], op: str | None = None) -> ServiceError:
    """The exception for an ``err`` answer object."""
    code = str(err.get("code", ErrorCode.OP_FAILED.name))
    cls = _BY_CODE.get(code, ServiceError)
    return cls(str(err.get("message", "")), code=code, op=op)
