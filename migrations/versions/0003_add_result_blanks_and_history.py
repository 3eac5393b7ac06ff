"""Add result_blanks (each blank of each result as a row, kept by triggers), result_history
(results replaced by a regrade, for audit) and the course settings opens_at, points and
follow_through.

Analytics group by blank, verdict, diagnosis and value; over JSON blobs that means exploding every
result on every page view. The triggers explode each result once, when it is written, whichever
code path writes it (a worker, a batch, a bulk import), so the table cannot drift from ``results``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

POSTGRES_EXPLODE = """
    INSERT INTO result_blanks (result_id, blank, submission_id, verdict, diagnosis, got, points)
    SELECT r.id, b.key, r.submission_id, b.value->>'verdict', b.value->>'diagnosis',
           CASE WHEN jsonb_typeof(b.value->'got') IN ('null') THEN NULL
                ELSE (b.value->'got')::text END,
           COALESCE((b.value->>'points')::double precision, 0)
    FROM {rows} AS r CROSS JOIN LATERAL jsonb_each(r.blanks) AS b
"""

POSTGRES_TRIGGERS = f"""
CREATE FUNCTION result_blanks_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {POSTGRES_EXPLODE.format(rows="new_results")};
    RETURN NULL;
END $$;

CREATE FUNCTION result_blanks_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM result_blanks USING old_results
    WHERE result_blanks.result_id = old_results.id;
    {POSTGRES_EXPLODE.format(rows="new_results")};
    RETURN NULL;
END $$;

CREATE TRIGGER results_explode_on_insert AFTER INSERT ON results
    REFERENCING NEW TABLE AS new_results
    FOR EACH STATEMENT EXECUTE FUNCTION result_blanks_on_insert();

CREATE TRIGGER results_explode_on_update AFTER UPDATE ON results
    REFERENCING OLD TABLE AS old_results NEW TABLE AS new_results
    FOR EACH STATEMENT EXECUTE FUNCTION result_blanks_on_update();
"""

SQLITE_EXPLODE = """
    INSERT INTO result_blanks (result_id, blank, submission_id, verdict, diagnosis, got, points)
    SELECT {row}.id, b.key, {row}.submission_id, b.value ->> '$.verdict',
           b.value ->> '$.diagnosis',
           CASE WHEN json_type(b.value, '$.got') IN ('null') THEN NULL
                ELSE b.value -> '$.got' END,
           COALESCE(b.value ->> '$.points', 0)
    FROM {source} json_each({row}.blanks) AS b
"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER results_explode_on_insert AFTER INSERT ON results BEGIN
    {SQLITE_EXPLODE.format(row="NEW", source="")};
END""",
    f"""CREATE TRIGGER results_explode_on_update AFTER UPDATE ON results BEGIN
    DELETE FROM result_blanks WHERE result_id = OLD.id;
    {SQLITE_EXPLODE.format(row="NEW", source="")};
END""",
]


def upgrade() -> None:
    with op.batch_alter_table("course_exercises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("points", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("follow_through", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    op.create_table(
        "result_blanks",
        sa.Column("result_id", BIG_ID, nullable=False),
        sa.Column("blank", sa.String(length=64), nullable=False),
        sa.Column("submission_id", BIG_ID, nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("diagnosis", sa.String(length=64), nullable=True),
        sa.Column("got", sa.Text(), nullable=True),
        sa.Column("points", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["results.id"],
            name=op.f("fk_result_blanks_result_id_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("result_id", "blank", name=op.f("pk_result_blanks")),
    )
    op.create_index("ix_result_blanks_submission_id", "result_blanks", ["submission_id"])

    op.create_table(
        "result_history",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("submission_id", BIG_ID, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("max_score", sa.Double(), nullable=False),
        sa.Column("variant", JSON, nullable=False),
        sa.Column("blanks", JSON, nullable=False),
        sa.Column("engine_version", sa.String(length=20), nullable=False),
        sa.Column("exercise_hash", sa.String(length=64), nullable=False),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
            name=op.f("fk_result_history_batch_id_batches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_result_history_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_history")),
    )
    op.create_index(op.f("ix_result_history_submission_id"), "result_history", ["submission_id"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_TRIGGERS)
        op.execute(POSTGRES_EXPLODE.format(rows="results"))
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        op.execute(SQLITE_EXPLODE.format(row="results", source="results,"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER results_explode_on_update ON results")
        op.execute("DROP TRIGGER results_explode_on_insert ON results")
        op.execute("DROP FUNCTION result_blanks_on_update()")
        op.execute("DROP FUNCTION result_blanks_on_insert()")
    else:
        op.execute("DROP TRIGGER results_explode_on_update")
        op.execute("DROP TRIGGER results_explode_on_insert")
    op.drop_index(op.f("ix_result_history_submission_id"), table_name="result_history")
    op.drop_table("result_history")
    op.drop_index("ix_result_blanks_submission_id", table_name="result_blanks")
    op.drop_table("result_blanks")
    with op.batch_alter_table("course_exercises", schema=None) as batch_op:
        batch_op.drop_column("follow_through")
        batch_op.drop_column("points")
        batch_op.drop_column("opens_at")
