"""The contract between the plugin host and the guest: hook and op tables, the
envelope codec, error codes, limits and the WIT world. ``ABI.md`` is the spec.

Stdlib-only: the guest SDK imports this package inside a WebAssembly guest.
"""

from __future__ import annotations

from .envelope import ABI_VERSION, EnvelopeError
from .errors import ErrorCode
from .hooks import HOOKS, FailPolicy, HookSpec, fill_answer, hook_by_name, hook_by_number
from .ops import DEFAULT_GRANTS, OPS, OpSpec, op_by_name, op_by_number

__all__ = [
    "ABI_VERSION",
    "DEFAULT_GRANTS",
    "EnvelopeError",
    "ErrorCode",
    "FailPolicy",
    "GUEST_ENTRY_MODULE",
    "HOOKS",
    "HookSpec",
    "OPS",
    "OpSpec",
    "fill_answer",
    "hook_by_name",
    "hook_by_number",
    "op_by_name",
    "op_by_number",
]

#: The guest module every tier instantiates a plugin through (the wasm component's
#: exports are bound to it at build time; the in-process tier imports it by this name).
GUEST_ENTRY_MODULE = "guest_sdk._guest"
