"""go-plugin's process protocol, the parts both sides share (PROTOCOL.md section 2).

* handshake constants of AI Studio and the Microgateway, the stdout handshake line
  (:func:`handshake_line`, :func:`parse_handshake`);
* go-plugin's JSON log line form (hclog's ``@level``/``@message``/``@timestamp``) for
  stderr (:class:`JsonLogFormatter`);
* the plugin side of ``plugin.GRPCBroker`` (:class:`BrokerServicer`: records the
  ``ConnInfo`` the host sends and dials each broker ID once, the connection shared by
  every client of that ID), ``plugin.GRPCController`` and ``plugin.GRPCStdio``.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import grpc

from ..wire import (grpc_broker_pb2, grpc_broker_pb2_grpc, grpc_controller_pb2,
                    grpc_controller_pb2_grpc, grpc_stdio_pb2, grpc_stdio_pb2_grpc)

__all__ = ["CORE_PROTOCOL_VERSION", "APP_PROTOCOL_VERSION", "MAGIC_COOKIE_KEY",
           "MAGIC_COOKIE_VALUE", "Handshake", "HandshakeError", "handshake_line",
           "parse_handshake", "JsonLogFormatter", "BrokerServicer", "BrokerUnavailable",
           "ControllerServicer", "StdioServicer", "MAX_MESSAGE_BYTES", "channel_options"]

log = logging.getLogger("runtime.bridge.goplugin")

CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSION = 1
MAGIC_COOKIE_KEY = "AI_STUDIO_PLUGIN"
MAGIC_COOKIE_VALUE = "v1"
#: Hosts dial with 2^31-1 byte limits; bodies and UI assets travel in single messages.
MAX_MESSAGE_BYTES = 2**31 - 1
#: How long go-plugin's Go client waits for a broker ID's ConnInfo.
BROKER_DIAL_TIMEOUT_S = 5.0


def channel_options() -> list[tuple[str, Any]]:
    return [("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]


class HandshakeError(ValueError):
    """A handshake line that does not follow go-plugin's form."""


@dataclass(frozen=True)
class Handshake:
    core_version: int
    app_version: int
    network: str
    address: str
    protocol: str
    server_cert: str = ""

    @property
    def target(self) -> str:
        """The gRPC target to dial."""
        return f"unix:{self.address}" if self.network == "unix" else self.address


def handshake_line(network: str, address: str) -> str:
    """The line a plugin prints first on stdout (six fields, as the Go server)."""
    return f"{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{network}|{address}|grpc|\n"


def parse_handshake(line: str, offered_versions: tuple[int, ...] = (APP_PROTOCOL_VERSION,)) -> Handshake:
    """Check a handshake line as go-plugin's client does.

    Raises:
        HandshakeError: with the client's reason.
    """
    parts = line.strip().split("|")
    if len(parts) < 4:
        raise HandshakeError(f"unrecognized remote plugin message: {line.strip()!r} "
                             "(expected CORE|APP|NETWORK|ADDRESS|PROTOCOL)")
    try:
        core = int(parts[0])
    except ValueError:
        raise HandshakeError(f"error parsing core protocol version {parts[0]!r}") from None
    if core != CORE_PROTOCOL_VERSION:
        raise HandshakeError(f"incompatible core API version with plugin: plugin {core}, "
                             f"expected {CORE_PROTOCOL_VERSION}")
    try:
        app = int(parts[1])
    except ValueError:
        raise HandshakeError(f"error parsing protocol version {parts[1]!r}") from None
    if app not in offered_versions:
        raise HandshakeError(f"incompatible API version with plugin: plugin {app}, "
                             f"offered {list(offered_versions)}")
    network, address = parts[2], parts[3]
    if network not in ("unix", "tcp"):
        raise HandshakeError(f"unknown network type {network!r}")
    protocol = parts[4] if len(parts) > 4 and parts[4] else "netrpc"
    if protocol != "grpc":
        raise HandshakeError(f"unsupported plugin protocol {protocol!r} (only grpc is allowed)")
    cert = parts[5] if len(parts) > 5 else ""
    return Handshake(core, app, network, address, protocol, cert)


# -- logging --------------------------------------------------------------------------------
_HCLOG_LEVEL = {5: "trace", logging.DEBUG: "debug", logging.INFO: "info",
                logging.WARNING: "warn", logging.ERROR: "error", logging.CRITICAL: "error"}


