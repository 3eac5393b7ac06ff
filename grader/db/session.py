"""Engines and sessions: one engine per app, one session per app context."""

from __future__ import annotations

import json
import os
import time
from contextlib import suppress
from dataclasses import dataclass

import orjson
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A pooled connection idle longer than this is pinged before it is handed out (one that came
# back moments ago is not: under load that ping was a round trip per request).
PING_AFTER_IDLE_SECONDS = 1.0


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (psycopg2 is not a dependency)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def private_database_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (mode 0600: it holds password
    hashes and every answer), before SQLite would create it with the umask's mode; its WAL and
    shared-memory files take the same mode."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def ping_when_idle(engine: Engine, seconds: float) -> None:
    """Check a pooled connection with the dialect's ping before handing it out when it has sat
    in the pool for over ``seconds`` (the database may have restarted meanwhile); a dead one is
    replaced at once, as ``pool_pre_ping`` does. A connection used within the last ``seconds``
    that the server dropped fails its statement instead, and SQLAlchemy then replaces every
    connection the pool held before it."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("checked_in_at")
        if since is None or time.monotonic() - since <= seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"the database connection was lost: {exc}") from exc
        if not alive:
            raise DisconnectionError("the database connection was lost")


def json_text(value) -> str:
    """A JSON column's value as text, by orjson (an import's chunk of 5,000 lines is written in
    a fifth of the time); what orjson refuses (an integer past 64 bits) by the standard library."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def make_engine(url: str, **options) -> Engine:
    """An engine for ``url`` whose JSON columns are written and read with orjson; SQLite gets
    WAL mode, a busy timeout, foreign keys, and a file of its owner's only."""
    url = normalise_url(url)
    options.setdefault("json_serializer", json_text)
    options.setdefault("json_deserializer", orjson.loads)
    if make_url(url).get_backend_name() != "sqlite":
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
        engine = create_engine(url, **options)
        if not options.get("pool_pre_ping"):
            ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
        return engine
    private_database_file(url)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **options,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


@dataclass
class _State:
    engine: Engine
    sessions: sessionmaker[Session]


class Database:
    """The database extension: bound to an app in the factory, a session per app context."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["grader.db"] = _State(engine, sessionmaker(engine, expire_on_commit=False))
        app.teardown_appcontext(self._close_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["grader.db"].engine

    @property
    def session(self) -> Session:
        """The app context's session, opened on first use and closed at teardown."""
        context = g._get_current_object()
        session = context.get("db_session")
        if session is None:
            session = context.db_session = current_app.extensions["grader.db"].sessions()
        return session

    def new_session(self) -> Session:
        """A session of its own, for work outside the context's (the sweep, a worker thread)."""
        return current_app.extensions["grader.db"].sessions()

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
