"""gRPC servicers that answer ``plugin.PluginService`` and
``config_provider.ConfigProviderService`` with a loaded plugin.

Every RPC method is generated from the hook table (:data:`host_abi.hooks.HOOKS`): a
unary RPC converts its request to envelope form, runs
:meth:`PluginHost.call_or_fail_answer` and converts the answer back; the two
server-streaming RPCs relay :meth:`PluginHost.stream` chunk by chunk. Hooks the plugin
lacks get the Go SDK's default answer, plugin failures get the hook's fail-policy
answer, and when a hook has no such answer (see PROTOCOL.md 5.7) the RPC ends with a
gRPC status mapped from the error code, details ``"<CODE>: <message>"``.

.. code-block:: python

    server, bound = create_server(host, "unix:///tmp/plugin.sock")
    server.start()
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, NoReturn

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from host_abi.hooks import HOOKS, HookSpec

from ..dispatch import PluginHost
from ..errors import PluginRuntimeError
from ..messages import from_envelope, message_class, to_envelope
from ..wire import config_provider_pb2_grpc, plugin_pb2_grpc

__all__ = ["PluginServiceServicer", "ConfigProviderServicer", "create_server", "grpc_status_for",
           "PLUGIN_SERVICE", "CONFIG_PROVIDER_SERVICE", "MAX_MESSAGE_BYTES"]

log = logging.getLogger("runtime.bridge")

PLUGIN_SERVICE = "plugin.PluginService"
CONFIG_PROVIDER_SERVICE = "config_provider.ConfigProviderService"
#: Send/receive limit of the server: hosts send bodies and assets in single messages.
MAX_MESSAGE_BYTES = 2**31 - 1

_STATUS_BY_CODE: dict[str, grpc.StatusCode] = {
    "PERMISSION_DENIED": grpc.StatusCode.PERMISSION_DENIED,
    "DEADLINE_EXCEEDED": grpc.StatusCode.DEADLINE_EXCEEDED,
    "CAPABILITY_MISSING": grpc.StatusCode.UNIMPLEMENTED,
    "INVALID_ARGUMENT": grpc.StatusCode.INVALID_ARGUMENT,
    "INPUT_INVALID": grpc.StatusCode.INVALID_ARGUMENT,
    "MALFORMED_ENVELOPE": grpc.StatusCode.INVALID_ARGUMENT,
    "NOT_FOUND": grpc.StatusCode.NOT_FOUND,
}


def grpc_status_for(code: str) -> grpc.StatusCode:
    """The gRPC status an error code is reported with (INTERNAL unless mapped)."""
    return _STATUS_BY_CODE.get(code, grpc.StatusCode.INTERNAL)


def _abort(context: grpc.ServicerContext, exc: PluginRuntimeError) -> NoReturn:
    context.abort(grpc_status_for(exc.code), f"{exc.code}: {exc.message}")
    raise AssertionError("unreachable: context.abort raises")  # pragma: no cover


def _abort_internal(context: grpc.ServicerContext, spec: HookSpec, exc: BaseException) -> NoReturn:
    log.exception("the bridge failed on %s/%s", spec.service, spec.rpc)
    context.abort(grpc.StatusCode.INTERNAL, f"INTERNAL: {type(exc).__name__}: {exc}")
    raise AssertionError("unreachable: context.abort raises")  # pragma: no cover


class _HostServicer:
    """What both servicers share: the host and the generic unary / streaming relays."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host

    def _convert(self, spec: HookSpec, answer: dict[str, Any], cls: type[Message]) -> tuple[Message, bool]:
        """``answer`` as a ``cls``, and whether it is a fail-policy answer instead: an
        answer that does not fit the message is the plugin's failure (BAD_RETURN).

        Raises:
            PluginRuntimeError: that failure, when the hook has no fail answer.
        """
        try:
            return from_envelope(answer, cls), False
        except PluginRuntimeError as exc:
            exc.plugin, exc.hook = self.host.identity, spec.name
            exc.message = f"the plugin's answer is not a valid {spec.response}: {exc.message}"
            log.warning("plugin %s answered %s with a bad value: %s", self.host.identity,
                        spec.name, exc.message)
            fallback = self.host.fail_answer(spec, exc)
            if fallback is None:
                raise
            return from_envelope(fallback, cls), True

    def _unary(self, spec: HookSpec, cls: type[Message], request: Message,
               context: grpc.ServicerContext) -> Message:
        try:
            answer, _ = self.host.call_or_fail_answer(spec, to_envelope(request))
            return self._convert(spec, answer, cls)[0]
        except PluginRuntimeError as exc:
            _abort(context, exc)
        except Exception as exc:  # a bug of the runtime: never hang the caller
            _abort_internal(context, spec, exc)

    def _stream(self, spec: HookSpec, cls: type[Message], request: Message,
                context: grpc.ServicerContext) -> Iterator[Message]:
        # With apply_fail_policy the host ends a failed stream with the hook's fail-closed
        # chunk; it raises only when the hook has none.
        chunks = self.host.stream(spec, to_envelope(request), apply_fail_policy=True)
        try:
            for chunk in chunks:
                out, failed = self._convert(spec, chunk, cls)
                yield out
                if failed:  # a chunk that does not fit ends the stream like any failure
                    return
        except PluginRuntimeError as exc:
            _abort(context, exc)
        except Exception as exc:
            _abort_internal(context, spec, exc)
        finally:
            chunks.close()  # asks a plugin still emitting to stop (cancelled or ended calls)


