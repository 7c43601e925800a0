"""host_abi/schema.py must mirror the protocol reference (PROTOCOL.md sections 3.1-3.4) exactly.

The reference is parsed here with a deliberately small, separate parser (regular expressions over
the table rows) so that a bug in scripts/extract_field_table.py cannot hide itself.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from host_abi import schema

REPO = Path(__file__).resolve().parents[2]
PROTOCOL = Path(__file__).resolve().parents[3] / "shared/reference/PROTOCOL.md"

SCALARS = {"double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
           "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes"}


@pytest.fixture(scope="module")
def protocol() -> str:
    if not PROTOCOL.is_file():
        pytest.fail(
            f"protocol reference not found: looked for {PROTOCOL} "
            "(shared/reference/PROTOCOL.md next to the repository checkout)"
        )
    return PROTOCOL.read_text(encoding="utf-8")


def section(text: str, start: str, end: str) -> str:
    i = text.index("\n" + start)
    j = text.index("\n" + end, i)
    return text[i:j]


FIELD_ROW = re.compile(r"^\| (\d+) \| (\w+) \| `([^`]+)` \| ([^|]*?) \|", re.MULTILINE)
ENUM_HEAD = re.compile(r"^Enum `(\w+)\.(\w+)`:$", re.MULTILINE)
ENUM_ROW = re.compile(r"^\| ([A-Z][A-Z0-9_]*) \| (-?\d+) \|$", re.MULTILINE)
RPC_ROW = re.compile(r"^\| (\d+) \| (\w+) \| (\w+) \| (\w+) \| (unary|server stream) \|", re.MULTILINE)
LABEL = {"": "", "repeated": "repeated", "map": "map", "optional (proto3 presence)": "optional"}


def full_type(raw: str, package: str, owner: str, enums: set[str], messages: set[str]) -> str:
    m = re.fullmatch(r"map<(\w+), ?(\w+)>", raw)
    if m:
        return "map<{},{}>".format(*(full_type(x, package, owner, enums, messages) for x in m.groups()))
    if raw in SCALARS:
        return raw
    if raw in enums:
        return f"{package}.{owner}.{raw}"
    assert raw in messages, f"type {raw!r} in {owner} names neither a scalar, enum nor message"
    return f"{package}.{raw}"


def reference_plugin(text: str) -> tuple[dict[str, list[tuple[int, str, str, str]]], dict[str, list[tuple[str, int]]]]:
    body = section(text, "### 3.3 ", "### 3.4 ")
    chunks = re.split(r"^#### `(\w+)`$", body, flags=re.MULTILINE)[1:]
    blocks = dict(zip(chunks[0::2], chunks[1::2], strict=True))
    assert len(blocks) == len(chunks) // 2, "a message heading appears twice in 3.3"
    names = set(blocks)
    messages: dict[str, list[tuple[int, str, str, str]]] = {}
    enums: dict[str, list[tuple[str, int]]] = {}
    for name, block in blocks.items():
        field_part, *enum_parts = ENUM_HEAD.split(block)
        local_enums: dict[str, list[tuple[str, int]]] = {}
        for owner, ename, rows in zip(enum_parts[0::3], enum_parts[1::3], enum_parts[2::3], strict=True):
            assert owner == name
            local_enums[ename] = [(v, int(n)) for v, n in ENUM_ROW.findall(rows)]
            assert local_enums[ename], f"enum {name}.{ename} has no rows"
        rows = FIELD_ROW.findall(field_part)
        if not rows:
            assert "(no fields)" in field_part, f"{name}: neither field rows nor '(no fields)'"
        messages[f"plugin.{name}"] = sorted(
            (int(no), fname, full_type(t, "plugin", name, set(local_enums), names), LABEL[label.strip()])
            for no, fname, t, label in rows
        )
        for ename, values in local_enums.items():
            enums[f"plugin.{name}.{ename}"] = values
    return messages, enums


def reference_config(text: str) -> dict[str, list[tuple[int, str, str, str]]]:
    body = section(text, "### 3.4 ", "### 3.5 ")
    table = body[body.index("| Message | No. |"):].split("\n\n")[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table.splitlines()[2:]]
    assert rows and all(len(r) == 5 for r in rows), rows
    names = {r[0] for r in rows}
    messages: dict[str, list[tuple[int, str, str, str]]] = {}
    for name, no, fname, ftype, label in rows:
        fields = messages.setdefault(f"config_provider.{name}", [])
        if no == "-":
            assert fname == "(no fields)"
            continue
        t = full_type(ftype.strip("`"), "config_provider", name, set(), names)
        fields.append((int(no), fname, t, LABEL[label]))
    return {k: sorted(v) for k, v in messages.items()}


def reference_rpcs(text: str, start: str, end: str, package: str) -> list[tuple[int, str, str, str, bool]]:
    body = section(text, start, end)
    return [
        (int(no), name, f"{package}.{req}", f"{package}.{resp}", kind == "server stream")
        for no, name, req, resp, kind in RPC_ROW.findall(body)
    ]


def as_rows(spec: schema.MessageSpec) -> list[tuple[int, str, str, str]]:
    return [(f.number, f.name, f.type, f.label) for f in spec.fields]


def test_plugin_messages_match_reference(protocol: str) -> None:
    ref, _ = reference_plugin(protocol)
    ours = {k: as_rows(v) for k, v in schema.MESSAGES.items() if k.startswith("plugin.")}
    assert list(ours) == list(ref), "message set or order differs from PROTOCOL.md 3.3"
    for name, rows in ref.items():
        assert ours[name] == rows, name


def test_config_provider_messages_match_reference(protocol: str) -> None:
    ref = reference_config(protocol)
    ours = {k: as_rows(v) for k, v in schema.MESSAGES.items() if k.startswith("config_provider.")}
    assert ours == ref
    assert set(ref) == {
        "config_provider.ConfigSchemaRequest", "config_provider.ConfigSchemaResponse",
        "config_provider.ConfigPingRequest", "config_provider.ConfigPingResponse",
        "config_provider.GetManifestRequest", "config_provider.GetManifestResponse",
    }


def test_enums_match_reference(protocol: str) -> None:
    _, ref = reference_plugin(protocol)
    assert {k: list(v.values) for k, v in schema.ENUMS.items()} == ref
    assert set(ref) == {
        "plugin.AgentMessageChunk.ChunkType",
        "plugin.OpenSessionResponse.CloseReason",
        "plugin.EndpointResponseChunk.ChunkType",
    }
    for spec in schema.ENUMS.values():
        assert spec.values[0][1] == 0, f"{spec.full_name}: proto3 enums start at 0"


def test_rpcs_match_reference(protocol: str) -> None:
    plugin = reference_rpcs(protocol, "### 3.2 ", "### 3.3 ", "plugin")
    config = reference_rpcs(protocol, "### 3.4 ", "### 3.5 ", "config_provider")
    assert set(schema.SERVICES) == {"plugin.PluginService", "config_provider.ConfigProviderService"}
    ours = {
        svc: [(r.number, r.name, r.request, r.response, r.server_streaming) for r in rpcs]
        for svc, rpcs in schema.SERVICES.items()
    }
    assert ours["plugin.PluginService"] == plugin
    assert ours["config_provider.ConfigProviderService"] == config
    assert len(plugin) == 35 and [r[0] for r in plugin] == list(range(1, 36))
    assert len(config) == 3
    streaming = [r[1] for r in plugin if r[4]]
    assert streaming == ["HandleAgentMessage", "HandleEndpointRequestStream"]


def test_go_packages_match_reference(protocol: str) -> None:
    body = section(protocol, "### 3.1 ", "### 3.2 ")
    rows = dict(re.findall(r"^\| `proto/(\w+)\.proto` \| `\w+` \| `([^`]+)` \|", body, re.MULTILINE))
    assert schema.GO_PACKAGES == {"plugin": rows["plugin"], "config_provider": rows["config_provider"]}


def test_table_is_self_consistent() -> None:
    for spec in schema.MESSAGES.values():
        numbers = [f.number for f in spec.fields]
        assert numbers == sorted(set(numbers)), f"{spec.full_name}: field numbers unsorted or repeated"
        assert len({f.name for f in spec.fields}) == len(spec.fields)
        for f in spec.fields:
            assert f.label in ("", "repeated", "map", "optional")
            if f.label == "map":
                assert f.type == "map<string,string>", f"{spec.full_name}.{f.name}"
            else:
                assert f.type in schema.SCALAR_TYPES or f.type in schema.MESSAGES or f.type in schema.ENUMS
                # a field's message/enum type lives in the same proto package
                assert f.type in schema.SCALAR_TYPES or f.type.split(".")[0] == spec.package
    for svc, rpcs in schema.SERVICES.items():
        for rpc in rpcs:
            assert rpc.request in schema.MESSAGES and rpc.response in schema.MESSAGES
            assert rpc.request.split(".")[0] == svc.split(".")[0]


def test_extractor_reproduces_committed_table() -> None:
    script = REPO / "scripts" / "extract_field_table.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--check", "--protocol", str(PROTOCOL)],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
