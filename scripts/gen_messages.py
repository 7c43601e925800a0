#!/usr/bin/env python3
"""Generate guest_sdk/messages.py (typed protocol messages for plugin authors) from host_abi/schema.py.

Usage:
    python scripts/gen_messages.py          # rewrite guest_sdk/messages.py
    python scripts/gen_messages.py --check  # exit 1 if the committed file is stale

The generated module must stay cheap to import and fast inside a WebAssembly CPython guest, so it
uses only ``dataclasses`` and ``enum`` and every class gets its own straight-line ``to_wire`` /
``from_wire`` code instead of a reflective walk over the schema at run time.

Envelope form (what ``to_wire`` returns and ``from_wire`` accepts): a JSON-ready dict keyed by
proto field name; fields equal to their proto3 default are left out; nested messages are dicts,
maps are dicts, repeated fields are lists, enums are ints, all integer kinds are ints, doubles are
floats and bytes are latin-1 strings (one code point U+0000..U+00FF per byte).
"""

from __future__ import annotations

import argparse
import keyword
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "guest_sdk" / "messages.py"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from host_abi.schema import ENUMS, MESSAGES, FieldSpec, MessageSpec  # noqa: E402

INT_TYPES = frozenset(
    {"int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64"}
)
# Python annotation and default literal of each scalar proto type.
SCALAR_PY = {"string": ("str", '""'), "bytes": ("bytes", 'b""'), "bool": ("bool", "False"),
             "double": ("float", "0.0"), "float": ("float", "0.0")}
SCALAR_PY.update({t: ("int", "0") for t in INT_TYPES})

# Names the generated module defines itself; a message may not take one of them.
RESERVED = {"Message", "MESSAGE_TYPES", "TYPE_CHECKING", "IntEnum", "dataclass"}

