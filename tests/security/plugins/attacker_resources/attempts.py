"""The attempts of attacker_resources: CPU, memory, stack, output size, host-call floods.

Most run uncaught (``catch=False``): the point is what the host does when the guest
loops, allocates or recurses without end. Parameters arrive as request headers.
"""

from __future__ import annotations

import json
import os
import re
import select
import sys
import time
from typing import Any, Callable

from wit_world.imports import host

from guest_sdk import ServiceError

Attempt = Callable[[Any, dict[str, str]], Any]
ATTEMPTS: dict[str, Attempt] = {}
UNCAUGHT: set[str] = set()


def attempt(name: str, *, catch: bool = True) -> Callable[[Attempt], Attempt]:
    def register(fn: Attempt) -> Attempt:
        ATTEMPTS[name] = fn
        if not catch:
            UNCAUGHT.add(name)
        return fn
    return register


# -- CPU ---------------------------------------------------------------------------------
@attempt("cpu.infinite_loop", catch=False)
def _loop(ctx: Any, p: dict[str, str]) -> Any:
    n = 0
    while True:
        n += 1


@attempt("cpu.loop_swallowing_exceptions", catch=False)
def _loop_swallow(ctx: Any, p: dict[str, str]) -> Any:
    """A loop that catches everything it can: an epoch trap is not an exception."""
    while True:
        try:
            while True:
                pass
        except BaseException:  # noqa: BLE001
            pass


@attempt("cpu.regex_backtracking", catch=False)
def _regex(ctx: Any, p: dict[str, str]) -> Any:
    """CPU spent inside C code (the regex engine), not in Python bytecode."""
    return bool(re.match(r"(a+)+$", "a" * 64 + "b"))


@attempt("cpu.bigint", catch=False)
def _bigint(ctx: Any, p: dict[str, str]) -> Any:
    return pow(3, 10 ** 10).bit_length()


@attempt("cpu.hostile_str", catch=False)
def _hostile_str(ctx: Any, p: dict[str, str]) -> Any:
    """An exception whose __str__ never returns: the SDK formats it while answering."""
    class Endless(Exception):
        def __str__(self) -> str:
            while True:
                pass
    raise Endless()


@attempt("cpu.sleep", catch=False)
def _sleep(ctx: Any, p: dict[str, str]) -> Any:
    time.sleep(float(p.get("x-seconds", "1.5")))
    return "slept"


@attempt("cpu.select_timeout", catch=False)
def _select(ctx: Any, p: dict[str, str]) -> Any:
    select.select([], [], [], float(p.get("x-seconds", "1.5")))
    return "waited"


# -- stack -------------------------------------------------------------------------------
@attempt("stack.python_recursion", catch=False)
def _recursion(ctx: Any, p: dict[str, str]) -> Any:
    def f(n: int) -> int:
        return f(n + 1) + 1
    return f(0)


@attempt("stack.unlimited_recursion", catch=False)
def _unlimited(ctx: Any, p: dict[str, str]) -> Any:
    sys.setrecursionlimit(10 ** 7)

    def f(n: int) -> int:
        return f(n + 1) + 1
    return f(0)


@attempt("stack.c_json_parser", catch=False)
def _json_loads(ctx: Any, p: dict[str, str]) -> Any:
    depth = int(p.get("x-depth", "100000"))
    return len(json.loads("[" * depth + "]" * depth))


@attempt("stack.c_repr", catch=False)
def _repr(ctx: Any, p: dict[str, str]) -> Any:
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    return len(repr(nested))


@attempt("stack.c_compiler", catch=False)
def _compile(ctx: Any, p: dict[str, str]) -> Any:
    return repr(compile("(" * 1000 + ")" * 1000, "<nested>", "eval"))


# -- memory ------------------------------------------------------------------------------
@attempt("mem.bytearray_bomb", catch=False)
def _bytearray(ctx: Any, p: dict[str, str]) -> Any:
    hoard = bytearray()
    while True:
        hoard += b"\x01" * (1 << 20)


@attempt("mem.list_bomb", catch=False)
def _list(ctx: Any, p: dict[str, str]) -> Any:
    hoard = []
    while True:
        hoard.append([0] * 100_000)


@attempt("mem.str_multiplication", catch=False)
def _str_mult(ctx: Any, p: dict[str, str]) -> Any:
    return len("x" * (1 << 30))


