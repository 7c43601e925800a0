"""The gRPC face of a loaded plugin.

:mod:`runtime.bridge.servicers` serves a :class:`runtime.dispatch.PluginHost` as
``plugin.PluginService`` and ``config_provider.ConfigProviderService`` (plus gRPC
health), the two services AI Studio and the Microgateway call on a plugin process.
:mod:`runtime.bridge.bench_server` runs one plugin as such a process on a unix socket.
"""