# One-line descriptions (our wording) used as class docstrings; every message and enum needs one.
DOCS: dict[str, str] = {
    "plugin.InitRequest": "Plugin configuration handed over once after connecting, as flat string pairs.",
    "plugin.InitResponse": "Outcome of Initialize; a failure makes the host stop the plugin.",
    "plugin.PingRequest": "Health probe sent by the host, carrying its clock.",
    "plugin.PingResponse": "Answer to a health probe: the echoed timestamp and a healthy flag.",
    "plugin.ShutdownRequest": "Asks the plugin to clean up before its process is stopped.",
    "plugin.ShutdownResponse": "Whether the plugin's cleanup succeeded.",
    "plugin.PluginContext": "Per-call identifiers (request, LLM, app, user) attached to most hook requests.",
    "plugin.PluginRequest": "An incoming HTTP request as the pre_auth hook sees it.",
    "plugin.PluginResponse": "What a pre_auth or post_auth hook wants done with the request.",
    "plugin.AuthRequest": "Credential and request handed to a custom authentication plugin.",
    "plugin.AuthResponse": "Authentication verdict with the resolved user, app and claims.",
    "plugin.EnrichedRequest": "The request plus authentication results, as the post_auth hook sees it.",
    "plugin.HeadersRequest": "Upstream response headers just before they are written to the client.",
    "plugin.HeadersResponse": "Response headers, possibly changed by the plugin.",
    "plugin.ResponseWriteRequest": "Upstream response body just before it is written to the client.",
    "plugin.ResponseWriteResponse": "Response body and headers, possibly changed by the plugin.",
    "plugin.StreamCompleteRequest": "Summary of a streamed (SSE) upstream response once it has ended.",
    "plugin.StreamCompleteResponse": "Flags saying what the plugin did with a finished stream.",
    "plugin.GetAppRequest": "Looks up the app that owns a credential.",
    "plugin.GetAppResponse": "Result of an app lookup by credential.",
    "plugin.GetUserRequest": "Looks up the user that owns a credential.",
    "plugin.GetUserResponse": "Result of a user lookup by credential.",
    "plugin.App": "An application record as exposed to plugins.",
    "plugin.AppPluginResourceAssociation": "Instances of one plugin resource type bound to an app.",
    "plugin.AppPluginResourceInstance": "Cached summary of one resource instance bound to an app.",
    "plugin.User": "A user record as exposed to plugins.",
    "plugin.ProxyLogRequest": "Data collection: one proxied request/response log entry.",
    "plugin.AnalyticsRequest": "Data collection: token counts and cost of one LLM call.",
    "plugin.BudgetUsageRequest": "Data collection: budget consumed over a period.",
    "plugin.DataCollectionResponse": "Outcome of any data collection call.",
    "plugin.GetAssetRequest": "Asks for one static UI asset shipped with the plugin.",
    "plugin.GetAssetResponse": "Content and MIME type of a requested UI asset.",
    "plugin.ListAssetsRequest": "Asks for the plugin's UI assets, optionally under a path prefix.",
    "plugin.ListAssetsResponse": "The plugin's UI assets.",
    "plugin.AssetInfo": "Path, MIME type and size of one UI asset.",
    "plugin.GetManifestRequest": "Asks for the plugin manifest.",
    "plugin.GetManifestResponse": "The plugin manifest as JSON text.",
    "plugin.CallRequest": "A method call from the plugin's admin UI, with a JSON payload.",
    "plugin.CallResponse": "JSON result of an admin UI call.",
    "plugin.PortalCallRequest": "A method call from the plugin's portal (end-user) UI.",
    "plugin.PortalCallResponse": "JSON result of a portal UI call.",
    "plugin.PortalUserContext": "The portal user who made a portal UI call.",
    "plugin.GetConfigSchemaRequest": "Asks for the JSON Schema of the plugin configuration.",
    "plugin.GetConfigSchemaResponse": "JSON Schema of the plugin configuration, as text.",
    "plugin.AgentMessageRequest": "A user message for an agent, with the tools, data sources and LLMs it may use.",
    "plugin.AgentMessageChunk": "One piece of an agent's streamed reply.",
    "plugin.AgentToolInfo": "A tool an agent may call.",
    "plugin.AgentDatasourceInfo": "A data source an agent may query.",
    "plugin.AgentLLMInfo": "An LLM an agent may use.",
    "plugin.AgentConversationMessage": "One earlier message of an agent conversation.",
    "plugin.GetObjectHookRegistrationsRequest": "Asks which object CRUD events the plugin wants to see.",
    "plugin.GetObjectHookRegistrationsResponse": "The object CRUD events the plugin subscribes to.",
    "plugin.ObjectHookRegistration": "Subscription to CRUD events of one object type, with a priority.",
    "plugin.ObjectHookRequest": "A create, update or delete event on a Studio object.",
    "plugin.ObjectHookResponse": "The plugin's decision on an object event, optionally with a changed object.",
    "plugin.ExecuteScheduledTaskRequest": "A scheduled task whose cron time has come.",
    "plugin.ExecuteScheduledTaskResponse": "Outcome of a scheduled task run.",
    "plugin.ScheduleDefinition": "A cron schedule registered for the plugin.",
    "plugin.EdgePayloadRequest": "A payload that an edge instance of the plugin sent to the control plane.",
    "plugin.EdgePayloadResponse": "Outcome of handling an edge payload.",
    "plugin.OpenSessionRequest": "Long poll that keeps the host session (and its broker) open.",
    "plugin.OpenSessionResponse": "Ends a session long poll and says why.",
    "plugin.CloseSessionRequest": "Ends the current session long poll.",
    "plugin.CloseSessionResponse": "Outcome of closing a session.",
    "plugin.GetEndpointRegistrationsRequest": "Asks which custom HTTP endpoints the plugin serves.",
    "plugin.GetEndpointRegistrationsResponse": "The custom HTTP endpoints the plugin serves.",
    "plugin.EndpointRegistration": "One custom HTTP route under /plugins/{slug}/.",
    "plugin.EndpointRequest": "A complete HTTP request to a custom endpoint.",
    "plugin.EndpointResponse": "A complete HTTP response from a custom endpoint.",
    "plugin.EndpointResponseChunk": "One piece of a streamed custom endpoint response.",
    "plugin.GetResourceTypeRegistrationsRequest": "Asks which resource types the plugin provides.",
    "plugin.GetResourceTypeRegistrationsResponse": "The resource types the plugin provides.",
    "plugin.ResourceTypeRegistrationProto": "A resource type whose instances apps can select.",
    "plugin.ResourceFormComponentProto": "Web component that renders the resource picker in the app form.",
    "plugin.ListResourceInstancesRequest": "Asks for the instances of one resource type.",
    "plugin.ListResourceInstancesResponse": "The instances of one resource type.",
    "plugin.ResourceInstanceProto": "One instance of a plugin resource type.",
    "plugin.GetResourceInstanceRequest": "Asks for one resource instance by id.",
    "plugin.GetResourceInstanceResponse": "One resource instance, if found.",
    "plugin.ValidateResourceSelectionRequest": "Asks whether an app may use the chosen resource instances.",
    "plugin.ValidateResourceSelectionResponse": "Whether a resource selection is acceptable.",
    "plugin.CreateResourceInstanceRequest": "Asks the plugin to create a resource instance from a JSON payload.",
    "plugin.CreateResourceInstanceResponse": "The created resource instance, or an error.",
    "config_provider.ConfigSchemaRequest": "Asks for the JSON Schema of the plugin configuration (config-only load).",
    "config_provider.ConfigSchemaResponse": "JSON Schema of the plugin configuration, as text.",
    "config_provider.ConfigPingRequest": "Health probe used during a config-only load.",
    "config_provider.ConfigPingResponse": "Answer to a config-only health probe.",
    "config_provider.GetManifestRequest": "Asks for the plugin manifest.",
    "config_provider.GetManifestResponse": "The plugin manifest as JSON text.",
    "plugin.AgentMessageChunk.ChunkType": "What an agent reply chunk carries.",
    "plugin.OpenSessionResponse.CloseReason": "Why a session long poll ended.",
    "plugin.EndpointResponseChunk.ChunkType": "What a streamed endpoint chunk carries.",
}


