"""Bulk writes for batch chunks: a session's own staging table, filled with COPY on PostgreSQL
(one executemany on SQLite), from which set-based statements write submissions and results.

The staged rows never leave the transaction: the table is emptied before each use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

STAGE = "batch_stage"
CHANGED = "batch_changed"

# name, PostgreSQL type, SQLite type
STAGE_COLUMNS = (
    ("submission_id", "bigint", "INTEGER"),
    ("user_id", "integer", "INTEGER"),
    ("exercise_id", "integer", "INTEGER"),
    ("version_id", "integer", "INTEGER"),
    ("variant_id", "integer", "INTEGER"),
    ("attempt", "integer", "INTEGER"),
    ("idempotency_key", "text", "TEXT"),
    ("source_id", "text", "TEXT"),
    ("answers", "jsonb", "TEXT"),
    ("explicit_values", "jsonb", "TEXT"),
    ("score", "double precision", "REAL"),
    ("max_score", "double precision", "REAL"),
    ("variant", "jsonb", "TEXT"),
    ("blanks", "jsonb", "TEXT"),
    ("exercise_hash", "text", "TEXT"),
    ("error", "text", "TEXT"),
)
STAGE_NAMES = tuple(name for name, _, _ in STAGE_COLUMNS)


def postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _create(session: Session) -> None:
    column = 1 if postgres(session) else 2
    columns = ", ".join(f"{spec[0]} {spec[column]}" for spec in STAGE_COLUMNS)
    session.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} ({columns})"))
    session.execute(
        text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {CHANGED} (submission_id bigint PRIMARY KEY)")
    )
    # TRUNCATE leaves no dead rows behind in a temporary table (autovacuum never visits one).
    empty = "TRUNCATE {}" if postgres(session) else "DELETE FROM {}"
    session.execute(text(empty.format(STAGE)))
    session.execute(text(empty.format(CHANGED)))


def stage(session: Session, rows: Iterable[Sequence]) -> None:
    """Put ``rows`` (values in :data:`STAGE_NAMES` order, JSON as text) in the staging table."""
    _create(session)
    names = ", ".join(STAGE_NAMES)
    if postgres(session):
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {STAGE} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # A chunk is a few thousand rows of tables that may hold millions: join it by their
        # indexes, never by scanning and hashing a whole table (as the planner will when a big
        # table's statistics lag behind an import). This includes the results triggers'
        # statements, whose transition tables it cannot estimate. JIT compiling would take
        # longer than the statements. The commit need not wait for the disk: were it lost in
        # a crash, the chunk would still be ``grading`` and graded again (idempotent).
        session.execute(
            text(
                "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
                "SET LOCAL jit = off; SET LOCAL synchronous_commit = off"
            )
        )
        return
    marks = ", ".join("?" * len(STAGE_NAMES))
    staged = [tuple(row) for row in rows]
    if staged:  # the driver refuses an executemany of no rows
        session.connection().exec_driver_sql(
            f"INSERT INTO {STAGE} ({names}) VALUES ({marks})", staged
        )


def one_of(session: Session, column, values: Sequence):
    """``column IN values``: on PostgreSQL one array parameter, unnested so the planner joins it
    (a statement with thousands of placeholders costs more to prepare than to run, and
    ``= ANY(array)`` searches the array once per row); a list of placeholders on SQLite."""
    if postgres(session):
        array = bindparam(None, list(values), type_=ARRAY(column.type))
        return column.in_(select(func.unnest(array)).scalar_subquery())
    return column.in_(list(values))


def same_json(left: str, right: str, session: Session) -> str:
    """SQL true when two JSON columns hold the same value (SQLite keeps JSON as text)."""
    return f"{left} = {right}" if postgres(session) else f"json({left}) = json({right})"


def begin_write(session: Session) -> None:
    """Start the session's next transaction as a writer. On SQLite it takes the write lock at
    once (``BEGIN IMMEDIATE``), so what it reads before writing (the next free id) stays true
    until it commits, and a live submission waits for it instead of taking that id; PostgreSQL
    takes row locks as it goes."""
    if postgres(session):
        return
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def id_taken(exc: IntegrityError, table: str) -> bool:
    """Whether an INSERT failed on a primary key of ``table`` another row had taken."""
    text_ = str(exc.orig)
    return f"pk_{table}" in text_ or f"{table}.id" in text_


def reserve_ids(session: Session, table: str, count: int) -> list[int]:
    """``count`` new primary keys for ``table``, taken before the rows are written (on SQLite,
    inside a transaction :func:`begin_write` started)."""
    if count == 0:
        return []
    if postgres(session):
        # The sequence is looked up once (OFFSET 0 keeps the planner from doing it per id, which
        # took ten times as long as the ids themselves); the ids come back as one array, not a
        # row each.
        return session.scalar(
            text(
                "SELECT array_agg(nextval(q.sequence)) FROM (SELECT CAST(pg_get_serial_sequence("
                f"'{table}', 'id') AS regclass) AS sequence OFFSET 0) AS q, "
                "generate_series(1, :n)"
            ),
            {"n": count},
        )
    top = session.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))
    return list(range(top + 1, top + 1 + count))
