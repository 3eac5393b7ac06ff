"""Bound what a login or a bearer token is good for.

A user's ``session_version`` is kept in their session cookie: logging out, a new password and
an admin's "log out everywhere" raise it, and every cookie issued before stops working.
A bearer token gets a name and an expiry; tokens issued before this migration expire 90 days
after it. (On SQLite only api_tokens, which no table references, is copied to change a column:
copying users would drop it, and with foreign keys on, every row that references a user.)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:10:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN_LIFETIME = timedelta(days=90)


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=datetime.now(UTC) + TOKEN_LIFETIME))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("name")
    # Dropped in place (SQLite 3.35+): a batch copy of users would drop the table, and with
    # foreign keys on, every row that references a user with it.
    op.drop_column("users", "session_version")
