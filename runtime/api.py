"""The embedding API: a runtime from a config, load plugins, call hooks, close.

.. code-block:: python

    from runtime import Runtime, RuntimeConfig

    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True)) as rt:
        rt.load("examples/request_enricher", config={"instruction": "Be brief."})
        answer = rt.call("request_enricher", "process_post_auth", {"request": {...}})

Requests and answers are dicts in envelope form (proto field names; bytes fields as
latin-1 strings, see ``host_abi/ABI.md``) or protobuf messages of ``runtime.wire``.
Every failure is a :class:`runtime.errors.PluginRuntimeError` with a stable code.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from google.protobuf.message import Message

from host_abi.errors import ErrorCode
from host_abi.hooks import HookSpec

from .backends.base import Backend
from .broker.events import EventBus, Subscription, Event as BusEvent
from .broker.fixtures import Fixtures, load_fixtures
from .broker.kv import KVStore, MemoryKV, SQLiteKV
from .broker.logs import PluginLogger
from .broker.shared_state import event_bus_from_url, kv_from_url
from .broker.scheduler import Schedule, ScheduleError, Scheduler
from .broker.services import ServiceBroker
from .config import flatten_config, validate_config
from .dispatch import PluginHost
from .errors import LoadError, ManifestError, PluginRuntimeError, TierUnavailable, UsageError
from .manifest import load_manifest
from .messages import to_envelope
from .metrics import Metrics
from .policy import Policy, effective_settings, load_policy

__all__ = ["Runtime", "RuntimeConfig", "default_state_dir", "available_tiers"]

log = logging.getLogger("runtime")


def default_state_dir() -> Path:
    """Where state lives by default: ``$XDG_STATE_HOME/gateway-plugin-sandbox`` (or
    ``~/.local/state/...``)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "gateway-plugin-sandbox"


def _wasm_status() -> str:
    import importlib.util
    missing = [m for m in ("wasmtime", "componentize_py") if importlib.util.find_spec(m) is None]
    if missing:
        return (f"needs {' and '.join(missing)}: pip install 'gateway-plugin-sandbox[wasm]'")
    return "available"


def available_tiers() -> dict[str, str]:
    """Each tier and whether it can run here (``"available"`` or the reason it cannot)."""
    return {
        "wasm": _wasm_status(),
        "inprocess": "available",
        "subinterpreter": _subinterpreter_status(),
        "process": "available",
    }


def _subinterpreter_status() -> str:
    from .backends.subinterp import tier_status
    return tier_status()


def _backend(tier: str, config: "RuntimeConfig | None" = None, policy: Policy | None = None) -> Backend:
    if tier == "subinterpreter" and _subinterpreter_status().startswith("available"):
        from .backends.subinterp import SubinterpreterBackend

        def heavy(identity: str) -> bool:
            if policy is None:
                return False
            return bool(policy.for_plugin(identity).heavy or policy.defaults.heavy)
        return SubinterpreterBackend(config.subinterpreter if config is not None else None, heavy)
    if tier == "inprocess":
        from .backends.inprocess import InProcessBackend
        return InProcessBackend()
    if tier == "wasm" and _wasm_status() == "available":
        from .backends.wasm import WasmBackend
        return WasmBackend()
    if tier == "process":
        from .backends.process import ProcessBackend
        return ProcessBackend()
    reason = available_tiers().get(tier, f"unknown tier {tier!r}")
    raise TierUnavailable(f"tier {tier!r} is not available: {reason}")


