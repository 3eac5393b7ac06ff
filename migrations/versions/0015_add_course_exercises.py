"""Add course-owned exercises: an exercise written in a course's editor belongs to that course
(``exercises.owner_course_id``; null for the shared exercise files), each saved version records
who saved it (``exercise_versions.author_id``), and an admin may share a course's exercise with
other courses (``exercise_shares``).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exercises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_course_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_exercises_owner_course_id"), ["owner_course_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_exercises_owner_course_id_courses"),
            "courses",
            ["owner_course_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("exercise_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_exercise_versions_author_id_users"),
            "users",
            ["author_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "exercise_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_exercise_shares_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
            name=op.f("fk_exercise_shares_exercise_id_exercises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_shares")),
        sa.UniqueConstraint(
            "exercise_id", "course_id", name=op.f("uq_exercise_shares_exercise_id_course_id")
        ),
    )
    with op.batch_alter_table("exercise_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exercise_shares_course_id"), ["course_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("exercise_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exercise_shares_course_id"))
    op.drop_table("exercise_shares")
    with op.batch_alter_table("exercise_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_exercise_versions_author_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("author_id")
    with op.batch_alter_table("exercises", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_exercises_owner_course_id_courses"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_exercises_owner_course_id"))
        batch_op.drop_column("owner_course_id")
