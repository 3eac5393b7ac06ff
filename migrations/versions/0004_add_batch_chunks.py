"""Add batch_chunks (a batch cut into chunks that workers grade and write in one transaction
each), the batch's exercise version, source and rejected-line count, and submissions.source_id
(the id an imported line had in its file).

A chunk's status row is what makes a batch safe to run twice and to lose a worker: the chunk's
results and its ``done`` are committed together, so a redelivered chunk finds itself done.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("rejected", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_batches_version_id_exercise_versions"),
            "exercise_versions",
            ["version_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.String(length=200), nullable=True))

    op.create_table(
        "batch_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("first_id", BIG_ID, nullable=True),
        sa.Column("last_id", BIG_ID, nullable=True),
        sa.Column("lines", JSON, nullable=True),
        sa.Column("graded", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
            name=op.f("fk_batch_chunks_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_chunks")),
        sa.UniqueConstraint("batch_id", "number", name=op.f("uq_batch_chunks_batch_id_number")),
    )
    op.create_index(
        "ix_batch_chunks_status_status_changed_at",
        "batch_chunks",
        ["status", "status_changed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_batch_chunks_status_status_changed_at", table_name="batch_chunks")
    op.drop_table("batch_chunks")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("source_id")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_batches_version_id_exercise_versions"), type_="foreignkey"
        )
        batch_op.drop_column("rejected")
        batch_op.drop_column("source")
        batch_op.drop_column("version_id")
