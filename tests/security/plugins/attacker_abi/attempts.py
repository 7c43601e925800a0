"""The attempts of attacker_abi: forged and ungranted ops, raw imports, other plugins'
KV and events, and the guest SDK's internals.

Ops here go straight to the host import (``wit_world.imports.host.call``), past the
SDK, so the envelope is whatever the attempt writes; the report's ``data`` holds the
host's answer (``code`` for an error). Parameters arrive as request headers:
``x-victim`` (another loaded plugin's identity), ``x-key``, ``x-topic``, ``x-sub``
(another plugin's subscription id), ``x-forge`` (the kind of answer to forge).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

import componentize_py_runtime
from wit_world.imports import host

from guest_sdk import ServiceError
from guest_sdk.context import RuntimeKind
from guest_sdk.messages import PluginResponse

Attempt = Callable[[Any, dict[str, str]], Any]
ATTEMPTS: dict[str, Attempt] = {}
UNCAUGHT: set[str] = set()

OP_LOG, OP_KV_READ, OP_KV_WRITE = 1, 2, 3
OP_STREAM_EMIT, OP_STREAM_READ = 20, 21
OP_GATEWAY_GET_APP, OP_GATEWAY_VALIDATE_CREDENTIAL, OP_STUDIO_LIST_APPS = 100, 107, 200


def attempt(name: str, *, catch: bool = True) -> Callable[[Attempt], Attempt]:
    def register(fn: Attempt) -> Attempt:
        ATTEMPTS[name] = fn
        if not catch:
            UNCAUGHT.add(name)
        return fn
    return register


def _answer(text: str) -> dict[str, Any]:
    """The host's answer, summarised: ``code`` (None for ok), ``ok`` or ``message``."""
    try:
        env = json.loads(text)
    except ValueError:
        return {"code": "<not JSON>", "text": text[:300]}
    if "ok" in env:
        return {"code": None, "ok": env["ok"]}
    err = env.get("err") or {}
    return {"code": err.get("code"), "message": str(err.get("message", ""))[:500]}


def _raw(op: int, payload: str) -> dict[str, Any]:
    return _answer(host.call(op, payload))


def _instance() -> Any:
    """The GuestInstance the component export drives (the generated app's global)."""
    return sys.modules["gps_guest_app"]._INSTANCE  # type: ignore[attr-defined]


