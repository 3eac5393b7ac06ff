"""Servers a fault test may stop, flush or restart: a Redis and a PostgreSQL of its own, on free
ports, started from the local binaries (missing binaries fail the run, never skip it)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from tests.service import infra


def require(binary: str | None, name: str, package: str) -> str:
    if binary is None:
        pytest.fail(
            f"{name} is needed by the fault tests and is not installed: apt-get install {package}",
            pytrace=False,
        )
    return binary


class RedisServer:
    """A redis-server keeping nothing on disk, so a restart loses every queued message."""

    def __init__(self, folder: str):
        self.binary = require(shutil.which("redis-server"), "redis-server", "redis-server")
        self.folder = folder
        self.port = infra.free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", self.folder]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        infra.wait_for(lambda: infra.redis_answers(self.url), 30, "the fault tests' Redis")
        return self

    def kill(self) -> None:
        """Stop at once, as a crash or a restart without persistence does."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, stopped and started with pg_ctl."""

    def __init__(self):
        self.initdb = require(infra.postgres_binary("initdb"), "initdb", "postgresql")
        self.pg_ctl = require(infra.postgres_binary("pg_ctl"), "pg_ctl", "postgresql")
        self.folder = tempfile.mkdtemp(prefix="grader-faults-pg-")
        self.data = os.path.join(self.folder, "data")
        self.port = infra.free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres" if _has_user("postgres") else "nobody")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", user.pw_name, "--"]
        self._run(self.initdb, "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self.prefix, *command], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")

    def start(self) -> PostgresServer:
        options = f"-p {self.port} -k {self.folder} -h 127.0.0.1 -c fsync=off"
        log = os.path.join(self.folder, "postgres.log")
        self._run(self.pg_ctl, "-D", self.data, "-o", options, "-l", log, "-w", "-t", "60", "start")
        infra.wait_for(lambda: infra.postgres_answers(self.url), 30, "the fault tests' PostgreSQL")
        return self

    def stop(self) -> None:
        """Stop now, disconnecting every client (``pg_ctl stop -m fast``)."""
        self._run(self.pg_ctl, "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run(self.pg_ctl, "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
