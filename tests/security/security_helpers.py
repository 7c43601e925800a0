"""Plain helpers of the security suite (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from runtime import Runtime
from runtime.dispatch import PluginStatistics
from runtime.errors import PluginRuntimeError
from security_catalogue import ATTACKERS, Mechanism

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PLUGINS = HERE / "plugins"
MIB = 1 << 20

#: Identities of the attackers, and of the plugin whose KV and events they go after
#: (a second copy of attacker_abi: it subscribes and records the events it receives).
IDENTITY = {key: identity for key, (_, identity) in ATTACKERS.items()}
VICTIM = "victim"
TIMEOUT_MS = 400
#: Slack on top of a deadline for a loaded 2-core machine (epoch tick, replacement).
DEADLINE_SLACK_S = 0.6
MAX_HOST_CALLS = 100
MEMORY_LIMIT = 64 * MIB

#: The operator's policy: small limits so the suite stays fast. attacker-abi runs in the
#: gateway runtime (so studio ops are another runtime's), is granted apps.read it does
#: not request, and gets room for 32 MiB envelopes.
POLICY: dict[str, Any] = {
    "version": 1,
    "defaults": {"runtime": "studio", "limits": {
        "timeout_ms": TIMEOUT_MS, "memory_limit_bytes": MEMORY_LIMIT, "max_host_calls": MAX_HOST_CALLS}},
    "plugins": {
        IDENTITY["abi"]: {"runtime": "gateway",
                          "grants": ["kv.readwrite", "events.publish", "events.subscribe", "apps.read"],
                          "limits": {"timeout_ms": 5000, "memory_limit_bytes": 256 * MIB}},
        VICTIM: {"runtime": "gateway"},
        "poisoned": {"runtime": "gateway", "limits": {"pool_size": 2}},
    },
}

#: What every fail-closed process_post_auth answer looks like (ABI.md, note 1).
FAIL_CLOSED_STATUS = 503


def plugin_dir(key: str) -> Path:
    return PLUGINS / ATTACKERS[key][0]


def request(attempt: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A process_post_auth request whose path names the attempt."""
    return {"request": {"method": "POST", "path": "/" + attempt, "headers": dict(headers or {})},
            "app_id": "7", "authenticated": True}


def report_of(answer: dict[str, Any]) -> dict[str, Any]:
    body = answer.get("body", "")
    return json.loads(body.encode("latin-1")) if body else {}


def attempt(rt: Runtime, key_or_identity: str, name: str, **headers: str) -> dict[str, Any]:
    """Run one attempt and return the plugin's report (host errors raise)."""
    identity = IDENTITY.get(key_or_identity, key_or_identity)
    return report_of(rt.call(identity, "process_post_auth", request(name, headers)))


def run_mechanism(rt: Runtime, mech: Mechanism, **headers: str) -> dict[str, Any]:
    return attempt(rt, mech.plugin, mech.attempt_name, **{**dict(mech.params), **headers})


def host_error(rt: Runtime, mech: Mechanism, **headers: str) -> tuple[PluginRuntimeError, float]:
    """Run an attempt that must fail in the host; the error and the seconds it took."""
    started = time.perf_counter()
    with pytest.raises(PluginRuntimeError) as info:
        run_mechanism(rt, mech, **headers)
    return info.value, time.perf_counter() - started


def stats(rt: Runtime, key_or_identity: str) -> PluginStatistics:
    return rt.plugin(IDENTITY.get(key_or_identity, key_or_identity)).statistics()


def assert_serves(rt: Runtime, key_or_identity: str) -> dict[str, Any]:
    """The plugin answers a well-behaved request normally (perhaps on a fresh instance)."""
    report = attempt(rt, key_or_identity, "calm")
    assert report["outcome"] == "calm", report
    return report


def assert_guest_raised(report: dict[str, Any], mech: Mechanism) -> None:
    assert report.get("outcome") == "raised", f"{mech.id} got through: {report}"
    assert report["type"] == mech.raises, report


def assert_host_code(rt: Runtime, mech: Mechanism, **headers: str) -> PluginRuntimeError:
    """The call fails with the mechanism's code; traps and limits replace the instance,
    other errors keep it; the plugin then serves a well-behaved request."""
    key = mech.plugin
    before = stats(rt, key)
    error, took = host_error(rt, mech, **headers)
    assert error.code == mech.code, (mech.id, error)
    after = stats(rt, key)
    replaced = after.instances_replaced - before.instances_replaced
    if mech.code in ("SANDBOX_BROKEN", "MEMORY_EXCEEDED", "DEADLINE_EXCEEDED"):
        assert replaced == 1, (mech.id, before, after)
    else:
        assert replaced == 0, (mech.id, before, after)
    if mech.code == "DEADLINE_EXCEEDED":
        limit = rt.plugin(IDENTITY[key]).settings.limits.timeout_ms / 1000
        assert took < limit + DEADLINE_SLACK_S, f"{mech.id} ran {took:.2f} s past a {limit} s deadline"
        assert after.deadlines == before.deadlines + 1
    assert_serves(rt, key)
    return error


def op_code(report: dict[str, Any]) -> Any:
    """The host's answer code in a report: one code, or the set of codes of a dict."""
    assert report.get("outcome") == "returned", report
    data = report["data"]
    if isinstance(data, dict) and "code" in data:
        return data["code"]
    assert isinstance(data, dict) and data, report
    return set(data.values())