def enum_alias(owner: str, ename: str) -> str:
    """Module-level name of a nested enum: owner + enum name, a shared CamelCase word written once.

    AgentMessageChunk.ChunkType -> AgentMessageChunkType, OpenSessionResponse.CloseReason ->
    OpenSessionResponseCloseReason.
    """
    for k in range(len(ename) - 1, 0, -1):
        if ename[k].isupper() and owner.endswith(ename[:k]):
            return owner + ename[k:]
    return owner + ename


class Gen:
    def __init__(self) -> None:
        # Python class name for every message full name (config_provider aliases included).
        self.class_of: dict[str, str] = {}
        self.emitted: list[MessageSpec] = []
        self.aliases: dict[str, str] = {}  # full name -> class name, for same-shape duplicates
        plugin_by_name = {m.name: m for m in MESSAGES.values() if m.package == "plugin"}
        for m in MESSAGES.values():
            if m.package == "plugin":
                self.class_of[m.full_name] = m.name
                self.emitted.append(m)
        for m in MESSAGES.values():
            if m.package == "plugin":
                continue
            twin = plugin_by_name.get(m.name)
            if twin is not None:
                if twin.fields != m.fields:
                    raise SystemExit(f"{m.full_name} differs from {twin.full_name}; cannot share a class")
                self.class_of[m.full_name] = twin.name
                self.aliases[m.full_name] = twin.name
            else:
                if m.name in {c for c in self.class_of.values()}:
                    raise SystemExit(f"class name clash for {m.full_name}")
                self.class_of[m.full_name] = m.name
                self.emitted.append(m)
        for name in self.class_of.values():
            if name in RESERVED or keyword.iskeyword(name) or not name.isidentifier():
                raise SystemExit(f"message name {name!r} cannot be used as a class name")
        for full in [m.full_name for m in self.emitted] + list(ENUMS):
            if full not in DOCS:
                raise SystemExit(f"no docstring for {full}: add it to DOCS in scripts/gen_messages.py")
        # Nested enums: full name -> (owner class, enum name, module-level alias).
        self.enum_info: dict[str, tuple[str, str, str]] = {}
        for full in ENUMS:
            owner_full, _, ename = full.rpartition(".")
            if owner_full not in self.class_of or owner_full in self.aliases:
                raise SystemExit(f"enum {full} is not nested in a generated message")
            owner = self.class_of[owner_full]
            alias = enum_alias(owner, ename)
            if alias in self.class_of.values() or alias in RESERVED:
                raise SystemExit(f"module-level enum name {alias} clashes with another name")
            self.enum_info[full] = (owner, ename, alias)

    # -- helpers -----------------------------------------------------------------------------

    def enum_zero(self, full: str) -> str:
        for name, number in ENUMS[full].values:
            if number == 0:
                return name
        raise SystemExit(f"enum {full} has no zero value")

    def annotation(self, f: FieldSpec, owner_full: str) -> str:
        if f.label == "map":
            k, v = self.map_types(f)
            return f"dict[{SCALAR_PY[k][0]}, {SCALAR_PY[v][0]}]"
        base = self.base_annotation(f.type)
        if f.label == "repeated":
            return f"list[{base}]"
        if f.type in MESSAGES:
            return f"{base} | None"
        return base

    def base_annotation(self, t: str) -> str:
        if t in SCALAR_PY:
            return SCALAR_PY[t][0]
        if t in MESSAGES:
            return self.class_of[t]
        if t in ENUMS:
            owner, ename, _ = self.enum_info[t]
            return f"{owner}.{ename}"
        raise SystemExit(f"unknown type {t}")

    def map_types(self, f: FieldSpec) -> tuple[str, str]:
        inner = f.type.removeprefix("map<").removesuffix(">")
        k, _, v = inner.partition(",")
        if k not in SCALAR_PY or v not in SCALAR_PY or "bytes" in (k, v) or k in ("double", "float"):
            # Only scalar maps are supported (the protocol has map<string,string> only).
            raise SystemExit(f"unsupported map type {f.type} in field {f.name}")
        return k, v

    def default(self, f: FieldSpec, owner_full: str) -> str:
        if f.label == "map":
            return "_field(default_factory=dict)"
        if f.label == "repeated":
            return "_field(default_factory=list)"
        if f.type in MESSAGES:
            return "None"
        if f.type in ENUMS:
            owner, ename, _ = self.enum_info[f.type]
            if owner == self.class_of[owner_full]:
                return f"{ename}.{self.enum_zero(f.type)}"  # the nested class is in scope here
            if owner not in self.defined:
                raise SystemExit(f"{owner_full}.{f.name} uses enum {f.type} before its message is defined")
            return f"{owner}.{ename}.{self.enum_zero(f.type)}"
        return SCALAR_PY[f.type][1]

    # -- per-field code ----------------------------------------------------------------------

    def to_wire_lines(self, f: FieldSpec) -> list[str]:
        a = f"self.{f.name}"
        key = f'd["{f.name}"]'
        if f.label == "map":
            return [f"if {a}:", f"    {key} = dict({a})"]
        if f.label == "repeated":
            t = f.type
            if t in MESSAGES:
                expr = f"[x.to_wire() for x in {a}]"
            elif t == "bytes":
                expr = f'[x.decode("latin-1") for x in {a}]'
            elif t in ENUMS:
                expr = f"[int(x) for x in {a}]"
            elif t in ("double", "float"):
                expr = f"[float(x) for x in {a}]"
            else:
                expr = f"list({a})"
            return [f"if {a}:", f"    {key} = {expr}"]
        t = f.type
        if t in MESSAGES:
            return [f"if {a} is not None:", f"    {key} = {a}.to_wire()"]
        if f.label == "optional":
            raise SystemExit("proto3 optional fields are not supported by this generator")
        if t == "bytes":
            expr = f'{a}.decode("latin-1")'
        elif t in ENUMS:
            expr = f"int({a})"
        elif t in ("double", "float"):
            expr = f"float({a})"
        elif t == "bool":
            expr = "True"
        else:
            expr = a
        return [f"if {a}:", f"    {key} = {expr}"]

    def from_wire_expr(self, f: FieldSpec) -> str:
        g = f'get("{f.name}")'
        w = f"(v := {g})"
        t = f.type
        if f.label == "map":
            return f"dict(v) if {w} else {{}}"
        if f.label == "repeated":
            if t in MESSAGES:
                return f"[{self.class_of[t]}.from_wire(x) for x in v] if {w} else []"
            if t == "bytes":
                return f'[x.encode("latin-1") for x in v] if {w} else []'
            if t in ENUMS:
                table = "_" + self.enum_info[t][2]
                return f"[{table}.get(x, x) for x in v] if {w} else []"
            if t in ("double", "float"):
                return f"[float(x) for x in v] if {w} else []"
            return f"list(v) if {w} else []"
        if t in MESSAGES:
            return f"{self.class_of[t]}.from_wire(v) if {w} is not None else None"
        if t == "bytes":
            return f'(v.encode("latin-1") if v.__class__ is str else bytes(v)) if {w} else b""'
        if t in ENUMS:
            owner, ename, alias = self.enum_info[t]
            return f"_{alias}.get(v, v) if {w} else {alias}.{self.enum_zero(t)}"
        if t in ("double", "float"):
            return f"float({g} or 0.0)"
        return f"{g} or {SCALAR_PY[t][1]}"

    # -- module ------------------------------------------------------------------------------

    def render(self) -> str:
        self.defined: set[str] = set()
        out: list[str] = [MODULE_HEAD]
        names = ["Message"] + [self.class_of[m.full_name] for m in self.emitted]
        names += [info[2] for info in self.enum_info.values()] + ["MESSAGE_TYPES"]
        out.append("__all__ = [\n" + "".join(f'    "{n}",\n' for n in names) + "]\n\n")
        out.append(BASE_CLASS)
        for m in self.emitted:
            out.append(self.render_class(m))
            self.defined.add(self.class_of[m.full_name])
        out.append("\n")
        for full, (owner, ename, alias) in self.enum_info.items():
            out.append(f"{alias} = {owner}.{ename}\n")
        out.append("\n# value -> member tables; unknown numbers stay plain ints (proto3 enums are open)\n")
        for full, (owner, ename, alias) in self.enum_info.items():
            out.append(f"_{alias} = {{m.value: m for m in {alias}}}\n")
        out.append("\nMESSAGE_TYPES: dict[str, type[Message]] = {\n")
        for full in MESSAGES:
            out.append(f'    "{full}": {self.class_of[full]},\n')
        out.append("}\n")
        return "".join(out)

    def render_class(self, m: MessageSpec) -> str:
        cls = self.class_of[m.full_name]
        lines = ["", "", DECORATOR, f"class {cls}(Message):", f'    """{DOCS[m.full_name]}"""', ""]
        for full, (owner, ename, _alias) in self.enum_info.items():
            if owner != cls:
                continue
            lines.append(f"    class {ename}(IntEnum):")
            lines.append(f'        """{DOCS[full]}"""')
            lines.append("")
            for vname, number in ENUMS[full].values:
                lines.append(f"        {vname} = {number}")
            lines.append("")
        lines.append(f'    FULL_NAME = "{m.full_name}"')
        if m.fields:
            lines.append("")
        for f in m.fields:
            if keyword.iskeyword(f.name) or not f.name.isidentifier() or f.name in ("self", "other"):
                raise SystemExit(f"field {m.full_name}.{f.name} is not usable as a Python name")
            lines.append(f"    {f.name}: {self.annotation(f, m.full_name)} = {self.default(f, m.full_name)}")
        lines += self.init_lines(m) + self.repr_eq_lines(m)
        # to_wire
        lines += ["", "    def to_wire(self) -> dict[str, Any]:"]
        if not m.fields:
            lines.append("        return {}")
        else:
            lines.append("        d: dict[str, Any] = {}")
            for f in m.fields:
                lines += ["        " + s for s in self.to_wire_lines(f)]
            lines.append("        return d")
        # from_wire
        lines += ["", "    @classmethod", "    def from_wire(cls, d: dict[str, Any]) -> Self:"]
        if not m.fields:
            lines.append("        return cls()")
        else:
            lines.append("        get = d.get")
            lines.append("        return cls(")
            for f in m.fields:
                lines.append(f"            {self.from_wire_expr(f)},")
            lines.append("        )")
        return "\n".join(lines) + "\n"

    # The dataclass decorator is told not to build __init__/__repr__/__eq__: creating them with
    # exec() at import time costs about 0.3 ms per class natively. The versions written out below
    # behave like the generated ones (maps and lists also accept None for "empty").

    def init_lines(self, m: MessageSpec) -> list[str]:
        if not m.fields:
            return []
        lines = ["", "    def __init__(", "        self,"]
        body = []
        for f in m.fields:
            ann = self.annotation(f, m.full_name)
            if f.label in ("map", "repeated"):
                empty = "{}" if f.label == "map" else "[]"
                lines.append(f"        {f.name}: {ann} | None = None,")
                body.append(f"        self.{f.name} = {empty} if {f.name} is None else {f.name}")
            else:
                lines.append(f"        {f.name}: {ann} = {self.default(f, m.full_name)},")
                body.append(f"        self.{f.name} = {f.name}")
        lines.append("    ) -> None:")
        return lines + body

    def repr_eq_lines(self, m: MessageSpec) -> list[str]:
        lines = ["", "    def __repr__(self) -> str:"]
        if not m.fields:
            lines.append('        return f"{self.__class__.__qualname__}()"')
        else:
            lines.append("        return (")
            lines.append('            f"{self.__class__.__qualname__}("')
            for i, f in enumerate(m.fields):
                sep = ", " if i < len(m.fields) - 1 else ")"
                lines.append(f'            f"{f.name}={{self.{f.name}!r}}{sep}"')
            lines.append("        )")
        lines += ["", "    def __eq__(self, other: Any) -> bool:"]
        lines.append("        if other.__class__ is not self.__class__:")
        lines.append("            return NotImplemented")
        if not m.fields:
            lines.append("        return True")
        else:
            mine = ", ".join(f"self.{f.name}" for f in m.fields)
            theirs = ", ".join(f"other.{f.name}" for f in m.fields)
            if len(m.fields) == 1:
                mine, theirs = mine + ",", theirs + ","
            if len(theirs) <= 80:
                lines.append(f"        return ({mine}) == (")
                lines.append(f"            {theirs}")
                lines.append("        )")
            else:
                lines.append("        return (")
                lines += [f"            self.{f.name}," for f in m.fields]
                lines.append("        ) == (")
                lines += [f"            other.{f.name}," for f in m.fields]
                lines.append("        )")
        return lines


