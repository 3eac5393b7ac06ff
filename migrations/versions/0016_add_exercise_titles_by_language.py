"""Add exercises.titles: an exercise's title in each language its file gives (null when the file
has one plain title, kept in exercises.title as before).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("exercises", sa.Column("titles", JSON, nullable=True))


def downgrade() -> None:
    # Not a batch operation: on SQLite that copies the table and drops the old one, and the
    # drop would cascade to every submission of every exercise. SQLite (3.35 on) drops a
    # column in place.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE exercises DROP COLUMN titles")
    else:
        op.drop_column("exercises", "titles")
