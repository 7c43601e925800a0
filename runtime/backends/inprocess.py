"""The in-process tier: the plugin runs in the host's interpreter, still through the ABI.

No isolation at all: for development, debugging and trusted plugins, and as the
measured floor of the other tiers. Every call is encoded into the envelope and the
answer decoded, exactly as on the wasm tier, so the tiers are interchangeable and
this one measures the ABI's own cost.

Plugin modules are imported under a private package per plugin
(``_plugins.<identity>``), so two plugins may both have a ``plugin.py``; import
sibling modules of a plugin relatively (``from . import helpers``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any, Callable

from host_abi import GUEST_ENTRY_MODULE

from ..errors import LoadError
from .base import Backend, HostCall, Instance, PluginSource

__all__ = ["InProcessBackend"]

_ROOT = "_plugins"


class InProcessBackend(Backend):
    """Runs plugins in this interpreter."""

    tier = "inprocess"

    def __init__(self) -> None:
        self._factories: dict[str, Callable[[], Any]] = {}
        self._lock = threading.Lock()
        self._guest = importlib.import_module(GUEST_ENTRY_MODULE)
        self._guest.install_output_capture()

    def prepare(self, source: PluginSource) -> None:
        with self._lock:
            self._factories[source.identity] = self._import_factory(source)

    def _import_factory(self, source: PluginSource) -> Callable[[], Any]:
        root = sys.modules.get(_ROOT)
        if root is None:
            root = types.ModuleType(_ROOT)
            root.__path__ = []
            sys.modules[_ROOT] = root
        pkg_name = f"{_ROOT}.{source.identity.replace('-', '_').replace('.', '_')}"
        for name in [m for m in sys.modules if m == pkg_name or m.startswith(pkg_name + ".")]:
            del sys.modules[name]  # a reload imports the plugin's files afresh
        pkg = types.ModuleType(pkg_name)
        pkg.__path__ = [str(source.directory)]
        pkg.__file__ = None
        sys.modules[pkg_name] = pkg
        module_name = f"{pkg_name}.{source.entry_module}"
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise LoadError(f"importing {source.entry_module} from {source.directory} failed: "
                            f"{type(exc).__name__}: {exc}", plugin=source.identity) from exc
        factory = getattr(module, source.entry_factory, None)
        if not callable(factory):
            raise LoadError(f"{source.entry_module}.{source.entry_factory} is not a callable "
                            "factory", plugin=source.identity)
        return factory  # type: ignore[no-any-return]

    def instantiate(self, source: PluginSource, host_call: HostCall) -> Instance:
        factory = self._factories.get(source.identity)
        if factory is None:
            self.prepare(source)
            factory = self._factories[source.identity]
        try:
            return _InProcessInstance(self._guest.create_instance(factory, host_call), self._guest)
        except Exception as exc:
            raise LoadError(f"the plugin factory {source.entry_factory}() failed: "
                            f"{type(exc).__name__}: {exc}", plugin=source.identity) from exc


class _InProcessInstance:
    __slots__ = ("_inst", "_guest", "closed")

    def __init__(self, inst: Any, guest: Any) -> None:
        self._inst = inst
        self._guest = guest
        self.closed = False

    def handle(self, hook: int, payload: str) -> str:
        self._guest.install_output_capture()
        return self._inst.handle(hook, payload)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.closed = True
