"""The subinterpreter tier's pure-Python driver, for where the native helper was not built.

Interpreters come from ``_interpreters`` (3.13) or ``_xxsubinterpreters`` (3.11, 3.12)
and run code with ``run_string``. A host service thread per interpreter carries the
plugin's host calls and the call's answer over a pipe pair (a callable cannot be shared
into a subinterpreter), and at the deadline writes to a cancel pipe: a ``time.sleep``
in the plugin and its next host call then raise the deadline exception. A pure-Python
loop or C-level work cannot be stopped this way; such a call is quarantined by the
backend.
"""

from __future__ import annotations

import importlib
import os
import re
import select
import struct
import threading
import time
from typing import Any, Callable

__all__ = ["PythonDriver", "available"]

_HEAD = struct.Struct("<cII")  # kind, op, length
_LEN = struct.Struct("<I")


def _module() -> Any | None:
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def available() -> bool:
    return _module() is not None


# Runs in the subinterpreter before the bootstrap (names from ``shared``: _fd_out,
# _fd_in, _fd_cancel, _setup_bytes, _bootstrap_bytes).
_PRELUDE = r'''
import os as _os, select as _select, struct as _struct
_HEAD = _struct.Struct("<cII")
_LEN = _struct.Struct("<I")

def _read_exact(fd, n):
    chunks = []
    while n:
        b = _os.read(fd, n)
        if not b:
            raise EOFError("the host closed the pipe")
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)

def _send(kind, op, data):
    msg = _HEAD.pack(kind, op, len(data)) + data
    view = memoryview(msg)
    while view:
        n = _os.write(_fd_out, view)
        view = view[n:]

def _cancelled(timeout=0.0):
    return bool(_select.select([_fd_cancel], [], [], timeout)[0])

def _deadline_wait(seconds):
    return _cancelled(seconds)

def _host_call(op, payload):
    if _cancelled():
        raise HookDeadline()
    _send(b"C", op, payload.encode("utf-8", "surrogatepass"))
    (n,) = _LEN.unpack(_read_exact(_fd_in, 4))
    text = _read_exact(_fd_in, n).decode("utf-8", "surrogatepass")
    if text.startswith("\x01E"):
        raise RuntimeError(text[2:])
    return text

def _gps_call(cmd, arg, data):
    try:
        answer = dispatch(cmd, arg, data.decode("utf-8", "surrogatepass"))
    except BaseException as exc:
        answer = "\x01D" if isinstance(exc, HookDeadline) else f"\x01E{type(exc).__name__}: {exc}"
    _send(b"R", 0, answer.encode("utf-8", "surrogatepass"))

_setup_text = _setup_bytes.decode("utf-8", "surrogatepass")
exec(compile(_bootstrap_bytes.decode("utf-8"), "<subinterpreter bootstrap>", "exec"), globals())
'''


