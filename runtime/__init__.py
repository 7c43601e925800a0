"""The host: plugin loading, isolation tiers, dispatch, services, the CLI.

The embedding API is :class:`Runtime` with :class:`RuntimeConfig`; errors are in
:mod:`runtime.errors`.
"""

from __future__ import annotations

from .api import Runtime, RuntimeConfig, available_tiers, default_state_dir
from .errors import PluginRuntimeError

__all__ = ["Runtime", "RuntimeConfig", "PluginRuntimeError", "available_tiers", "default_state_dir"]
__version__ = "0.1.0"
