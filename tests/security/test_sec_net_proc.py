"""Containment: network, processes, signals, threads, exits, services without scope.

Attempts run in attacker_net_proc (no scopes requested). Network attempts aim at a TCP
and a UDP listener this test opens on 127.0.0.1; each test checks that no connection
or datagram arrived, and that the plugin then serves a well-behaved request.
"""

from __future__ import annotations

import json
import socket
from typing import Iterator

import pytest

from runtime import Runtime
from security_catalogue import Mechanism, catalogued
from security_helpers import (assert_guest_raised, assert_host_code, assert_serves, run_mechanism,
                              stats)

pytestmark = pytest.mark.slow


class Listeners:
    """A TCP listener and a UDP socket on 127.0.0.1 (and a TCP listener on ::1 if any)."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(8)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp_port = self.udp.getsockname()[1]
        self.tcp6: socket.socket | None = None
        if socket.has_ipv6:
            try:
                s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
                try:
                    s6.bind(("::1", self.port))
                    s6.listen(8)
                    self.tcp6 = s6
                except OSError:
                    s6.close()
            except OSError:
                pass

    def headers(self) -> dict[str, str]:
        return {"x-port": str(self.port), "x-udp-port": str(self.udp_port)}

    def assert_nothing_arrived(self) -> None:
        for listener in (self.tcp, self.tcp6):
            if listener is None:
                continue
            listener.settimeout(0.05)
            with pytest.raises(socket.timeout):
                conn, peer = listener.accept()
                conn.close()
                raise AssertionError(f"the guest connected from {peer}")
        self.udp.settimeout(0.05)
        with pytest.raises(socket.timeout):
            data, peer = self.udp.recvfrom(100)
            raise AssertionError(f"the guest sent {data!r} from {peer}")

    def close(self) -> None:
        for s in (self.tcp, self.udp, self.tcp6):
            if s is not None:
                s.close()


@pytest.fixture
def listeners() -> Iterator[Listeners]:
    ls = Listeners()
    try:
        yield ls
    finally:
        ls.close()


@catalogued
def test_network_attempt_is_refused(mech: Mechanism, rt: Runtime, listeners: Listeners) -> None:
    report = run_mechanism(rt, mech, **listeners.headers())
    assert_guest_raised(report, mech)
    listeners.assert_nothing_arrived()
    assert_serves(rt, "net")


@catalogued
def test_process_attempt_is_refused(mech: Mechanism, rt: Runtime) -> None:
    report = run_mechanism(rt, mech)
    assert_guest_raised(report, mech)
    if mech.id == "proc.subprocess":
        assert report["message"] == "[Errno 58] wasi does not support processes."
    assert "uid=" not in json.dumps(report)  # no output of `id` came back
    assert_serves(rt, "net")


@catalogued
def test_signal_stays_in_the_guest(mech: Mechanism, rt: Runtime) -> None:
    assert_guest_raised(run_mechanism(rt, mech), mech)
    assert_serves(rt, "net")


@catalogued
def test_fatal_signal_breaks_only_the_instance(mech: Mechanism, rt: Runtime) -> None:
    error = assert_host_code(rt, mech)
    assert "trap" in error.message


@catalogued
def test_thread_attempt_is_refused(mech: Mechanism, rt: Runtime) -> None:
    assert_guest_raised(run_mechanism(rt, mech), mech)
    assert_serves(rt, "net")


@catalogued
def test_exit_is_contained(mech: Mechanism, rt: Runtime) -> None:
    error = assert_host_code(rt, mech)
    expected = {
        "exit.sys_exit": "SystemExit: 3",
        "exit.keyboard_interrupt": "KeyboardInterrupt",
        "exit.base_exception": "the guest SDK failed: _NotAnException",
        "exit.thread_exit": "SystemExit",
        "exit.os_exit": "exited the sandbox",
        "exit.abort": "unreachable",
    }[mech.id]
    assert expected in error.message, error
    # closed fail policy: the caller of a request hook gets the block answer, not the error
    answer, failure = rt.call_or_fail_answer("attacker-net-proc", "process_post_auth",
                                             {"request": {"path": "/" + mech.attempt_name}})
    assert failure is not None and failure.code == mech.code
    assert answer["block"] is True and answer["status_code"] == 503
    assert_serves(rt, "net")


@catalogued
def test_service_without_scope_is_denied(mech: Mechanism, rt: Runtime) -> None:
    report = run_mechanism(rt, mech)
    assert_guest_raised(report, mech)
    assert report["code"] == mech.code
    assert_serves(rt, "net")


@catalogued
def test_hostile_exception_str(mech: Mechanism, rt: Runtime) -> None:
    before = stats(rt, "net").instances_replaced
    error = assert_host_code(rt, mech)
    assert error.message == "the guest failed while answering", error
    assert stats(rt, "net").instances_replaced == before