class PyInterp:
    """One subinterpreter driven with ``run_string``; the native Interp's interface."""

    def __init__(self, module: Any, bootstrap: str, setup_text: str) -> None:
        self._m = module
        self._id = module.create()
        self._out_r, self._out_w = os.pipe()   # interpreter -> host
        self._in_r, self._in_w = os.pipe()     # host -> interpreter
        self._cancel_r, self._cancel_w = os.pipe()
        self._lock = threading.Lock()
        self._host: Callable[[int, str], str] | None = None
        self._deadline = 0.0
        self._cancelled = False
        self._injections = 0
        self._result: str | None = None
        self._done = threading.Event()
        self._running = False
        self._alive = True
        self._last = (0, 0, 0)
        self._wake_r, self._wake_w = os.pipe()
        self._service = threading.Thread(target=self._serve, name="subinterp-service", daemon=True)
        self._service.start()
        try:
            self._run(_PRELUDE, {"_fd_out": self._out_w, "_fd_in": self._in_r,
                                 "_fd_cancel": self._cancel_r,
                                 "_setup_bytes": setup_text.encode("utf-8", "surrogatepass"),
                                 "_bootstrap_bytes": bootstrap.encode("utf-8")})
        except RuntimeError:
            self.close()
            raise

    def _run(self, code: str, shared: dict[str, Any]) -> None:
        try:
            excinfo = self._m.run_string(self._id, code, shared)
        except Exception as exc:  # 3.11/3.12: RunFailedError("<class 'mod.Name'>: message")
            m = re.match(r"<class '(?:[\w.]*\.)?(\w+)'>: (.*)", str(exc), re.S)
            raise RuntimeError(f"{m.group(1)}: {m.group(2)}" if m else str(exc)) from None
        if excinfo is not None:  # 3.13 answers a snapshot of the exception
            name = getattr(getattr(excinfo, "type", None), "__name__", "Exception")
            raise RuntimeError(f"{name}: {getattr(excinfo, 'msg', excinfo)}")

    @property
    def running(self) -> bool:
        return self._running

    @property
    def alive(self) -> bool:
        return self._alive

    @property
    def last(self) -> tuple[int, int, int]:
        return self._last

    def call(self, cmd: int, arg: int, text: str, host: Callable[[int, str], str],
             timeout_ns: int) -> str:
        if not self._alive:
            raise RuntimeError("the subinterpreter is closed")
        with self._lock:
            if self._running:
                raise RuntimeError("the subinterpreter is running another call")
            self._running = True
        started = time.monotonic()
        while select.select([self._cancel_r], [], [], 0)[0]:
            os.read(self._cancel_r, 64)
        self._host, self._result, self._cancelled, self._injections = host, None, False, 0
        self._done.clear()
        self._deadline = started + timeout_ns / 1e9 if timeout_ns else 0.0
        if self._deadline:
            os.write(self._wake_w, b"w")
        try:
            self._run("_gps_call(_c, _a, _t)",
                      {"_c": cmd, "_a": arg, "_t": text.encode("utf-8", "surrogatepass")})
            self._done.wait()
        finally:
            ended = time.monotonic()
            self._deadline = 0.0
            overrun = 0 if not timeout_ns else max(0, int((ended - started) * 1e9) - timeout_ns)
            self._last = (self._injections, int((ended - started) * 1e9), overrun)
            self._running = False
        result = self._result
        if result is None:
            raise RuntimeError("the subinterpreter gave no answer")
        return result

    def inject(self) -> bool:
        if not self._running:
            return False
        os.write(self._cancel_w, b"c")
        self._injections += 1
        return True

    def _serve(self) -> None:
        buf = b""
        while True:
            timeout = None
            if self._deadline and not self._cancelled:
                timeout = max(0.0, self._deadline - time.monotonic())
            ready = select.select([self._out_r, self._wake_r], [], [], timeout)[0]
            if self._wake_r in ready:
                wake = os.read(self._wake_r, 64)
                if b"q" in wake:
                    return
            if not ready and self._deadline and not self._cancelled:
                self._cancelled = True
                self.inject()
                continue
            if self._out_r not in ready:
                continue
            buf += os.read(self._out_r, 65536)
            while len(buf) >= _HEAD.size:
                kind, op, n = _HEAD.unpack_from(buf)
                if len(buf) < _HEAD.size + n:
                    break
                data = buf[_HEAD.size:_HEAD.size + n].decode("utf-8", "surrogatepass")
                buf = buf[_HEAD.size + n:]
                if kind == b"C":
                    try:
                        host = self._host
                        answer = host(op, data) if host is not None else "\x01Eno host"
                    except Exception as exc:
                        answer = f"\x01E{type(exc).__name__}: {exc}"
                    raw = answer.encode("utf-8", "surrogatepass")
                    os.write(self._in_w, _LEN.pack(len(raw)))
                    view = memoryview(raw)
                    while view:
                        view = view[os.write(self._in_w, view):]
                else:
                    self._result = data
                    self._done.set()

    def close(self) -> None:
        if not self._alive:
            return
        if self._running:
            raise RuntimeError("the subinterpreter is running a call")
        self._alive = False
        try:
            try:  # the bootstrap's CMD_FINI, on this thread (see bootstrap._forget_main_thread)
                self._run("dispatch(4, 0, '')", {})
            except RuntimeError:
                pass
            self._m.destroy(self._id)
        finally:
            os.write(self._wake_w, b"q")
            self._service.join(5)
            for fd in (self._out_r, self._out_w, self._in_r, self._in_w, self._cancel_r,
                       self._cancel_w, self._wake_r, self._wake_w):
                os.close(fd)


class PythonDriver:
    name = "python"

    def __init__(self) -> None:
        module = _module()
        if module is None:
            raise RuntimeError("no subinterpreter module in this Python")
        self._m = module

    def create(self, bootstrap: str, setup_text: str, own_gil: bool) -> PyInterp:
        return PyInterp(self._m, bootstrap, setup_text)
