"""guest_sdk.messages: shape against host_abi.schema, envelope round trips, protobuf cross-check."""

from __future__ import annotations

import dataclasses
import enum
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guest_sdk import messages as m
from host_abi import schema
from runtime.wire import config_provider_pb2, plugin_pb2

REPO = Path(__file__).resolve().parents[2]

PB_MODULES = {"plugin": plugin_pb2, "config_provider": config_provider_pb2}
SAMPLE = ["EnrichedRequest", "PluginResponse", "AgentMessageChunk", "EndpointRequest", "App",
          "ObjectHookRequest", "EndpointResponseChunk", "OpenSessionResponse", "AgentMessageRequest",
          "AnalyticsRequest", "ProxyLogRequest", "ListResourceInstancesResponse", "InitRequest"]
INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1), "sint32": (-(2**31), 2**31 - 1), "sfixed32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1), "sint64": (-(2**63), 2**63 - 1), "sfixed64": (-(2**63), 2**63 - 1),
    "uint32": (0, 2**32 - 1), "fixed32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1), "fixed64": (0, 2**64 - 1),
}
PY_DEFAULT = {"string": "", "bytes": b"", "bool": False, "double": 0.0, "float": 0.0}
PY_TYPE = {"string": str, "bytes": bytes, "bool": bool, "double": float, "float": float}


def enum_class(full_name: str) -> type[enum.IntEnum]:
    owner, _, name = full_name.rpartition(".")
    cls: type[enum.IntEnum] = getattr(m.MESSAGE_TYPES[owner], name)
    return cls


def pb_class(full_name: str) -> Any:
    package, _, name = full_name.partition(".")
    return getattr(PB_MODULES[package], name)


# ---------------------------------------------------------------------------------------------
# shape


def test_message_types_cover_the_table() -> None:
    assert list(m.MESSAGE_TYPES) == list(schema.MESSAGES)
    classes = {obj for obj in vars(m).values() if isinstance(obj, type) and issubclass(obj, m.Message)}
    classes.discard(m.Message)
    assert classes == set(m.MESSAGE_TYPES.values())


@pytest.mark.parametrize("full_name", list(schema.MESSAGES))
def test_class_fields_follow_the_table(full_name: str) -> None:
    cls = m.MESSAGE_TYPES[full_name]
    spec = schema.MESSAGES[full_name]
    assert dataclasses.is_dataclass(cls) and issubclass(cls, m.Message)
    assert [f.name for f in dataclasses.fields(cls)] == [f.name for f in spec.fields]
    assert cls.__slots__ == tuple(f.name for f in spec.fields)
    assert cls.__name__ == spec.name
    if full_name in ("config_provider.GetManifestRequest", "config_provider.GetManifestResponse"):
        assert cls.FULL_NAME == "plugin." + spec.name  # shared with the plugin package
    else:
        assert cls.FULL_NAME == full_name
    assert cls.__doc__ and "\n" not in cls.__doc__.strip()
    # proto3 defaults
    inst = cls()
    for f in spec.fields:
        value = getattr(inst, f.name)
        if f.label == "map":
            assert value == {} and type(value) is dict
        elif f.label == "repeated":
            assert value == [] and type(value) is list
        elif f.type in schema.MESSAGES:
            assert value is None
        elif f.type in schema.ENUMS:
            assert value == 0 and type(value) is enum_class(f.type)
        elif f.type in PY_DEFAULT:
            assert value == PY_DEFAULT[f.type] and type(value) is PY_TYPE[f.type]
        else:
            assert value == 0 and type(value) is int
    assert inst.to_wire() == {}
    assert cls.from_wire({}) == inst
    # default containers are not shared between instances
    for f in spec.fields:
        if f.label in ("map", "repeated"):
            assert getattr(cls(), f.name) is not getattr(inst, f.name)


