"""Add course_exercises.reveal: when students see expected values and the worked solution.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("course_exercises", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reveal",
                sa.String(length=20),
                server_default="after_deadline",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("course_exercises", schema=None) as batch_op:
        batch_op.drop_column("reveal")
