"""The attempts of attacker_net_proc: network, processes, signals, threads, exits.

Parameters arrive as request headers: ``x-port`` (a TCP port on 127.0.0.1 where the
test listens), ``x-udp-port`` (a UDP port where it listens).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Callable

# Imported at build time, so these modules exist in the guest; what they can do is the test.
import _thread
import asyncio
import concurrent.futures
import encodings.idna  # noqa: F401 - lets name look-ups reach WASI instead of failing on the codec
import http.client
import multiprocessing
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.request

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


def _port(p: dict[str, str]) -> int:
    return int(p.get("x-port", "9"))


# -- network -----------------------------------------------------------------------------
@attempt("net.tcp_connect")
def _tcp(ctx: Any, p: dict[str, str]) -> Any:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        s.connect(("127.0.0.1", _port(p)))
        s.sendall(b"escaped")
    return "connected"


@attempt("net.tcp6_connect")
def _tcp6(ctx: Any, p: dict[str, str]) -> Any:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        s.connect(("::1", _port(p)))
    return "connected"


@attempt("net.udp_sendto")
def _udp(ctx: Any, p: dict[str, str]) -> Any:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        return s.sendto(b"escaped", ("127.0.0.1", int(p["x-udp-port"])))


@attempt("net.bind_listen")
def _listen(ctx: Any, p: dict[str, str]) -> Any:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        return s.getsockname()


@attempt("net.dns")
def _dns(ctx: Any, p: dict[str, str]) -> Any:
    return socket.getaddrinfo("localhost", 80)


@attempt("net.create_connection")
def _create_connection(ctx: Any, p: dict[str, str]) -> Any:
    socket.create_connection(("127.0.0.1", _port(p)), timeout=1).close()
    return "connected"


@attempt("net.urllib")
def _urllib(ctx: Any, p: dict[str, str]) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{_port(p)}/", timeout=1) as r:
        return r.read(100).decode("latin-1")


@attempt("net.http_client")
def _http_client(ctx: Any, p: dict[str, str]) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", _port(p), timeout=1)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status
    finally:
        conn.close()


@attempt("net.asyncio")
def _asyncio(ctx: Any, p: dict[str, str]) -> Any:
    async def go() -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", _port(p))
        writer.close()
        return "connected"
    return asyncio.run(go())


@attempt("net.socketpair")
def _socketpair(ctx: Any, p: dict[str, str]) -> Any:
    a, b = socket.socketpair()
    a.close()
    b.close()
    return "paired"


@attempt("net.fromfd")
def _fromfd(ctx: Any, p: dict[str, str]) -> Any:
    """Adopt a descriptor the host might have leaked into the guest."""
    for fd in range(3, 16):
        try:
            s = socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM)
        except OSError:
            continue
        s.close()
        return fd
    raise OSError(58, "no descriptor adopted")


@attempt("net.raw_socket")
def _raw(ctx: Any, p: dict[str, str]) -> Any:
    return repr(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))  # type: ignore[attr-defined]


# -- processes ---------------------------------------------------------------------------
@attempt("proc.subprocess")
def _subprocess(ctx: Any, p: dict[str, str]) -> Any:
    return subprocess.run(["/bin/sh", "-c", "id"], capture_output=True).stdout


@attempt("proc.os_system")
def _system(ctx: Any, p: dict[str, str]) -> Any:
    return os.system("id")  # type: ignore[attr-defined]


@attempt("proc.fork")
def _fork(ctx: Any, p: dict[str, str]) -> Any:
    return os.fork()  # type: ignore[attr-defined]


@attempt("proc.exec")
def _exec(ctx: Any, p: dict[str, str]) -> Any:
    return os.execv("/bin/sh", ["sh", "-c", "id"])  # type: ignore[attr-defined]


@attempt("proc.posix_spawn")
def _spawn(ctx: Any, p: dict[str, str]) -> Any:
    return os.posix_spawn("/bin/sh", ["sh"], {})  # type: ignore[attr-defined]


@attempt("proc.kill")
def _kill(ctx: Any, p: dict[str, str]) -> Any:
    return os.kill(int(p.get("x-pid", "1")), 9)  # type: ignore[attr-defined]


@attempt("proc.multiprocessing")
def _multiprocessing(ctx: Any, p: dict[str, str]) -> Any:
    proc = multiprocessing.Process(target=print)
    proc.start()
    return proc.pid


@attempt("proc.process_pool")
def _process_pool(ctx: Any, p: dict[str, str]) -> Any:
    with concurrent.futures.ProcessPoolExecutor() as pool:
        return pool.submit(os.getpid).result()


# -- signals -----------------------------------------------------------------------------
@attempt("sig.raise_sigint")
def _sigint(ctx: Any, p: dict[str, str]) -> Any:
    signal.raise_signal(signal.SIGINT)
    return "survived"


@attempt("sig.raise_sigterm", catch=False)
def _sigterm(ctx: Any, p: dict[str, str]) -> Any:
    signal.raise_signal(signal.SIGTERM)
    return "survived"


@attempt("sig.alarm")
def _alarm(ctx: Any, p: dict[str, str]) -> Any:
    signal.signal(signal.SIGALRM, lambda *a: None)
    return signal.alarm(1)  # type: ignore[attr-defined]


@attempt("sig.interrupt_main")
def _interrupt_main(ctx: Any, p: dict[str, str]) -> Any:
    _thread.interrupt_main()
    return sum(range(1000))


# -- threads -----------------------------------------------------------------------------
@attempt("thr.thread")
def _thread_start(ctx: Any, p: dict[str, str]) -> Any:
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
    return "started"


@attempt("thr.start_new_thread")
def _start_new_thread(ctx: Any, p: dict[str, str]) -> Any:
    return _thread.start_new_thread(lambda: None, ())


@attempt("thr.thread_pool")
def _thread_pool(ctx: Any, p: dict[str, str]) -> Any:
    with concurrent.futures.ThreadPoolExecutor() as pool:
        return pool.submit(lambda: 1).result()


@attempt("thr.asyncio_to_thread")
def _to_thread(ctx: Any, p: dict[str, str]) -> Any:
    return asyncio.run(asyncio.to_thread(lambda: 1))


# -- exits (not caught: what escapes reaches the SDK and the host) -------------------------
class _NotAnException(BaseException):
    pass


class _HostileStr(Exception):
    def __str__(self) -> str:
        raise _HostileStr()


@attempt("exit.sys_exit", catch=False)
def _sys_exit(ctx: Any, p: dict[str, str]) -> Any:
    sys.exit(3)


@attempt("exit.keyboard_interrupt", catch=False)
def _keyboard_interrupt(ctx: Any, p: dict[str, str]) -> Any:
    raise KeyboardInterrupt


@attempt("exit.base_exception", catch=False)
def _base_exception(ctx: Any, p: dict[str, str]) -> Any:
    raise _NotAnException("not an Exception subclass")


@attempt("exit.thread_exit", catch=False)
def _thread_exit(ctx: Any, p: dict[str, str]) -> Any:
    _thread.exit()


@attempt("exit.os_exit", catch=False)
def _os_exit(ctx: Any, p: dict[str, str]) -> Any:
    os._exit(7)


@attempt("exit.abort", catch=False)
def _abort(ctx: Any, p: dict[str, str]) -> Any:
    os.abort()


@attempt("exit.hostile_str", catch=False)
def _hostile_str(ctx: Any, p: dict[str, str]) -> Any:
    raise _HostileStr()


# -- services without the scope ------------------------------------------------------------
@attempt("scope.kv_not_requested")
def _kv(ctx: Any, p: dict[str, str]) -> Any:
    return ctx.services.kv.read("anything")


@attempt("scope.publish_not_requested")
def _publish(ctx: Any, p: dict[str, str]) -> Any:
    return ctx.services.events.publish("topic", b"payload")
