#!/usr/bin/env python3
"""Rebuild host_abi/schema.py from the protocol reference (PROTOCOL.md, sections 3.1-3.4).

Usage:
    python scripts/extract_field_table.py [--protocol PATH] [--check]

The reference is looked for at ``../shared/reference/PROTOCOL.md`` relative to the repository
root unless ``--protocol`` is given. ``--check`` does not write anything: it exits 1 when the
committed host_abi/schema.py differs from what the reference produces.

The parser is intentionally strict: any table row or heading it does not understand inside the
sections it reads is an error, so a change in the reference cannot be dropped silently.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PROTOCOL = ROOT.parent / "shared" / "reference" / "PROTOCOL.md"
TARGET = ROOT / "host_abi" / "schema.py"

SCALARS = frozenset(
    {
        "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
        "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
    }
)
LABELS = {"": "", "repeated": "repeated", "map": "map", "optional (proto3 presence)": "optional"}


@dataclass
class Msg:
    package: str
    name: str
    fields: list[tuple[int, str, str, str]] = field(default_factory=list)  # raw type names
    enums: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def _section(text: str, start: str, end: str) -> list[str]:
    lines = text.splitlines()
    try:
        i = next(n for n, line in enumerate(lines) if line.startswith(start))
    except StopIteration:
        raise SystemExit(f"section {start!r} not found") from None
    j = next((n for n in range(i + 1, len(lines)) if lines[n].startswith(end)), len(lines))
    return lines[i + 1 : j]


def _cells(row: str, ncols: int) -> list[str]:
    """Split a markdown table row; the last column keeps any further '|' characters."""
    body = row.strip()
    if not (body.startswith("|") and body.endswith("|")):
        raise SystemExit(f"not a table row: {row!r}")
    parts = body[1:-1].split("|", ncols - 1)
    return [p.strip() for p in parts]


def _untick(cell: str) -> str:
    return cell.strip().strip("`").strip()


def _is_separator(row: str) -> bool:
    return bool(re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", row.strip()))


def parse_go_packages(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in _section(text, "### 3.1 ", "### 3.2 "):
        if not line.startswith("| `proto/"):
            continue
        cells = _cells(line, 5)
        path, package, go_package = (_untick(c) for c in cells[:3])
        if path in ("proto/plugin.proto", "proto/config_provider.proto"):
            out[package] = go_package
    if set(out) != {"plugin", "config_provider"}:
        raise SystemExit(f"go_package rows missing in 3.1: found {sorted(out)}")
    return out


def parse_rpcs(lines: list[str]) -> list[tuple[int, str, str, str, bool]]:
    rpcs: list[tuple[int, str, str, str, bool]] = []
    in_table = False
    for line in lines:
        if line.startswith("| # | RPC |"):
            in_table = True
            continue
        if not in_table:
            continue
        if not line.startswith("|"):
            if rpcs:
                break
            continue
        if _is_separator(line):
            continue
        cells = _cells(line, 6)
        streaming = cells[4]
        if streaming not in ("unary", "server stream"):
            raise SystemExit(f"unknown streaming kind {streaming!r} in {line!r}")
        rpcs.append((int(cells[0]), cells[1], cells[2], cells[3], streaming == "server stream"))
    if not rpcs:
        raise SystemExit("RPC table not found")
    return rpcs


def parse_plugin_messages(lines: list[str]) -> list[Msg]:
    msgs: list[Msg] = []
    cur: Msg | None = None
    enum_name: str | None = None
    mode = ""  # "fields" | "enum" | ""
    for line in lines:
        if line.startswith("#### "):
            name = _untick(line[5:])
            cur = Msg("plugin", name)
            msgs.append(cur)
            mode, enum_name = "", None
            continue
        if cur is None:
            continue
        if line.startswith("| No. | Field |"):
            mode = "fields"
            continue
        m = re.fullmatch(r"Enum `([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)`:", line.strip())
        if m:
            if m.group(1) != cur.name:
                raise SystemExit(f"enum {m.group(0)} listed under message {cur.name}")
            enum_name = m.group(2)
            cur.enums[enum_name] = []
            mode = "enum"
            continue
        if line.startswith("| Value | Number |"):
            if mode != "enum":
                raise SystemExit(f"enum table without heading under {cur.name}")
            continue
        if not line.startswith("|"):
            continue
        if _is_separator(line):
            continue
        if mode == "fields":
            no, fname, ftype, label_cell, _notes = _cells(line, 5)
            label = LABELS.get(label_cell)
            if label is None:
                raise SystemExit(f"unknown label in {line!r}")
            cur.fields.append((int(no), _untick(fname), _untick(ftype), label))
        elif mode == "enum":
            vname, vnum = _cells(line, 2)
            assert enum_name is not None
            cur.enums[enum_name].append((_untick(vname), int(vnum)))
        else:
            raise SystemExit(f"table row outside a known table under {cur.name}: {line!r}")
    return msgs


def parse_config_messages(lines: list[str]) -> list[Msg]:
    msgs: dict[str, Msg] = {}
    in_table = False
    for line in lines:
        if line.startswith("| Message | No. |"):
            in_table = True
            continue
        if not in_table or not line.startswith("|") or _is_separator(line):
            continue
        name, no, fname, ftype, label = _cells(line, 5)
        msg = msgs.setdefault(name, Msg("config_provider", name))
        if no == "-":
            continue  # "(no fields)" placeholder row
        lab = LABELS.get(label)
        if lab is None:
            raise SystemExit(f"unknown label in {line!r}")
        msg.fields.append((int(no), _untick(fname), _untick(ftype), lab))
    if not msgs:
        raise SystemExit("config_provider message table not found")
    return list(msgs.values())


def resolve_type(raw: str, msg: Msg, names: set[str]) -> str:
    """Turn a type cell into a scalar name, a full message/enum name or map<K,V>."""
    m = re.fullmatch(r"map<\s*(\w+)\s*,\s*([\w.]+)\s*>", raw)
    if m:
        return f"map<{resolve_type(m.group(1), msg, names)},{resolve_type(m.group(2), msg, names)}>"
    if raw in SCALARS:
        return raw
    if raw in msg.enums:
        return f"{msg.package}.{msg.name}.{raw}"
    if raw in names:
        return f"{msg.package}.{raw}"
    raise SystemExit(f"cannot resolve type {raw!r} in {msg.package}.{msg.name}")


def extract(text: str) -> dict[str, Any]:
    go_packages = parse_go_packages(text)
    plugin_msgs = parse_plugin_messages(_section(text, "### 3.3 ", "### 3.4 "))
    sec34 = _section(text, "### 3.4 ", "### 3.5 ")
    config_msgs = parse_config_messages(sec34)
    services = {
        "plugin.PluginService": parse_rpcs(_section(text, "### 3.2 ", "### 3.3 ")),
        "config_provider.ConfigProviderService": parse_rpcs(sec34),
    }
    messages: dict[str, list[tuple[int, str, str, str]]] = {}
    enums: dict[str, list[tuple[str, int]]] = {}
    for group in (plugin_msgs, config_msgs):
        names = {m.name for m in group}
        for msg in group:
            full = f"{msg.package}.{msg.name}"
            if full in messages:
                raise SystemExit(f"duplicate message {full}")
            numbers = [f[0] for f in msg.fields]
            if len(set(numbers)) != len(numbers):
                raise SystemExit(f"duplicate field number in {full}")
            messages[full] = [
                (no, fname, resolve_type(ftype, msg, names), label)
                for no, fname, ftype, label in sorted(msg.fields)
            ]
            for ename, values in msg.enums.items():
                enums[f"{full}.{ename}"] = values
    resolved_services = {}
    for svc, rpcs in services.items():
        package = svc.split(".")[0]
        out = []
        for number, name, req, resp, streaming in rpcs:
            req_full, resp_full = f"{package}.{req}", f"{package}.{resp}"
            for t in (req_full, resp_full):
                if t not in messages:
                    raise SystemExit(f"{svc}/{name} uses unknown message {t}")
            out.append((number, name, req_full, resp_full, streaming))
        resolved_services[svc] = out
    return {"go_packages": go_packages, "messages": messages, "enums": enums, "services": resolved_services}


HEADER = '''\
"""Field table of the plugin wire protocol: proto packages ``plugin`` and ``config_provider``.

