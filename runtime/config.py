"""Plugin configuration: validation against the plugin's schema and flattening to the
string map ``Initialize`` carries (PROTOCOL.md 5.3)."""

from __future__ import annotations

import json
from typing import Any, Mapping

import jsonschema
import referencing
import referencing.exceptions

from host_abi.config import flatten_config, format_go_value

from .errors import ConfigError

__all__ = ["flatten_config", "format_go_value", "validate_config", "parse_cli_value"]


def validate_config(config: Mapping[str, Any], schema: Mapping[str, Any] | None,
                    plugin: str) -> None:
    """Check ``config`` against the plugin's JSON Schema (no schema: anything goes).

    Raises:
        ConfigError: CONFIG_INVALID naming the field.
    """
    _check_numbers(config, plugin)
    if not schema:
        return
    try:
        jsonschema.Draft202012Validator.check_schema(dict(schema))
        # The schema is the plugin's: references resolve inside it only, never by
        # fetching a URL (jsonschema's default would retrieve remote references).
        validator = jsonschema.Draft202012Validator(dict(schema), registry=_NO_RETRIEVAL)
        errors = sorted(validator.iter_errors(dict(config)), key=lambda e: list(e.absolute_path))
    except jsonschema.SchemaError as exc:
        raise ConfigError(f"the plugin's config schema is invalid: {exc.message}", plugin=plugin) from None
    except referencing.exceptions.Unresolvable as exc:
        raise ConfigError(f"the plugin's config schema has a reference that does not resolve "
                          f"inside it: {exc}", plugin=plugin) from None
    except RecursionError:
        raise ConfigError("the plugin's config schema refers to itself without end",
                          plugin=plugin) from None
    if errors:
        e = errors[0]
        where = ".".join(str(x) for x in e.absolute_path) or "(top level)"
        raise ConfigError(f"config field {where}: {e.message}", plugin=plugin)


def _no_retrieval(uri: str) -> Any:
    raise referencing.exceptions.NoSuchResource(ref=uri)  # type: ignore[call-arg]


_NO_RETRIEVAL: referencing.Registry[Any] = referencing.Registry(retrieve=_no_retrieval)  # type: ignore[call-arg]


def _check_numbers(value: Any, plugin: str, where: str = "") -> None:
    """Refuse numbers no host can carry (Go reads JSON numbers as float64)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > 1.7976931348623157e308:
            raise ConfigError(f"config field {where or '(top level)'}: the number has "
                              f"{len(str(abs(value)))} digits, beyond a 64-bit float", plugin=plugin)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_numbers(item, plugin, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_numbers(item, plugin, f"{where}[{i}]")


def parse_cli_value(text: str) -> Any:
    """A ``--config K=V`` value: JSON when it parses as JSON, else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text
