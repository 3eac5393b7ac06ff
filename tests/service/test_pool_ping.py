"""Pooled PostgreSQL connections: one that sat idle is pinged before it is handed out, and one
the server dropped is replaced without the caller seeing an error; one handed back moments ago
is handed out again without a ping."""

from __future__ import annotations

import psycopg
from sqlalchemy import text

from grader.db import session as db_session
from grader.db.session import make_engine


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def drop_backend(postgres_url: str, pid: int) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            pass


def test_an_idle_connection_the_server_dropped_is_replaced(postgres_url, monkeypatch):
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        first = backend_pid(engine)
        drop_backend(postgres_url, first)
        second = backend_pid(engine)  # no error: the ping found it dead, a new one answered
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_back_moments_ago_is_not_pinged(postgres_url, monkeypatch):
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_SECONDS", 3600.0)
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    pings = []
    original = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or original(c))
    try:
        pids = {backend_pid(engine) for _ in range(5)}
        assert len(pids) == 1 and pings == []
    finally:
        engine.dispose()
