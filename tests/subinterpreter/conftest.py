"""Fixtures of the subinterpreter tier's tests.

``driver``: each driver-sensitive test runs on the native helper and on the pure-Python
driver; a param is skipped only where that driver cannot run in this Python (the
native helper not built: see setup.py; no ``_interpreters``/``_xxsubinterpreters``).
``make_runtime`` builds runtimes whose policy trusts every plugin (the tier refuses
untrusted ones) and closes them after the test.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from runtime import Runtime, RuntimeConfig
from runtime.backends.subinterp import SubinterpreterSettings, driver_names

from subinterp_helpers import ENRICHER, HERE, KV_USER, PROBE, REPO, probe_request, trusted_policy  # noqa: F401

HAS_SUBINTERPRETERS = bool(importlib.util.find_spec("_interpreters") or
                           importlib.util.find_spec("_xxsubinterpreters"))
pytestmark = pytest.mark.skipif(not HAS_SUBINTERPRETERS, reason="this Python has no subinterpreters")

DRIVERS = [
    pytest.param("native", id="native", marks=pytest.mark.skipif(
        "native" not in driver_names(), reason="the native helper was not built (see setup.py)")),
    pytest.param("python", id="python", marks=pytest.mark.skipif(
        not HAS_SUBINTERPRETERS, reason="this Python has no subinterpreters")),
]


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_runtime() -> Iterator[Callable[..., Runtime]]:
    made: list[Runtime] = []

    def make(*, driver: str = "auto", plugins: dict[str, Any] | None = None, **settings: Any) -> Runtime:
        rt = Runtime(RuntimeConfig(tier="subinterpreter", ephemeral=True, runtime="gateway",
                                   policy=trusted_policy(plugins),
                                   subinterpreter=SubinterpreterSettings(driver=driver, **settings)))
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()
