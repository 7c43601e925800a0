"""Clocks and randomness are grants: what a wasm guest sees of time and randomness.

The test plugin (``plugins/clocks``) reports, from inside a hook, two readings of each
clock with work in between, the resolutions ``time.get_clock_info`` gives, and
``os.urandom``, ``random.random`` and ``uuid.uuid4``; it also sleeps and busy-waits.
"""

from __future__ import annotations

import datetime
import json
import shutil
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import runtime.backends.wasm as wasm
from host_abi.envelope import encode_request
from runtime import Runtime, RuntimeConfig
from runtime.backends.base import PluginSource
from runtime.backends.wasm import GuestEnv, WasmBackend, WasmInstance, check_wasi_names
from runtime.errors import DeadlineExceeded, ManifestError, PolicyError, SandboxBroken, TierUnavailable
from runtime.manifest import load_manifest
from runtime.policy import Policy, effective_settings, policy_from_dict
from wasm_helpers import HERE, HOOK_POST_AUTH, HostCalls

pytestmark = pytest.mark.slow

CLOCKS = HERE / "plugins" / "clocks"
MS = 1_000_000


@pytest.fixture(scope="module")
def clocks(backend: WasmBackend) -> PluginSource:
    source = PluginSource("clocks", CLOCKS, "plugin", "create_plugin")
    backend.prepare(source)
    return source


@pytest.fixture
def make(backend: WasmBackend, clocks: PluginSource) -> Iterator[Any]:
    """``make(**settings)``: a new instance of the clocks plugin, closed after the test."""
    made: list[WasmInstance] = []

    def _make(**settings: Any) -> WasmInstance:
        instance = backend.instantiate(clocks, HostCalls(), **settings)
        made.append(instance)
        return instance

    yield _make
    for instance in made:
        instance.close()


def _request(path: str) -> str:
    return encode_request({"request": {"method": "GET", "path": path, "headers": {}}, "app_id": "1"})


def report(instance: WasmInstance, path: str = "/read", timeout_ms: int | None = 5000) -> dict[str, Any]:
    answer = json.loads(instance.handle(HOOK_POST_AUTH, _request(path), timeout_ms))
    assert "ok" in answer, answer
    return json.loads(answer["ok"]["headers"]["x-report"])  # type: ignore[no-any-return]


def _epoch_ns(iso: str) -> int:
    """``datetime.now().isoformat()`` of the guest (naive, UTC) in ns since the epoch."""
    moment = datetime.datetime.fromisoformat(iso).replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def _randomness(r: dict[str, Any]) -> tuple[str, float, str]:
    return r["urandom"], r["random"], r["uuid"]


# --------------------------------------------------------------------------- clocks


def test_real_clock_is_the_hosts(make: Any) -> None:
    inst = make(clock="real")
    r = report(inst)
    host = time.time_ns()
    assert all(abs(host - t) < 10**9 for t in r["wall"])
    assert all(abs(host - _epoch_ns(d)) < 10**9 for d in r["datetime"])
    assert r["wall"][1] > r["wall"][0] and r["mono"][1] > r["mono"][0]
    assert any(t % MS for t in r["wall"] + r["mono"])  # nanoseconds, not whole ms
    assert r["res_wall"] == r["res_mono"] == pytest.approx(1e-9)


def test_coarse_readings_are_whole_milliseconds(make: Any) -> None:
    inst = make(clock="coarse")
    for _ in range(3):
        r = report(inst)
        assert all(t % MS == 0 for t in r["wall"] + r["mono"] + [r["perf"]]), r
        assert all(datetime.datetime.fromisoformat(d).microsecond % 1000 == 0 for d in r["datetime"])
        assert abs(time.time_ns() - r["wall"][0]) < 10**9
        assert r["wall"][1] >= r["wall"][0] and r["mono"][1] >= r["mono"][0]
        assert r["res_wall"] == r["res_mono"] == pytest.approx(0.001)


