"""Host-side message conversion: protobuf messages, proto3 JSON and the envelope form.

The envelope form (``host_abi.envelope``) is what crosses into plugins; protobuf
messages are what the gRPC bridge speaks; proto3 JSON is what ``runtime call`` reads
and prints. Conversions are driven by the generated descriptors.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from host_abi.errors import ErrorCode
from host_abi.hooks import HookSpec

from .errors import AbiViolation
from .wire import config_provider_pb2, plugin_pb2

__all__ = ["message_class", "to_envelope", "from_envelope", "parse_proto_json",
           "to_proto_json", "envelope_to_proto_json"]

_PACKAGES = {"plugin": plugin_pb2, "config_provider": config_provider_pb2}
_BYTES = FieldDescriptor.TYPE_BYTES
_MESSAGE = FieldDescriptor.TYPE_MESSAGE
_ENUM = FieldDescriptor.TYPE_ENUM


def message_class(full_name: str) -> type[Message] | None:
    """The generated class for ``plugin.X`` / ``config_provider.X``; None for ABI messages."""
    package, _, name = full_name.partition(".")
    module = _PACKAGES.get(package)
    return getattr(module, name, None) if module is not None else None


def _is_map(fd: FieldDescriptor) -> bool:
    return fd.type == _MESSAGE and fd.message_type.GetOptions().map_entry


def _is_repeated(fd: FieldDescriptor) -> bool:
    return bool(fd.is_repeated) if hasattr(fd, "is_repeated") else fd.label == FieldDescriptor.LABEL_REPEATED


def to_envelope(msg: Message) -> dict[str, Any]:
    """A protobuf message in envelope form (only fields that are set)."""
    out: dict[str, Any] = {}
    for fd, value in msg.ListFields():
        if _is_map(fd):
            vfd = fd.message_type.fields_by_name["value"]
            if vfd.type == _MESSAGE:
                out[fd.name] = {k: to_envelope(v) for k, v in value.items()}
            elif vfd.type == _BYTES:
                out[fd.name] = {k: v.decode("latin-1") for k, v in value.items()}
            else:
                out[fd.name] = dict(value)
        elif _is_repeated(fd):
            if fd.type == _MESSAGE:
                out[fd.name] = [to_envelope(v) for v in value]
            elif fd.type == _BYTES:
                out[fd.name] = [v.decode("latin-1") for v in value]
            else:
                out[fd.name] = list(value)
        elif fd.type == _MESSAGE:
            out[fd.name] = to_envelope(value)
        elif fd.type == _BYTES:
            out[fd.name] = value.decode("latin-1")
        else:
            out[fd.name] = value
    return out


def _fill(msg: Message, d: Mapping[str, Any], path: str) -> None:
    fields = msg.DESCRIPTOR.fields_by_name
    for key, value in d.items():
        fd = fields.get(key)
        if fd is None:
            continue  # unknown keys are ignored, as the guest does
        where = f"{path}.{key}" if path else key
        try:
            if _is_map(fd):
                target = getattr(msg, key)
                vfd = fd.message_type.fields_by_name["value"]
                for k, v in dict(value).items():
                    if vfd.type == _MESSAGE:
                        _fill(target[k], v, f"{where}[{k}]")
                    elif vfd.type == _BYTES:
                        target[k] = v.encode("latin-1")
                    else:
                        target[k] = v
            elif _is_repeated(fd):
                target = getattr(msg, key)
                for i, v in enumerate(value):
                    if fd.type == _MESSAGE:
                        _fill(target.add(), v, f"{where}[{i}]")
                    elif fd.type == _BYTES:
                        target.append(v.encode("latin-1"))
                    else:
                        target.append(v)
            elif fd.type == _MESSAGE:
                if not isinstance(value, Mapping):
                    raise TypeError(f"expected an object, got {type(value).__name__}")
                getattr(msg, key).SetInParent()  # an empty object is a present message
                _fill(getattr(msg, key), value, where)
            elif fd.type == _BYTES:
                setattr(msg, key, value.encode("latin-1") if isinstance(value, str) else value)
            else:
                setattr(msg, key, value)
        except (TypeError, ValueError, AttributeError, UnicodeEncodeError, OverflowError) as exc:
            raise AbiViolation(f"field {where}: {exc}", code=ErrorCode.BAD_RETURN) from None


def from_envelope(d: Mapping[str, Any], cls: type[Message]) -> Message:
    """A protobuf message from its envelope form.

    Raises:
        AbiViolation: BAD_RETURN naming the field whose value has the wrong type.
    """
    msg = cls()
    _fill(msg, d, "")
    return msg


def parse_proto_json(text: str | bytes, cls: type[Message]) -> Message:
    """Parse proto3 JSON (proto or lowerCamel names, unknown fields rejected, bytes base64).

    Raises:
        AbiViolation: INPUT_INVALID with the parser's message.
    """
    try:
        return json_format.Parse(text, cls(), ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise AbiViolation(f"input is not a valid {cls.DESCRIPTOR.full_name} in proto3 JSON: {exc}",
                           code=ErrorCode.INPUT_INVALID) from None


def to_proto_json(msg: Message) -> dict[str, Any]:
    """proto3 JSON of ``msg``: proto field names, every field (defaults included), enums by
    name, 64-bit integers as strings, bytes as base64."""
    return json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


def envelope_to_proto_json(spec: HookSpec, value: Mapping[str, Any], *, response: bool = True) -> dict[str, Any]:
    """An answer of ``spec`` (envelope form) as proto3 JSON; ABI messages pass as they are."""
    cls = message_class(spec.response if response else spec.request)
    if cls is None:
        return json.loads(json.dumps(value))
    return to_proto_json(from_envelope(value, cls))
