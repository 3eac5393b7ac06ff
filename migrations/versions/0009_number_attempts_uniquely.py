"""Give each attempt a number of its own.

A student's attempts at an exercise of a course are numbered 1, 2, ... by a unique index over
the submissions made on the site and the API (those no batch wrote), so requests sent at once
cannot share a number, nor together beat an attempt limit. Numbers that such requests had
shared before are first renumbered in the order the submissions came.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("batch_id IS NULL")
RENUMBER = """
UPDATE submissions SET attempt = numbered.number
FROM (
    SELECT id, row_number() OVER (
        PARTITION BY user_id, course_id, exercise_id ORDER BY id
    ) AS number
    FROM submissions
) AS numbered
WHERE submissions.id = numbered.id AND submissions.attempt <> numbered.number
"""


def upgrade() -> None:
    op.execute(RENUMBER)
    op.create_index(
        "uq_submissions_attempt",
        "submissions",
        ["user_id", "course_id", "exercise_id", "attempt"],
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_submissions_attempt", table_name="submissions")