def test_config_provider_manifest_messages_share_plugin_shapes() -> None:
    for short in ("GetManifestRequest", "GetManifestResponse"):
        cp, pl = schema.MESSAGES[f"config_provider.{short}"], schema.MESSAGES[f"plugin.{short}"]
        assert cp.fields == pl.fields
        assert m.MESSAGE_TYPES[cp.full_name] is m.MESSAGE_TYPES[pl.full_name] is getattr(m, short)
        # and the generated protobuf descriptors agree field by field
        cp_desc, pl_desc = pb_class(cp.full_name).DESCRIPTOR, pb_class(pl.full_name).DESCRIPTOR
        assert [(f.name, f.number, f.type) for f in cp_desc.fields] == [
            (f.name, f.number, f.type) for f in pl_desc.fields
        ]
    assert m.GetManifestResponse(success=True, manifest_json="{}").to_wire() == {
        "success": True, "manifest_json": "{}"
    }


def test_nested_enums() -> None:
    assert set(schema.ENUMS) == {
        "plugin.AgentMessageChunk.ChunkType",
        "plugin.OpenSessionResponse.CloseReason",
        "plugin.EndpointResponseChunk.ChunkType",
    }
    for full_name, spec in schema.ENUMS.items():
        cls = enum_class(full_name)
        assert issubclass(cls, enum.IntEnum)
        assert [(v.name, v.value) for v in cls] == list(spec.values)
    assert m.AgentMessageChunkType is m.AgentMessageChunk.ChunkType
    assert m.EndpointResponseChunkType is m.EndpointResponseChunk.ChunkType
    assert m.OpenSessionResponseCloseReason is m.OpenSessionResponse.CloseReason
    assert m.AgentMessageChunk.ChunkType.__qualname__ == "AgentMessageChunk.ChunkType"
    assert m.OpenSessionResponse.CloseReason.EXPLICIT_CLOSE == 2
    assert m.EndpointResponseChunk.ChunkType.BODY == 1


def test_dunder_all() -> None:
    names = set(m.__all__)
    assert len(names) == len(m.__all__)
    for name in m.__all__:
        assert hasattr(m, name), name
    public = {n for n, v in vars(m).items() if not n.startswith("_") and getattr(v, "__module__", None) == m.__name__}
    assert public <= names
    assert {"Message", "MESSAGE_TYPES", "AgentMessageChunkType", "EndpointResponseChunkType",
            "OpenSessionResponseCloseReason", "ConfigSchemaRequest", "ConfigPingResponse"} <= names


def test_generated_module_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_messages.py"), "--check"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = (REPO / "guest_sdk" / "messages.py").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# generated by scripts/gen_messages.py from host_abi/schema.py; do not edit"