Generated by scripts/extract_field_table.py from the protocol reference (PROTOCOL.md sections
3.1-3.4); re-run that script instead of editing this file by hand.

Conventions:

* ``FieldSpec.type`` is a scalar name (``string``, ``bytes``, ``int64``, ``uint32``, ``int32``,
  ``bool``, ``double``), the full name of a message (``plugin.PluginContext``) or of an enum
  (``plugin.AgentMessageChunk.ChunkType``), or ``map<K,V>`` for map fields.
* ``FieldSpec.label`` is ``""`` (singular proto3 field), ``"repeated"``, ``"map"`` or
  ``"optional"`` (proto3 explicit presence).
* Messages keep the reference order; fields are sorted by number.

Standard library only: this module is also imported inside the WebAssembly guest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a message."""

    number: int
    name: str
    type: str
    label: str


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """A message and its fields in field-number order."""

    full_name: str
    fields: tuple[FieldSpec, ...]

    @property
    def package(self) -> str:
        return self.full_name.partition(".")[0]

    @property
    def name(self) -> str:
        return self.full_name.partition(".")[2]


@dataclass(frozen=True, slots=True)
class EnumSpec:
    """An enum (all enums of this protocol are nested in a message)."""

    full_name: str
    values: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class RpcSpec:
    """One RPC of a service, in reference order."""

    number: int
    name: str
    request: str
    response: str
    server_streaming: bool


SCALAR_TYPES = frozenset(
    {"double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
     "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes"}
)

'''


def render(data: dict[str, Any]) -> str:
    out = [HEADER]
    out.append("GO_PACKAGES: dict[str, str] = {\n")
    for pkg, gp in data["go_packages"].items():
        out.append(f"    {pkg!r}: {gp!r},\n")
    out.append("}\n\n_F = FieldSpec\n\n")
    out.append("MESSAGES: dict[str, MessageSpec] = {\n    m.full_name: m\n    for m in (\n")
    for full, fields in data["messages"].items():
        if not fields:
            out.append(f"        MessageSpec({full!r}, ()),\n")
            continue
        out.append(f"        MessageSpec(\n            {full!r},\n            (\n")
        for no, fname, ftype, label in fields:
            out.append(f"                _F({no}, {fname!r}, {ftype!r}, {label!r}),\n")
        out.append("            ),\n        ),\n")
    out.append("    )\n}\n\n")
    out.append("ENUMS: dict[str, EnumSpec] = {\n    e.full_name: e\n    for e in (\n")
    for full, values in data["enums"].items():
        vals = ", ".join(f"({n!r}, {v})" for n, v in values)
        out.append(f"        EnumSpec({full!r}, ({vals},)),\n")
    out.append("    )\n}\n\n")
    out.append("SERVICES: dict[str, tuple[RpcSpec, ...]] = {\n")
    for svc, rpcs in data["services"].items():
        out.append(f"    {svc!r}: (\n")
        for number, name, req, resp, streaming in rpcs:
            out.append(f"        RpcSpec({number}, {name!r}, {req!r}, {resp!r}, {streaming!r}),\n")
        out.append("    ),\n")
    out.append("}\n\ndel _F\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", type=Path, default=DEFAULT_PROTOCOL)
    ap.add_argument("--check", action="store_true", help="exit 1 if host_abi/schema.py is stale")
    args = ap.parse_args(argv)
    if not args.protocol.is_file():
        print(f"protocol reference not found at {args.protocol}", file=sys.stderr)
        return 2
    text = render(extract(args.protocol.read_text(encoding="utf-8")))
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
        if current != text:
            print(f"stale: {TARGET.relative_to(ROOT)}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
