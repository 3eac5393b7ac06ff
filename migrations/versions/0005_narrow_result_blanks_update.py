"""Narrow the result_blanks update trigger (PostgreSQL) to the blanks that changed.

The trigger of 0003 deletes every per-blank row of every updated result and explodes the new
blanks again. A regrade updates results by the thousand, most of whose blanks come out the same
(an exercise's learning rate fixed changes the update and new-value blanks only), so it now
upserts only the entries whose JSON changed, writes only when a stored column changes, and
deletes only the rows of blanks a result no longer has. ``result_blanks`` still mirrors
``results.blanks`` exactly, whichever code path writes a result.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = """
    b.value->>'verdict', b.value->>'diagnosis',
    CASE WHEN jsonb_typeof(b.value->'got') IN ('null') THEN NULL
         ELSE (b.value->'got')::text END,
    COALESCE((b.value->>'points')::double precision, 0)
"""

# Old and new rows are paired by a hash join whatever the session set (a batch writing a chunk
# turns hash joins off to reach the big tables through their indexes).
NARROW = f"""
CREATE OR REPLACE FUNCTION result_blanks_on_update() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = on AS $$
DECLARE
    shrunk bigint[];
BEGIN
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

WHOLE = f"""
CREATE OR REPLACE FUNCTION result_blanks_on_update() RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM result_blanks USING old_results
    WHERE result_blanks.result_id = old_results.id;
    INSERT INTO result_blanks (result_id, blank, submission_id, verdict, diagnosis, got, points)
    SELECT r.id, b.key, r.submission_id, {COLUMNS}
    FROM new_results AS r CROSS JOIN LATERAL jsonb_each(r.blanks) AS b;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NARROW)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(WHOLE)
