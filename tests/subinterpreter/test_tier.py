"""The subinterpreter tier behind the backend interface: trust, answers, host calls,
isolation, the pool of interpreters, worker mode and the Python it runs on."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any, Callable

import pytest

from subinterp_helpers import ENRICHER, KV_USER, PROBE, probe_request, trusted_policy
from runtime import Runtime, RuntimeConfig
from runtime.backends.subinterp import SubinterpreterBackend, own_gil, tier_status
from runtime.errors import PermissionDenied, PluginFailed, PolicyError, ServiceFailure

REQUEST = {"request": {"method": "POST", "path": "/v1/chat/completions", "headers": {},
                       "body": json.dumps({"messages": [{"role": "user", "content": "hé \u2603"}]})},
           "app_id": "42"}


def _backend(rt: Runtime) -> SubinterpreterBackend:
    backend = rt._backends["subinterpreter"]  # noqa: SLF001 - the tests look inside
    assert isinstance(backend, SubinterpreterBackend)
    return backend


def test_an_untrusted_plugin_is_refused() -> None:
    with Runtime(RuntimeConfig(tier="subinterpreter", ephemeral=True)) as rt:
        with pytest.raises(PolicyError) as info:
            rt.load(ENRICHER)
    assert info.value.code == "POLICY_DENIED"
    assert "trusted" in info.value.message and "not a security boundary" in info.value.message


def test_the_policy_marks_a_single_plugin_trusted() -> None:
    from runtime.policy import policy_from_dict
    policy = policy_from_dict({"version": 1, "plugins": {"request_enricher": {"trust": "trusted"}}})
    with Runtime(RuntimeConfig(tier="subinterpreter", ephemeral=True, policy=policy)) as rt:
        rt.load(ENRICHER)
        with pytest.raises(PolicyError):
            rt.load(PROBE)


def test_same_answers_as_the_inprocess_tier(driver: str, make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(driver=driver)
    rt.load(ENRICHER, config={"instruction": "Be brief."})
    assert _backend(rt).driver_name == driver
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True)) as ref:
        ref.load(ENRICHER, config={"instruction": "Be brief."})
        expected = ref.call("request_enricher", "process_post_auth", REQUEST)
    got = rt.call("request_enricher", "process_post_auth", REQUEST)
    assert got == expected and got["modified"] is True
    assert rt.call("request_enricher", "process_post_auth", REQUEST, timeout_ms=0) == expected


def test_host_calls_reach_the_broker_with_its_permission_checks(driver: str,
                                                                make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(driver=driver)
    rt.load(KV_USER)
    steps = [{"op": "write", "key": "a", "value": "1"}, {"op": "read", "key": "a"},
             {"op": "increment", "key": "n", "delta": 5}, {"op": "read", "key": "missing"}]
    answer = rt.call("kv_user", "handle_endpoint_request",
                     {"method": "POST", "path": "/kv", "body": json.dumps(steps)})
    assert json.loads(answer["body"]) == [{"ok": True}, {"ok": "1"}, {"ok": 5}, {"error": "NOT_FOUND"}]
    assert rt.kv.read("kv_user", "a") == b"1"
    rt.load(PROBE)
    rt.kv.write("probe", "k", "värde".encode(), None)
    assert rt.call("probe", "process_post_auth", probe_request(**{"x-mode": "kv"}))["headers"] == {
        "x-value": "värde"}


def test_an_op_the_plugin_was_not_granted_is_refused(make_runtime: Callable[..., Runtime]) -> None:
    from subinterp_helpers import REPO
    rt = make_runtime()
    rt.load(REPO / "tests" / "plugins" / "kv_not_requested")
    with Runtime(RuntimeConfig(tier="inprocess", ephemeral=True)) as ref:
        ref.load(REPO / "tests" / "plugins" / "kv_not_requested")
        hook = "process_post_auth"
        try:
            expected: Any = ref.call("kv_not_requested", hook, probe_request(**{"x-use-kv": "1"}))
        except (PermissionDenied, ServiceFailure, PluginFailed) as exc:
            expected = (type(exc), exc.code, exc.message)
    try:
        got: Any = rt.call("kv_not_requested", hook, probe_request(**{"x-use-kv": "1"}))
    except (PermissionDenied, ServiceFailure, PluginFailed) as exc:
        got = (type(exc), exc.code, exc.message)
    assert got == expected


def test_each_instance_is_its_own_interpreter(driver: str, make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(driver=driver, plugins={"probe": {"limits": {"pool_size": 2}}})
    host = rt.load(PROBE)
    counts: list[tuple[str, str]] = []
    barrier = threading.Barrier(2)

    def call() -> None:
        barrier.wait()
        h = host.call("process_post_auth", probe_request(**{"x-mode": "count", "x-seconds": "0.3"}))["headers"]
        counts.append((h["x-count"], h["x-modules"]))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # two calls at once take both instances: each interpreter has its own module state
    assert len({modules for _, modules in counts}) == 2, counts
    assert sorted(c for c, _ in counts) == ["1", "1"]


def test_interpreters_are_made_ahead_and_reused(make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(spare=1)
    rt.load(PROBE)
    backend = _backend(rt)
    deadline = time.monotonic() + 10
    while backend.statistics("probe").interpreters_created < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    stats = backend.statistics("probe")
    assert stats.interpreters_created == 2  # one in use, one spare
    for _ in range(3):
        with pytest.raises(Exception):
            rt.call("probe", "process_post_auth", probe_request(**{"x-mode": "spin"}), timeout_ms=50)
        assert rt.call("probe", "process_post_auth", probe_request())["headers"] == {"x-probe": "ok"}
    stats = backend.statistics("probe")
    assert stats.deadlines == 3 and stats.interpreters_destroyed == 0
    assert stats.interpreters_created == 2  # stopped interpreters serve the replacement instances


def test_every_interpreter_is_destroyed_on_close(driver: str) -> None:
    from runtime.backends.subinterp import SubinterpreterSettings
    rt = Runtime(RuntimeConfig(tier="subinterpreter", ephemeral=True, policy=trusted_policy(
        {"probe": {"limits": {"pool_size": 3}}}), subinterpreter=SubinterpreterSettings(driver=driver)))
    rt.load(PROBE)
    rt.load(ENRICHER)
    backend = _backend(rt)
    interps = list(backend._interps.values())  # noqa: SLF001
    assert len(interps) >= 4 and all(i.alive for i in interps)  # in use (spares may be on the way)
    rt.close()
    assert not backend._interps and not any(i.alive for i in interps)  # noqa: SLF001


def test_a_reload_retires_the_old_interpreters(make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime()
    rt.load(PROBE)
    backend = _backend(rt)
    rt.unload("probe")
    rt.load(PROBE)
    assert rt.call("probe", "process_post_auth", probe_request(**{"x-mode": "count"}))["headers"]["x-count"] == "1"
    rt.close()
    assert not backend._interps  # noqa: SLF001


@pytest.mark.parametrize("heavy_by", ["policy", "settings"])
def test_heavy_plugins_run_on_worker_threads(heavy_by: str, make_runtime: Callable[..., Runtime]) -> None:
    if heavy_by == "policy":
        rt = make_runtime(plugins={"probe": {"heavy": True}})
    else:
        rt = make_runtime(heavy=frozenset({"probe"}))
    rt.load(PROBE)
    assert _backend(rt).statistics("probe").mode == "worker"
    rt.kv.write("probe", "k", b"v", None)
    assert rt.call("probe", "process_post_auth", probe_request(**{"x-mode": "kv"}))["headers"] == {"x-value": "v"}
    worker = rt.call("probe", "process_post_auth", probe_request(**{"x-mode": "thread"}))["headers"]["x-thread"]
    assert int(worker) != threading.get_native_id()  # the interpreter's own host thread


def test_same_thread_mode_runs_in_the_callers_thread(make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime(driver="native")
    rt.load(PROBE)
    for _ in range(2):
        got = rt.call("probe", "process_post_auth", probe_request(**{"x-mode": "thread"}), timeout_ms=0)
        assert int(got["headers"]["x-thread"]) == threading.get_native_id()


def test_runtime_info_names_the_gil_mode() -> None:
    status = tier_status()
    if sys.version_info >= (3, 12):
        assert own_gil() and "own GIL per interpreter" in status
    else:
        assert not own_gil() and "shared GIL" in status and "3.12+" in status
    out = subprocess.run([sys.executable, "-m", "runtime.cli.main", "info", "--json"], capture_output=True,
                         text=True, timeout=60, check=True)
    doc = json.loads(out.stdout)
    assert doc["tiers"]["subinterpreter"] == status


def test_bench_rows_name_the_python(make_runtime: Callable[..., Runtime]) -> None:
    out = subprocess.run([sys.executable, "-m", "runtime.cli.main", "bench", "--quick", "--json",
                          "--only", "post_auth/subinterpreter", "--only", "subinterpreter/"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {r["id"]: r for r in json.loads(out.stdout.strip().splitlines()[-1])["rows"]}
    for row_id in ("post_auth/subinterpreter", "post_auth/subinterpreter+kv",
                   "post_auth/subinterpreter+deadline", "subinterpreter/2interp_speedup"):
        assert row_id in rows
        version = ".".join(map(str, sys.version_info[:3]))
        assert f"Python {version}" in rows[row_id]["note"]
        assert ("shared GIL" in rows[row_id]["note"]) == (sys.version_info < (3, 12))
        assert rows[row_id]["median"] > 0


def test_the_pure_python_driver_is_chosen_where_the_helper_was_not_built(
        monkeypatch: pytest.MonkeyPatch, make_runtime: Callable[..., Runtime]) -> None:
    import runtime.backends.subinterp as subinterp
    monkeypatch.setattr(subinterp, "_native_module", lambda: None)
    assert subinterp.driver_names() == ["python"]
    assert "pure-Python driver" in subinterp.tier_status()
    rt = make_runtime()
    rt.load(ENRICHER)
    assert _backend(rt).driver_name == "python"
    assert rt.call("request_enricher", "process_post_auth", REQUEST)["modified"] is True
    with pytest.raises(Exception, match="native helper is not built"):
        subinterp.SubinterpreterBackend(subinterp.SubinterpreterSettings(driver="native"))
