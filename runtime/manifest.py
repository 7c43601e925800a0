"""Plugin manifests: reading, validating, and what a plugin *requests*.

A plugin is a directory holding ``plugin-manifest.json`` and Python modules. The
manifest's top level carries AI Studio's manifest keys (PROTOCOL.md section 10) so a
ported manifest loads as it is; unknown top-level keys are kept and warned about.
The closed ``sandbox`` section says how to run the plugin here: its entry point, the
permissions and limits it requests and the fail policies it prefers. Nothing in the
manifest can choose the plugin's tier, trust or identity: the operator's policy does.

Validation never runs plugin code: the entry module is located and compiled, not imported.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from host_abi.hooks import HOOKS, FailPolicy
from host_abi.ops import GATEWAY_SCOPES, SANDBOX_SCOPES, STUDIO_SCOPES

from .errors import ManifestError

__all__ = ["MANIFEST_FILE", "Manifest", "load_manifest", "MANIFEST_SCHEMA", "HOOK_TYPES",
           "CLOCK_MODES", "RANDOM_MODES", "DEFAULT_CLOCK", "DEFAULT_RANDOM"]

log = logging.getLogger("runtime.manifest")

#: The manifest's file name inside a plugin directory (AI Studio's own ``plugin.json``
#: is an OCI packaging file, so ours has a name of its own).
MANIFEST_FILE = "plugin-manifest.json"

#: AI Studio hook-type strings (PROTOCOL.md 4.1).
HOOK_TYPES = ("pre_auth", "auth", "post_auth", "on_response", "data_collection",
              "custom_endpoint", "studio_ui", "portal_ui", "agent", "object_hooks",
              "resource_provider")
_FAIL_KEYS = sorted({h.hook_type for h in HOOKS if h.hook_type} | {h.name for h in HOOKS})
_KNOWN_TOP = {"id", "version", "name", "description", "capabilities", "permissions",
              "kvNamespace", "rpc", "ui", "portal", "compat", "security", "assets",
              "schedules", "resource_types", "sandbox", "$schema"}
_ALL_SCOPES = sorted(STUDIO_SCOPES | GATEWAY_SCOPES | SANDBOX_SCOPES)

#: Clocks a plugin may see, least precise first (host_abi/ABI.md, "Clocks and randomness"):
#: ``frozen`` (one reading per hook call, in ms), ``coarse`` (ms), ``real`` (ns).
CLOCK_MODES = ("frozen", "coarse", "real")
#: Randomness a plugin may get, least to most: ``seeded`` (a per-instance pseudo-random
#: stream, reproducible with the policy's ``random_seed``), ``real`` (the host's CSPRNG).
RANDOM_MODES = ("seeded", "real")
#: What a manifest that says nothing requests (the policy may lower it, never raise it).
DEFAULT_CLOCK = "coarse"
DEFAULT_RANDOM = "real"

_string_list = {"type": "array", "items": {"type": "string"}}

#: JSON Schema of the manifest (draft 2020-12).
MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "version", "name", "capabilities", "sandbox"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "version": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "capabilities": {
            "type": "object",
            "required": ["hooks"],
            "properties": {
                "hooks": {"type": "array", "minItems": 1, "items": {"enum": list(HOOK_TYPES)}},
                "primary_hook": {"enum": list(HOOK_TYPES)},
            },
        },
        "permissions": {
            "type": "object",
            "properties": {
                "services": {"type": "array", "items": {"enum": _ALL_SCOPES}},
                "object_hooks": _string_list, "kv": _string_list, "rpc": _string_list,
                "routes": _string_list, "ui": _string_list, "portal_ui": _string_list,
            },
        },
        "kvNamespace": {"type": "string"},
        "assets": _string_list,
        "schedules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "cron"],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "name": {"type": "string", "minLength": 1},
                    "cron": {"type": "string", "minLength": 1},
                    "timezone": {"type": "string"},
                    "enabled": {"type": "boolean"},
                    "timeout_seconds": {"type": "integer", "minimum": 1},
                    "config": {"type": "object"},
                },
            },
        },
        "resource_types": {
            "type": "array",
            "items": {"type": "object", "required": ["slug", "name"]},
        },
        "sandbox": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "entry": {"type": "string",
                          "pattern": r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"},
                # A go-plugin executable and its arguments (process tier; instead of entry).
                "command": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                "permissions": {"type": "array", "items": {"enum": sorted(SANDBOX_SCOPES)}},
                "limits": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "timeout_ms": {"type": "integer", "minimum": 1},
                        "memory_limit_bytes": {"type": "integer", "minimum": 1048576},
                        "max_host_calls": {"type": "integer", "minimum": 0},
                    },
                },
                "fail_policy": {
                    "type": "object",
                    "propertyNames": {"enum": _FAIL_KEYS},
                    "additionalProperties": {"enum": ["open", "closed"]},
                },
                "config_schema": {"type": "string"},
                "requirements": _string_list,
                "clock": {"enum": list(CLOCK_MODES)},
                "random": {"enum": list(RANDOM_MODES)},
            },
        },
    },
}

_validator = jsonschema.Draft202012Validator(MANIFEST_SCHEMA)


@dataclass(frozen=True)
class Manifest:
    """A validated manifest. ``raw`` is the whole document as read."""

    path: Path
    raw: dict[str, Any]
    id: str
    name: str
    version: str
    description: str
    hook_types: tuple[str, ...]
    entry_module: str
    entry_factory: str
    requested_scopes: frozenset[str]
    requested_limits: dict[str, int]
    fail_policy: dict[str, FailPolicy]
    config_schema: dict[str, Any] | None
    unknown_keys: tuple[str, ...] = field(default=())
    #: ``sandbox.clock`` and ``sandbox.random`` as written (None: not stated, so the
    #: default applies, lowered to what the policy grants; a stated request above the
    #: grant does not load).
    requested_clock: str | None = None
    requested_random: str | None = None
    #: ``sandbox.command``: a go-plugin executable (absolute, or relative to the plugin
    #: directory and inside it) and its arguments; such a plugin runs on the process tier
    #: only. Empty for Python plugins.
    command: tuple[str, ...] = ()

    @property
    def directory(self) -> Path:
        return self.path.parent

    def studio_manifest_json(self) -> str:
        """The manifest as AI Studio reads it (the ``sandbox`` section removed)."""
        return json.dumps({k: v for k, v in self.raw.items() if k != "sandbox"})


def _path_of(error: jsonschema.ValidationError) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return parts.lstrip(".") or "(top level)"


_MEMO: dict[Path, tuple[tuple[tuple[str, int, int], ...], Manifest]] = {}


def _signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Paths, sizes and modification times of every file of a plugin directory."""
    out = []
    try:
        for root, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                st = os.stat(os.path.join(root, name))
                out.append((os.path.join(root, name), st.st_size, st.st_mtime_ns))
    except OSError:
        return ()
    return tuple(out)


