"""The real services the integration tests use: this machine's PostgreSQL and Redis when they
answer, else throwaway ones started from the local binaries; missing binaries fail the run."""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import psycopg
import pytest
import redis

POSTGRES_URL = os.environ.get(
    "GRADER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("GRADER_TEST_REDIS_URL", "redis://127.0.0.1:6379")
FIRST_TEST_REDIS_DB = 10
PR_SET_PDEATHSIG = 1
TEST_REDIS_DBS = 6


def die_with_parent() -> None:
    """For Popen(preexec_fn=...): on Linux, the child gets SIGTERM when the test run dies, so
    no worker or server outlives an interrupted run."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.1)


def postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def postgres_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


@dataclass
class Throwaway:
    """Servers started for this run, stopped at its end."""

    processes: list[subprocess.Popen] = field(default_factory=list)
    cleanups: list = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for cleanup in reversed(self.cleanups):
            cleanup()


def start_postgres(throwaway: Throwaway) -> str:
    """A throwaway PostgreSQL cluster in a temporary folder (as a non-root user when root)."""
    initdb, postgres = postgres_binary("initdb"), postgres_binary("postgres")
    if not (initdb and postgres):
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} and its binaries (initdb, postgres) "
            "are not installed: install PostgreSQL (Debian: apt-get install postgresql) or "
            "set GRADER_TEST_POSTGRES_URL",
            pytrace=False,
        )
    folder = tempfile.mkdtemp(prefix="grader-pg-")
    throwaway.cleanups.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres") if _has_user("postgres") else pwd.getpwnam("nobody")
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", user.pw_name, "--"]
    data = os.path.join(folder, "data")
    subprocess.run(
        [*prefix, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    throwaway.processes.append(
        subprocess.Popen(
            [
                *prefix,
                postgres,
                "-D",
                data,
                "-p",
                str(port),
                "-k",
                folder,
                "-h",
                "127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    wait_for(lambda: postgres_answers(url), 30, "the throwaway PostgreSQL")
    return url


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def start_redis(throwaway: Throwaway) -> str:
    """A throwaway Redis on a free port, keeping nothing on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} and redis-server is not installed: "
            "install Redis (Debian: apt-get install redis-server) or set GRADER_TEST_REDIS_URL",
            pytrace=False,
        )
    port = free_port()
    throwaway.processes.append(
        subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
    )
    url = f"redis://127.0.0.1:{port}"
    wait_for(lambda: redis_answers(url), 15, "the throwaway Redis")
    return url


def server_postgres(throwaway: Throwaway) -> str:
    return POSTGRES_URL if postgres_answers(POSTGRES_URL) else start_postgres(throwaway)


def server_redis(throwaway: Throwaway) -> str:
    return REDIS_URL if redis_answers(REDIS_URL) else start_redis(throwaway)


def create_database(server_url: str) -> tuple[str, callable]:
    """A uuid-named database on the server, and the function that drops it."""
    name = f"grader_test_{uuid.uuid4().hex}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server_url.rpartition("/")

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


def redis_db_for(worker_id: str) -> int:
    """A test-only Redis database number for this xdist worker (10-15)."""
    index = int(worker_id[2:]) if worker_id.startswith("gw") else TEST_REDIS_DBS - 1
    return FIRST_TEST_REDIS_DB + index % TEST_REDIS_DBS
