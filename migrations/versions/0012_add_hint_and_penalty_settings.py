"""Add course_exercises.hints, hint_from and penalty: whether a wrong answer offers hints and
from which level on, and the share of its points each attempt after the first loses.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("course_exercises", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hints", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("hint_from", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("penalty", sa.Double(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("course_exercises", schema=None) as batch_op:
        batch_op.drop_column("penalty")
        batch_op.drop_column("hint_from")
        batch_op.drop_column("hints")