def load_manifest(plugin_dir: str | Path) -> Manifest:
    """Read and validate the manifest of ``plugin_dir``.

    A manifest already validated in this process is reused while the directory's files
    keep their sizes and modification times (loading the same plugin again, or under
    several identities, then costs a directory listing).

    Raises:
        ManifestError: the file is missing, not JSON, or invalid; the message names the
            file and the field.
    """
    directory = Path(plugin_dir)
    key = directory.resolve()
    signature = _signature(key)
    memo = _MEMO.get(key)
    if memo is not None and signature and memo[0] == signature:
        return memo[1]
    manifest = _load_manifest(directory)
    if signature:
        _MEMO[key] = (signature, manifest)
    return manifest


def _load_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST_FILE
    if not directory.is_dir():
        raise ManifestError(f"{directory}: not a plugin directory (it does not exist or is a file)")
    if not path.is_file():
        hint = " (found plugin.json: that is AI Studio's packaging file; the runtime reads " \
               f"{MANIFEST_FILE})" if (directory / "plugin.json").exists() else ""
        raise ManifestError(f"{path}: manifest not found{hint}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read the manifest: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ManifestError(f"{path}: the manifest nests too deeply") from None
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: the manifest must be a JSON object")
    errors = sorted(_validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ManifestError(f"{path}: field {_path_of(first)}: {first.message}{more}")
    unknown = tuple(sorted(set(raw) - _KNOWN_TOP))
    for key in unknown:
        log.warning("%s: unknown top-level key %r kept as it is", path, key)
    sandbox = raw["sandbox"]
    if ("entry" in sandbox) == ("command" in sandbox):
        raise ManifestError(f"{path}: field sandbox: give exactly one of entry (a Python plugin) "
                            "and command (a go-plugin executable)")
    command: tuple[str, ...] = ()
    if "command" in sandbox:
        module, factory = "", ""
        command = _check_command(path, directory, sandbox["command"])
    else:
        module, factory = sandbox["entry"].split(":")
        _check_entry(path, directory, module)
    scopes = set(raw.get("permissions", {}).get("services", [])) | set(sandbox.get("permissions", []))
    for scope in sorted(scopes):
        if scope.startswith("analytics."):
            raise ManifestError(f"{path}: field permissions.services: scope {scope!r} is never "
                                "granted to plugins")
    hooks = tuple(raw["capabilities"]["hooks"])
    primary = raw["capabilities"].get("primary_hook")
    if primary is not None and primary not in hooks:
        raise ManifestError(f"{path}: field capabilities.primary_hook: {primary!r} is not one "
                            "of capabilities.hooks")
    fail_policy: dict[str, FailPolicy] = {}
    for key, value in sandbox.get("fail_policy", {}).items():
        policy = FailPolicy(value)
        for spec in HOOKS:
            if key in (spec.name, spec.hook_type) and policy not in spec.allowed_fail_policies:
                raise ManifestError(f"{path}: field sandbox.fail_policy.{key}: {value!r} is not "
                                    f"allowed for hook {spec.name} (only closed)")
        fail_policy[key] = policy
    config_schema = None
    if "config_schema" in sandbox:
        config_schema = _read_config_schema(path, directory, sandbox["config_schema"])
    return Manifest(
        path=path, raw=raw, id=raw["id"], name=raw["name"], version=raw["version"],
        description=raw.get("description", ""), hook_types=hooks, entry_module=module,
        entry_factory=factory, requested_scopes=frozenset(scopes),
        requested_limits=dict(sandbox.get("limits", {})), fail_policy=fail_policy,
        config_schema=config_schema, unknown_keys=unknown,
        requested_clock=sandbox.get("clock"), requested_random=sandbox.get("random"),
        command=command,
    )


def _check_command(path: Path, directory: Path, command: list[str]) -> tuple[str, ...]:
    exe = Path(command[0])
    if not exe.is_absolute():
        exe = (directory / exe).resolve()
        if directory.resolve() not in exe.parents:
            raise ManifestError(f"{path}: field sandbox.command: {command[0]!r} is outside the "
                                "plugin directory (use an absolute path for a shared executable)")
    if not exe.is_file() or not os.access(exe, os.X_OK):
        raise ManifestError(f"{path}: field sandbox.command: {exe} is not an executable file")
    return (str(exe), *command[1:])


def _check_entry(path: Path, directory: Path, module: str) -> None:
    rel = Path(*module.split("."))
    candidates = [directory / rel.with_suffix(".py"), directory / rel / "__init__.py"]
    source = next((c for c in candidates if c.is_file()), None)
    if source is None:
        raise ManifestError(f"{path}: field sandbox.entry: module {module!r} not found "
                            f"(looked for {candidates[0].name} and {rel}/__init__.py)")
    try:
        compile(source.read_text(encoding="utf-8"), str(source), "exec")
    except SyntaxError as exc:
        raise ManifestError(f"{path}: field sandbox.entry: {source.name} line {exc.lineno}: "
                            f"syntax error: {exc.msg}") from None


def _read_config_schema(path: Path, directory: Path, rel: str) -> dict[str, Any]:
    schema_path = (directory / rel).resolve()
    if directory.resolve() not in schema_path.parents:
        raise ManifestError(f"{path}: field sandbox.config_schema: {rel!r} is outside the plugin directory")
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: field sandbox.config_schema: cannot read {rel!r}: {exc}") from None
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ManifestError(f"{path}: field sandbox.config_schema: {rel!r} is not a valid JSON "
                            f"Schema: {exc.message}") from None
    return dict(schema)
