"""One plugin served over gRPC on a unix socket, as a separate process.

::

    python -m runtime.bridge.bench_server PLUGIN_DIR --socket PATH [--config K=V ...] [--name ID]

Loads the plugin in the in-process tier (ephemeral KV), serves ``plugin.PluginService``,
``config_provider.ConfigProviderService`` and health on ``unix://PATH``, then writes
exactly ``READY\\n`` to stdout. It runs until SIGTERM or SIGINT arrives or its stdin
reaches end of file, then stops the server and closes the runtime. This is the
go-plugin model (a separate plugin process, one persistent channel) that ``runtime
bench`` measures against; start it with ``stdin=subprocess.PIPE``, since a closed or
``/dev/null`` stdin stops it at once.

Anything else (the plugin's own prints, logs, errors) goes to stderr. Exit status: 0
after a clean stop, 1 when the plugin cannot be loaded or the socket cannot be bound,
2 for bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import stat
import sys
import threading
from typing import Any, Sequence

from ..api import Runtime, RuntimeConfig
from ..config import parse_cli_value
from ..errors import PluginRuntimeError
from .servicers import create_server

__all__ = ["main"]

log = logging.getLogger("runtime.bridge.bench_server")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m runtime.bridge.bench_server",
                                     description="Serve one plugin over gRPC on a unix socket.")
    parser.add_argument("plugin_dir", metavar="PLUGIN_DIR", help="the plugin's directory")
    parser.add_argument("--socket", required=True, metavar="PATH", help="unix socket to serve on")
    parser.add_argument("--config", action="append", default=[], metavar="K=V",
                        help="a config value (parsed as JSON when it is JSON); repeatable")
    parser.add_argument("--name", default=None, metavar="ID", help="the plugin's identity")
    args = parser.parse_args(argv)
    config: dict[str, Any] = {}
    for pair in args.config:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            parser.error(f"--config takes KEY=VALUE, got {pair!r}")
        config[key] = parse_cli_value(value)
    args.config = config
    return args


def _remove_stale_socket(path: str) -> None:
    """Remove a socket file no server listens on any more (left by a killed run)."""
    try:
        if not stat.S_ISSOCK(os.stat(path).st_mode):
            return
    except OSError:
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)
    except OSError:
        pass
    finally:
        probe.close()


def _watch_stdin(stop: threading.Event) -> None:
    # The raw descriptor, not sys.stdin: a thread parked in a buffered read would hold
    # its lock while the interpreter shuts down.
    try:
        while os.read(0, 65536):
            pass
    except OSError:
        pass
    stop.set()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="bench_server: %(levelname)s %(name)s: %(message)s")
    # stdout carries READY and nothing else: the plugin's prints go to stderr.
    ready_out = sys.stdout
    sys.stdout = sys.stderr

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    runtime = Runtime(RuntimeConfig(tier="inprocess", ephemeral=True))
    server = None
    try:
        try:
            host = runtime.load(args.plugin_dir, name=args.name, config=args.config)
            _remove_stale_socket(args.socket)
            server, _ = create_server(host, f"unix://{os.path.abspath(args.socket)}")
        except (PluginRuntimeError, RuntimeError) as exc:
            print(f"bench_server: {exc}", file=sys.stderr)
            return 1
        server.start()
        threading.Thread(target=_watch_stdin, args=(stop,), name="stdin-watch", daemon=True).start()
        ready_out.write("READY\n")
        ready_out.flush()
        while not stop.wait(1.0):  # a timed wait keeps signal handlers prompt
            pass
        return 0
    finally:
        if server is not None:
            server.stop(grace=1.0).wait(5.0)
        runtime.close()
        if server is not None:
            try:
                os.unlink(args.socket)
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main())
