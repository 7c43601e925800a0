"""Redis and PostgreSQL servers for the shared-state tests, started by the tests themselves.

Each is started once per test session on a free loopback port in a temporary directory
and stopped afterwards (session fixtures ``redis_url`` and ``postgres_url``, made
available to every test under tests/ by tests/conftest.py). The servers come from
Debian's archive (``scripts/setup-services.sh`` installs them as root; CI runs it).
PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user (or
``nobody``) through ``runuser``.

A missing server or client library FAILS the tests that need it, with the command that
installs it; only ``GPS_ALLOW_MISSING_SERVICES=1`` (never set in CI) turns that into a skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

__all__ = ["redis_url", "postgres_url", "free_port", "missing_service", "unique_name"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing_service(message: str) -> None:
    """Fail (or, with GPS_ALLOW_MISSING_SERVICES=1, skip) with ``message``."""
    if os.environ.get("GPS_ALLOW_MISSING_SERVICES") == "1":
        pytest.skip(message)
    pytest.fail(message + " (GPS_ALLOW_MISSING_SERVICES=1 skips these tests on a machine "
                "without them; CI never sets it)", pytrace=False)


def _wait(check: Callable[[], bool], timeout: float, what: str, log: Path | None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    detail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
    pytest.fail(f"{what} did not start within {timeout} s\n{detail}", pytrace=False)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A redis-server of our own on 127.0.0.1 (no persistence); its URL."""
    try:
        import redis
    except ImportError:
        missing_service("redis-py is not installed: bash scripts/setup.sh installs the "
                        "shared-state extra")
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server is not installed: run scripts/setup-services.sh as root "
                        "(apt-get install redis-server)")
        raise AssertionError  # unreachable
    workdir = Path(tempfile.mkdtemp(prefix="gps-redis-"))
    port = free_port()
    log = workdir / "redis.log"
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir), "--logfile", str(log),
                             "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)

    def up() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"redis-server exited with {proc.returncode}:\n"
                        f"{log.read_text(errors='replace') if log.exists() else ''}", pytrace=False)
        try:
            return bool(client.ping())
        except redis.exceptions.RedisError:
            return False

    try:
        _wait(up, 15, "redis-server", log)
        client.close()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _pg_bin(name: str) -> str | None:
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    return shutil.which(name)


def _unprivileged() -> tuple[list[str], int, int] | None:
    """As root: the runuser prefix and uid/gid of an unprivileged user; else None."""
    if os.geteuid() != 0:
        return None
    for user in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            continue
        runuser = shutil.which("runuser")
        if runuser is None:
            missing_service("PostgreSQL refuses to run as root and runuser is missing "
                            "(Debian: apt-get install util-linux)")
        return [runuser, "-u", user, "--"], entry.pw_uid, entry.pw_gid
    missing_service("PostgreSQL refuses to run as root and there is no postgres or nobody user")
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL cluster of our own (initdb in a temporary directory, trust auth,
    127.0.0.1 only, fsync off); the URL of its ``gps`` database."""
    try:
        import psycopg
    except ImportError:
        missing_service("psycopg is not installed: bash scripts/setup.sh installs the "
                        "shared-state extra")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        missing_service("PostgreSQL (initdb, pg_ctl) is not installed: run "
                        "scripts/setup-services.sh as root (apt-get install postgresql)")
        raise AssertionError  # unreachable
    as_user = _unprivileged()
    prefix: list[str] = as_user[0] if as_user else []
    workdir = Path(tempfile.mkdtemp(prefix="gps-postgres-"))
    data, sock, log = workdir / "data", workdir / "sock", workdir / "postgres.log"
    sock.mkdir()
    if as_user:
        os.chmod(workdir, 0o755)
        for p in (workdir, sock):
            os.chown(p, as_user[1], as_user[2])
    port = free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    started = False
    try:
        run = subprocess.run([*prefix, initdb, "-D", str(data), "-U", "gps", "--auth=trust",
                              "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"],
                             capture_output=True, text=True, env=env, cwd=workdir)
        if run.returncode != 0:
            pytest.fail(f"initdb failed ({run.returncode}):\n{run.stdout}\n{run.stderr}", pytrace=False)
        options = (f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        run = subprocess.run([*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log),
                              "-w", "-t", "60", "start"], capture_output=True, text=True, env=env,
                             cwd=workdir)
        if run.returncode != 0:
            detail = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"pg_ctl start failed ({run.returncode}):\n{run.stdout}\n{run.stderr}\n"
                        f"{detail}", pytrace=False)
        started = True
        admin = f"postgresql://gps@127.0.0.1:{port}/postgres"
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute("CREATE DATABASE gps")
        yield f"postgresql://gps@127.0.0.1:{port}/gps"
    finally:
        if started:
            subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, env=env, cwd=workdir)
        shutil.rmtree(workdir, ignore_errors=True)


def unique_name(stem: str) -> str:
    """A fresh name (Redis key prefix, table name) so tests never see each other's data."""
    return f"{stem}_{uuid.uuid4().hex[:12]}"
