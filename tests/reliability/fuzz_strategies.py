"""Hypothesis strategies and settings of the fuzz targets.

Every target runs ``fuzz_examples(CI_EXAMPLES)`` examples: a bounded number in CI, and
``GPS_FUZZ_EXAMPLES`` when set (the long mode, e.g. 10000). Inputs are random values and
valid inputs mutated (characters or bytes inserted, deleted, replaced, truncated).
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from reliability_helpers import fuzz_examples

#: Examples per target in the bounded (CI) run.
CI_EXAMPLES = 60


def fuzz_settings(default: int = CI_EXAMPLES) -> settings:
    """Settings of one fuzz target: its example count, no per-example deadline (hangs are
    checked by the targets themselves), no database. The bounded run is derandomised (the
    same examples on every CI run); the long mode draws new ones each time."""
    return settings(max_examples=fuzz_examples(default), deadline=None, database=None,
                    suppress_health_check=list(HealthCheck),
                    derandomize=not os.environ.get("GPS_FUZZ_EXAMPLES", "").strip())


def per_item_settings(items: int) -> settings:
    """Settings of one item (an op, an RPC) of a target that spreads its examples over
    ``items`` parametrised tests: the target's examples divided among them, at least 10."""
    total = fuzz_examples(CI_EXAMPLES)
    return settings(fuzz_settings(), max_examples=max(10, -(-total // items)))


#: Any JSON value (as Python), small enough to keep examples quick.
json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
                | st.text(max_size=40))
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20)
json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


@st.composite
def mutated_text(draw: Callable[..., Any], base: str) -> str:
    """``base`` with a few characters inserted, deleted or replaced (or truncated)."""
    text = list(base)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        pos = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(list('{}[]":,\\0-1eE.tfn') + ["\x00", "\ud800", "é", "v", " "])
                    | st.characters())
        if kind == "insert":
            text.insert(pos, char)
        elif text and kind == "delete":
            del text[min(pos, len(text) - 1)]
        elif text and kind == "replace":
            text[min(pos, len(text) - 1)] = char
        elif kind == "truncate":
            text = text[:pos]
    return "".join(text)


@st.composite
def mutated_bytes(draw: Callable[..., Any], base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        pos = draw(st.integers(0, len(data)))
        byte = draw(st.integers(0, 255))
        if kind == "insert":
            data.insert(pos, byte)
        elif data and kind == "delete":
            del data[min(pos, len(data) - 1)]
        elif data and kind == "replace":
            data[min(pos, len(data) - 1)] = byte
        elif kind == "truncate":
            del data[pos:]
    return bytes(data)


def envelope_texts(body_key: str) -> st.SearchStrategy[str]:
    """Texts for an envelope decoder: random text, random JSON, envelopes with random
    fields and versions, and valid envelopes mutated."""
    valid = st.builds(lambda body: json.dumps({"v": 1, body_key: body}), json_objects)
    shaped = st.builds(
        lambda v, body, extra: json.dumps({"v": v, body_key: body, **extra}),
        st.one_of(st.just(1), json_values), json_values,
        st.dictionaries(st.sampled_from(["ok", "err", "msg", "args", "v"]), json_values, max_size=2))
    return st.one_of(
        st.text(max_size=200),
        st.builds(json.dumps, json_values),
        shaped,
        valid,
        valid.flatmap(mutated_text),
        st.builds(lambda n: "[" * n + "]" * n, st.integers(1, 3_000)),
        st.builds(lambda n: '{"v":1,"%s":' % body_key + '{"a":' * n + "1" + "}" * n + "}",
                  st.integers(1, 3_000)),
    )


# -- protobuf messages from their descriptors -------------------------------------------------
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1), FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1), FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1), FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def _repeated(fd: FieldDescriptor) -> bool:
    return bool(fd.is_repeated) if hasattr(fd, "is_repeated") else fd.label == FieldDescriptor.LABEL_REPEATED


def _scalar(draw: Callable[..., Any], fd: FieldDescriptor) -> Any:
    t = fd.type
    if t in _INT_RANGES:
        lo, hi = _INT_RANGES[t]
        return draw(st.integers(lo, hi) | st.sampled_from([0, 1, -1, lo, hi]).filter(lambda x: lo <= x <= hi))
    if t == FieldDescriptor.TYPE_BOOL:
        return draw(st.booleans())
    if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return draw(st.floats(width=32 if t == FieldDescriptor.TYPE_FLOAT else 64))
    if t == FieldDescriptor.TYPE_STRING:
        return draw(st.text(max_size=60))
    if t == FieldDescriptor.TYPE_BYTES:
        return draw(st.binary(max_size=60))
    if t == FieldDescriptor.TYPE_ENUM:
        values = [v.number for v in fd.enum_type.values]
        return draw(st.sampled_from(values) | st.integers(-5, 1000))
    raise AssertionError(f"unexpected field type {t}")


def fill_message(draw: Callable[..., Any], msg: Message, depth: int = 0) -> Message:
    """Set a random subset of ``msg``'s fields to random values (nesting up to 3 levels)."""
    desc: Descriptor = msg.DESCRIPTOR
    for fd in desc.fields:
        if not draw(st.booleans()):
            continue
        is_msg = fd.type == FieldDescriptor.TYPE_MESSAGE
        if is_msg and fd.message_type.GetOptions().map_entry:
            kfd, vfd = fd.message_type.fields_by_name["key"], fd.message_type.fields_by_name["value"]
            target = getattr(msg, fd.name)
            for _ in range(draw(st.integers(0, 3))):
                key = _scalar(draw, kfd)
                if vfd.type == FieldDescriptor.TYPE_MESSAGE:
                    if depth < 3:
                        fill_message(draw, target[key], depth + 1)
                else:
                    target[key] = _scalar(draw, vfd)
        elif _repeated(fd):
            target = getattr(msg, fd.name)
            for _ in range(draw(st.integers(0, 3))):
                if is_msg:
                    if depth < 3:
                        fill_message(draw, target.add(), depth + 1)
                else:
                    target.append(_scalar(draw, fd))
        elif is_msg:
            if depth < 3:
                sub = getattr(msg, fd.name)
                sub.SetInParent()
                fill_message(draw, sub, depth + 1)
        else:
            setattr(msg, fd.name, _scalar(draw, fd))
    return msg


@st.composite
def messages(draw: Callable[..., Any], cls: type[Message]) -> Message:
    """A random ``cls``, or one whose wire bytes were mutated (when they still parse)."""
    msg = fill_message(draw, cls())
    if draw(st.booleans()):
        data = draw(mutated_bytes(msg.SerializeToString()))
        other = cls()
        try:
            other.ParseFromString(data)
        except (DecodeError, RuntimeError, ValueError):
            return msg  # gRPC would refuse bytes that do not parse before any servicer runs
        return other
    return msg
