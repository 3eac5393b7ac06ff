"""Delete a result's blanks by trigger instead of a foreign key.

result_blanks rows are written only by the results' own triggers, from the rows the same
statement inserted or updated, so each names a result that exists; checking the key again cost
an import a lookup per blank (five per result). What the key gave besides, deleting the blanks
with their result (a submission, user or course deleted) and refusing to change a result's id
under them, triggers on results now do.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 03:00:00.000000
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "fk_result_blanks_result_id_results"
KEEP_ID_MESSAGE = "the id of a result cannot change: its blanks name it"

POSTGRES = [
    """
CREATE FUNCTION result_blanks_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM result_blanks rb USING old_results o WHERE rb.result_id = o.id;
    RETURN NULL;
END $$;
""",
    """
CREATE TRIGGER results_forget_blanks AFTER DELETE ON results
    REFERENCING OLD TABLE AS old_results
    FOR EACH STATEMENT EXECUTE FUNCTION result_blanks_forget();
""",
    f"""
CREATE FUNCTION results_refuse_new_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{KEEP_ID_MESSAGE}' USING ERRCODE = 'foreign_key_violation';
END $$;
""",
    """
CREATE TRIGGER results_keep_id BEFORE UPDATE OF id ON results
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION results_refuse_new_id();
""",
]
SQLITE = [
    """
CREATE TRIGGER results_forget_blanks AFTER DELETE ON results BEGIN
    DELETE FROM result_blanks WHERE result_id = OLD.id;
END
""",
    f"""
CREATE TRIGGER results_keep_id BEFORE UPDATE OF id ON results
    WHEN OLD.id IS NOT NEW.id BEGIN
    SELECT RAISE(ABORT, '{KEEP_ID_MESSAGE}');
END
""",
]


@contextmanager
def rebuilt_result_blanks() -> Iterator:
    """Alter result_blanks; SQLite rebuilds the table under a new name, which it refuses while
    the results' triggers name the table, so they are set aside meanwhile, as they were."""
    bind = op.get_bind()
    triggers = []
    if bind.dialect.name == "sqlite":
        triggers = bind.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'results' AND sql LIKE '%result_blanks%'"
            )
        ).all()
        for name, _ in triggers:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("result_blanks", schema=None) as batch_op:
        yield batch_op
    for _, sql in triggers:
        op.execute(sql)


def upgrade() -> None:
    with rebuilt_result_blanks() as batch_op:
        batch_op.drop_constraint(KEY, type_="foreignkey")
    statements = POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER results_keep_id ON results")
        op.execute("DROP FUNCTION results_refuse_new_id()")
        op.execute("DROP TRIGGER results_forget_blanks ON results")
        op.execute("DROP FUNCTION result_blanks_forget()")
    else:
        op.execute("DROP TRIGGER results_keep_id")
        op.execute("DROP TRIGGER results_forget_blanks")
    with rebuilt_result_blanks() as batch_op:
        batch_op.create_foreign_key(KEY, "results", ["result_id"], ["id"], ondelete="CASCADE")
