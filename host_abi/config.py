"""Flattening a plugin's configuration to the string map ``Initialize`` carries
(PROTOCOL.md 5.3), shared by the runtime and the guest SDK's test harness so both
flatten exactly as the reference hosts do. Stdlib only.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

__all__ = ["flatten_config", "format_go_value"]


def format_go_value(value: Any) -> str:
    """A JSON scalar as the reference hosts write it: Go's ``%v`` of a float64 or bool.

    Go prints the shortest digits that round-trip, in exponent form when the decimal
    exponent is below -4 or at least 6: ``3`` -> ``"3"``, ``1.5`` -> ``"1.5"``,
    ``1000000`` -> ``"1e+06"``, ``0.00001`` -> ``"1e-05"``, ``True`` -> ``"true"``.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    f = float(value)
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if math.isnan(f):
        return "NaN"
    if f == 0:
        return "0"
    shortest = repr(f).lower()
    exp = int(format(f, ".16e").partition("e")[2])
    if -4 <= exp < 6:
        return str(int(f)) if f.is_integer() else shortest
    if "e" in shortest:
        mantissa = shortest.partition("e")[0]
    else:
        sign = "-" if shortest.startswith("-") else ""
        raw = shortest.lstrip("-").replace(".", "").lstrip("0").rstrip("0") or "0"
        mantissa = sign + raw[0] + ("." + raw[1:] if len(raw) > 1 else "")
    if mantissa.endswith(".0"):
        mantissa = mantissa[:-2]
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def flatten_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Flatten a JSON object's top-level values to strings as the hosts do.

    Strings stay as they are, numbers and bools use :func:`format_go_value`, and arrays,
    objects and ``null`` become JSON text.
    """
    out: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, (bool, int, float)):
            out[key] = format_go_value(value)
        else:
            out[key] = json.dumps(value, separators=(",", ":"))
    return out