@dataclass
class RuntimeConfig:
    """How a runtime is set up. Every field has a sensible default."""

    #: The operator's policy: a Policy, a path to a policy file, or None (built-in).
    policy: Policy | str | Path | None = None
    #: Tier for plugins the policy does not place (None: the policy's default, else wasm).
    tier: str | None = None
    #: "studio" or "gateway" (None: the policy, else detected from the environment).
    runtime: str | None = None
    #: Directory of the SQLite KV (None: :func:`default_state_dir`).
    state_dir: str | Path | None = None
    #: Keep KV in memory only.
    ephemeral: bool = False
    #: Look-up data for the embedded services: Fixtures, a path, or None.
    fixtures: Fixtures | str | Path | None = None
    #: Scopes granted on top of the policy (the operator's command-line grants).
    extra_grants: frozenset[str] = field(default_factory=frozenset)
    #: A KV store to use instead of creating one (tests, custom backends).
    kv: KVStore | None = None
    #: A shared KV for several gateways: ``redis://host:6379/0``, ``postgresql://user@host/db``
    #: (also ``sqlite:///path``, ``memory:``; see :mod:`runtime.broker.shared_state`).
    #: None: the policy's ``services.kv_url``, else SQLite under ``state_dir``.
    kv_url: str | None = None
    #: The event bus: ``redis://...`` delivers events to every gateway on that Redis;
    #: None: the policy's ``services.events_url``, else in-process (``memory:``).
    events_url: str | None = None
    #: This runtime's name in event origins (``plugin:<identity>@<node>``); None: the
    #: policy's ``services.node``, else ``local``.
    node: str | None = None
    #: Fire schedules from a background thread (off for one-shot use such as ``runtime call``;
    #: ``Runtime.scheduler.tick()`` fires them by hand).
    run_scheduler: bool = False
    #: The wall clock the scheduler reads (tests inject one).
    clock: Callable[[], float] | None = None
    #: How the subinterpreter tier runs plugins (worker-mode plugins, spares, quarantine
    #: limit): a ``runtime.backends.subinterp.SubinterpreterSettings``; None: its defaults.
    subinterpreter: Any = None


