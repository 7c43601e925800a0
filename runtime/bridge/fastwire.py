"""Protobuf messages to and from envelope form for the bridge's hot path.

The same results as :func:`runtime.messages.to_envelope` (only fields that are set;
bytes as latin-1 strings; maps as objects; nested messages as objects) and
:func:`runtime.messages.from_envelope` (unknown keys ignored; a value of the wrong type
is BAD_RETURN naming the field), with each field's kind looked up once per descriptor
instead of worked out on every call.
"""

from __future__ import annotations

from typing import Any, Mapping

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from host_abi.errors import ErrorCode

from ..errors import AbiViolation

__all__ = ["to_envelope", "from_envelope"]

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



_BY_NAME: dict[Any, dict[str, tuple[FieldDescriptor, int]]] = {}


def _fields(desc: Descriptor) -> dict[str, tuple[FieldDescriptor, int]]:
    table = _BY_NAME.get(desc)
    if table is None:
        _learn(desc)
        table = _BY_NAME[desc] = {fd.name: (fd, _KINDS[fd]) for fd in desc.fields}
    return table


def from_envelope(d: Mapping[str, Any], cls: type[Message]) -> Message:
    """A ``cls`` message from its envelope form.

    Raises:
        AbiViolation: BAD_RETURN naming the field whose value has the wrong type.
    """
    msg = cls()
    _fill(msg, d, "")
    return msg


def _fill(msg: Message, d: Mapping[str, Any], path: str) -> None:
    fields = _fields(msg.DESCRIPTOR)
    for key, value in d.items():
        entry = fields.get(key)
        if entry is None:
            continue  # unknown keys are ignored, as the guest does
        kind = entry[1]
        try:
            if kind == _SCALAR:
                setattr(msg, key, value)
            elif kind == _BYTES:
                setattr(msg, key, value.encode("latin-1") if isinstance(value, str) else value)
            elif kind == _MAP_SCALAR:
                target = getattr(msg, key)
                for k, v in dict(value).items():
                    target[k] = v
            elif kind == _MSG:
                if not isinstance(value, Mapping):
                    raise TypeError(f"expected an object, got {type(value).__name__}")
                sub = getattr(msg, key)
                sub.SetInParent()  # an empty object is a present message
                _fill(sub, value, f"{path}.{key}" if path else key)
            else:
                _fill_container(msg, key, kind, value, f"{path}.{key}" if path else key)
        except AbiViolation:
            raise
        except (TypeError, ValueError, AttributeError, UnicodeEncodeError) as exc:
            where = f"{path}.{key}" if path else key
            raise AbiViolation(f"field {where}: {exc}", code=ErrorCode.BAD_RETURN) from None


def _fill_container(msg: Message, key: str, kind: int, value: Any, where: str) -> None:
    target = getattr(msg, key)
    if kind == _REP_SCALAR:
        for v in value:
            target.append(v)
    elif kind == _REP_MSG:
        for i, v in enumerate(value):
            _fill(target.add(), v, f"{where}[{i}]")
    elif kind == _REP_BYTES:
        for v in value:
            target.append(v.encode("latin-1"))
    elif kind == _MAP_BYTES:
        for k, v in dict(value).items():
            target[k] = v.encode("latin-1")
    else:  # _MAP_MSG
        for k, v in dict(value).items():
            _fill(target[k], v, f"{where}[{k}]")
