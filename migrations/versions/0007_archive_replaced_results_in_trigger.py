"""Archive the results a regrade replaces from the update trigger (PostgreSQL).

A batch regrade used three passes over a chunk's results: find the changed ones, copy them to
result_history, then replace them. The statement trigger that keeps result_blanks already has
every replaced row (its ``old_results`` transition table), so it now also archives them when
the transaction names the regrading batch in the setting ``grader.archive_batch``; the batch
replaces its changed results with one upsert. Other updates (a live submission graded twice)
leave the setting empty and archive nothing, as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 17:10:00.000000
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = """
    b.value->>'verdict', b.value->>'diagnosis',
    CASE WHEN jsonb_typeof(b.value->'got') IN ('null') THEN NULL
         ELSE (b.value->'got')::text END,
    COALESCE((b.value->>'points')::double precision, 0)
"""

ARCHIVING = f"""
CREATE OR REPLACE FUNCTION result_blanks_on_update() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = on AS $$
DECLARE
    shrunk bigint[];
    batch text := current_setting('grader.archive_batch', true);
BEGIN
    IF batch IS NOT NULL AND batch <> '' THEN
        INSERT INTO result_history (submission_id, batch_id, score, max_score, variant, blanks,
                                    engine_version, exercise_hash, graded_at, archived_at)
        SELECT o.submission_id, batch::integer, o.score, o.max_score, o.variant, o.blanks,
               o.engine_version, o.exercise_hash, o.created_at, now()
        FROM old_results o;
    END IF;

    SELECT array_agg(n.id) INTO shrunk
    FROM new_results n JOIN old_results o ON o.id = n.id
    WHERE EXISTS (SELECT 1 FROM jsonb_object_keys(o.blanks) AS k WHERE NOT n.blanks ? k);
    IF shrunk IS NOT NULL THEN
        DELETE FROM result_blanks AS rb USING new_results n
        WHERE rb.result_id = ANY (shrunk) AND n.id = rb.result_id AND NOT n.blanks ? rb.blank;
    END IF;

    INSERT INTO result_blanks (result_id, blank, submission_id, verdict, diagnosis, got, points)
    SELECT n.id, b.key, n.submission_id, {COLUMNS}
    FROM new_results n JOIN old_results o ON o.id = n.id
    CROSS JOIN LATERAL jsonb_each(n.blanks) AS b
    WHERE (o.blanks IS DISTINCT FROM n.blanks OR o.submission_id <> n.submission_id)
      AND ((o.blanks -> b.key) IS DISTINCT FROM b.value OR o.submission_id <> n.submission_id)
    ON CONFLICT (result_id, blank) DO UPDATE SET
        submission_id = excluded.submission_id, verdict = excluded.verdict,
        diagnosis = excluded.diagnosis, got = excluded.got, points = excluded.points
    WHERE (result_blanks.submission_id, result_blanks.verdict, result_blanks.diagnosis,
           result_blanks.got, result_blanks.points)
          IS DISTINCT FROM (excluded.submission_id, excluded.verdict, excluded.diagnosis,
                            excluded.got, excluded.points);
    RETURN NULL;
END $$;
"""


def _previous() -> str:
    """The function as migration 0005 left it."""
    path = Path(__file__).with_name("0005_narrow_result_blanks_update.py")
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.NARROW


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ARCHIVING)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_previous())
