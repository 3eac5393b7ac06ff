"""Lighten what an import writes: a submission's parents checked once per statement, and a
chunk's lines kept as text.

A batch chunk inserts thousands of submissions that all name the same course, exercise, version
and batch; their four foreign keys looked the same parent row up and locked it once per row,
the larger part of an import's cost in the database after the rows themselves. A trigger on
submissions now does it once per distinct parent in the statement, the same way: it locks each
named parent ``FOR KEY SHARE`` (a parent being deleted is waited for) and refuses a row whose
parent is missing; an update is checked for the parents it changes. What the keys gave besides,
triggers on the parents now do: deleting a course, exercise or version deletes its submissions,
deleting a batch leaves its submissions without one, and a parent's id cannot change. The
student's and the variant's keys stay: thousands of distinct rows per chunk, each locked once
either way, so a trigger would save nothing.

An import chunk's lines are written once, read back once whole and never searched: PostgreSQL
keeps them as ``json`` (the text as written) instead of parsing them into ``jsonb`` and printing
them back.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 05:00:00.000000
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# column, parent table, what deleting the parent does to the submissions naming it
PARENTS = (
    ("course_id", "courses", "CASCADE"),
    ("exercise_id", "exercises", "CASCADE"),
    ("exercise_version_id", "exercise_versions", "CASCADE"),
    ("batch_id", "batches", "SET NULL"),
)
MISSING_MESSAGE = "a submission names a course, exercise, version or batch that does not exist"
KEEP_ID_MESSAGE = (
    "the id of a course, exercise, version or batch cannot change: submissions name it"
)

# An update is checked as a foreign key's is: only the parents it changes, and not to null (a
# parent deleted in the same statement, a course with its batches, may leave others).
_PG_CHANGED = "".join(
    f"""
    IF NEW.{column} IS DISTINCT FROM OLD.{column} AND NEW.{column} IS NOT NULL THEN
        PERFORM FROM {table} WHERE id = NEW.{column} FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'submissions.{column} % names no row of {table}', NEW.{column}
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;"""
    for column, table, _ in PARENTS
)

POSTGRES = [
    """
CREATE FUNCTION submission_parent_missing(course integer, exercise integer, version integer,
                                          batch integer) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM FROM courses WHERE id = course FOR KEY SHARE;
    IF NOT FOUND THEN RETURN format('course %s', course); END IF;
    PERFORM FROM exercises WHERE id = exercise FOR KEY SHARE;
    IF NOT FOUND THEN RETURN format('exercise %s', exercise); END IF;
    PERFORM FROM exercise_versions WHERE id = version FOR KEY SHARE;
    IF NOT FOUND THEN RETURN format('exercise version %s', version); END IF;
    IF batch IS NOT NULL THEN
        PERFORM FROM batches WHERE id = batch FOR KEY SHARE;
        IF NOT FOUND THEN RETURN format('batch %s', batch); END IF;
    END IF;
    RETURN NULL;
END $$;
""",
    """
CREATE FUNCTION submissions_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT m INTO missing
    FROM (SELECT DISTINCT course_id, exercise_id, exercise_version_id, batch_id
          FROM new_submissions) AS n
    CROSS JOIN LATERAL submission_parent_missing(n.course_id, n.exercise_id,
                                                 n.exercise_version_id, n.batch_id) AS m
    WHERE m IS NOT NULL LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'a submission names % that does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
""",
    """
CREATE TRIGGER submissions_check_parents AFTER INSERT ON submissions
    REFERENCING NEW TABLE AS new_submissions
    FOR EACH STATEMENT EXECUTE FUNCTION submissions_check_parents();
""",
    f"""
CREATE FUNCTION submissions_check_new_parents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_PG_CHANGED}
    RETURN NULL;
END $$;
""",
    """
CREATE TRIGGER submissions_check_new_parents
    AFTER UPDATE OF course_id, exercise_id, exercise_version_id, batch_id ON submissions
    FOR EACH ROW WHEN ((OLD.course_id, OLD.exercise_id, OLD.exercise_version_id, OLD.batch_id)
                       IS DISTINCT FROM
                       (NEW.course_id, NEW.exercise_id, NEW.exercise_version_id, NEW.batch_id))
    EXECUTE FUNCTION submissions_check_new_parents();
""",
    """
CREATE FUNCTION submissions_follow_parents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'courses' THEN
        DELETE FROM submissions WHERE course_id IN (SELECT id FROM old_parents);
    ELSIF TG_TABLE_NAME = 'exercises' THEN
        DELETE FROM submissions WHERE exercise_id IN (SELECT id FROM old_parents);
    ELSIF TG_TABLE_NAME = 'exercise_versions' THEN
        DELETE FROM submissions WHERE exercise_version_id IN (SELECT id FROM old_parents);
    ELSE
        UPDATE submissions SET batch_id = NULL WHERE batch_id IN (SELECT id FROM old_parents);
    END IF;
    RETURN NULL;
