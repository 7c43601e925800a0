#!/usr/bin/env python3
"""Write the bridge's wire tables and .proto files from the protocol reference.

Usage:
    python scripts/gen_bridge_protos.py [--protocol PATH] [--check]

Reads PROTOCOL.md sections 2.5 (go-plugin's ``GRPCBroker``, ``GRPCController``, ``GRPCStdio``),
3.1 (go_package options), 3.5 (``plugin_events``), 3.6 (``ai_studio_management``) and 3.7
(``microgateway_management``) and writes

* ``runtime/bridge/wire_tables.py``: the field, enum and RPC tables (what
  tests/bridge/test_bridge_protos.py compares the generated descriptors with), and
* ``proto/<file>.proto`` for those six files (``scripts/gen_proto.py`` then generates
  ``runtime/wire/``).

The reference is looked for at ``../shared/reference/PROTOCOL.md`` relative to the repository
root unless ``--protocol`` is given. ``--check`` writes nothing and exits 1 when a committed
file differs from what the reference produces. The parser is strict: a row it does not
understand inside a section it reads is an error.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PROTOCOL = ROOT.parent / "shared" / "reference" / "PROTOCOL.md"
TABLES = ROOT / "runtime" / "bridge" / "wire_tables.py"
PROTO_DIR = ROOT / "proto"

SCALARS = frozenset(
    {
        "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
        "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
    }
)
LABELS = {"": "", "repeated": "repeated", "map": "map", "optional (proto3 presence)": "optional"}
TIMESTAMP = "google.protobuf.Timestamp"
EMPTY = "google.protobuf.Empty"

#: proto file -> (package, service, reference section, doc line)
FILES: dict[str, tuple[str, str, str]] = {
    "plugin_events.proto": ("plugin_events", "PluginEventService", "### 3.5 "),
    "ai_studio_management.proto": ("ai_studio_management", "AIStudioManagementService", "### 3.6 "),
    "microgateway_management.proto": ("microgateway_management", "MicrogatewayManagementService", "### 3.7 "),
}
#: go-plugin's own files (section 2.5): file -> service
GO_PLUGIN_FILES: dict[str, str] = {
    "grpc_broker.proto": "GRPCBroker",
    "grpc_controller.proto": "GRPCController",
    "grpc_stdio.proto": "GRPCStdio",
}
NEXT_SECTION = {"### 3.5 ": "### 3.6 ", "### 3.6 ": "### 3.7 ", "### 3.7 ": "### 3.8 "}


def _section(text: str, start: str, end: str) -> list[str]:
    lines = text.splitlines()
    try:
        i = next(n for n, line in enumerate(lines) if line.startswith(start))
    except StopIteration:
        raise SystemExit(f"section {start!r} not found") from None
    j = next((n for n in range(i + 1, len(lines)) if lines[n].startswith(end)), len(lines))
    return lines[i + 1 : j]


def _cells(row: str) -> list[str]:
    body = row.strip()
    if not (body.startswith("|") and body.endswith("|")):
        raise SystemExit(f"not a table row: {row!r}")
    return [p.strip() for p in body[1:-1].split("|")]


def _untick(cell: str) -> str:
    return cell.strip().strip("`").strip()


def _is_separator(row: str) -> bool:
    return bool(re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", row.strip()))


def _tables(lines: list[str]) -> list[tuple[list[str], list[list[str]]]]:
    """Every markdown table in ``lines`` as (header cells, rows of cells)."""
    out: list[tuple[list[str], list[list[str]]]] = []
    cur: tuple[list[str], list[list[str]]] | None = None
    for line in lines:
        if not line.startswith("|"):
            cur = None
            continue
        if cur is None:
            cur = (_cells(line), [])
            out.append(cur)
            continue
        if _is_separator(line):
            continue
        cur[1].append(_cells(line))
    return out


def parse_go_packages(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in _section(text, "### 3.1 ", "### 3.2 "):
        if not line.startswith("| `"):
            continue
        cells = _cells(line)
        package, go_package = _untick(cells[1]), _untick(cells[2])
        if package in {p for p, _s, _h in FILES.values()}:
            out[package] = go_package
    missing = {p for p, _s, _h in FILES.values()} - set(out)
    if missing:
        raise SystemExit(f"go_package rows missing in 3.1 for {sorted(missing)}")
    return out


def _rpc_rows(header: list[str], rows: list[list[str]]) -> list[tuple[str, str, str, str]]:
    idx = {h: n for n, h in enumerate(header)}
    out = []
    for row in rows:
        kind = row[idx["Streaming"]]
        if kind not in ("unary", "server stream", "bidirectional"):
            raise SystemExit(f"unknown streaming kind {kind!r} in {row!r}")
        out.append((_untick(row[idx["RPC"]]), _untick(row[idx["Request"]]), _untick(row[idx["Response"]]), kind))
    return out


def _message_rows(rows: list[list[str]], messages: dict[str, list[tuple[int, str, str, str]]]) -> None:
    for row in rows:
        if len(row) != 5:
            raise SystemExit(f"message row with {len(row)} cells: {row!r}")
        name, no, fname, ftype, label = row
        name = _untick(name)
        fields = messages.setdefault(name, [])
        if no == "-":
            if fname != "(no fields)":
                raise SystemExit(f"unexpected row {row!r}")
            continue
        lab = LABELS.get(label)
        if lab is None:
            raise SystemExit(f"unknown label in {row!r}")
        fields.append((int(no), _untick(fname), _untick(ftype), lab))


def _resolve(raw: str, package: str, local: set[str], enums: set[str], owner: str) -> str:
    m = re.fullmatch(r"map<\s*(\w+)\s*,\s*([\w.]+)\s*>", raw)
    if m:
        k = _resolve(m.group(1), package, local, enums, owner)
        v = _resolve(m.group(2), package, local, enums, owner)
        return f"map<{k},{v}>"
    if raw in SCALARS or raw in (TIMESTAMP, EMPTY):
        return raw
    if raw in enums:
        return f"{package}.{raw}"
    if f"{owner}.{raw}" in enums:
        return f"{package}.{owner}.{raw}"
    if raw in local:
        return f"{package}.{raw}"
    raise SystemExit(f"cannot resolve type {raw!r} in {package}.{owner}")


def extract(text: str) -> dict[str, Any]:
    go_packages = parse_go_packages(text)
    files: dict[str, dict[str, Any]] = {}
    for fname, (package, service, heading) in FILES.items():
        lines = _section(text, heading, NEXT_SECTION[heading])
        rpcs: list[tuple[str, str, str, str]] = []
        raw_msgs: dict[str, list[tuple[int, str, str, str]]] = {}
        for header, rows in _tables(lines):
            if header[:2] == ["#", "RPC"]:
                if rpcs:
                    raise SystemExit(f"two RPC tables in {heading}")
                rpcs = _rpc_rows(header, rows)
            elif header == ["Message", "No.", "Field", "Type", "Label"]:
                _message_rows(rows, raw_msgs)
        if not rpcs or not raw_msgs:
            raise SystemExit(f"RPC or message table missing in {heading}")
        files[fname] = _assemble(package, service, go_packages[package], rpcs, raw_msgs, {})
    files.update(_extract_go_plugin(text))
    return files


def _assemble(package: str, service: str, go_package: str, rpcs: list[tuple[str, str, str, str]],
              raw_msgs: dict[str, list[tuple[int, str, str, str]]],
              raw_enums: dict[str, list[tuple[str, int]]]) -> dict[str, Any]:
    local = set(raw_msgs)
    messages: dict[str, list[tuple[int, str, str, str]]] = {}
    for name, fields in raw_msgs.items():
        numbers = [f[0] for f in fields]
        if len(set(numbers)) != len(numbers):
            raise SystemExit(f"duplicate field number in {package}.{name}")
        messages[f"{package}.{name}"] = [
            (no, fn, _resolve(ft, package, local, set(raw_enums), name), lab)
            for no, fn, ft, lab in sorted(fields)
        ]
    resolved = []
    for rpc, req, resp, kind in rpcs:
        ends = []
        for t in (req, resp):
            full = t if t.startswith("google.") else f"{package}.{t}"
            if full != EMPTY and full not in messages:
                raise SystemExit(f"{package}.{service}/{rpc} uses unknown message {full}")
            ends.append(full)
        resolved.append((rpc, ends[0], ends[1], kind))
    enums = {f"{package}.{k}": v for k, v in raw_enums.items()}
    return {"package": package, "go_package": go_package, "service": f"{package}.{service}",
            "rpcs": resolved, "messages": messages, "enums": enums}


def _extract_go_plugin(text: str) -> dict[str, dict[str, Any]]:
    lines = _section(text, "### 2.5 ", "### 2.6 ")
    m = re.search(r"`go_package` is `([^`]+)`", "\n".join(lines))
    if not m:
        raise SystemExit("go-plugin go_package not found in 2.5")
    go_package = m.group(1)
    rpcs: dict[str, list[tuple[str, str, str, str]]] = {}
    raw_msgs: dict[str, list[tuple[int, str, str, str]]] = {}
    raw_enums: dict[str, list[tuple[str, int]]] = {}
    for header, rows in _tables(lines):
        if header[:2] == ["Service", "RPC"]:
            for row in rows:
                svc = _untick(row[0])
                if not svc.startswith("plugin."):
                    continue  # grpc.health.v1 comes from grpcio-health-checking
                req, resp = (_untick(c).removeprefix("plugin.") for c in row[2:4])
                rpcs.setdefault(svc.removeprefix("plugin."), []).append(
                    (_untick(row[1]), req, resp, row[4]))
        elif header == ["Message", "No.", "Field", "Type", "Label"]:
            plugin_rows = [r for r in rows if _untick(r[0]).startswith("plugin.")]
            for r in plugin_rows:
                r[0] = _untick(r[0]).removeprefix("plugin.")
            _message_rows(plugin_rows, raw_msgs)
        elif header == ["Enum", "Values"]:
            for row in rows:
                name = _untick(row[0])
                if not name.startswith("plugin."):
                    continue
                values = []
                for part in row[1].split(","):
                    vm = re.fullmatch(r"`(\w+)` = (\d+)", part.strip())
                    if not vm:
                        raise SystemExit(f"cannot parse enum value {part!r}")
                    values.append((vm.group(1), int(vm.group(2))))
                raw_enums[name.removeprefix("plugin.")] = values
    # "ConnInfo.Knock" is a message nested in ConnInfo, "StdioData.Channel" an enum in StdioData
    out: dict[str, dict[str, Any]] = {}
    users = {"GRPCBroker": {"ConnInfo"}, "GRPCController": {"Empty"}, "GRPCStdio": {"StdioData"}}
    for fname, service in GO_PLUGIN_FILES.items():
        if service not in rpcs:
            raise SystemExit(f"plugin.{service} missing in 2.5")
        tops = users[service]
        mine = {k: v for k, v in raw_msgs.items() if k.split(".")[0] in tops}
        enums = {k: v for k, v in raw_enums.items() if k.split(".")[0] in tops}
        for k in tops:
            if k not in mine:
                raise SystemExit(f"plugin.{k} missing in 2.5")
        out[fname] = _assemble("plugin", service, go_package, rpcs[service], mine, enums)
    return out


# ---------------------------------------------------------------- rendering


TABLES_HEADER = '''\
"""Field tables of the bridge's wire: ``plugin_events``, ``ai_studio_management``,
``microgateway_management`` and go-plugin's ``GRPCBroker``, ``GRPCController``, ``GRPCStdio``.