class Runtime:
    """A plugin runtime: services, loaded plugins, and the calls into them. Thread-safe."""

    def __init__(self, config: RuntimeConfig | None = None) -> None:
        self.config = config or RuntimeConfig()
        c = self.config
        self.policy = c.policy if isinstance(c.policy, Policy) else load_policy(c.policy)
        services = self.policy.services
        if c.kv is not None:
            self.kv: KVStore = c.kv
        elif c.kv_url is not None:
            self.kv = kv_from_url(c.kv_url)
        elif c.ephemeral:
            self.kv = MemoryKV()
        elif c.state_dir is None and services.get("kv_url"):
            self.kv = kv_from_url(services["kv_url"])
        else:
            state = Path(c.state_dir) if c.state_dir is not None else default_state_dir()
            self.kv = SQLiteKV(state / "kv.sqlite3")
        fixtures = c.fixtures if isinstance(c.fixtures, Fixtures) else load_fixtures(c.fixtures)
        try:
            self.bus: EventBus = event_bus_from_url(c.events_url or services.get("events_url"),
                                                    self._deliver_event,
                                                    node=c.node or services.get("node") or "local")
        except BaseException:
            self.kv.close()
            raise
        self.scheduler = Scheduler(self._run_schedule, clock=c.clock or time.time)
        self.broker = ServiceBroker(self.kv, PluginLogger(), self.bus, fixtures, self.scheduler)
        if c.run_scheduler:
            self.scheduler.start()
        self._plugins: dict[str, PluginHost] = {}
        self._backends: dict[str, Backend] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._reloads = 0
        #: Calls, errors by code, latency per plugin and hook (see runtime.metrics).
        self.metrics = Metrics(self)

    # -- plugins --------------------------------------------------------------------------
    def load(self, path: str | Path, *, name: str | None = None, tier: str | None = None,
             config: Mapping[str, Any] | None = None, check_config: bool = True) -> PluginHost:
        """Load the plugin in directory ``path`` under the identity ``name``.

        ``name`` (default: the directory's name, lowercased) is the plugin's identity: its
        KV namespace and event origin, and its key in the policy. ``config`` is merged
        over the policy's config, validated against the plugin's schema, flattened and
        given to ``initialize`` on every instance. ``check_config=False`` skips the
        schema checks, for a configuration that arrives later and is checked by its
        sender (a go-plugin host's ``Initialize``: see ``PluginHost.reinitialize``).

        Raises:
            ManifestError, PolicyError, ConfigError, TierUnavailable, LoadError.
        """
        self._check_open()
        directory = Path(path)
        manifest = load_manifest(directory)
        identity = name or directory.resolve().name.lower().replace(" ", "-")
        settings = effective_settings(manifest, self.policy, identity,
                                      tier=tier or self.config.tier, runtime=self.config.runtime,
                                      extra_grants=self.config.extra_grants)
        if manifest.command and settings.tier != "process":
            raise TierUnavailable(f"{manifest.path}: a go-plugin executable (sandbox.command) runs on "
                                  f"the process tier only, not on {settings.tier}", plugin=identity)
        merged = {**settings.config, **(config or {})}
        if check_config:
            validate_config(merged, manifest.config_schema, identity)
        flat = flatten_config(merged)
        with self._lock:
            if identity in self._plugins:
                raise UsageError(f"a plugin named {identity!r} is already loaded; pass another name",
                                 plugin=identity)
            backend = self._backends.get(settings.tier)
            if backend is None:
                backend = self._backends[settings.tier] = _backend(settings.tier, self.config, self.policy)
        host = PluginHost(manifest=manifest, settings=settings, backend=backend,
                          broker=self.broker, init_config=flat, raw_config=merged,
                          check_config=check_config)
        with self._lock:
            self._plugins[identity] = host
        try:
            for item in manifest.raw.get("schedules", []):
                self.scheduler.add(Schedule(
                    plugin=identity, id=item["id"], name=item["name"], cron=item["cron"],
                    timezone=item.get("timezone") or "UTC", enabled=item.get("enabled", True),
                    timeout_seconds=item.get("timeout_seconds", 60),
                    config=dict(item.get("config", {})), source="manifest"), replace_existing=True)
        except ScheduleError as exc:
            self.unload(identity)
            raise ManifestError(f"{manifest.path}: field schedules: {exc}", plugin=identity) from None
        return host

    def plugin(self, name: str) -> PluginHost:
        """The loaded plugin ``name``.

        Raises:
            UsageError: PLUGIN_NOT_FOUND.
        """
        host = self._plugins.get(name)
        if host is None:
            raise UsageError(f"no plugin named {name!r} is loaded (loaded: {sorted(self._plugins)})",
                             code=ErrorCode.PLUGIN_NOT_FOUND, plugin=name)
        return host

    @property
    def plugins(self) -> dict[str, PluginHost]:
        return dict(self._plugins)

    def plugins_for(self, hook: str | int | HookSpec) -> list[PluginHost]:
        """The loaded plugins that implement ``hook``, in load order."""
        spec = PluginHost.spec_of(hook)
        return [p for p in self._plugins.values() if spec.number in p.info.hooks]

    def unload(self, name: str) -> None:
        host = self.plugin(name)
        with self._lock:
            self._plugins.pop(name, None)
        self.bus.unsubscribe_plugin(name)
        self.scheduler.remove_plugin(name)
        host.close()

    def reload(self, name: str, path: str | Path | None = None, *,
               config: Mapping[str, Any] | None = None) -> PluginHost:
        """Replace the loaded plugin ``name`` with a new build while calls keep flowing.

        The new build (of ``path``, default the directory it was loaded from; on the wasm
        tier a new component is built when the files changed) loads and warms its whole
        pool beside the old one; then new calls go to it, calls running on old instances
        finish there, and the old instances shut down. A call that was waiting for an
        old instance is served by the new build. Identity, tier, KV namespace and event
        subscriptions stay; ``config`` (default: the current one) is validated anew.

        Raises:
            ManifestError, PolicyError, ConfigError, LoadError, ...: the new build did not
                load; the old one keeps serving, unchanged.
        """
        self._check_open()
        old = self.plugin(name)
        directory = Path(path) if path is not None else old.manifest.directory
        manifest = load_manifest(directory)
        settings = effective_settings(manifest, self.policy, name, tier=old.settings.tier,
                                      runtime=self.config.runtime, extra_grants=self.config.extra_grants)
        merged = {**settings.config, **(config or {})} if config is not None else dict(old._raw_config)
        validate_config(merged, manifest.config_schema, name)
        with self._lock:
            self._reloads += 1
            key = f"{name}_R{self._reloads}"  # not an identity (those are lowercase)
        new = PluginHost(manifest=manifest, settings=settings, backend=old.backend, broker=self.broker,
                         init_config=flatten_config(merged), raw_config=merged, source_key=key)
        with self._lock:
            if self._plugins.get(name) is not old:
                new.close()
                raise UsageError(f"plugin {name!r} was unloaded or reloaded meanwhile", plugin=name)
            self._plugins[name] = new
        for item in manifest.raw.get("schedules", []):
            try:
                self.scheduler.add(Schedule(
                    plugin=name, id=item["id"], name=item["name"], cron=item["cron"],
                    timezone=item.get("timezone") or "UTC", enabled=item.get("enabled", True),
                    timeout_seconds=item.get("timeout_seconds", 60),
                    config=dict(item.get("config", {})), source="manifest"), replace_existing=True)
            except ScheduleError as exc:
                log.warning("plugin %s: a schedule of the new build is refused: %s", name, exc)
        old.close()  # idle instances now; busy ones when their call returns
        self.metrics.reloaded(name)
        log.info("plugin %s reloaded from %s", name, directory)
        return new

    def _on_host(self, plugin: str, run: Callable[[PluginHost], Any]) -> Any:
        """``run(host)``; when the host closed under the call because it was reloaded, once
        more on its successor."""
        host = self.plugin(plugin)
        try:
            return run(host)
        except UsageError as exc:
            newer = self._plugins.get(plugin)
            if exc.code != "CLOSED" or self._closed or newer is None or newer is host:
                raise
            return run(newer)

    # -- calls ----------------------------------------------------------------------------
    @staticmethod
    def _msg(request: Mapping[str, Any] | Message) -> Mapping[str, Any]:
        return to_envelope(request) if isinstance(request, Message) else request

    def call(self, plugin: str, hook: str | int | HookSpec, request: Mapping[str, Any] | Message,
             *, timeout_ms: int | None = None) -> dict[str, Any]:
        """Run a unary hook and return the answer in envelope form.

        ``timeout_ms=0`` runs in the caller's thread with no deadline.

        Raises:
            PluginRuntimeError: see :mod:`runtime.errors`.
        """
        self._check_open()
        msg = self._msg(request)
        started = time.perf_counter()
        try:
            result: dict[str, Any] = self._on_host(plugin, lambda h: h.call(hook, msg, timeout_ms=timeout_ms))
        except PluginRuntimeError as exc:
            self._measure(plugin, hook, started, exc)
            raise
        self._measure(plugin, hook, started, None)
        return result

    def call_or_fail_answer(self, plugin: str, hook: str | int | HookSpec,
                            request: Mapping[str, Any] | Message, *, timeout_ms: int | None = None
                            ) -> tuple[dict[str, Any], PluginRuntimeError | None]:
        """Run a hook; on failure, answer with the hook's fail policy (see PluginHost)."""
        self._check_open()
        msg = self._msg(request)
        started = time.perf_counter()
        try:
            result: tuple[dict[str, Any], PluginRuntimeError | None] = self._on_host(
                plugin, lambda h: h.call_or_fail_answer(hook, msg, timeout_ms=timeout_ms))
        except PluginRuntimeError as exc:
            self._measure(plugin, hook, started, exc)
            raise
        self._measure(plugin, hook, started, result[1], fail_policy=result[1] is not None)
        return result

    def _measure(self, plugin: str, hook: str | int | HookSpec, started: float,
                 error: PluginRuntimeError | None, fail_policy: bool = False) -> None:
        if plugin not in self._plugins:
            return
        try:
            name = PluginHost.spec_of(hook).name
        except PluginRuntimeError:
            name = "(unknown hook)"
        self.metrics.record(plugin, name, time.perf_counter() - started,
                            error.code if error is not None else None, fail_policy)

    def stream(self, plugin: str, hook: str | int | HookSpec, request: Mapping[str, Any] | Message,
               *, timeout_ms: int | None = None, apply_fail_policy: bool = False) -> Iterator[dict[str, Any]]:
        """Run a streaming hook; yields chunks in envelope form as they are produced."""
        self._check_open()
        return self.plugin(plugin).stream(hook, self._msg(request), timeout_ms=timeout_ms,
                                          apply_fail_policy=apply_fail_policy)

    # -- schedules ------------------------------------------------------------------------
    def _run_schedule(self, schedule: Schedule, fire_at: int) -> None:
        host = self._plugins.get(schedule.plugin)
        if host is None:
            return
        answer = host.call("execute_scheduled_task", {
            "context": {"request_id": f"schedule-{schedule.id}-{fire_at}"},
            "schedule": schedule.to_wire()}, timeout_ms=schedule.timeout_seconds * 1000)
        if not answer.get("success"):
            raise RuntimeError(answer.get("error_message") or "the task reported failure")

    # -- events ---------------------------------------------------------------------------
    def _deliver_event(self, sub: Subscription, event: BusEvent) -> None:
        host = self._plugins.get(sub.plugin)
        if host is None:
            return
        host.deliver_event(sub.id, sub.handler, {
            "id": event.id, "topic": event.topic, "origin": event.origin,
            "direction": event.direction, "payload": event.payload.decode("latin-1")})

    # -- lifecycle ------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise UsageError("the runtime is closed", code=ErrorCode.CLOSED)

    def close(self) -> None:
        """Shut every plugin down and release the services; idempotent."""
        if self._closed:
            return
        self._closed = True
        for name in list(self._plugins):
            try:
                self._plugins.pop(name).close()
            except PluginRuntimeError as exc:
                log.warning("closing plugin %s: %s", name, exc)
        for backend in self._backends.values():
            backend.close()
        self.scheduler.stop()
        self.bus.close()
        self.kv.close()

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