END $$;
""",
    f"""
CREATE FUNCTION submission_parents_keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{KEEP_ID_MESSAGE}' USING ERRCODE = 'foreign_key_violation';
END $$;
""",
] + [
    statement
    for _, table, _ in PARENTS
    for statement in (
        f"""
CREATE TRIGGER {table}_follow_submissions AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_parents
    FOR EACH STATEMENT EXECUTE FUNCTION submissions_follow_parents();
""",
        f"""
CREATE TRIGGER {table}_keep_id BEFORE UPDATE OF id ON {table}
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION submission_parents_keep_id();
""",
    )
]


def _sqlite_follow(column: str, action: str) -> str:
    """What deleting a parent does to the submissions naming it."""
    if action == "CASCADE":
        return f"DELETE FROM submissions WHERE {column} = OLD.id"
    return f"UPDATE submissions SET {column} = NULL WHERE {column} = OLD.id"


_SQLITE_MISSING = " OR ".join(
    f"(NEW.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = NEW.{column}))"
    for column, table, _ in PARENTS
)
_SQLITE_CHANGED = " OR ".join(
    f"(NEW.{column} IS NOT OLD.{column} AND NEW.{column} IS NOT NULL "
    f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = NEW.{column}))"
    for column, table, _ in PARENTS
)
SQLITE = [
    f"""
CREATE TRIGGER submissions_check_parents BEFORE INSERT ON submissions
    WHEN {_SQLITE_MISSING} BEGIN
    SELECT RAISE(ABORT, '{MISSING_MESSAGE}');
END
""",
    f"""
CREATE TRIGGER submissions_check_new_parents
    BEFORE UPDATE OF course_id, exercise_id, exercise_version_id, batch_id ON submissions
    WHEN {_SQLITE_CHANGED} BEGIN
    SELECT RAISE(ABORT, '{MISSING_MESSAGE}');
END
""",
] + [
    statement
    for column, table, action in PARENTS
    for statement in (
        f"""
CREATE TRIGGER {table}_follow_submissions AFTER DELETE ON {table} BEGIN
    {_sqlite_follow(column, action)};
END
""",
        f"""
CREATE TRIGGER {table}_keep_id BEFORE UPDATE OF id ON {table}
    WHEN OLD.id IS NOT NEW.id BEGIN
    SELECT RAISE(ABORT, '{KEEP_ID_MESSAGE}');
END
""",
    )
]
# The triggers on submissions itself, and the functions PostgreSQL's triggers call.
SUBMISSION_TRIGGERS = ("submissions_check_parents", "submissions_check_new_parents")
POSTGRES_FUNCTIONS = (
    "submission_parents_keep_id()",
    "submissions_follow_parents()",
    "submissions_check_new_parents()",
    "submissions_check_parents()",
    "submission_parent_missing(integer, integer, integer, integer)",
)


def key(column: str, table: str) -> str:
    return f"fk_submissions_{column}_{table}"


@contextmanager
def rebuilt_submissions() -> Iterator:
    """Alter submissions; SQLite rebuilds the table, which drops the triggers on it, so they are
    put back as they were (the partial unique index of attempts too, which it does not copy
    with its condition)."""
    bind = op.get_bind()
    saved = []
    if bind.dialect.name == "sqlite":
        saved = bind.execute(
            sa.text(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'submissions' "
                "AND type IN ('trigger', 'index') AND sql IS NOT NULL"
            )
        ).all()
        for kind, name, _ in saved:
            op.execute(f"DROP {kind.upper()} {name}")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        yield batch_op
    for _, _, sql in saved:
        op.execute(sql)


def upgrade() -> None:
    with rebuilt_submissions() as batch_op:
        for column, table, _ in PARENTS:
            batch_op.drop_constraint(key(column, table), type_="foreignkey")
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES if postgres else SQLITE:
        op.execute(statement)
    if postgres:  # SQLite keeps JSON as text already
        op.alter_column(
            "batch_chunks",
            "lines",
            type_=sa.JSON(),
            existing_type=postgresql.JSONB(),
            postgresql_using="lines::json",
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.alter_column(
            "batch_chunks",
            "lines",
            type_=postgresql.JSONB(),
            existing_type=sa.JSON(),
            postgresql_using="lines::jsonb",
        )
    triggers = [(name, "submissions") for name in SUBMISSION_TRIGGERS] + [
        (f"{table}_{name}", table)
        for _, table, _ in PARENTS
        for name in ("keep_id", "follow_submissions")
    ]
    for name, table in triggers:  # PostgreSQL names a trigger's table, SQLite does not
        op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")
    if postgres:
        for function in POSTGRES_FUNCTIONS:
            op.execute(f"DROP FUNCTION {function}")
    with rebuilt_submissions() as batch_op:
        for column, table, action in PARENTS:
            batch_op.create_foreign_key(
                key(column, table), table, [column], ["id"], ondelete=action
            )
