"""The operator's policy: what each plugin is *granted* and how it runs.

A policy file (JSON) is the host's configuration. It grants scopes, sets limits, tier,
trust level, fail policies, configuration and the plugin's identity (its KV namespace
and event origin). Effective permissions are what the manifest requests AND what the
policy grants; a plugin that requests more than it is granted does not load. The same
holds for the clock and randomness a wasm guest sees (``clock``, ``random``,
``random_seed``; host_abi/ABI.md, "Clocks and randomness").

Example::

    {
      "version": 1,
      "defaults": {"tier": "wasm", "grants": ["kv.readwrite", "events.publish"]},
      "plugins": {
        "enricher": {"tier": "inprocess", "trust": "trusted", "grants": ["kv.readwrite"],
                     "limits": {"timeout_ms": 50}, "fail_policy": {"post_auth": "open"},
                     "config": {"instruction": "Be brief."}},
        "replayed": {"clock": "frozen", "random": "seeded", "random_seed": 42}
      }
    }
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import jsonschema

from host_abi.hooks import HOOKS, FailPolicy, HookSpec
from host_abi.limits import (DEFAULT_HOOK_TIMEOUT_MS, DEFAULT_MEMORY_LIMIT_BYTES,
                             DEFAULT_STREAM_TIMEOUT_MS, MAX_HOST_CALLS_PER_CALL)
from host_abi.ops import DEFAULT_GRANTS, GATEWAY_SCOPES, SANDBOX_SCOPES, STUDIO_SCOPES

from .errors import ManifestError, PolicyError
from .manifest import CLOCK_MODES, DEFAULT_CLOCK, DEFAULT_RANDOM, RANDOM_MODES, Manifest

__all__ = ["detect_runtime", "Policy", "PluginPolicy", "Limits", "EffectivePlugin", "load_policy", "TIERS",
           "effective_settings", "IDENTITY_PATTERN", "DEFAULT_CLOCK_GRANT", "DEFAULT_RANDOM_GRANT"]

#: Isolation tiers by name; the first is the default.
TIERS = ("wasm", "subinterpreter", "inprocess", "process")
IDENTITY_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,62}$"
_SCOPES = sorted(STUDIO_SCOPES | GATEWAY_SCOPES | SANDBOX_SCOPES)
_FAIL_KEYS = sorted({h.hook_type for h in HOOKS if h.hook_type} | {h.name for h in HOOKS})
#: The most precise clock and randomness granted when the policy says nothing.
DEFAULT_CLOCK_GRANT = "coarse"
DEFAULT_RANDOM_GRANT = "real"

_limits_schema = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "timeout_ms": {"type": "integer", "minimum": 1},
        "memory_limit_bytes": {"type": "integer", "minimum": 1048576},
        "max_host_calls": {"type": "integer", "minimum": 0},
        "pool_size": {"type": "integer", "minimum": 1, "maximum": 1024},
        "stream_timeout_ms": {"type": "integer", "minimum": 1},
        "breaker_failures": {"type": "integer", "minimum": 0},
        "breaker_cooldown_ms": {"type": "integer", "minimum": 1},
    },
}
_entry_props: dict[str, Any] = {
    "tier": {"enum": list(TIERS)},
    "trust": {"enum": ["untrusted", "trusted"]},
    # Subinterpreter tier: serve this plugin from one worker thread per interpreter.
    "heavy": {"type": "boolean"},
    "runtime": {"enum": ["studio", "gateway"]},
    "grants": {"type": "array", "items": {"enum": _SCOPES}},
    "limits": _limits_schema,
    "fail_policy": {"type": "object", "propertyNames": {"enum": _FAIL_KEYS},
                    "additionalProperties": {"enum": ["open", "closed"]}},
    "config": {"type": "object"},
    # The most precise clock / randomness this plugin may have (requests above: denied).
    "clock": {"enum": list(CLOCK_MODES)},
    "random": {"enum": list(RANDOM_MODES)},
    # Seed of every instance's stream when the effective randomness is "seeded".
    "random_seed": {"type": "integer"},
}
POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        # Where shared state lives (runtime.broker.shared_state); $VAR / ${VAR} expand
        # from the environment, so passwords need not be written in the file.
        "services": {"type": "object", "additionalProperties": False, "properties": {
            "kv_url": {"type": "string", "minLength": 1},
            "events_url": {"type": "string", "minLength": 1},
            "node": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
        }},
        "defaults": {"type": "object", "additionalProperties": False, "properties": _entry_props},
        "plugins": {
            "type": "object",
            "propertyNames": {"pattern": IDENTITY_PATTERN},
            "additionalProperties": {"type": "object", "additionalProperties": False,
                                     "properties": {**_entry_props, "path": {"type": "string"}}},
        },
    },
}
_validator = jsonschema.Draft202012Validator(POLICY_SCHEMA)


def detect_runtime(environ: Mapping[str, str] | None = None) -> str:
    """``studio`` or ``gateway``, decided from the environment as the Go SDK does.

    ``PLUGIN_RUNTIME`` (studio/gateway) first, then ``GATEWAY_MODE`` in (edge,
    standalone_gateway), then ``MICROGATEWAY_MODE=standalone``; anything else is studio.
    """
    env = os.environ if environ is None else environ
    value = env.get("PLUGIN_RUNTIME", "").strip().lower()
    if value in ("studio", "gateway"):
        return value
    if env.get("GATEWAY_MODE", "").strip().lower() in ("edge", "standalone_gateway"):
        return "gateway"
    if env.get("MICROGATEWAY_MODE", "").strip().lower() == "standalone":
        return "gateway"
    return "studio"


@dataclass(frozen=True)
class Limits:
    """Per-call limits. Units are in the names."""

    timeout_ms: int = DEFAULT_HOOK_TIMEOUT_MS
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES
    max_host_calls: int = MAX_HOST_CALLS_PER_CALL
    pool_size: int = 1
    stream_timeout_ms: int = DEFAULT_STREAM_TIMEOUT_MS
    #: Consecutive instance-breaking failures that open the circuit breaker (0: never).
    breaker_failures: int = 5
    #: How long an open breaker refuses calls before a trial call (runtime/breaker.py).
    breaker_cooldown_ms: int = 5000


@dataclass(frozen=True)
class PluginPolicy:
    """One plugin's entry of the policy (unset fields fall back to ``defaults``)."""

    tier: str | None = None
    trust: str | None = None
    heavy: bool | None = None
    runtime: str | None = None
    grants: frozenset[str] | None = None
    limits: Mapping[str, int] = field(default_factory=dict)
    fail_policy: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None
    clock: str | None = None
    random: str | None = None
    random_seed: int | None = None