def _hclog_time(stamp: _dt.datetime) -> str:
    """``2006-01-02T15:04:05.000000Z07:00``: ``Z`` for UTC, else the offset."""
    text = stamp.isoformat(timespec="microseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class JsonLogFormatter(logging.Formatter):
    """One hclog JSON object per line: ``@level``, ``@message``, ``@module``,
    ``@timestamp`` (``2006-01-02T15:04:05.000000Z07:00``) and the plugin's key/values."""

    def format(self, record: logging.LogRecord) -> str:
        level = _HCLOG_LEVEL.get(record.levelno) or ("error" if record.levelno > logging.ERROR
                                                     else "debug")
        stamp = _dt.datetime.fromtimestamp(record.created, _dt.timezone.utc).astimezone()
        doc: dict[str, Any] = {
            "@level": level,
            "@message": record.getMessage(),
            "@module": record.name,
            "@timestamp": _hclog_time(stamp),
        }
        fields = getattr(record, "plugin_fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                doc.setdefault(str(key), value if isinstance(value, (str, int, float, bool)) or value is None
                               else repr(value))
        for key in ("plugin", "hook"):
            value = getattr(record, key, None)
            if value:
                doc.setdefault(key, value)
        if record.exc_info:
            doc["error"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


# -- GRPCBroker (plugin side) ----------------------------------------------------------------
class BrokerUnavailable(Exception):
    """A broker ID whose connection information never arrived (or a closed broker)."""


class BrokerServicer(grpc_broker_pb2_grpc.GRPCBrokerServicer):
    """``plugin.GRPCBroker/StartStream``: the host sends ``ConnInfo`` for the IDs it
    serves on; :meth:`channel` dials an ID once and shares the channel."""

    def __init__(self) -> None:
        self._infos: dict[int, grpc_broker_pb2.ConnInfo] = {}
        self._channels: dict[int, grpc.Channel] = {}
        self._cond = threading.Condition()
        self._closed = False
        self.streams_seen = 0

    def StartStream(self, request_iterator: Iterator[grpc_broker_pb2.ConnInfo],
                    context: grpc.ServicerContext) -> Iterator[grpc_broker_pb2.ConnInfo]:
        with self._cond:
            self.streams_seen += 1
        try:
            for info in request_iterator:
                if info.HasField("knock"):
                    continue  # multiplexed mode only; we never offer it
                with self._cond:
                    self._infos[info.service_id] = info
                    self._cond.notify_all()
                log.debug("broker: connection info for id %d (%s %s)", info.service_id,
                          info.network, info.address)
        except grpc.RpcError:
            pass  # the host closed its side
        return
        yield  # a generator: we never offer services to the host

    def conn_info(self, broker_id: int, timeout_s: float = BROKER_DIAL_TIMEOUT_S) -> grpc_broker_pb2.ConnInfo:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while broker_id not in self._infos:
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    raise BrokerUnavailable(
                        f"timeout waiting for connection info for broker id {broker_id}"
                        + (" (the plugin is shutting down)" if self._closed else
                           f" after {timeout_s:.1f} s: the host never offered it"))
                self._cond.wait(remaining)
            return self._infos[broker_id]

    def channel(self, broker_id: int, timeout_s: float = BROKER_DIAL_TIMEOUT_S) -> grpc.Channel:
        """The channel to broker ``broker_id`` (dialled on first use, then shared)."""
        with self._cond:
            ch = self._channels.get(broker_id)
            if ch is not None:
                return ch
        info = self.conn_info(broker_id, timeout_s)
        if info.network == "unix":
            target = f"unix:{info.address}"
        elif info.network == "tcp":
            target = info.address
        else:
            raise BrokerUnavailable(f"broker id {broker_id}: unknown network {info.network!r}")
        with self._cond:
            ch = self._channels.get(broker_id)
            if ch is None:
                ch = self._channels[broker_id] = grpc.insecure_channel(target, options=channel_options())
                log.debug("broker: dialled id %d at %s", broker_id, target)
            return ch

    def dial_count(self) -> int:
        with self._cond:
            return len(self._channels)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            channels, self._channels = list(self._channels.values()), {}
            self._cond.notify_all()
        for ch in channels:
            ch.close()


# -- GRPCController ---------------------------------------------------------------------------
class ControllerServicer(grpc_controller_pb2_grpc.GRPCControllerServicer):
    """``plugin.GRPCController/Shutdown``: answer, then ask the process to stop."""

    def __init__(self, on_shutdown: Callable[[], None]) -> None:
        self._on_shutdown = on_shutdown

    def Shutdown(self, request: grpc_controller_pb2.Empty,
                 context: grpc.ServicerContext) -> grpc_controller_pb2.Empty:
        log.debug("controller: shutdown requested by the host")
        # after this answer is on its way: the stop itself runs in another thread
        threading.Timer(0.05, self._on_shutdown).start()
        return grpc_controller_pb2.Empty()


# -- GRPCStdio --------------------------------------------------------------------------------
class StdioServicer(grpc_stdio_pb2_grpc.GRPCStdioServicer):
    """``plugin.GRPCStdio/StreamStdio``: what the process writes on its stdout after the
    handshake (fed by :meth:`feed`), as ``StdioData`` chunks, to one host stream at a time.
    Chunks written while no host listens are kept (bounded) for the next stream."""

    MAX_PENDING = 256

    def __init__(self) -> None:
        self._queue: "queue.Queue[tuple[int, bytes] | None]" = queue.Queue(self.MAX_PENDING)
        self.dropped = 0

    def feed(self, channel: int, data: bytes) -> None:
        try:
            self._queue.put_nowait((channel, data))
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass

    def StreamStdio(self, request: Any, context: grpc.ServicerContext) -> Iterator[grpc_stdio_pb2.StdioData]:
        while context.is_active():
            try:
                item = self._queue.get(timeout=0.25)
            except queue.Empty:
                continue
            if item is None:
                return
            channel, data = item
            yield grpc_stdio_pb2.StdioData(channel=channel, data=data)  # type: ignore[arg-type]
