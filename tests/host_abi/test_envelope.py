"""The envelope codec: round trips, and a stable error for every kind of bad envelope."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host_abi.envelope import (ABI_VERSION, EnvelopeError, bytes_from_wire, bytes_to_wire,
                               decode_answer, decode_args, decode_request, encode_args,
                               encode_err, encode_ok, encode_request)
from host_abi.errors import ErrorCode

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**64) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_request_and_args_round_trip(msg: dict) -> None:
    assert decode_request(encode_request(msg)) == msg
    assert decode_args(encode_args(msg)) == msg


@given(json_values)
def test_ok_round_trips(value: object) -> None:
    assert decode_answer(encode_ok(value)) == (True, value)


@given(st.binary(max_size=512))
def test_bytes_cross_as_latin1_and_back(data: bytes) -> None:
    text = encode_request({"body": bytes_to_wire(data)})
    assert bytes_from_wire(decode_request(text)["body"]) == data
    assert text.encode("utf-8").decode("utf-8") == text  # valid UTF-8 for the WIT string


def test_err_carries_code_message_and_details() -> None:
    ok, err = decode_answer(encode_err(ErrorCode.PLUGIN_RAISED, "boom", hook="x", where="p.py:3"))
    assert not ok
    assert err == {"code": "PLUGIN_RAISED", "message": "boom", "hook": "x", "where": "p.py:3"}


@pytest.mark.parametrize("text,code", [
    ("", ErrorCode.MALFORMED_ENVELOPE),
    ("{", ErrorCode.MALFORMED_ENVELOPE),
    ("[1, 2]", ErrorCode.MALFORMED_ENVELOPE),
    ('{"msg": {}}', ErrorCode.MALFORMED_ENVELOPE),
    ('{"v": 2, "msg": {}}', ErrorCode.ABI_VERSION_MISMATCH),
    ('{"v": "1", "msg": {}}', ErrorCode.ABI_VERSION_MISMATCH),
    ('{"v": 1, "msg": [1]}', ErrorCode.MALFORMED_ENVELOPE),
    ('{"v": 1}', ErrorCode.MALFORMED_ENVELOPE),
    (b"\xff\xfe", ErrorCode.MALFORMED_ENVELOPE),
])
def test_bad_requests_get_stable_codes(text: str, code: ErrorCode) -> None:
    with pytest.raises(EnvelopeError) as info:
        decode_request(text)
    assert info.value.code is code


@pytest.mark.parametrize("text", ['{"v": 1}', '{"v": 1, "err": "x"}',
                                  '{"v": 1, "err": {"code": 3, "message": "m"}}',
                                  '{"v": 1, "err": {"code": "X"}}'])
def test_bad_answers_are_malformed(text: str) -> None:
    with pytest.raises(EnvelopeError) as info:
        decode_answer(text)
    assert info.value.code is ErrorCode.MALFORMED_ENVELOPE


def test_oversized_envelope_refused_before_parsing() -> None:
    text = encode_request({"body": "x" * 200})
    with pytest.raises(EnvelopeError) as info:
        decode_request(text, max_bytes=100)
    assert info.value.code is ErrorCode.PAYLOAD_TOO_LARGE
    assert decode_request(text, max_bytes=len(text)) == {"body": "x" * 200}


def test_code_point_above_latin1_is_refused_in_bytes_fields() -> None:
    with pytest.raises(EnvelopeError) as info:
        bytes_from_wire("caf\u00e9\u20ac")
    assert info.value.code is ErrorCode.INVALID_ARGUMENT


def test_version_field_is_the_abi_version() -> None:
    assert json.loads(encode_ok({}))["v"] == ABI_VERSION == 1


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_decoders_never_raise_anything_but_envelope_error(text: str) -> None:
    for decode in (decode_request, decode_args, decode_answer):
        try:
            decode(text)
        except EnvelopeError as exc:
            assert isinstance(exc.code, ErrorCode)