@dataclass(frozen=True)
class Policy:
    """The operator's whole policy. ``Policy()`` is the built-in default."""

    defaults: PluginPolicy = field(default_factory=PluginPolicy)
    plugins: Mapping[str, PluginPolicy] = field(default_factory=dict)
    source: str = "(built-in default policy)"
    #: ``kv_url``, ``events_url``, ``node`` (environment variables expanded).
    services: Mapping[str, str] = field(default_factory=dict)

    def for_plugin(self, identity: str) -> PluginPolicy:
        return self.plugins.get(identity, PluginPolicy())


def _entry(d: Mapping[str, Any]) -> PluginPolicy:
    return PluginPolicy(
        tier=d.get("tier"), trust=d.get("trust"), heavy=d.get("heavy"), runtime=d.get("runtime"),
        grants=frozenset(d["grants"]) if "grants" in d else None,
        limits=dict(d.get("limits", {})), fail_policy=dict(d.get("fail_policy", {})),
        config=dict(d.get("config", {})), path=d.get("path"),
        clock=d.get("clock"), random=d.get("random"), random_seed=d.get("random_seed"),
    )


def load_policy(path: str | Path | None) -> Policy:
    """Read a policy file; ``None`` gives the built-in default policy.

    Raises:
        PolicyError: POLICY_INVALID, naming the file and the field.
    """
    if path is None:
        return Policy()
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{p}: cannot read the policy: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise PolicyError(f"{p}: not valid JSON: {exc}") from None
    return policy_from_dict(raw, str(p))


