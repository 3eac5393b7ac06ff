"""Where PostgreSQL or Redis is missing, the run fails (never skips) and says what to install."""

from __future__ import annotations

import pytest

from tests.service import infra


def test_missing_postgres_binaries_fail_with_what_to_install(monkeypatch):
    monkeypatch.setattr(infra, "postgres_binary", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install postgresql"):
        infra.start_postgres(infra.Throwaway())


def test_missing_redis_binary_fails_with_what_to_install(monkeypatch):
    monkeypatch.setattr(infra.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install redis-server"):
        infra.start_redis(infra.Throwaway())


def test_each_xdist_worker_gets_its_own_test_redis_database():
    numbers = {infra.redis_db_for(worker) for worker in ("gw0", "gw1", "gw2", "master")}
    assert len(numbers) == 4 and all(10 <= n <= 15 for n in numbers)
