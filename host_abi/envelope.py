"""The envelope codec: how payloads cross ``handle`` and ``call``.

An envelope is one JSON object, UTF-8 text (a WIT ``string``):

* hook request (host to guest): ``{"v": 1, "msg": {...}}``
* op request (guest to host): ``{"v": 1, "args": {...}}``
* answer (both directions): ``{"v": 1, "ok": <value>}`` or
  ``{"v": 1, "err": {"code": "<ErrorCode name>", "message": "...", ...}}``

Messages are in *envelope form*: proto field names, default values may be omitted,
nested messages as objects, enums as numbers, 64-bit integers as JSON numbers, and
``bytes`` fields as latin-1 strings (each byte one code point U+0000..U+00FF), which
costs one C-level copy on each side where base64 would cost an encode, a decode and a
third more size. Stdlib ``json`` is used on both sides: inside the componentize-py
guest it measured as fast as a hand-written binary format (ABI.md, "Codec").

This module is stdlib-only and imported by both the guest SDK and the runtime.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from .errors import ErrorCode
from .limits import MAX_ENVELOPE_BYTES

__all__ = [
    "ABI_VERSION",
    "EnvelopeError",
    "encode_request",
    "encode_args",
    "encode_ok",
    "encode_err",
    "decode_request",
    "decode_args",
    "decode_answer",
    "bytes_to_wire",
    "bytes_from_wire",
]

#: The ABI major version this module speaks.
ABI_VERSION = 1

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_decode = json.JSONDecoder().decode
_PREFIX_MSG = '{"v":1,"msg":'
_PREFIX_ARGS = '{"v":1,"args":'
_PREFIX_OK = '{"v":1,"ok":'


class EnvelopeError(Exception):
    """An envelope could not be encoded or decoded; ``code`` is an :class:`ErrorCode` name."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def bytes_to_wire(data: bytes) -> str:
    """A bytes value in envelope form (latin-1 string)."""
    return data.decode("latin-1")


def bytes_from_wire(text: str) -> bytes:
    """A bytes value back from envelope form.

    Raises:
        EnvelopeError: INVALID_ARGUMENT when ``text`` holds a code point above U+00FF.
    """
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise EnvelopeError(ErrorCode.INVALID_ARGUMENT,
                            f"bytes field holds a character above U+00FF at {exc.start}") from None


def encode_request(msg: Mapping[str, Any]) -> str:
    """A hook request envelope around a message in envelope form."""
    return _PREFIX_MSG + _encode(msg) + "}"


def encode_args(args: Mapping[str, Any]) -> str:
    """An op request envelope around the op's arguments."""
    return _PREFIX_ARGS + _encode(args) + "}"


def encode_ok(value: Any) -> str:
    """A success answer envelope.

    Raises:
        EnvelopeError: INVALID_ARGUMENT when ``value`` is not JSON-serialisable.
    """
    try:
        return _PREFIX_OK + _encode(value) + "}"
    except (TypeError, ValueError) as exc:
        raise EnvelopeError(ErrorCode.INVALID_ARGUMENT, f"answer is not serialisable: {exc}") from None


def encode_err(code: ErrorCode | str, message: str, **details: Any) -> str:
    """An error answer envelope; ``details`` (JSON values) are added to the error object."""
    name = code.name if isinstance(code, ErrorCode) else str(code)
    err: dict[str, Any] = {"code": name, "message": message}
    err.update(details)
    return _encode({"v": ABI_VERSION, "err": err})


def _size(text: str | bytes, max_bytes: int) -> int:
    """The UTF-8 size of ``text``, computed exactly only when it could exceed ``max_bytes``."""
    if isinstance(text, bytes) or len(text) * 4 <= max_bytes:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _load(text: str | bytes, max_bytes: int) -> dict[str, Any]:
    size = _size(text, max_bytes)
    if size > max_bytes:
        raise EnvelopeError(ErrorCode.PAYLOAD_TOO_LARGE,
                            f"envelope of {size} bytes exceeds the limit of {max_bytes}")
    try:
        env = _decode(text if isinstance(text, str) else text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError(ErrorCode.MALFORMED_ENVELOPE, f"envelope is not JSON: {exc}") from None
    except RecursionError:
        raise EnvelopeError(ErrorCode.MALFORMED_ENVELOPE, "envelope nests too deeply") from None
    if type(env) is not dict:
        raise EnvelopeError(ErrorCode.MALFORMED_ENVELOPE,
                            f"envelope is a JSON {type(env).__name__}, not an object")
    version = env.get("v")
    if version != ABI_VERSION:
        if version is None:
            raise EnvelopeError(ErrorCode.MALFORMED_ENVELOPE, 'envelope has no "v" field')
        raise EnvelopeError(ErrorCode.ABI_VERSION_MISMATCH,
                            f"envelope speaks ABI version {version!r}; this side speaks {ABI_VERSION}")
    return env


def _body(env: dict[str, Any], key: str) -> dict[str, Any]:
    value = env.get(key)
    if type(value) is not dict:
        raise EnvelopeError(ErrorCode.MALFORMED_ENVELOPE,
                            f'envelope needs an object in "{key}", got {type(value).__name__}')
    return value


def decode_request(text: str | bytes, max_bytes: int = MAX_ENVELOPE_BYTES) -> dict[str, Any]:
    """The message of a hook request envelope.

    Raises:
        EnvelopeError: MALFORMED_ENVELOPE, ABI_VERSION_MISMATCH or PAYLOAD_TOO_LARGE.
    """
    return _body(_load(text, max_bytes), "msg")


def decode_args(text: str | bytes, max_bytes: int = MAX_ENVELOPE_BYTES) -> dict[str, Any]:
    """The arguments of an op request envelope (same errors as :func:`decode_request`)."""
    return _body(_load(text, max_bytes), "args")


def decode_answer(text: str | bytes, max_bytes: int = MAX_ENVELOPE_BYTES) -> tuple[bool, Any]:
    """Decode an answer envelope into ``(True, value)`` or ``(False, error_object)``.

    The error object always has string ``code`` and ``message`` fields.

    Raises:
        EnvelopeError: MALFORMED_ENVELOPE, ABI_VERSION_MISMATCH or PAYLOAD_TOO_LARGE.
    """
    env = _load(text, max_bytes)
    if "ok" in env:
        return True, env["ok"]
    err = env.get("err")
    if type(err) is not dict or type(err.get("code")) is not str or type(err.get("message")) is not str:
        raise EnvelopeError(ErrorCode.MALFORMED_ENVELOPE,
                            'answer envelope needs "ok", or "err" with string "code" and "message"')
    return False, err
