"""Fixtures for the fault tests: a migrated throwaway database, a Redis of the test's own, the
stack of ``grader web`` and ``grader worker`` processes on them, and the figures each test
measures (recorded in ``test-artifacts/reliability/`` and printed at the end of the run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.db import migrate
from tests.faults.servers import PostgresServer, RedisServer
from tests.faults.stack import Stack
from tests.service import infra
from tests.service.conftest import servers  # noqa: F401  (the service's fixture, shared)

FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability"


@pytest.fixture
def database_url(servers):  # noqa: F811
    """A uuid-named database on the machine's (or the run's) PostgreSQL, migrated, dropped after."""
    url, drop = infra.create_database(servers[0])
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop()


@pytest.fixture
def redis_server(tmp_path):
    """A Redis of this test's own, which it may flush, stop and start again."""
    server = RedisServer(str(tmp_path)).start()
    yield server
    server.kill()


@pytest.fixture
def postgres_server():
    """A PostgreSQL server of this test's own, which it may stop and start again."""
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.remove()


@pytest.fixture
def stack(database_url, redis_server, tmp_path):
    """The stack on the throwaway database and this test's Redis (not started yet)."""
    built = Stack(database_url, redis_server.url, tmp_path)
    yield built
    built.stop()


@pytest.fixture
def figures(request):
    """What the test measured: filled by the test, kept for docs/reliability.md and shown at
    the end of the run (the report carries it from an xdist worker)."""
    measured: dict = {}
    request.node.user_properties.append(("reliability", measured))
    yield measured
    if measured:
        FIGURES.mkdir(parents=True, exist_ok=True)
        path = FIGURES / f"{request.node.name}.json"
        path.write_text(json.dumps(measured, indent=2) + "\n")
