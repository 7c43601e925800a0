"""Protobuf message to envelope form for the bridge's hot path.

The same result as :func:`runtime.messages.to_envelope` (only fields that are set;
bytes as latin-1 strings; maps as objects; nested messages as objects), with each
field's kind looked up once per descriptor instead of worked out on every call.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

__all__ = ["to_envelope"]

_SCALAR, _BYTES, _MSG, _REP_SCALAR, _REP_BYTES, _REP_MSG, _MAP_SCALAR, _MAP_BYTES, _MAP_MSG = range(9)
_KINDS: dict[Any, int] = {}


def _kind(fd: FieldDescriptor) -> int:
    is_msg = fd.type == FieldDescriptor.TYPE_MESSAGE
    repeated = bool(fd.is_repeated) if hasattr(fd, "is_repeated") else fd.label == FieldDescriptor.LABEL_REPEATED
    if is_msg and fd.message_type.GetOptions().map_entry:
        vfd = fd.message_type.fields_by_name["value"]
        if vfd.type == FieldDescriptor.TYPE_MESSAGE:
            return _MAP_MSG
        return _MAP_BYTES if vfd.type == FieldDescriptor.TYPE_BYTES else _MAP_SCALAR
    if repeated:
        if is_msg:
            return _REP_MSG
        return _REP_BYTES if fd.type == FieldDescriptor.TYPE_BYTES else _REP_SCALAR
    if is_msg:
        return _MSG
    return _BYTES if fd.type == FieldDescriptor.TYPE_BYTES else _SCALAR


def _learn(desc: Descriptor) -> None:
    for fd in desc.fields:
        if fd not in _KINDS:
            _KINDS[fd] = _kind(fd)
            if fd.type == FieldDescriptor.TYPE_MESSAGE:
                _learn(fd.message_type)


def to_envelope(msg: Message) -> dict[str, Any]:
    """``msg`` in envelope form."""
    kinds = _KINDS
    out: dict[str, Any] = {}
    for fd, value in msg.ListFields():
        kind = kinds.get(fd)
        if kind is None:
            _learn(fd.containing_type)
            kind = kinds[fd]
        if kind == _SCALAR:
            out[fd.name] = value
        elif kind == _MAP_SCALAR:
            out[fd.name] = dict(value)
        elif kind == _BYTES:
            out[fd.name] = value.decode("latin-1")
        elif kind == _MSG:
            out[fd.name] = to_envelope(value)
        elif kind == _REP_SCALAR:
            out[fd.name] = list(value)
        elif kind == _REP_MSG:
            out[fd.name] = [to_envelope(v) for v in value]
        elif kind == _REP_BYTES:
            out[fd.name] = [v.decode("latin-1") for v in value]
        elif kind == _MAP_BYTES:
            out[fd.name] = {k: v.decode("latin-1") for k, v in value.items()}
        else:
            out[fd.name] = {k: to_envelope(v) for k, v in value.items()}
    return out

