"""Guard regrades: one at a time per exercise of a course, results an older batch leaves
alone, the submissions a regrade could not grade kept per chunk, and the redraw choice.

A regrade batch is unfinished while ``queued`` or ``running``; a unique index over those rows
refuses a second regrade of the same exercise in the same course until the first is over.
A result names the regrade batch that wrote it (null: graded live or imported), so a late chunk
of an older batch cannot replace what a newer one wrote. A regrade no longer marks a submission
it cannot grade ``failed`` (which hid its earlier result): its chunk lists them with the reason.
``redraw`` marks a regrade that grades against values drawn anew from the current version.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING_REGRADE = sa.text("kind = 'regrade' AND status IN ('queued', 'running')")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Of two unfinished regrades of one exercise in one course, the older gives way to the newer.
OLDER_REGRADES = """
SELECT b.id FROM batches b
WHERE b.kind = 'regrade' AND b.status IN ('queued', 'running') AND EXISTS (
    SELECT 1 FROM batches n
    WHERE n.kind = 'regrade' AND n.status IN ('queued', 'running')
      AND n.course_id = b.course_id AND n.exercise_id = b.exercise_id AND n.id > b.id)
"""


def upgrade() -> None:
    # Plain ALTER TABLE on SQLite too (3.35+): a batch copy of ``results`` would drop its
    # triggers.
    op.add_column(
        "batches", sa.Column("redraw", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("batch_chunks", sa.Column("failures", JSON, nullable=True))
    op.add_column("results", sa.Column("batch_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE batch_chunks SET status = 'failed', error = 'a newer regrade took its place' "
        f"WHERE status IN ('queued', 'grading') AND batch_id IN ({OLDER_REGRADES})"
    )
    op.execute(f"UPDATE batches SET status = 'failed' WHERE id IN ({OLDER_REGRADES})")
    op.create_index(
        "uq_batches_running_regrade",
        "batches",
        ["course_id", "exercise_id"],
        unique=True,
        postgresql_where=RUNNING_REGRADE,
        sqlite_where=RUNNING_REGRADE,
    )


def downgrade() -> None:
    op.drop_index("uq_batches_running_regrade", table_name="batches")
    op.drop_column("results", "batch_id")
    op.drop_column("batch_chunks", "failures")
    op.drop_column("batches", "redraw")
