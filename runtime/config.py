"""Plugin configuration: validation against the plugin's schema and flattening to the
string map ``Initialize`` carries (PROTOCOL.md 5.3)."""

from __future__ import annotations

import json
from typing import Any, Mapping

import jsonschema

from host_abi.config import flatten_config, format_go_value

from .errors import ConfigError

__all__ = ["flatten_config", "format_go_value", "validate_config", "parse_cli_value"]


def validate_config(config: Mapping[str, Any], schema: Mapping[str, Any] | None,
                    plugin: str) -> None:
    """Check ``config`` against the plugin's JSON Schema (no schema: anything goes).

    Raises:
        ConfigError: CONFIG_INVALID naming the field.
    """
    if not schema:
        return
    try:
        validator = jsonschema.Draft202012Validator(dict(schema))
        errors = sorted(validator.iter_errors(dict(config)), key=lambda e: list(e.absolute_path))
    except jsonschema.SchemaError as exc:
        raise ConfigError(f"the plugin's config schema is invalid: {exc.message}", plugin=plugin) from None
    if errors:
        e = errors[0]
        where = ".".join(str(x) for x in e.absolute_path) or "(top level)"
        raise ConfigError(f"config field {where}: {e.message}", plugin=plugin)


def parse_cli_value(text: str) -> Any:
    """A ``--config K=V`` value: JSON when it parses as JSON, else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text
