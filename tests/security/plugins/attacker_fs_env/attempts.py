"""The attempts of attacker_fs_env: files, environment, imports, native code, clock/random.

Parameters arrive as request headers: ``x-canary`` (a file the host created),
``x-dir`` (a host directory the guest must not write), ``x-env`` (the name of a
variable set in the host's environment).
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import time
from typing import Any, Callable

# Imported at build time, so these modules exist in the guest; what they can do is the test.
import faulthandler
import marshal
import socket
import sqlite3
import tempfile
import zipimport
import importlib.machinery
import importlib.util

try:
    import posix
except ImportError:  # pragma: no cover
    posix = None  # type: ignore[assignment]

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


# -- file system -------------------------------------------------------------------------
@attempt("fs.open_read")
def _open_read(ctx: Any, p: dict[str, str]) -> Any:
    with open(p["x-canary"], encoding="utf-8") as f:
        return f.read()


@attempt("fs.open_append")
def _open_append(ctx: Any, p: dict[str, str]) -> Any:
    with open(p["x-canary"], "a", encoding="utf-8") as f:
        return f.write("escaped")


@attempt("fs.create_file")
def _create(ctx: Any, p: dict[str, str]) -> Any:
    with open(os.path.join(p["x-dir"], "created-by-guest"), "x", encoding="utf-8") as f:
        return f.write("escaped")


@attempt("fs.os_open")
def _os_open(ctx: Any, p: dict[str, str]) -> Any:
    fd = os.open(p["x-canary"], os.O_RDONLY)
    return os.read(fd, 100)


@attempt("fs.listdir_root")
def _listdir(ctx: Any, p: dict[str, str]) -> Any:
    return os.listdir("/")


@attempt("fs.stat")
def _stat(ctx: Any, p: dict[str, str]) -> Any:
    return list(os.stat(p["x-canary"]))


@attempt("fs.mkdir")
def _mkdir(ctx: Any, p: dict[str, str]) -> Any:
    return os.mkdir(os.path.join(p["x-dir"], "dir-by-guest"))


@attempt("fs.remove")
def _remove(ctx: Any, p: dict[str, str]) -> Any:
    return os.remove(p["x-canary"])


@attempt("fs.rename")
def _rename(ctx: Any, p: dict[str, str]) -> Any:
    return os.rename(p["x-canary"], p["x-canary"] + ".moved")


@attempt("fs.symlink")
def _symlink(ctx: Any, p: dict[str, str]) -> Any:
    return os.symlink("/etc/passwd", os.path.join(p["x-dir"], "link-by-guest"))


@attempt("fs.chmod")
def _chmod(ctx: Any, p: dict[str, str]) -> Any:
    return os.chmod(p["x-canary"], 0o777)


@attempt("fs.truncate")
def _truncate(ctx: Any, p: dict[str, str]) -> Any:
    return os.truncate(p["x-canary"], 0)


@attempt("fs.utime")
def _utime(ctx: Any, p: dict[str, str]) -> Any:
    return os.utime(p["x-canary"], (0, 0))


@attempt("fs.chdir")
def _chdir(ctx: Any, p: dict[str, str]) -> Any:
    os.chdir(p["x-dir"])
    return os.getcwd()


@attempt("fs.guess_fds")
def _guess_fds(ctx: Any, p: dict[str, str]) -> Any:
    """Descriptors 3-63: a preopened directory or an inherited file would answer fstat."""
    found = {}
    for fd in range(3, 64):
        try:
            found[fd] = list(os.fstat(fd))
        except OSError:
            pass
    return found


@attempt("fs.sqlite_file")
def _sqlite(ctx: Any, p: dict[str, str]) -> Any:
    db = sqlite3.connect(os.path.join(p["x-dir"], "guest.sqlite3"))
    try:
        db.execute("create table t (x)")
        db.commit()
    finally:
        db.close()
    return "created"


@attempt("fs.tempfile")
def _tempfile(ctx: Any, p: dict[str, str]) -> Any:
    fd, path = tempfile.mkstemp()
    return path


@attempt("fs.read_stdin")
def _stdin(ctx: Any, p: dict[str, str]) -> Any:
    return os.read(0, 4096).decode("latin-1")


# -- environment -------------------------------------------------------------------------
@attempt("env.environ")
def _environ(ctx: Any, p: dict[str, str]) -> Any:
    return dict(os.environ)


@attempt("env.create_environ")
def _create_environ(ctx: Any, p: dict[str, str]) -> Any:
    """Ask WASI for the environment again (os.environ is a copy made at start)."""
    assert posix is not None
    return {k.decode("latin-1") if isinstance(k, bytes) else k:
            v.decode("latin-1") if isinstance(v, bytes) else v
            for k, v in posix._create_environ().items()}


@attempt("env.argv")
def _argv(ctx: Any, p: dict[str, str]) -> Any:
    return {"argv": list(sys.argv), "orig_argv": list(getattr(sys, "orig_argv", [])),
            "executable": sys.executable}


@attempt("env.identity")
def _identity(ctx: Any, p: dict[str, str]) -> Any:
    return {"uname": list(os.uname()), "hostname": socket.gethostname(), "pid": os.getpid(),
            "cwd": os.getcwd(), "cpu_count": os.cpu_count()}


@attempt("env.putenv")
def _putenv(ctx: Any, p: dict[str, str]) -> Any:
    name = p["x-env"]
    os.putenv(name, "set-by-guest")
    os.environ[name] = "set-by-guest"
    try:
        return os.environ.get(name)
    finally:  # leave the instance's environment as it was for later attempts
        os.environ.pop(name, None)


@attempt("env.build_paths")
def _build_paths(ctx: Any, p: dict[str, str]) -> Any:
    """What the interpreter says about where it was built and where it lives."""
    files = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}
    return {"path": list(sys.path), "prefix": sys.prefix, "exec_prefix": sys.exec_prefix,
            "base_prefix": sys.base_prefix, "platlibdir": getattr(sys, "platlibdir", None),
            "files": {k: v for k, v in files.items() if isinstance(v, str)}}


# -- native code -------------------------------------------------------------------------
@attempt("native.ctypes")
def _ctypes(ctx: Any, p: dict[str, str]) -> Any:
    return repr(importlib.import_module("ctypes").CDLL(None))


@attempt("native.cffi")
def _cffi(ctx: Any, p: dict[str, str]) -> Any:
    return repr(importlib.import_module("cffi").FFI().dlopen(None))


@attempt("native.extension_loader")
def _extension(ctx: Any, p: dict[str, str]) -> Any:
    path = p["x-canary"]
    loader = importlib.machinery.ExtensionFileLoader("evil", path)
    spec = importlib.machinery.ModuleSpec("evil", loader, origin=path)
    return repr(loader.create_module(spec))


@attempt("native.sigsegv", catch=False)
def _sigsegv(ctx: Any, p: dict[str, str]) -> Any:
    faulthandler._sigsegv()  # type: ignore[attr-defined]
    return "survived"


@attempt("native.sigfpe", catch=False)
def _sigfpe(ctx: Any, p: dict[str, str]) -> Any:
    faulthandler._sigfpe()  # type: ignore[attr-defined]
    return "survived"


@attempt("native.read_null")
def _read_null(ctx: Any, p: dict[str, str]) -> Any:
    """A NULL read: in wasm, address 0 of the guest's own linear memory."""
    return repr(faulthandler._read_null())  # type: ignore[attr-defined]


