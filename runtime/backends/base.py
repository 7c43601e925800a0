"""The backend interface every isolation tier implements.

A backend turns a plugin directory into instances. An instance is one ``handle``
(hook number and envelope in, envelope out) plus ``close``; the host import arrives
as a callable when the instance is created. Everything else (pools, deadlines,
permissions, fail policies) lives above, in :mod:`runtime.dispatch`, and is the same
for every tier.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

__all__ = ["HostCall", "Instance", "Backend", "PluginSource"]

#: The host import as the backend sees it: ``call(op_number, envelope) -> envelope``.
#: It never raises.
HostCall = Callable[[int, str], str]


@dataclass(frozen=True)
class PluginSource:
    """What a backend needs to build instances of one plugin."""

    identity: str
    directory: Path
    entry_module: str
    entry_factory: str


class Instance(Protocol):
    """One plugin instance. At most one ``handle`` call is in flight at a time."""

    def handle(self, hook: int, payload: str) -> str:
        """Run a hook; returns the answer envelope.

        Raises:
            runtime.errors.SandboxBroken: the instance is unusable (trap); drop it.
        """

    def close(self) -> None:
        """Release the instance; idempotent."""


class Backend(ABC):
    """Builds instances of plugins for one tier."""

    #: The tier's name, as in the CLI and the policy.
    tier: str = ""

    @abstractmethod
    def prepare(self, source: PluginSource) -> None:
        """Do the per-plugin work once (import, compile); raises LoadError."""

    @abstractmethod
    def instantiate(self, source: PluginSource, host_call: HostCall) -> Instance:
        """A new instance of a prepared plugin; raises LoadError."""

    def close(self) -> None:
        """Release everything the backend holds."""