def test_frozen_clock_is_constant_within_a_call_and_moves_between_calls(make: Any) -> None:
    inst = make(clock="frozen")
    first = report(inst)
    time.sleep(0.005)
    second = report(inst)
    for r in (first, second):
        assert r["wall"][0] == r["wall"][1] and r["mono"][0] == r["mono"][1]
        assert r["datetime"][0] == r["datetime"][1] and r["perf"] == r["mono"][0]
        assert all(t % MS == 0 for t in r["wall"] + r["mono"])
        assert abs(time.time_ns() - r["wall"][0]) < 10**9
        assert r["res_wall"] == r["res_mono"] == pytest.approx(0.001)
    assert second["wall"][0] >= first["wall"][0] + 5 * MS
    assert second["mono"][0] >= first["mono"][0] + 5 * MS
    assert second["datetime"][0] != first["datetime"][0]


def test_monotonic_clock_counts_from_the_stores_creation(make: Any) -> None:
    before = time.monotonic_ns()
    inst = make(clock="real")
    mono = report(inst)["mono"][0]
    assert 0 <= mono <= time.monotonic_ns() - before


@pytest.mark.parametrize("clock", ["real", "coarse", "frozen"])
def test_sleep_returns_under_every_clock(make: Any, clock: str) -> None:
    inst = make(clock=clock)
    report(inst, "/none")  # the first call reseeds random: keep it out of the timing
    started = time.perf_counter()
    r = report(inst, "/sleep", timeout_ms=2000)
    took = time.perf_counter() - started
    assert took < 1.0
    if clock == "frozen":
        assert r["mono"][0] == r["mono"][1]
    else:  # the guest's own clock saw the sleep
        assert r["mono"][1] - r["mono"][0] >= 9 * MS
        assert took >= 0.009


def test_busy_wait_on_a_frozen_clock_is_stopped_by_the_deadline(make: Any) -> None:
    inst = make(clock="frozen")
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded):
        report(inst, "/busy", timeout_ms=200)
    assert time.perf_counter() - started < 2.0
    assert isinstance(inst.broken, DeadlineExceeded)


def test_busy_wait_on_a_coarse_clock_ends(make: Any) -> None:
    inst = make(clock="coarse")
    assert report(inst, "/busy", timeout_ms=5000)["reads"] > 0


# --------------------------------------------------------------------------- waits and deadlines


def test_a_wait_that_ends_before_the_deadline_is_as_long_as_asked(make: Any) -> None:
    inst = make(clock="real")
    report(inst, "/none")
    started = time.perf_counter()
    r = report(inst, "/sleep?n=60", timeout_ms=2000)
    assert time.perf_counter() - started >= 0.06
    assert r["mono"][1] - r["mono"][0] >= 59 * MS


@pytest.mark.parametrize("clock", ["real", "frozen"])
@pytest.mark.parametrize("wait", ["sleep", "select"])
def test_a_wait_that_would_outlast_the_deadline_ends_at_it(
        make: Any, backend: WasmBackend, clocks: PluginSource, wait: str, clock: str) -> None:
    """time.sleep and select block in wasmtime's WASI code, out of the epoch's reach: the
    host's subscribe-* end the wait at the deadline and the guest traps on resuming."""
    inst = make(clock=clock)
    report(inst, "/none")
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded):
        report(inst, f"/{wait}?n=3000", timeout_ms=300)
    took = time.perf_counter() - started
    assert 0.29 <= took < 1.0, f"the caller was held {took:.2f} s"
    assert isinstance(inst.broken, DeadlineExceeded)
    assert report(make(clock=clock), "/read")["wall"]  # a fresh instance serves


def test_a_wait_in_a_call_without_a_deadline_is_left_as_asked(make: Any) -> None:
    inst = make(clock="real")
    report(inst, "/none", timeout_ms=None)
    started = time.perf_counter()
    report(inst, "/sleep?n=300", timeout_ms=None)
    assert time.perf_counter() - started >= 0.3


# --------------------------------------------------------------------------- random