# -- forged and ungranted ops ------------------------------------------------------------
@attempt("abi.unknown_op")
def _unknown(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(77, '{"v":1,"args":{}}')


@attempt("abi.op_out_of_range", catch=False)
def _out_of_range(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(1 << 32, '{"v":1,"args":{"message":"x"}}')


@attempt("abi.not_json")
def _not_json(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_LOG, "log this, please")


@attempt("abi.not_an_object")
def _not_object(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_LOG, '[1,{"v":1}]')


@attempt("abi.no_version")
def _no_version(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_LOG, '{"args":{"message":"x"}}')


@attempt("abi.wrong_version")
def _wrong_version(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_LOG, '{"v":2,"args":{"message":"x"}}')


@attempt("abi.args_not_object")
def _args_not_object(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_LOG, '{"v":1,"args":"message=x"}')


@attempt("abi.oversized_envelope")
def _oversized(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_LOG, '{"v":1,"args":{"message":"' + "x" * ((32 << 20) + 16) + '"}}')


@attempt("abi.deeply_nested_envelope")
def _nested(ctx: Any, p: dict[str, str]) -> Any:
    depth = int(p.get("x-depth", "100000"))
    return _raw(OP_LOG, '{"v":1,"args":{"message":"x","fields":{"a":' + "[" * depth + "]" * depth + "}}}")


@attempt("abi.lone_surrogate", catch=False)
def _surrogate(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_LOG, '{"v":1,"args":{"message":"\ud800"}}')


@attempt("abi.granted_not_requested")
def _granted_not_requested(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_GATEWAY_GET_APP, '{"v":1,"args":{"app_id":1}}')


@attempt("abi.never_granted")
def _never_granted(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_GATEWAY_VALIDATE_CREDENTIAL, '{"v":1,"args":{"secret":"guess"}}')


@attempt("abi.other_runtime")
def _other_runtime(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_STUDIO_LIST_APPS, '{"v":1,"args":{}}')


@attempt("abi.stream_emit_outside")
def _emit(ctx: Any, p: dict[str, str]) -> Any:
    return _raw(OP_STREAM_EMIT, '{"v":1,"args":{"chunk":{"content":"injected"}}}')


@attempt("abi.stream_read_foreign")
def _read(ctx: Any, p: dict[str, str]) -> Any:
    return {str(h): _raw(OP_STREAM_READ, json.dumps({"v": 1, "args": {"handle": h}}))["code"]
            for h in (0, 1, 2, 3, 1 << 31)}


# -- raw imports (componentize-py's runtime, WASI) -----------------------------------------
@attempt("wasi.modules")
def _wasi_modules(ctx: Any, p: dict[str, str]) -> Any:
    """Look for anything in the guest that exposes WASI functions to Python."""
    import importlib
    tried = {}
    for name in ("wasi", "_wasi", "wasi_snapshot_preview1", "wasip2", "wit_world.imports.wasi",
                 "wit_world.imports.filesystem", "wit_world.imports.types",
                 "wit_world.imports.tcp", "wit_world.imports.environment"):
        try:
            importlib.import_module(name)
            tried[name] = "imported"
        except ImportError as exc:
            tried[name] = type(exc).__name__
    wit_imports = sorted(k for k in sys.modules if k.startswith("wit_world.imports."))
    runtime_api = sorted(n for n in dir(componentize_py_runtime) if not n.startswith("__"))
    return {"tried": tried, "wit_imports": wit_imports, "componentize_py_runtime": runtime_api}


@attempt("wasi.call_import_other_index", catch=False)
def _call_import_other(ctx: Any, p: dict[str, str]) -> Any:
    """Import index 0 is host.call; any other index is not a function of this world."""
    return componentize_py_runtime.call_import(int(p.get("x-index", "1")), [])


@attempt("wasi.call_import_host_index")
def _call_import_host(ctx: Any, p: dict[str, str]) -> Any:
    """host.call through the runtime's untyped entry point: still the host's checks."""
    return _answer(componentize_py_runtime.call_import(
        0, [OP_GATEWAY_GET_APP, '{"v":1,"args":{"app_id":1}}']))


@attempt("wasi.drop_resource", catch=False)
def _drop_resource(ctx: Any, p: dict[str, str]) -> Any:
    return componentize_py_runtime.drop_resource(0, 1)


# -- other plugins' KV ------------------------------------------------------------------
def _kv_code(fn: Callable[[], Any]) -> Any:
    try:
        return {"code": None, "value": repr(fn())}
    except ServiceError as exc:
        return {"code": exc.code, "message": exc.message}


@attempt("ns.same_key")
def _same_key(ctx: Any, p: dict[str, str]) -> Any:
    return _kv_code(lambda: ctx.services.kv.read(p["x-key"]))


@attempt("ns.traversal_key")
def _traversal(ctx: Any, p: dict[str, str]) -> Any:
    victim, key = p["x-victim"], p["x-key"]
    return {k: _kv_code(lambda k=k: ctx.services.kv.read(k))["code"] for k in (
        f"../{victim}/{key}", f"../../{victim}/{key}", f"/{victim}/{key}", f"..\\{victim}\\{key}")}


@attempt("ns.separator_keys")
def _separators(ctx: Any, p: dict[str, str]) -> Any:
    victim, key = p["x-victim"], p["x-key"]
    return {k: _kv_code(lambda k=k: ctx.services.kv.read(k))["code"] for k in (
        f"{victim}:{key}", f"{victim}/{key}", f"{victim}.{key}", f"{victim}|{key}",
        f"{victim}{key}", f"{victim}\u2215{key}", f"('{victim}', '{key}')")}


@attempt("ns.control_char_key")
def _control(ctx: Any, p: dict[str, str]) -> Any:
    victim, key = p["x-victim"], p["x-key"]
    return {repr(k): _kv_code(lambda k=k: ctx.services.kv.read(k))["code"] for k in (
        f"{victim}\x00{key}", f"{victim}\x1f{key}", f"{victim}\n{key}")}


@attempt("ns.forged_args")
def _forged_args(ctx: Any, p: dict[str, str]) -> Any:
    victim = p["x-victim"]
    return ctx.services.call("kv.write", {
        "key": p["x-key"], "value": "forged-through-args", "namespace": victim,
        "identity": victim, "plugin": victim, "plugin_id": victim, "ns": victim})


@attempt("ns.forged_envelope")
def _forged_envelope(ctx: Any, p: dict[str, str]) -> Any:
    victim = p["x-victim"]
    return _raw(OP_KV_WRITE, json.dumps({
        "v": 1, "args": {"key": p["x-key"], "value": "forged-through-envelope"},
        "plugin": victim, "identity": victim, "namespace": victim, "from": f"plugin:{victim}"}))


@attempt("ns.guest_identity")
def _guest_identity(ctx: Any, p: dict[str, str]) -> Any:
    """Change who the guest believes it is: the host never asks the guest."""
    inst = _instance()
    saved = inst.plugin_id
    inst.plugin_id = ctx.plugin_id = p["x-victim"]
    try:
        return {"believed": ctx.plugin_id,
                "created": ctx.services.kv.write(p["x-key"], "forged-through-identity")}
    finally:
        inst.plugin_id = saved


@attempt("ns.list_enumeration")
def _list(ctx: Any, p: dict[str, str]) -> Any:
    return {"all": ctx.services.kv.list(""), "victim": ctx.services.kv.list(p["x-victim"])}


@attempt("ns.delete_other")
def _delete(ctx: Any, p: dict[str, str]) -> Any:
    return {"deleted": ctx.services.kv.delete(p["x-key"])}


@attempt("ns.overlong_key")
def _overlong(ctx: Any, p: dict[str, str]) -> Any:
    return _kv_code(lambda: ctx.services.kv.write("k" * 256, "v"))


@attempt("ns.value_too_large")
def _too_large(ctx: Any, p: dict[str, str]) -> Any:
    return _kv_code(lambda: ctx.services.kv.write("big", b"\x00" * ((5 << 20) + 1)))


# -- other plugins' events ----------------------------------------------------------------
@attempt("ev.subscribe")
def _subscribe(ctx: Any, p: dict[str, str]) -> Any:
    """Not an attack: the observer's own subscription."""
    return ctx.services.events.subscribe(p["x-topic"])


@attempt("ev.spoof_origin")
def _spoof(ctx: Any, p: dict[str, str]) -> Any:
    victim = p["x-victim"]
    return ctx.services.call("events.publish", {
        "topic": p["x-topic"], "payload": "spoofed", "origin": f"plugin:{victim}@local",
        "plugin": victim, "identity": victim})


@attempt("ev.unsubscribe_other")
def _unsubscribe(ctx: Any, p: dict[str, str]) -> Any:
    return ctx.services.events.unsubscribe(p["x-sub"])


@attempt("ev.private_handler")
def _private_handler(ctx: Any, p: dict[str, str]) -> Any:
    return {h: _kv_code(lambda h=h: ctx.services.events.subscribe(p["x-topic"], h))["code"]
            for h in ("__init__", "_forging_instance_start", "__class__", "os.system", "a b")}


# -- the guest SDK's internals ---------------------------------------------------------------
@attempt("sdk.patched_binding")
def _patched_binding(ctx: Any, p: dict[str, str]) -> Any:
    """Replace the host import binding (module attribute and the SDK's bound callable)
    with one that forges answers: only this guest is fooled."""
    forged = '{"v":1,"ok":{"app":{"id":1,"name":"forged by the guest"}}}'
    caller = ctx.services.call
    saved_module, saved_caller = host.call, caller._host_call
    host.call = caller._host_call = lambda op, payload: forged  # type: ignore[assignment]
    try:
        return {"app": ctx.services.gateway.get_app(1)}
    finally:
        host.call, caller._host_call = saved_module, saved_caller  # type: ignore[assignment]


@attempt("sdk.spoofed_runtime")
def _spoofed_runtime(ctx: Any, p: dict[str, str]) -> Any:
    """Tell the SDK it runs in the studio runtime so Studio() crosses to the host."""
    inst = _instance()
    saved = inst.runtime
    inst.runtime = RuntimeKind.STUDIO
    try:
        return _kv_code(lambda: ctx.services.studio.list_apps())
    finally:
        inst.runtime = saved


_FORGED = {
    "garbage": lambda: "this is not an envelope",
    "not_object": lambda: '{"v":1,"ok":[1,2,3]}',
    "wrong_version": lambda: '{"v":2,"ok":{}}',
    "host_code": lambda: '{"v":1,"err":{"code":"DEADLINE_EXCEEDED","message":"forged by the guest"}}',
    "nested": lambda: '{"v":1,"ok":' + "[" * 100_000 + "]" * 100_000 + "}",
}


@attempt("sdk.arm_forged_answer")
def _arm(ctx: Any, p: dict[str, str]) -> Any:
    """Make the export's next answer, whatever the hook, the forged text (once)."""
    text = _FORGED[p["x-forge"]]()
    inst = _instance()

    def forged(hook: int, payload: str) -> str:
        del inst.handle  # back to the class's method for every later call
        return text

    inst.handle = forged
    return "armed"


@attempt("sdk.arm_forged_instance_start")
def _arm_start(ctx: Any, p: dict[str, str]) -> Any:
    """New instances of this plugin will answer instance_start with this hook list."""
    return ctx.services.kv.write("poison-instance-start", p.get("x-hooks", '["not-a-number"]'))


@attempt("out.answer_too_large", catch=False)
def _answer_too_large(ctx: Any, p: dict[str, str]) -> Any:
    return PluginResponse(modified=True, body=b"x" * ((32 << 20) + 1))