@attempt("native.forged_bytecode", catch=False)
def _bytecode(ctx: Any, p: dict[str, str]) -> Any:
    def f() -> int:
        return 0
    f.__code__ = f.__code__.replace(co_code=b"\xff\x00" * 8)
    return f()


@attempt("native.marshal_code", catch=False)
def _marshal(ctx: Any, p: dict[str, str]) -> Any:
    """Bytes that claim to be a code object: marshal must refuse or contain them."""
    blob = marshal.dumps(compile("1", "<x>", "eval"))
    return marshal.loads(blob[:20] + b"\xff" * 64)


# -- imports -----------------------------------------------------------------------------
@attempt("imp.not_in_snapshot")
def _not_in_snapshot(ctx: Any, p: dict[str, str]) -> Any:
    return repr(importlib.import_module("xmlrpc.client"))


@attempt("imp.host_packages")
def _host_packages(ctx: Any, p: dict[str, str]) -> Any:
    """The host's own packages (the runtime, its broker, wasmtime, grpc)."""
    found = {}
    for name in ("runtime.broker.services", "runtime", "wasmtime", "grpc"):
        try:
            found[name] = repr(importlib.import_module(name))
        except ImportError as exc:
            found[name] = f"{type(exc).__name__}: {exc}"
    if all(v.startswith("ModuleNotFoundError") for v in found.values()):
        raise ModuleNotFoundError(repr(found))
    return found