Generated by scripts/gen_bridge_protos.py from the protocol reference (PROTOCOL.md sections
2.5, 3.1, 3.5-3.7), together with the matching proto/*.proto files; re-run that script
instead of editing this file by hand.

Types are scalar names, full message or enum names (``plugin.StdioData.Channel``),
``google.protobuf.Timestamp``/``google.protobuf.Empty`` or ``map<K,V>``. Labels are ``""``,
``"repeated"``, ``"map"`` or ``"optional"`` (proto3 explicit presence). Streaming is
``unary``, ``server stream`` or ``bidirectional``.
"""

from __future__ import annotations

from typing import Any

'''


def render_tables(files: dict[str, dict[str, Any]]) -> str:
    out = [TABLES_HEADER, "FILES: dict[str, dict[str, Any]] = {\n"]
    for fname, f in files.items():
        out.append(f"    {fname!r}: {{\n")
        out.append(f"        'package': {f['package']!r},\n")
        out.append(f"        'go_package': {f['go_package']!r},\n")
        out.append(f"        'service': {f['service']!r},\n")
        out.append("        'rpcs': [\n")
        for rpc in f["rpcs"]:
            out.append(f"            {rpc!r},\n")
        out.append("        ],\n        'messages': {\n")
        for name, fields in f["messages"].items():
            out.append(f"            {name!r}: [\n")
            for fld in fields:
                out.append(f"                {fld!r},\n")
            out.append("            ],\n")
        out.append("        },\n        'enums': {\n")
        for name, values in f["enums"].items():
            out.append(f"            {name!r}: {values!r},\n")
        out.append("        },\n    },\n")
    out.append("}\n")
    return "".join(out)


def _proto_type(t: str, package: str) -> str:
    m = re.fullmatch(r"map<(\w+),([\w.]+)>", t)
    if m:
        return f"map<{_proto_type(m.group(1), package)}, {_proto_type(m.group(2), package)}>"
    if t in SCALARS:
        return t
    if t.startswith("google."):
        return f".{t}"
    return f".{t}"


def render_proto(fname: str, f: dict[str, Any]) -> str:
    package = f["package"]
    imports = set()
    everything = [ft for fields in f["messages"].values() for _n, _f, ft, _l in fields]
    everything += [x for _r, req, resp, _k in f["rpcs"] for x in (req, resp)]
    if any(TIMESTAMP in t for t in everything):
        imports.add("google/protobuf/timestamp.proto")
    if any(EMPTY in t for t in everything):
        imports.add("google/protobuf/empty.proto")
    out = [
        "// Generated by scripts/gen_bridge_protos.py from the protocol reference; do not edit.\n",
        "// Field names, numbers and types are part of the wire contract;\n",
        "// runtime/bridge/wire_tables.py holds the same table and tests compare the two.\n\n",
        'syntax = "proto3";\n\n',
        f"package {package};\n\n",
    ]
    for imp in sorted(imports):
        out.append(f'import "{imp}";\n')
    if imports:
        out.append("\n")
    out.append(f'option go_package = "{f["go_package"]}";\n\n')
    short = f["service"].split(".")[-1]
    out.append(f"service {short} {{\n")
    for rpc, req, resp, kind in f["rpcs"]:
        req_s = "stream " if kind == "bidirectional" else ""
        resp_s = "stream " if kind in ("bidirectional", "server stream") else ""
        out.append(f"  rpc {rpc}({req_s}.{req}) returns ({resp_s}.{resp});\n")
    out.append("}\n")
    enums = f["enums"]
    # top-level messages with their nested messages and enums
    tops = [n for n in f["messages"] if n.count(".") == 1]

    def render_msg(full: str, indent: str) -> None:
        short_name = full.split(".")[-1]
        out.append(f"\n{indent}message {short_name} {{\n")
        for ename, values in enums.items():
            if ename.rsplit(".", 1)[0] == full:
                out.append(f"{indent}  enum {ename.split('.')[-1]} {{\n")
                for vname, vnum in values:
                    out.append(f"{indent}    {vname} = {vnum};\n")
                out.append(f"{indent}  }}\n")
        for nested in f["messages"]:
            if nested.rsplit(".", 1)[0] == full:
                render_msg(nested, indent + "  ")
        for no, name, ftype, label in f["messages"][full]:
            prefix = {"": "", "map": "", "repeated": "repeated ", "optional": "optional "}[label]
            out.append(f"{indent}  {prefix}{_proto_type(ftype, package)} {name} = {no};\n")
        out.append(f"{indent}}}\n")

    for top in tops:
        render_msg(top, "")
    return "".join(out)


def outputs(text: str) -> dict[Path, str]:
    files = extract(text)
    out = {TABLES: render_tables(files)}
    for fname, f in files.items():
        out[PROTO_DIR / fname] = render_proto(fname, f)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", type=Path, default=DEFAULT_PROTOCOL)
    ap.add_argument("--check", action="store_true", help="exit 1 if a written file is stale")
    args = ap.parse_args(argv)
    if not args.protocol.is_file():
        print(f"protocol reference not found at {args.protocol}", file=sys.stderr)
        return 2
    produced = outputs(args.protocol.read_text(encoding="utf-8"))
    if args.check:
        stale = [p for p, t in produced.items() if not p.is_file() or p.read_text(encoding="utf-8") != t]
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in produced.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
