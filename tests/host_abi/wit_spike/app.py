"""Spike guest for the `gateway-plugin:abi/plugin@1.0.0` world (componentize-py 0.25.1).

Built by ``tests/host_abi/test_wit_spike.py`` with
``componentize-py -d host_abi/wit -w plugin componentize app -p <this dir> -o <out>.wasm``.
It proves the v1 contract on the wasm tier:

* componentize-py generates the package ``wit_world`` at build time. The export
  interface ``guest`` becomes the protocol ``wit_world.exports.Guest``; this module
  must define a class with that exact name, ``Guest``, implementing it. The import
  interface ``host`` becomes the module ``wit_world.imports.host`` with a plain
  function ``call(op: int, payload: str) -> str``.
* Hook 8 (``process_post_auth``) appends a system message to the chat body, logs
  once through host op 1 (``log``) and answers with a modified request.
* Hook 9000 is a test-only benchmark of the envelope codec inside the guest.

Every module the guest uses is imported here, at module level: componentize-py
snapshots the interpreter at build time, and a module first imported at run time
fails to load. componentize-py constructs ``Guest`` while it pre-initialises the
interpreter at build time, not per call or per instance, so ``__init__`` must not hold
per-instance state. A Python exception escaping an export traps and poisons the
instance, so ``handle`` turns every failure into an ``err`` envelope.
"""

import binascii
import json
import statistics
import time

from wit_world import exports
from wit_world.imports import host

ABI_VERSION = 1
HOOK_PROCESS_POST_AUTH = 8
HOOK_CODEC_BENCH = 9000  # test-only
OP_LOG = 1

SYSTEM_NOTE = "Réponds en français, s'il te plaît — données «confidentielles» ✓"
LOG_PAYLOAD = json.dumps(
    {"v": 1, "args": {"level": "info", "message": "enriched", "fields": {}}},
    separators=(",", ":"),
)

_COMPACT = (",", ":")


def _ok(msg: object) -> str:
    return json.dumps({"v": 1, "ok": msg}, separators=_COMPACT)


def _err(code: str, message: str) -> str:
    return json.dumps({"v": 1, "err": {"code": code, "message": message}}, separators=_COMPACT)


