"""Config flattening as the reference hosts do it (PROTOCOL.md 5.3) and schema validation."""

from __future__ import annotations

import pytest

from runtime.config import flatten_config, format_go_value, parse_cli_value, validate_config
from runtime.errors import ConfigError


@pytest.mark.parametrize("value,text", [
    (3, "3"), (1.5, "1.5"), (1000000, "1e+06"), (999999, "999999"), (123456789, "1.23456789e+08"),
    (0.0001, "0.0001"), (0.00001, "1e-05"), (-1234567, "-1.234567e+06"), (0, "0"), (True, "true"),
    (False, "false"), (2.5e-7, "2.5e-07"), (1e21, "1e+21"), (100000.5, "100000.5"),
])
def test_go_formatting_of_scalars(value: object, text: str) -> None:
    assert format_go_value(value) == text


def test_flatten() -> None:
    assert flatten_config({"s": "text", "n": 1000000, "b": True, "l": [1, 2], "o": {"x": 1},
                           "z": None}) == {"s": "text", "n": "1e+06", "b": "true", "l": "[1,2]",
                                           "o": '{"x":1}', "z": "null"}


def test_validate_names_the_field() -> None:
    schema = {"type": "object", "properties": {"limit": {"type": "integer", "minimum": 1}},
              "required": ["limit"]}
    validate_config({"limit": 3}, schema, "p")
    with pytest.raises(ConfigError) as info:
        validate_config({"limit": 0}, schema, "p")
    assert info.value.code == "CONFIG_INVALID" and "limit" in info.value.message
    with pytest.raises(ConfigError):
        validate_config({}, schema, "p")
    validate_config({"anything": 1}, None, "p")


def test_cli_values_parse_as_json_when_they_are() -> None:
    assert parse_cli_value("5") == 5 and parse_cli_value("true") is True
    assert parse_cli_value('["a"]') == ["a"] and parse_cli_value("plain text") == "plain text"