DECORATOR = "@dataclass(slots=True, init=False, repr=False, eq=False)"


MODULE_HEAD = '''\
# generated by scripts/gen_messages.py from host_abi/schema.py; do not edit
"""Typed messages of the plugin protocol (proto packages ``plugin`` and ``config_provider``).

One dataclass per protobuf message, with proto3 defaults. ``to_wire()`` returns the envelope
form of a message and ``Cls.from_wire(d)`` reads it back:

* a JSON-ready dict keyed by proto field name; fields equal to their default are omitted;
* nested messages and maps are dicts, repeated fields are lists;
* enums are ints, every integer kind is an int, doubles are floats;
* bytes are ``str`` in latin-1 form: ``b.decode("latin-1")`` out, ``s.encode("latin-1")`` in.

``from_wire`` ignores keys it does not know and keeps unknown enum numbers as plain ints.
``config_provider.GetManifestRequest/Response`` share the classes of their ``plugin``
namesakes (same fields); ``MESSAGE_TYPES`` maps every full name to its class.
Standard library only: this module also runs inside the WebAssembly guest.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from enum import IntEnum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Self

'''

BASE_CLASS = '''\

class Message:
    """Base class of all protocol messages."""

    __slots__ = ()

    FULL_NAME = ""

    def to_wire(self) -> dict[str, Any]:
        """Return the envelope form (JSON-ready dict, default-valued fields left out)."""
        raise NotImplementedError

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Self:
        """Build a message from its envelope form; unknown keys are ignored."""
        raise NotImplementedError
'''


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate guest_sdk/messages.py from host_abi/schema.py.")
    ap.add_argument("--check", action="store_true", help="exit 1 if guest_sdk/messages.py is stale")
    args = ap.parse_args(argv)
    text = Gen().render()
    compile(text, str(TARGET), "exec")  # fail here rather than at import time
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else None
        if current != text:
            print(f"stale: {TARGET.relative_to(ROOT)}", file=sys.stderr)
            print("run: python scripts/gen_messages.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