@attempt("imp.sys_path_insert")
def _sys_path(ctx: Any, p: dict[str, str]) -> Any:
    sys.path.insert(0, p["x-dir"])
    try:
        return repr(importlib.import_module("evil_host_module"))
    finally:
        sys.path.remove(p["x-dir"])


@attempt("imp.spec_from_file")
def _spec_from_file(ctx: Any, p: dict[str, str]) -> Any:
    loader = importlib.machinery.SourceFileLoader("evil", p["x-module"])
    spec = importlib.util.spec_from_loader("evil", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return getattr(module, "SECRET", None)


@attempt("imp.dunder_import")
def _dunder_import(ctx: Any, p: dict[str, str]) -> Any:
    return __import__("os").system("id")


@attempt("imp.reload_os")
def _reload_os(ctx: Any, p: dict[str, str]) -> Any:
    """Reloading os does not bring back what the platform lacks."""
    fresh = importlib.reload(os)
    return fresh.system("id")  # type: ignore[attr-defined]


@attempt("imp.zipimport")
def _zipimport(ctx: Any, p: dict[str, str]) -> Any:
    archive = next(x for x in sys.path if x.endswith(".zip"))
    return repr(zipimport.zipimporter(archive).find_spec("os"))


# -- clock and random --------------------------------------------------------------------
@attempt("clock.now")
def _clock(ctx: Any, p: dict[str, str]) -> Any:
    return {"time": time.time(), "monotonic": time.monotonic(),
            "monotonic_resolution": time.get_clock_info("monotonic").resolution,
            "perf_counter_ns": time.perf_counter_ns()}


@attempt("random.sources")
def _random(ctx: Any, p: dict[str, str]) -> Any:
    return {"urandom": os.urandom(16).hex(), "random": random.random(),
            "hash": hash("gateway-plugin-sandbox")}


# -- build time ----------------------------------------------------------------------------
# This code runs once, when the component is built: componentize-py imports the plugin
# inside its own pre-initialisation sandbox, and what it found is kept in the snapshot.
def _at_build(fn: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"outcome": "returned", "data": fn()}
    except BaseException as exc:  # noqa: BLE001 - every failure is reported
        return {"outcome": "raised", "type": type(exc).__name__, "message": str(exc)[:500]}


def _build_write_copy() -> Any:
    """Write next to this module: that is the build's copy of the plugin, not its source."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "written-at-build-time.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("written at build time\n")
    return path


def _build_connect() -> Any:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        s.connect(("127.0.0.1", 9))
    return "connected"


BUILD_TIME: dict[str, dict[str, Any]] = {
    "build.read_host_file": _at_build(lambda: open("/etc/passwd", encoding="utf-8").read(64)),
    "build.environment": _at_build(lambda: dict(os.environ)),
    "build.network": _at_build(_build_connect),
    "build.leave_mount": _at_build(lambda: os.listdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))),
    "build.write_copy": _at_build(_build_write_copy),
}


@attempt("build.report")
def _build_report(ctx: Any, p: dict[str, str]) -> Any:
    return BUILD_TIME
