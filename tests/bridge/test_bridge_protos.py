"""The bridge's generated protobuf modules (plugin_events, ai_studio_management,
microgateway_management, go-plugin's broker/controller/stdio) match the field tables
extracted from the protocol reference (runtime/bridge/wire_tables.py)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from host_abi.ops import OPS
from runtime.bridge.wire_tables import FILES

REPO = Path(__file__).resolve().parents[2]


def _modules(fname: str) -> tuple[Any, Any]:
    stem = fname.removesuffix(".proto")
    return (importlib.import_module(f"runtime.wire.{stem}_pb2"),
            importlib.import_module(f"runtime.wire.{stem}_pb2_grpc"))


def _type_name(fd: Any) -> str:
    scalar = {
        fd.TYPE_DOUBLE: "double", fd.TYPE_FLOAT: "float", fd.TYPE_INT64: "int64",
        fd.TYPE_UINT64: "uint64", fd.TYPE_INT32: "int32", fd.TYPE_BOOL: "bool",
        fd.TYPE_STRING: "string", fd.TYPE_BYTES: "bytes", fd.TYPE_UINT32: "uint32",
        fd.TYPE_FIXED64: "fixed64", fd.TYPE_FIXED32: "fixed32", fd.TYPE_SINT32: "sint32",
        fd.TYPE_SINT64: "sint64", fd.TYPE_SFIXED32: "sfixed32", fd.TYPE_SFIXED64: "sfixed64",
    }
    if fd.type == fd.TYPE_MESSAGE:
        return str(fd.message_type.full_name)
    if fd.type == fd.TYPE_ENUM:
        return str(fd.enum_type.full_name)
    return scalar[fd.type]


def _describe(fd: Any) -> tuple[int, str, str, str]:
    if fd.is_repeated and fd.type == fd.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry:
        entry = fd.message_type
        k, v = entry.fields_by_name["key"], entry.fields_by_name["value"]
        return fd.number, fd.name, f"map<{_type_name(k)},{_type_name(v)}>", "map"
    if fd.is_repeated:
        label = "repeated"
    elif fd.containing_oneof is not None and fd.containing_oneof.name.startswith("_"):
        label = "optional"  # proto3 optional: a synthetic oneof
    else:
        label = ""
    return fd.number, fd.name, _type_name(fd), label


def _walk(descs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in descs:
        if d.GetOptions().map_entry:
            continue
        out[d.full_name] = d
        out.update(_walk(d.nested_types))
    return out


@pytest.mark.parametrize("fname", sorted(FILES))
def test_file_facts(fname: str) -> None:
    table = FILES[fname]
    pb2, _ = _modules(fname)
    assert pb2.DESCRIPTOR.package == table["package"]
    assert pb2.DESCRIPTOR.GetOptions().go_package == table["go_package"]
    assert list(pb2.DESCRIPTOR.services_by_name) == [table["service"].split(".")[1]]


@pytest.mark.parametrize("fname", sorted(FILES))
def test_messages_and_fields(fname: str) -> None:
    table = FILES[fname]
    pb2, _ = _modules(fname)
    got = _walk(pb2.DESCRIPTOR.message_types_by_name.values())
    assert sorted(got) == sorted(table["messages"])
    for name, fields in table["messages"].items():
        assert sorted(_describe(fd) for fd in got[name].fields) == [tuple(f) for f in fields], name
        real_oneofs = [o for o in got[name].oneofs if not o.name.startswith("_")]
        assert not real_oneofs, name


@pytest.mark.parametrize("fname", sorted(FILES))
def test_enums(fname: str) -> None:
    pb2, _ = _modules(fname)
    got = {}
    for desc in _walk(pb2.DESCRIPTOR.message_types_by_name.values()).values():
        for enum in desc.enum_types:
            got[enum.full_name] = [(v.name, v.number) for v in enum.values]
    assert got == {k: [tuple(v) for v in vals] for k, vals in FILES[fname]["enums"].items()}


@pytest.mark.parametrize("fname", sorted(FILES))
def test_service(fname: str) -> None:
    table = FILES[fname]
    pb2, grpc_mod = _modules(fname)
    short = table["service"].split(".")[1]
    sdesc = pb2.DESCRIPTOR.services_by_name[short]
    got = []
    for m in sdesc.methods:
        kind = ("bidirectional" if m.client_streaming and m.server_streaming
                else "server stream" if m.server_streaming else "unary")
        assert not (m.client_streaming and not m.server_streaming)
        got.append((m.name, m.input_type.full_name, m.output_type.full_name, kind))
    assert got == [tuple(r) for r in table["rpcs"]]
    servicer = getattr(grpc_mod, f"{short}Servicer")
    for rpc in table["rpcs"]:
        assert callable(getattr(servicer, rpc[0]))


def test_reference_counts() -> None:
    """The reference states the RPC counts of each host service (PROTOCOL.md 3.1)."""
    counts = {f["service"]: len(f["rpcs"]) for f in FILES.values()}
    assert counts["plugin_events.PluginEventService"] == 3
    assert counts["ai_studio_management.AIStudioManagementService"] == 84
    assert counts["microgateway_management.MicrogatewayManagementService"] == 13


def test_every_op_rpc_exists() -> None:
    """Every management RPC the ABI op table maps an op to is in the generated services."""
    methods = set()
    for f in FILES.values():
        for rpc in f["rpcs"]:
            methods.add(f"{f['service']}/{rpc[0]}")
    needed = {rpc for op in OPS for rpc in (op.studio_rpc, op.gateway_rpc) if rpc}
    assert needed and needed <= methods, sorted(needed - methods)


def test_management_requests_carry_context() -> None:
    for fname in ("ai_studio_management.proto", "microgateway_management.proto"):
        table = FILES[fname]
        pkg = table["package"]
        assert table["messages"][f"{pkg}.PluginContext"][:2] == [
            (1, "plugin_id", "uint32", ""), (2, "method_scope", "string", "")]
        for _rpc, req, _resp, _kind in table["rpcs"]:
            assert (1, "context", f"{pkg}.PluginContext", "") in [tuple(f) for f in table["messages"][req]], req


def test_generator_scripts_are_up_to_date() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_proto.py"), "--check"],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ref = REPO.parent / "shared" / "reference" / "PROTOCOL.md"
    if ref.is_file():  # the reference is beside the working tree, not in a clone
        proc = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_bridge_protos.py"), "--check"],
                              capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 0, proc.stdout + proc.stderr