def _method(spec: HookSpec) -> Callable[..., Any]:
    cls = message_class(spec.response)
    if cls is None:
        raise RuntimeError(f"hook {spec.name}: no generated class for {spec.response}")
    if spec.streaming:
        def method(self: _HostServicer, request: Message, context: grpc.ServicerContext) -> Iterator[Message]:
            return self._stream(spec, cls, request, context)
    else:
        def method(self: _HostServicer, request: Message, context: grpc.ServicerContext) -> Message:  # type: ignore[misc]
            return self._unary(spec, cls, request, context)
    method.__name__ = method.__qualname__ = str(spec.rpc)
    method.__doc__ = (f"{spec.service}/{spec.rpc}: hook {spec.name} "
                      f"({'server stream of' if spec.streaming else 'answers'} {spec.response}).")
    return method


def _install(servicer: type, base: type, service: str) -> None:
    """Set one generated method per hook of ``service``, and check they cover ``base``."""
    rpcs = set()
    for spec in HOOKS:
        if spec.service == service and spec.rpc:
            setattr(servicer, spec.rpc, _method(spec))
            rpcs.add(spec.rpc)
    expected = {name for name in vars(base) if not name.startswith("_")}
    if rpcs != expected:
        raise RuntimeError(f"the hook table and {service} disagree: "
                           f"missing {sorted(expected - rpcs)}, extra {sorted(rpcs - expected)}")


class PluginServiceServicer(_HostServicer, plugin_pb2_grpc.PluginServiceServicer):
    """``plugin.PluginService`` answered by a :class:`PluginHost` (all 35 RPCs)."""


class ConfigProviderServicer(_HostServicer, config_provider_pb2_grpc.ConfigProviderServiceServicer):
    """``config_provider.ConfigProviderService`` answered by a :class:`PluginHost`."""


_install(PluginServiceServicer, plugin_pb2_grpc.PluginServiceServicer, PLUGIN_SERVICE)
_install(ConfigProviderServicer, config_provider_pb2_grpc.ConfigProviderServiceServicer,
         CONFIG_PROVIDER_SERVICE)


def create_server(host: PluginHost, address: str, *, max_workers: int = 16) -> tuple[grpc.Server, str]:
    """A gRPC server for ``host``: PluginService, ConfigProviderService and health
    (service ``"plugin"`` SERVING), bound to ``address`` but not started.

    ``address`` is ``unix:///path/to.sock`` (or ``unix:path``) or ``host:port``; port 0
    picks a free one. Returns the server and the address it is bound to (the real port
    for TCP). One worker stays parked per open session (``OpenSession`` blocks), so keep
    ``max_workers`` above the number of concurrent calls plus one.

    Raises:
        RuntimeError: the address cannot be bound.
    """
    options = [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.so_reuseport", 0),
    ]
    executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"grpc-{host.identity}")
    server = grpc.server(executor, options=options)
    plugin_pb2_grpc.add_PluginServiceServicer_to_server(PluginServiceServicer(host), server)
    config_provider_pb2_grpc.add_ConfigProviderServiceServicer_to_server(ConfigProviderServicer(host), server)
    health_servicer = health.HealthServicer()
    health_servicer.set("plugin", health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as exc:
        server.stop(None)
        raise RuntimeError(f"cannot bind the plugin server to {address!r}: {exc}") from None
    if port == 0:
        server.stop(None)
        raise RuntimeError(f"cannot bind the plugin server to {address!r}")
    if address.startswith("unix:") or address.startswith("unix-abstract:"):
        bound = address
    else:
        bound = f"{address.rsplit(':', 1)[0]}:{port}"
    return server, bound