def policy_from_dict(raw: Any, source: str = "(policy)") -> Policy:
    """Validate a policy document given as a dict."""
    errors = sorted(_validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = ".".join(str(x) for x in e.absolute_path) or "(top level)"
        raise PolicyError(f"{source}: field {where}: {e.message}")
    return Policy(defaults=_entry(raw.get("defaults", {})),
                  plugins={k: _entry(v) for k, v in raw.get("plugins", {}).items()},
                  source=source,
                  services={k: os.path.expandvars(v) for k, v in raw.get("services", {}).items()})


@dataclass(frozen=True)
class EffectivePlugin:
    """What the runtime enforces for one loaded plugin."""

    identity: str
    tier: str
    trust: str
    runtime: str
    scopes: frozenset[str]
    limits: Limits
    fail_policy: Mapping[int, FailPolicy]
    config: Mapping[str, Any]
    #: The clock the guest sees: "real", "coarse" or "frozen" (wasm tier).
    clock: str = DEFAULT_CLOCK
    #: The guest's randomness: "real" or "seeded" (wasm tier).
    random: str = DEFAULT_RANDOM
    #: The seed every instance starts from when ``random`` is "seeded" (None: each
    #: instance draws its own seed from the host's CSPRNG).
    random_seed: int | None = None

    def fail_policy_for(self, spec: HookSpec) -> FailPolicy:
        return self.fail_policy.get(spec.number, spec.default_fail_policy)


def effective_settings(manifest: Manifest, policy: Policy, identity: str, *,
                       tier: str | None = None, runtime: str | None = None,
                       extra_grants: frozenset[str] = frozenset()) -> EffectivePlugin:
    """Combine a manifest's requests with the policy's grants.

    ``tier``, ``runtime`` and ``extra_grants`` are the operator's own overrides (for
    example command-line flags), never the plugin's.

    Raises:
        PolicyError: POLICY_DENIED when the manifest requests a scope that is not granted,
            or a clock or randomness above the policy's ``clock`` / ``random``;
            POLICY_INVALID when the policy picks a fail policy a hook does not allow.
    """
    if not re.match(IDENTITY_PATTERN, identity):
        raise PolicyError(f"plugin identity {identity!r} must match {IDENTITY_PATTERN} "
                          "(lowercase letters, digits, '.', '_', '-')")
    entry, default = policy.for_plugin(identity), policy.defaults
    granted = entry.grants if entry.grants is not None else (
        default.grants if default.grants is not None else DEFAULT_GRANTS)
    granted = granted | extra_grants
    missing = manifest.requested_scopes - granted
    if missing:
        raise PolicyError(
            f"{manifest.path}: plugin {identity!r} requests {sorted(missing)} but "
            f"{policy.source} grants only {sorted(granted)}; grant them in the policy "
            "(plugins.<name>.grants) or with --grant", code="POLICY_DENIED", plugin=identity)
    scopes = manifest.requested_scopes & granted
    limits_d: dict[str, int] = {**default.limits, **entry.limits}
    for key, requested in manifest.requested_limits.items():
        cap = limits_d.get(key, getattr(Limits(), key))
        limits_d[key] = min(requested, cap)
    limits = Limits(**limits_d)
    fail: dict[int, FailPolicy] = {}
    for source_name, choices in (("manifest", manifest.fail_policy),
                                 ("policy defaults", default.fail_policy),
                                 ("policy", entry.fail_policy)):
        for key, value in choices.items():
            chosen = FailPolicy(value)
            for spec in HOOKS:
                if key in (spec.name, spec.hook_type):
                    if chosen not in spec.allowed_fail_policies:
                        if source_name == "manifest":
                            raise ManifestError(f"{manifest.path}: fail policy {value!r} not "
                                                f"allowed for {spec.name}")
                        raise PolicyError(f"{policy.source}: fail_policy.{key}: {value!r} is "
                                          f"not allowed for hook {spec.name}")
                    fail[spec.number] = chosen
    clock = _graded(manifest, policy, identity, "clock", CLOCK_MODES, manifest.requested_clock,
                    DEFAULT_CLOCK, entry.clock or default.clock or DEFAULT_CLOCK_GRANT)
    rand = _graded(manifest, policy, identity, "random", RANDOM_MODES, manifest.requested_random,
                   DEFAULT_RANDOM, entry.random or default.random or DEFAULT_RANDOM_GRANT)
    seed = entry.random_seed if entry.random_seed is not None else default.random_seed
    chosen_tier = tier or entry.tier or default.tier or "wasm"
    chosen_runtime = runtime or entry.runtime or default.runtime or detect_runtime()
    trust = entry.trust or default.trust or "untrusted"
    if chosen_tier == "subinterpreter" and trust != "trusted":
        raise PolicyError(
            f"plugin {identity!r} may run on the subinterpreter tier only when {policy.source} "
            "marks it trusted (plugins.<name>.trust: \"trusted\"): that tier shares the host "
            "process and is not a security boundary", code="POLICY_DENIED", plugin=identity)
    return EffectivePlugin(
        identity=identity, tier=chosen_tier,
        trust=entry.trust or default.trust or "untrusted", runtime=chosen_runtime,
        scopes=frozenset(scopes), limits=limits, fail_policy=fail,
        config={**default.config, **entry.config},
        clock=clock, random=rand, random_seed=seed if rand == "seeded" else None,
    )


def _graded(manifest: Manifest, policy: Policy, identity: str, key: str, order: tuple[str, ...],
            requested: str | None, default: str, granted: str) -> str:
    """The effective value of a graded setting (``order``: least to most).

    A stated request above the grant is refused; an unstated one is the default,
    lowered to the grant.
    """
    if requested is None:
        return order[min(order.index(default), order.index(granted))]
    if order.index(requested) > order.index(granted):
        raise PolicyError(
            f"{manifest.path}: field sandbox.{key}: plugin {identity!r} requests {key} "
            f"{requested!r} but {policy.source} allows at most {granted!r}; allow it in the "
            f"policy (plugins.<name>.{key}) or request less", code="POLICY_DENIED", plugin=identity)
    return requested