def test_seeded_instances_with_the_same_seed_agree(make: Any) -> None:
    a, b = make(random="seeded", random_seed=1234), make(random="seeded", random_seed=1234)
    other = make(random="seeded", random_seed=1235)
    runs = [[_randomness(report(inst)) for _ in range(3)] for inst in (a, b, other)]
    assert runs[0] == runs[1]
    assert len({r[0] for r in runs[0]}) == 3  # a stream, not one value repeated
    assert all(x != y for x, y in zip(runs[0], runs[2]))


def test_seeded_instances_without_a_seed_differ(make: Any) -> None:
    a, b = make(random="seeded"), make(random="seeded")
    ra, rb = _randomness(report(a)), _randomness(report(b))
    assert all(x != y for x, y in zip(ra, rb))


def test_real_random_differs_between_instances(make: Any) -> None:
    a, b = make(random="real"), make(random="real")
    ra, rb = _randomness(report(a)), _randomness(report(b))
    assert all(x != y for x, y in zip(ra, rb))
    assert len(bytes.fromhex(ra[0])) == 16


def test_an_oversized_random_request_traps_instead_of_failing_the_host(
        make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    inst = make()
    report(inst, "/none")
    assert report(inst, "/urandom?n=5000") == {"length": 5000}  # CPython asks 256 bytes at a time
    monkeypatch.setattr(wasm, "MAX_RANDOM_BYTES", 100)
    with pytest.raises(SandboxBroken) as info:
        report(inst, "/urandom?n=200")
    assert "get-random-bytes(200)" in (info.value.traceback or "")


# --------------------------------------------------------------------------- backend set-up


def test_stock_host_functions_behave_the_same(
        wasm_cache_dir: Path, make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback (wasmtime-py's typed add_func) gives what the ctypes callbacks give."""
    monkeypatch.setattr(wasm, "_USE_CTYPES_HOST_FUNCS", False)
    stock = WasmBackend(cache_dir=wasm_cache_dir)
    try:
        source = PluginSource("clocks", CLOCKS, "plugin", "create_plugin")
        stock.prepare(source)
        inst = stock.instantiate(source, HostCalls(), clock="coarse", random="seeded", random_seed=9)
        try:
            r = report(inst)
        finally:
            inst.close()
    finally:
        stock.close()
    fast = report(make(clock="coarse", random="seeded", random_seed=9))
    assert _randomness(r) == _randomness(fast)
    assert all(t % MS == 0 for t in r["wall"] + r["mono"]) and r["res_wall"] == pytest.approx(0.001)


def test_the_wasi_version_is_checked_at_start(backend: WasmBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    check_wasi_names(backend.engine)  # what the backend ran: wasmtime defines every name
    monkeypatch.setattr(wasm, "_wasi_names_checked", False)
    stale = tuple((iface.replace(f"@{wasm.WASI_VERSION}", "@0.2.3"), names)
                  for iface, names in wasm.SHADOWED_WASI)
    monkeypatch.setattr(wasm, "SHADOWED_WASI", stale)
    with pytest.raises(TierUnavailable) as info:
        WasmBackend()
    assert f"registers WASI {wasm.WASI_VERSION}" in info.value.message
    assert "wasi:clocks/wall-clock@0.2.3#now" in info.value.message


def test_guest_env_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError, match="clock"):
        GuestEnv(clock="precise")
    with pytest.raises(ValueError, match="random"):
        GuestEnv(random="fixed")


# --------------------------------------------------------------------------- manifest and policy


def _plugin_copy(tmp_path: Path, **sandbox: Any) -> Path:
    directory = tmp_path / "clocks"
    shutil.copytree(CLOCKS, directory)
    path = directory / "plugin-manifest.json"
    raw = json.loads(path.read_text())
    raw["sandbox"].update(sandbox)
    path.write_text(json.dumps(raw))
    return directory


def test_a_clock_above_the_grant_is_denied(tmp_path: Path) -> None:
    directory = _plugin_copy(tmp_path, clock="real")
    policy = policy_from_dict({"version": 1, "defaults": {"clock": "coarse"}})
    with Runtime(RuntimeConfig(policy=policy, ephemeral=True)) as rt:
        with pytest.raises(PolicyError) as info:
            rt.load(directory, name="clocks")
    assert info.value.code == "POLICY_DENIED"
    assert str(directory / "plugin-manifest.json") in info.value.message
    assert "sandbox.clock" in info.value.message and "'coarse'" in info.value.message
    granted = policy_from_dict({"version": 1, "plugins": {"clocks": {"clock": "real"}}})
    assert effective_settings(load_manifest(directory), granted, "clocks").clock == "real"


def test_real_random_above_a_seeded_grant_is_denied(tmp_path: Path) -> None:
    manifest = load_manifest(_plugin_copy(tmp_path, random="real"))
    policy = policy_from_dict({"version": 1, "defaults": {"random": "seeded"}})
    with pytest.raises(PolicyError) as info:
        effective_settings(manifest, policy, "clocks")
    assert info.value.code == "POLICY_DENIED" and "sandbox.random" in info.value.message


def test_effective_clock_and_random(tmp_path: Path) -> None:
    silent = load_manifest(CLOCKS)
    assert (silent.requested_clock, silent.requested_random) == (None, None)
    eff = effective_settings(silent, Policy(), "clocks")
    assert (eff.clock, eff.random, eff.random_seed) == ("coarse", "real", None)
    # Unstated requests take the default lowered to the grant; the seed only applies to seeded.
    strict = policy_from_dict({"version": 1, "defaults": {"clock": "frozen", "random": "seeded",
                                                          "random_seed": 5}})
    eff = effective_settings(silent, strict, "clocks")
    assert (eff.clock, eff.random, eff.random_seed) == ("frozen", "seeded", 5)
    seeded_only = policy_from_dict({"version": 1, "plugins": {"clocks": {"random_seed": 5}}})
    assert effective_settings(silent, seeded_only, "clocks").random_seed is None
    asks = load_manifest(_plugin_copy(tmp_path, clock="frozen", random="seeded"))
    open_policy = policy_from_dict({"version": 1, "defaults": {"clock": "real"},
                                    "plugins": {"clocks": {"random_seed": 77}}})
    eff = effective_settings(asks, open_policy, "clocks")
    assert (eff.clock, eff.random, eff.random_seed) == ("frozen", "seeded", 77)


def test_unknown_modes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="sandbox.clock"):
        load_manifest(_plugin_copy(tmp_path, clock="precise"))
    with pytest.raises(PolicyError, match="random"):
        policy_from_dict({"version": 1, "defaults": {"random": "fixed"}})
    with pytest.raises(PolicyError, match="random_seed"):
        policy_from_dict({"version": 1, "defaults": {"random_seed": "42"}})


def test_the_runtime_applies_the_effective_settings(
        wasm_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the dispatcher: two plugins under a frozen, seeded policy."""
    monkeypatch.setenv("GPS_CACHE_DIR", str(wasm_cache_dir))
    policy = policy_from_dict({"version": 1, "defaults": {
        "clock": "frozen", "random": "seeded", "random_seed": 42}})
    request = {"request": {"method": "GET", "path": "/read", "headers": {}}, "app_id": "1"}
    with Runtime(RuntimeConfig(policy=policy, ephemeral=True, tier="wasm")) as rt:
        reports = []
        for name in ("clocks-a", "clocks-b"):
            host = rt.load(CLOCKS, name=name)
            assert (host.settings.clock, host.settings.random, host.settings.random_seed) == \
                ("frozen", "seeded", 42)
            reports.append(json.loads(rt.call(name, "process_post_auth", request)["headers"]["x-report"]))
    for r in reports:
        assert r["wall"][0] == r["wall"][1] and r["res_wall"] == pytest.approx(0.001)
    assert _randomness(reports[0]) == _randomness(reports[1])