class HostError(Exception):
    """The host answered an op call with an ``err`` envelope."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def _host_call(op: int, payload: str) -> object:
    answer = json.loads(host.call(op, payload))
    if "err" in answer:
        err = answer["err"]
        raise HostError(str(err.get("code", "")), str(err.get("message", "")))
    return answer.get("ok")


def _process_post_auth(msg: dict) -> dict:
    request = msg["request"]
    body = request["body"].encode("latin-1")
    chat = json.loads(body)
    chat["messages"].append({"role": "system", "content": SYSTEM_NOTE})
    new_body = json.dumps(chat, ensure_ascii=False, separators=_COMPACT).encode("utf-8")
    _host_call(OP_LOG, LOG_PAYLOAD)
    return {"modified": True, "headers": {"x-enriched": "1"}, "body": new_body.decode("latin-1")}


# ---------------------------------------------------------------------------
# Hook 9000 (test-only): codec benchmark on the guest clock.
# msg = {"iterations": N, "runs": R, "variants": {name: {"envelope": <process_post_auth
# envelope text>, "body": "latin-1" | "base64"}}}: the same request with the body field
# carried as latin-1 text or as base64. Answers {name: {figure: µs per op}} plus the cost
# of the whole hook-8 handler and of one host import call, both timed in the guest.

_SMALL_ANSWER = {"v": 1, "ok": {"modified": True, "headers": {"x-enriched": "1"}}}
_COMPACT_ENCODER = json.JSONEncoder(separators=_COMPACT)

_BODY_CODECS = {
    "latin-1": (lambda text: text.encode("latin-1"), lambda data: data.decode("latin-1")),
    "base64": (
        lambda text: binascii.a2b_base64(text),
        lambda data: binascii.b2a_base64(data, newline=False).decode("ascii"),
    ),
}


def _time_us(fn, iterations: int, runs: int) -> float:
    """Median over `runs` of the mean µs per call of `fn` over `iterations` calls."""
    per_run = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        for _ in range(iterations):
            fn()
        per_run.append((time.perf_counter_ns() - t0) / iterations / 1000.0)
    return round(statistics.median(per_run), 3)


def _bench_variant(envelope: str, body_codec: str, iterations: int, runs: int) -> dict:
    conv_in, conv_out = _BODY_CODECS[body_codec]
    loads, dumps = json.loads, json.dumps
    body_text = loads(envelope)["msg"]["request"]["body"]
    body = conv_in(body_text)
    body_answer = {"v": 1, "ok": {"modified": True, "headers": {"x-enriched": "1"}, "body": conv_out(body)}}

    def full() -> None:
        env = loads(envelope)
        conv_in(env["msg"]["request"]["body"])
        dumps(_SMALL_ANSWER, separators=_COMPACT)

    def full_with_body_answer() -> None:
        env = loads(envelope)
        data = conv_in(env["msg"]["request"]["body"])
        ok = {"modified": True, "headers": {"x-enriched": "1"}, "body": conv_out(data)}
        _COMPACT_ENCODER.encode({"v": 1, "ok": ok})

    return {
        "envelope_chars": len(envelope),
        "envelope_utf8_bytes": len(envelope.encode("utf-8")),
        "body_field_chars": len(body_text),
        "full_us": _time_us(full, iterations, runs),
        "loads_us": _time_us(lambda: loads(envelope), iterations, runs),
        "body_in_us": _time_us(lambda: conv_in(body_text), iterations, runs),
        "dumps_small_us": _time_us(lambda: dumps(_SMALL_ANSWER, separators=_COMPACT), iterations, runs),
        "dumps_small_default_args_us": _time_us(lambda: dumps(_SMALL_ANSWER), iterations, runs),
        "dumps_small_cached_encoder_us": _time_us(lambda: _COMPACT_ENCODER.encode(_SMALL_ANSWER), iterations, runs),
        "body_out_us": _time_us(lambda: conv_out(body), iterations, runs),
        "dumps_body_answer_cached_encoder_us": _time_us(lambda: _COMPACT_ENCODER.encode(body_answer), iterations, runs),
        "full_with_body_answer_us": _time_us(full_with_body_answer, iterations, runs),
    }


def _codec_bench(msg: dict) -> dict:
    iterations = int(msg.get("iterations", 2000))
    runs = int(msg.get("runs", 5))
    result = {"iterations": iterations, "runs": runs, "clock": "time.perf_counter_ns in the guest"}
    for name, variant in msg["variants"].items():
        result[name] = _bench_variant(variant["envelope"], variant["body"], iterations, runs)
    if msg.get("time_handler"):
        envelope = next(iter(msg["variants"].values()))["envelope"]
        guest = Guest()
        result["handle_post_auth_in_guest_us"] = _time_us(
            lambda: guest.handle(HOOK_PROCESS_POST_AUTH, envelope), iterations, runs
        )
        result["host_call_log_in_guest_us"] = _time_us(lambda: host.call(OP_LOG, LOG_PAYLOAD), iterations, runs)
    return result


_HOOKS = {
    HOOK_PROCESS_POST_AUTH: _process_post_auth,
    HOOK_CODEC_BENCH: _codec_bench,
}


class Guest(exports.Guest):
    """Implementation of the exported interface `gateway-plugin:abi/guest@1.0.0`."""

    def abi_version(self) -> int:
        return ABI_VERSION

    def handle(self, hook: int, payload: str) -> str:
        handler = _HOOKS.get(hook)
        if handler is None:
            return _err("UNKNOWN_HOOK", f"hook {hook} is not known to this plugin")
        try:
            envelope = json.loads(payload)
            if not isinstance(envelope, dict) or envelope.get("v") != 1 or not isinstance(envelope.get("msg"), dict):
                return _err("BAD_ENVELOPE", "expected {\"v\": 1, \"msg\": {...}}")
            return _ok(handler(envelope["msg"]))
        except HostError as exc:
            return _err("HOST_ERROR", str(exc))
        except Exception as exc:  # noqa: BLE001 - an escaping exception would trap the instance
            return _err("PLUGIN_ERROR", f"{type(exc).__name__}: {exc}")
