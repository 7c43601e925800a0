"""Durability of the SQLite KV (WAL mode): a child process streams ``kv.write`` and
``kv.increment`` ops through the service broker from two threads and reports each
acknowledged answer on a pipe; the test SIGKILLs it mid-stream, reopens the store and
checks that every acknowledged write is there (and each counter is at least its last
acknowledged value). Repeated several times on the same file.

``synchronous=NORMAL`` in WAL mode survives a killed process (what this checks); an
operating-system crash or power loss may lose the last transactions.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reliability_helpers import REPO
from runtime.broker.kv import SQLiteKV

pytestmark = pytest.mark.durability

ROUNDS = int(os.environ.get("GPS_DURABILITY_ROUNDS", "5"))

CHILD = r"""
import sys, threading
from host_abi.envelope import decode_answer, encode_args
from runtime.broker.events import EventBus
from runtime.broker.kv import SQLiteKV
from runtime.broker.logs import PluginLogger
from runtime.broker.services import CallState, ServiceBroker
from runtime.policy import EffectivePlugin, Limits

path, round_no = sys.argv[1], int(sys.argv[2])
kv = SQLiteKV(path)
broker = ServiceBroker(kv, PluginLogger(), EventBus(lambda s, e: None))
plugin = EffectivePlugin(identity="durable", tier="wasm", trust="untrusted", runtime="studio",
                         scopes=frozenset({"kv.readwrite"}), limits=Limits(max_host_calls=1 << 62),
                         fail_policy={}, config={})
lock = threading.Lock()
out = sys.stdout

def ack(line):
    with lock:
        out.write(line + "\n")
        out.flush()

def writer(t):
    state = CallState(plugin, "process_post_auth")
    i = 0
    while True:
        key = f"r{round_no}-t{t}-{i}"
        ok, value = decode_answer(broker.handle(state, 3, encode_args(
            {"key": key, "value": f"v{i}-" + "x" * (i % 50)})))
        if not ok:
            ack(f"ERR {value['code']} {value['message']}")
            return
        ack(f"W {key} {i}")
        ok, value = decode_answer(broker.handle(state, 6, encode_args({"key": f"counter-t{t}"})))
        if not ok:
            ack(f"ERR {value['code']} {value['message']}")
            return
        ack(f"C t{t} {value['value']}")
        i += 1

threads = [threading.Thread(target=writer, args=(t,)) for t in range(2)]
for th in threads:
    th.start()
ack("READY")
for th in threads:
    th.join()
"""


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite3"
    rng = random.Random(4)
    total_acked = 0
    counters: dict[str, int] = {}
    for round_no in range(ROUNDS):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(round_no)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert proc.stdout is not None
        writes: dict[str, str] = {}
        target = rng.randint(300, 3000)  # acknowledgements before the kill
        acked = 0
        deadline = time.monotonic() + 60
        try:
            for line in proc.stdout:
                kind, _, rest = line.rstrip("\n").partition(" ")
                if kind == "ERR":
                    pytest.fail(f"the child's op failed: {rest}")
                if kind == "W":
                    key, i = rest.split(" ")
                    writes[key] = f"v{i}-" + "x" * (int(i) % 50)
                    acked += 1
                elif kind == "C":
                    name, value = rest.split(" ")
                    counters[name] = max(counters.get(name, 0), int(value))
                if acked >= target or time.monotonic() > deadline:
                    break
            # Killed mid-stream: both threads are between or inside transactions.
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(10)
            proc.stdout.close()
            assert proc.stderr is not None
            stderr = proc.stderr.read()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL, stderr
        assert acked >= target, f"only {acked} writes acknowledged in 60 s: {stderr}"
        kv = SQLiteKV(path)  # reopen: recovers the WAL
        try:
            missing = [k for k, v in writes.items() if kv.read("durable", k) != v.encode()]
            assert not missing, f"round {round_no}: {len(missing)} acknowledged writes lost: {missing[:5]}"
            for name, value in counters.items():
                stored = kv.read("durable", f"counter-{name}")
                assert stored is not None and int(stored) >= value, (name, stored, value)
            assert kv._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert kv._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            kv.close()
        total_acked += acked
    print(f"\n[durability] {ROUNDS} SIGKILLs, {total_acked} acknowledged writes, all present after "
          f"reopening; counters {counters}")