@attempt("mem.swallowed_memory_error")
def _swallowed(ctx: Any, p: dict[str, str]) -> Any:
    """Hit the limit, catch MemoryError, free everything and answer normally."""
    hoard = []
    try:
        while True:
            hoard.append(bytearray(1 << 20))
    except MemoryError:
        grabbed = len(hoard)
    hoard.clear()
    return {"mib_grabbed": grabbed}


@attempt("mem.host_answers", catch=False)
def _host_answers(ctx: Any, p: dict[str, str]) -> Any:
    """Grow the guest through the host's answers: each kv.read lowers 4 MiB into the guest."""
    ctx.services.kv.write("big", b"\x00" * (4 << 20))
    kept = []
    for _ in range(60):
        kept.append(ctx.services.kv.read("big"))
    return len(kept)


# -- output size -------------------------------------------------------------------------
@attempt("out.huge_log_line")
def _huge_log(ctx: Any, p: dict[str, str]) -> Any:
    ctx.services.logger.info("A" * 1_000_000)
    return "logged"


@attempt("out.huge_log_fields")
def _huge_fields(ctx: Any, p: dict[str, str]) -> Any:
    ctx.services.logger.info("small message", blob="F" * 1_000_000)
    return "logged"


@attempt("out.log_spoofing")
def _log_spoof(ctx: Any, p: dict[str, str]) -> Any:
    victim = p.get("x-victim", "victim")
    ctx.services.call("log", {"level": "error", "message": f"spoofed\n[{victim}] forged line",
                              "fields": {"plugin": victim, "hook": "authenticate"},
                              "plugin": victim, "identity": victim})
    return "logged"


@attempt("out.log_flood")
def _log_flood(ctx: Any, p: dict[str, str]) -> Any:
    sent = refused = 0
    for i in range(int(p.get("x-lines", "100"))):
        try:
            ctx.services.logger.info(f"flood line {i}")
            sent += 1
        except ServiceError:
            refused += 1
    return {"sent": sent, "refused": refused}


@attempt("out.print_flood")
def _print_flood(ctx: Any, p: dict[str, str]) -> Any:
    for i in range(int(p.get("x-lines", "1000"))):
        print(f"printed line {i}")
    sys.stderr.write("E" * 100_000 + "\n")
    return "printed"


@attempt("out.raw_fd_write")
def _raw_fd(ctx: Any, p: dict[str, str]) -> Any:
    marker = p.get("x-marker", "GPS-MARKER").encode()
    return [os.write(1, marker + b" on fd 1\n"), os.write(2, marker + b" on fd 2\n"),
            sys.__stdout__.write(marker.decode() + " on sys.__stdout__\n") if sys.__stdout__ else None]


# -- host-call floods ----------------------------------------------------------------------
@attempt("flood.log_ops")
def _flood_log(ctx: Any, p: dict[str, str]) -> Any:
    codes: dict[str, int] = {}
    first_refused = -1
    for i in range(1000):
        try:
            ctx.services.logger.debug("op flood", i=i)
        except ServiceError as exc:
            codes[exc.code] = codes.get(exc.code, 0) + 1
            if first_refused < 0:
                first_refused = i
    return {"codes": codes, "first_refused": first_refused}


@attempt("flood.kv_ops")
def _flood_kv(ctx: Any, p: dict[str, str]) -> Any:
    codes: dict[str, int] = {}
    first_refused = -1
    for i in range(1000):
        try:
            ctx.services.kv.increment("counter")
        except ServiceError as exc:
            codes[exc.code] = codes.get(exc.code, 0) + 1
            if first_refused < 0:
                first_refused = i
    return {"codes": codes, "first_refused": first_refused}


@attempt("flood.uncounted_unknown_ops", catch=False)
def _flood_unknown(ctx: Any, p: dict[str, str]) -> Any:
    """Ops refused before the budget check are not counted: only the deadline stops this."""
    while True:
        host.call(77, '{"v":1,"args":{}}')


@attempt("flood.uncounted_stream_ops", catch=False)
def _flood_stream(ctx: Any, p: dict[str, str]) -> Any:
    """stream.* ops are not counted either (a long stream is bounded by its deadline)."""
    while True:
        host.call(21, '{"v":1,"args":{"handle":1}}')
