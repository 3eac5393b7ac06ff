"""Delete a submission's archived results by trigger instead of a foreign key.

Archived results are copied from results, whose own foreign key already guarantees their
submission exists; checking result_history's key again locked each submission row once per
archived result (a regrade archives thousands per chunk). What the key gave besides, deleting
the archive with its submission (a user or course deleted), a trigger on submissions now does.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 17:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES = [
    """
CREATE FUNCTION result_history_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM result_history h USING old_submissions o WHERE h.submission_id = o.id;
    RETURN NULL;
END $$;
""",
    """
CREATE TRIGGER submissions_forget_history AFTER DELETE ON submissions
    REFERENCING OLD TABLE AS old_submissions
    FOR EACH STATEMENT EXECUTE FUNCTION result_history_forget();
""",
]
SQLITE = """
CREATE TRIGGER submissions_forget_history AFTER DELETE ON submissions BEGIN
    DELETE FROM result_history WHERE submission_id = OLD.id;
END;
"""


def upgrade() -> None:
    with op.batch_alter_table("result_history", schema=None) as batch_op:
        batch_op.drop_constraint("fk_result_history_submission_id_submissions", type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES:
            op.execute(statement)
    else:
        op.execute(SQLITE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER submissions_forget_history ON submissions")
        op.execute("DROP FUNCTION result_history_forget()")
    else:
        op.execute("DROP TRIGGER submissions_forget_history")
    with op.batch_alter_table("result_history", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_result_history_submission_id_submissions",
            "submissions",
            ["submission_id"],
            ["id"],
            ondelete="CASCADE",
        )
