"""Sandbox escape attempts; each reports ``ok: ...`` (a breach) or ``denied: <error>``."""

from __future__ import annotations

import importlib
import os
from typing import Any, Callable


def _attempt(fn: Callable[[], Any]) -> str:
    try:
        result = fn()
    except BaseException as exc:  # noqa: BLE001 - every failure is the expected outcome
        return f"denied: {type(exc).__name__}: {exc}"[:200]
    return f"ok: {result!r}"[:200]


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read(64)


def _write(path: str) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.write("escaped")
    return path


def _environ() -> str:
    leaked = {k: v for k, v in os.environ.items()}
    if not leaked:
        raise LookupError("the environment is empty")
    return ",".join(sorted(leaked))[:100]


def _connect(socket: Any, port: int) -> str:
    if socket is None:
        raise ImportError("no socket module")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(1)
        sock.connect(("127.0.0.1", port))
    finally:
        sock.close()
    return "connected"


def escape_attempts(socket: Any, port: int) -> dict[str, str]:
    """Try each escape; ``port`` is a TCP port on 127.0.0.1 where the test listens."""
    return {
        "x-read-passwd": _attempt(lambda: _read("/etc/passwd")),
        "x-read-cwd": _attempt(lambda: os.listdir(".")),
        "x-write-tmp": _attempt(lambda: _write("/tmp/gps-wasm-escape")),
        "x-environ": _attempt(_environ),
        "x-getenv-home": _attempt(lambda: os.environ["HOME"]),
        "x-import-urllib": _attempt(lambda: importlib.import_module("urllib.request").urlopen(
            f"http://127.0.0.1:{port}/")),
        "x-socket-connect": _attempt(lambda: _connect(socket, port)),
        "x-import-subprocess": _attempt(lambda: importlib.import_module("subprocess").run(["true"])),
        "x-system": _attempt(lambda: os.system("true") == 0 or (_ for _ in ()).throw(OSError("failed"))),
        "x-import-ctypes": _attempt(lambda: importlib.import_module("ctypes").CDLL(None)),
        "x-thread": _attempt(lambda: importlib.import_module("_thread").start_new_thread(lambda: None, ())),
    }
