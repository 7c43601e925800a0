"""The generated protobuf/gRPC modules in runtime/wire/ must match host_abi.schema exactly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from host_abi import schema
from runtime.wire import config_provider_pb2, config_provider_pb2_grpc, plugin_pb2, plugin_pb2_grpc

REPO = Path(__file__).resolve().parents[2]

FILES = {"plugin": plugin_pb2.DESCRIPTOR, "config_provider": config_provider_pb2.DESCRIPTOR}
GRPC_MODULES = {"plugin": plugin_pb2_grpc, "config_provider": config_provider_pb2_grpc}

FD = type(plugin_pb2.PluginRequest.DESCRIPTOR.fields_by_name["method"])
SCALAR_NAMES = {
    FD.TYPE_DOUBLE: "double", FD.TYPE_FLOAT: "float", FD.TYPE_INT64: "int64", FD.TYPE_UINT64: "uint64",
    FD.TYPE_INT32: "int32", FD.TYPE_FIXED64: "fixed64", FD.TYPE_FIXED32: "fixed32", FD.TYPE_BOOL: "bool",
    FD.TYPE_STRING: "string", FD.TYPE_BYTES: "bytes", FD.TYPE_UINT32: "uint32",
    FD.TYPE_SFIXED32: "sfixed32", FD.TYPE_SFIXED64: "sfixed64", FD.TYPE_SINT32: "sint32",
    FD.TYPE_SINT64: "sint64",
}


def type_name(fd: Any) -> str:
    if fd.type == FD.TYPE_MESSAGE:
        return str(fd.message_type.full_name)
    if fd.type == FD.TYPE_ENUM:
        return str(fd.enum_type.full_name)
    return SCALAR_NAMES[fd.type]


def describe_field(fd: Any) -> tuple[int, str, str, str]:
    if fd.is_repeated and fd.type == FD.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry:
        entry = fd.message_type
        key, value = entry.fields_by_name["key"], entry.fields_by_name["value"]
        assert (key.number, value.number) == (1, 2)
        return fd.number, fd.name, f"map<{type_name(key)},{type_name(value)}>", "map"
    if fd.is_repeated:
        label = "repeated"
    elif fd.type != FD.TYPE_MESSAGE and fd.has_presence:
        label = "optional"
    else:
        label = ""
    return fd.number, fd.name, type_name(fd), label


def walk_messages(descriptors: Any) -> dict[str, Any]:
    """All message descriptors, nested ones included, except synthetic map entries."""
    out: dict[str, Any] = {}
    for d in descriptors:
        if d.GetOptions().map_entry:
            continue
        out[d.full_name] = d
        out.update(walk_messages(d.nested_types))
    return out


def generated_messages(package: str) -> dict[str, Any]:
    return walk_messages(FILES[package].message_types_by_name.values())


@pytest.mark.parametrize("package", sorted(FILES))
def test_file_level_facts(package: str) -> None:
    fdesc = FILES[package]
    assert fdesc.package == package
    assert fdesc.GetOptions().go_package == schema.GO_PACKAGES[package]
    assert not fdesc.dependencies, "the plugin protos import nothing"
    assert not fdesc.extensions_by_name
    assert not fdesc.enum_types_by_name, "all enums of the protocol are nested in messages"


@pytest.mark.parametrize("package", sorted(FILES))
def test_message_set_matches(package: str) -> None:
    expected = [name for name in schema.MESSAGES if name.startswith(package + ".")]
    assert sorted(generated_messages(package)) == sorted(expected)


@pytest.mark.parametrize("full_name", list(schema.MESSAGES))
def test_message_fields_match(full_name: str) -> None:
    package = full_name.split(".")[0]
    desc = generated_messages(package)[full_name]
    got = sorted(describe_field(fd) for fd in desc.fields)
    want = [(f.number, f.name, f.type, f.label) for f in schema.MESSAGES[full_name].fields]
    assert got == want
    assert not desc.oneofs, "no oneofs (and no proto3 optional) in these messages"
    # fields are declared in number order in our .proto files
    assert [fd.number for fd in desc.fields] == [f.number for f in schema.MESSAGES[full_name].fields]


def test_enums_match() -> None:
    got = {}
    for package in FILES:
        for desc in generated_messages(package).values():
            for enum in desc.enum_types:
                got[enum.full_name] = [(v.name, v.number) for v in enum.values]
    assert got == {name: list(spec.values) for name, spec in schema.ENUMS.items()}


@pytest.mark.parametrize("service", list(schema.SERVICES))
def test_service_matches(service: str) -> None:
    package, short = service.split(".")
    sdesc = FILES[package].services_by_name[short]
    assert sdesc.full_name == service
    got = [
        (m.name, m.input_type.full_name, m.output_type.full_name, m.server_streaming, m.client_streaming)
        for m in sdesc.methods
    ]
    want = [(r.name, r.request, r.response, r.server_streaming, False) for r in schema.SERVICES[service]]
    assert got == want
    assert list(FILES[package].services_by_name) == [short]
    # the gRPC glue exposes every method on the servicer and the stub
    grpc_mod = GRPC_MODULES[package]
    servicer = getattr(grpc_mod, f"{short}Servicer")
    assert getattr(grpc_mod, f"{short}Stub")
    assert getattr(grpc_mod, f"add_{short}Servicer_to_server")
    for rpc in schema.SERVICES[service]:
        assert callable(getattr(servicer, rpc.name))


def test_grpc_modules_import_pb2_relatively() -> None:
    for path in (REPO / "runtime" / "wire").glob("*_pb2_grpc.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^import \w+_pb2", text, re.MULTILINE), path.name
        assert re.search(r"^from \. import \w+_pb2 as ", text, re.MULTILINE), path.name
    assert plugin_pb2_grpc.plugin__pb2 is plugin_pb2
    assert config_provider_pb2_grpc.config__provider__pb2 is config_provider_pb2


def test_wire_package_docstring() -> None:
    import runtime.wire

    assert runtime.wire.__doc__ and "scripts/gen_proto.py" in runtime.wire.__doc__


def test_generated_code_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_proto.py"), "--check"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