def test_module_needs_only_the_standard_library() -> None:
    code = (
        "import importlib.util, sys\n"
        "before = set(sys.modules)\n"
        f"spec = importlib.util.spec_from_file_location('standalone_messages', {str(REPO / 'guest_sdk' / 'messages.py')!r})\n"
        "mod = importlib.util.module_from_spec(spec)\n"
        "sys.modules[spec.name] = mod\n"
        "spec.loader.exec_module(mod)\n"
        "new = {n.split('.')[0] for n in set(sys.modules) - before} - {spec.name}\n"
        "bad = sorted(n for n in new if n not in sys.stdlib_module_names)\n"
        "assert not bad, bad\n"
        "assert 'typing' not in new, 'typing should not be imported at run time'\n"
        "assert mod.AgentMessageChunk.from_wire({'type': 5}).type is mod.AgentMessageChunkType.DONE\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------------------------------------
# envelope form, examples


def test_envelope_form_example() -> None:
    body = bytes(range(256))
    req = m.EnrichedRequest(
        request=m.PluginRequest(
            method="POST", headers={"Content-Type": "application/json"}, body=body,
            context=m.PluginContext(request_id="r1", app_id=7),
        ),
        app_id="7",
        authenticated=True,
    )
    wire = req.to_wire()
    assert wire == {
        "request": {
            "method": "POST",
            "headers": {"Content-Type": "application/json"},
            "body": body.decode("latin-1"),
            "context": {"request_id": "r1", "app_id": 7},
        },
        "app_id": "7",
        "authenticated": True,
    }
    assert [ord(c) for c in wire["request"]["body"]] == list(range(256))
    assert m.EnrichedRequest.from_wire(json.loads(json.dumps(wire))) == req


def test_empty_nested_message_is_kept() -> None:
    msg = m.AuthRequest(request=m.PluginRequest())
    assert msg.to_wire() == {"request": {}}
    assert m.AuthRequest.from_wire({"request": {}}).request == m.PluginRequest()
    assert m.AuthRequest.from_wire({}).request is None


def test_from_wire_is_lenient() -> None:
    chunk = m.AgentMessageChunk.from_wire({"type": 99, "content": "x", "unknown": [1, 2]})
    assert chunk.type == 99 and type(chunk.type) is int  # open enum: unknown numbers survive
    assert chunk.to_wire() == {"type": 99, "content": "x"}
    # JSON null reads as the default; raw bytes are accepted for bytes fields
    resp = m.EndpointResponse.from_wire({"status_code": None, "body": b"\xff\x00", "headers": None})
    assert resp == m.EndpointResponse(body=b"\xff\x00")
    # doubles always come back as floats
    app = m.App.from_wire({"monthly_budget": 5})
    assert app.monthly_budget == 5.0 and type(app.monthly_budget) is float
    assert type(m.App(monthly_budget=3).to_wire()["monthly_budget"]) is float


def test_to_wire_copies_containers() -> None:
    req = m.PluginRequest(headers={"a": "1"})
    wire = req.to_wire()
    wire["headers"]["b"] = "2"
    assert req.headers == {"a": "1"}
    back = m.PluginRequest.from_wire(wire)
    wire["headers"]["c"] = "3"
    assert back.headers == {"a": "1", "b": "2"}


def test_dataclass_helpers_still_work() -> None:
    req = m.PluginRequest(method="GET", headers={"a": "1"})
    assert dataclasses.replace(req, path="/x") == m.PluginRequest(method="GET", path="/x", headers={"a": "1"})
    assert dataclasses.asdict(m.AuthRequest(request=req))["request"]["headers"] == {"a": "1"}
    assert repr(m.AgentMessageChunk(content="hi")).startswith("AgentMessageChunk(type=")
    assert m.PluginRequest() != m.PluginResponse()
    with pytest.raises(TypeError):
        hash(m.PluginRequest())


# ---------------------------------------------------------------------------------------------
# hypothesis: random instances


def scalar_strategy(proto_type: str) -> st.SearchStrategy[Any]:
    if proto_type == "string":
        return st.text(max_size=12)
    if proto_type == "bytes":
        return st.binary(max_size=24)
    if proto_type == "bool":
        return st.booleans()
    if proto_type in ("double", "float"):
        # -0.0 counts as the default (it compares equal to 0.0) and is therefore not sent
        return st.floats(allow_nan=False, allow_infinity=False).map(lambda x: x + 0.0)
    lo, hi = INT_RANGES[proto_type]
    return st.integers(min_value=lo, max_value=hi)


def field_strategy(f: schema.FieldSpec, depth: int) -> st.SearchStrategy[Any]:
    if f.label == "map":
        return st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)
    if f.type in schema.MESSAGES:
        if f.label == "repeated":
            return st.lists(message_strategy(f.type, depth + 1), max_size=2) if depth < 3 else st.just([])
        return st.none() | message_strategy(f.type, depth + 1) if depth < 3 else st.none()
    if f.type in schema.ENUMS:
        elem: st.SearchStrategy[Any] = st.sampled_from(list(enum_class(f.type))) | st.integers(
            min_value=-(2**31), max_value=2**31 - 1
        )
    else:
        elem = scalar_strategy(f.type)
    if f.label == "repeated":
        return st.lists(elem, max_size=3)
    return elem


def message_strategy(full_name: str, depth: int = 0) -> st.SearchStrategy[Any]:
    spec = schema.MESSAGES[full_name]
    cls = m.MESSAGE_TYPES[full_name]
    return st.builds(cls, **{f.name: field_strategy(f, depth) for f in spec.fields})


# protobuf helpers: envelope dict -> protobuf, instance -> protobuf, protobuf -> envelope dict


def wire_to_pb(wire: dict[str, Any], pb: Any) -> Any:
    fields = pb.DESCRIPTOR.fields_by_name
    for key, value in wire.items():
        fd = fields[key]
        is_map = fd.is_repeated and fd.message_type is not None and fd.message_type.GetOptions().map_entry
        if is_map:
            getattr(pb, key).update(value)
        elif fd.is_repeated:
            if fd.message_type is not None:
                for item in value:
                    wire_to_pb(item, getattr(pb, key).add())
            elif fd.type == fd.TYPE_BYTES:
                getattr(pb, key).extend(v.encode("latin-1") for v in value)
            else:
                getattr(pb, key).extend(value)
        elif fd.message_type is not None:
            sub = getattr(pb, key)
            sub.SetInParent()
            wire_to_pb(value, sub)
        elif fd.type == fd.TYPE_BYTES:
            setattr(pb, key, value.encode("latin-1"))
        else:
            setattr(pb, key, value)
    return pb


def instance_to_pb(inst: Any, pb: Any) -> Any:
    for f in dataclasses.fields(inst):
        value = getattr(inst, f.name)
        target = getattr(pb, f.name)
        fd = pb.DESCRIPTOR.fields_by_name[f.name]
        if isinstance(value, dict):
            target.update(value)
        elif isinstance(value, list):
            if fd.message_type is not None:
                for item in value:
                    instance_to_pb(item, target.add())
            else:
                target.extend(int(v) if isinstance(v, enum.IntEnum) else v for v in value)
        elif isinstance(value, m.Message):
            target.SetInParent()
            instance_to_pb(value, target)
        elif value is not None:
            setattr(pb, f.name, int(value) if isinstance(value, enum.IntEnum) else value)
    return pb


def pb_to_wire(pb: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fd, value in pb.ListFields():
        is_map = fd.is_repeated and fd.message_type is not None and fd.message_type.GetOptions().map_entry
        if is_map:
            out[fd.name] = dict(value)
        elif fd.is_repeated:
            if fd.message_type is not None:
                out[fd.name] = [pb_to_wire(v) for v in value]
            elif fd.type == fd.TYPE_BYTES:
                out[fd.name] = [v.decode("latin-1") for v in value]
            else:
                out[fd.name] = list(value)
        elif fd.message_type is not None:
            out[fd.name] = pb_to_wire(value)
        elif fd.type == fd.TYPE_BYTES:
            out[fd.name] = value.decode("latin-1")
        else:
            out[fd.name] = value
    return out


HYPO = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HYPO_SMALL = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_round_trip(full_name: str, inst: Any) -> None:
    cls = m.MESSAGE_TYPES[full_name]
    wire = inst.to_wire()
    text = json.dumps(wire, allow_nan=False)
    assert cls.from_wire(json.loads(text)) == inst
    assert cls.from_wire(wire) == inst


def check_against_protobuf(full_name: str, inst: Any) -> None:
    pb_cls = pb_class(full_name)
    wire = inst.to_wire()
    from_wire = wire_to_pb(json.loads(json.dumps(wire)), pb_cls())
    direct = instance_to_pb(inst, pb_cls())
    assert from_wire == direct
    # protobuf's own notion of "set" fields gives back exactly the envelope form
    parsed = pb_cls.FromString(direct.SerializeToString())
    assert pb_to_wire(parsed) == wire
    assert m.MESSAGE_TYPES[full_name].from_wire(pb_to_wire(parsed)) == inst


@pytest.mark.parametrize("name", SAMPLE)
def test_round_trip_sample(name: str) -> None:
    full_name = f"plugin.{name}"

    @HYPO
    @given(message_strategy(full_name))
    def run(inst: Any) -> None:
        check_round_trip(full_name, inst)

    run()


@pytest.mark.parametrize("name", SAMPLE)
def test_protobuf_cross_check_sample(name: str) -> None:
    full_name = f"plugin.{name}"

    @HYPO
    @given(message_strategy(full_name))
    def run(inst: Any) -> None:
        check_against_protobuf(full_name, inst)

    run()


@pytest.mark.parametrize("full_name", [n for n in schema.MESSAGES if n.split(".", 1)[1] not in SAMPLE])
def test_round_trip_and_protobuf_all_others(full_name: str) -> None:
    @HYPO_SMALL
    @given(message_strategy(full_name))
    def run(inst: Any) -> None:
        check_round_trip(full_name, inst)
        check_against_protobuf(full_name, inst)

    run()
