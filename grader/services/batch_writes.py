"""Writing a graded chunk: its rows are staged in bulk, then a few set-based statements store
the submissions and results that are new or changed, archive the results a regrade replaces, and
leave every other row untouched."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from grader.checking import ENGINE_VERSION
from grader.db.base import UTCDateTime
from grader.services import bulk

NOW = bindparam("now", type_=UTCDateTime())

# A result is replaced only by a batch at least as new as the one that wrote it.
CHANGED_RESULTS = """
INSERT INTO batch_changed (submission_id)
SELECT s.submission_id FROM batch_stage s
WHERE s.error IS NULL AND NOT EXISTS (
    SELECT 1 FROM results r
    WHERE r.submission_id = s.submission_id AND (r.batch_id > :batch OR (
        r.score = s.score AND r.max_score = s.max_score
        AND r.engine_version = :engine AND r.exercise_hash = s.exercise_hash
        AND {same_variant} AND {same_blanks})))
"""
ARCHIVE = text("""
INSERT INTO result_history (submission_id, batch_id, score, max_score, variant, blanks,
                            engine_version, exercise_hash, graded_at, archived_at)
SELECT r.submission_id, :batch, r.score, r.max_score, r.variant, r.blanks,
       r.engine_version, r.exercise_hash, r.created_at, :now
FROM results r JOIN batch_changed c ON c.submission_id = r.submission_id
""").bindparams(NOW)
UPSERT_RESULTS = text("""
INSERT INTO results (submission_id, score, max_score, variant, blanks, engine_version,
                     exercise_hash, created_at, batch_id)
SELECT s.submission_id, s.score, s.max_score, s.variant, s.blanks, :engine, s.exercise_hash, :now,
       :batch
FROM batch_stage s JOIN batch_changed c ON c.submission_id = s.submission_id WHERE true
ON CONFLICT (submission_id) DO UPDATE SET
    score = excluded.score, max_score = excluded.max_score, variant = excluded.variant,
    blanks = excluded.blanks, engine_version = excluded.engine_version,
    exercise_hash = excluded.exercise_hash, created_at = excluded.created_at,
    batch_id = excluded.batch_id
""").bindparams(NOW)
# A submission keeps the version and variant it was answered against (a result records what it
# was graded against): a regrade writes a submission row only to change its status, so the row
# and its six indexes are left alone when a graded submission's result is replaced. The rows it
# could not grade are not staged: their status and last result stay as they were.
MARK_REGRADED = text("""
UPDATE submissions SET status = 'graded', graded_at = :now, status_changed_at = :now,
    failed_at = NULL, error = NULL
FROM batch_stage s
WHERE submissions.id = s.submission_id AND s.error IS NULL AND submissions.status <> 'graded'
""").bindparams(NOW)
INSERT_SUBMISSIONS = text("""
INSERT INTO submissions (id, user_id, course_id, exercise_id, exercise_version_id, variant_id,
                         batch_id, attempt, idempotency_key, source_id, answers, explicit_values,
                         status, status_changed_at, queued_at, started_at, graded_at, failed_at,
                         error)
SELECT s.submission_id, s.user_id, :course, s.exercise_id, s.version_id, s.variant_id,
       :batch, s.attempt, s.idempotency_key, s.source_id, s.answers, s.explicit_values,
       CASE WHEN s.error IS NULL THEN 'graded' ELSE 'failed' END, :now, :now, :now,
       CASE WHEN s.error IS NULL THEN :now END, CASE WHEN s.error IS NULL THEN NULL ELSE :now END,
       s.error
FROM batch_stage s WHERE true
ON CONFLICT (user_id, idempotency_key) DO NOTHING
""").bindparams(NOW)
# The staged ids were reserved for this chunk, so a submission that has one is a line the
# statement above added (a line imported before was skipped, and its id left unused).
INSERT_RESULTS = text("""
INSERT INTO results (submission_id, score, max_score, variant, blanks, engine_version,
                     exercise_hash, created_at)
SELECT s.submission_id, s.score, s.max_score, s.variant, s.blanks, :engine, s.exercise_hash, :now
FROM batch_stage s JOIN submissions t ON t.id = s.submission_id
WHERE s.error IS NULL
""").bindparams(NOW)
COUNT_CHANGED = text("SELECT COUNT(*) FROM batch_changed")
# PostgreSQL: one upsert replaces the results that changed, and the results' update trigger
# archives the rows it replaces for the batch named in ``grader.archive_batch`` (migration
# 0007); set for this statement only.
ARCHIVE_FOR = text("SELECT set_config('grader.archive_batch', :batch, true)")
REPLACE_CHANGED = text("""
INSERT INTO results (submission_id, score, max_score, variant, blanks, engine_version,
                     exercise_hash, created_at, batch_id)
SELECT s.submission_id, s.score, s.max_score, s.variant, s.blanks, :engine, s.exercise_hash, :now,
       :batch
FROM batch_stage s WHERE s.error IS NULL
ON CONFLICT (submission_id) DO UPDATE SET
    score = excluded.score, max_score = excluded.max_score, variant = excluded.variant,
    blanks = excluded.blanks, engine_version = excluded.engine_version,
    exercise_hash = excluded.exercise_hash, created_at = excluded.created_at,
    batch_id = excluded.batch_id
WHERE (results.batch_id IS NULL OR results.batch_id <= excluded.batch_id)
  AND (results.score, results.max_score, results.variant, results.blanks,
       results.engine_version, results.exercise_hash)
      IS DISTINCT FROM (excluded.score, excluded.max_score, excluded.variant, excluded.blanks,
                        excluded.engine_version, excluded.exercise_hash)
""").bindparams(NOW)


def write_regrade(session: Session, batch_id: int, rows: Iterable[Sequence], now: datetime) -> int:
    """Store the regraded rows whose result changed (archiving the result they replace), unless
    a newer batch wrote it, and mark graded the ones that were not; the number of results
    written. On PostgreSQL one upsert does it (its trigger archives); on SQLite three
    statements: find the changed, archive, replace."""
    bulk.stage(session, rows)
    params = {"batch": batch_id, "now": now, "engine": ENGINE_VERSION}
    if bulk.postgres(session):
        session.execute(ARCHIVE_FOR, {"batch": str(batch_id)})
        written = session.execute(REPLACE_CHANGED, params).rowcount
        session.execute(ARCHIVE_FOR, {"batch": ""})
        session.execute(MARK_REGRADED, params)
        return written
    changed = CHANGED_RESULTS.format(
        same_variant=bulk.same_json("r.variant", "s.variant", session),
        same_blanks=bulk.same_json("r.blanks", "s.blanks", session),
    )
    session.execute(text(changed), params)
    session.execute(ARCHIVE, params)
    session.execute(UPSERT_RESULTS, params)
    session.execute(MARK_REGRADED, params)
    return session.scalar(COUNT_CHANGED)


def write_import(
    session: Session, course_id: int, batch_id: int, rows: Iterable[Sequence], now: datetime
) -> int:
    """Store the imported rows as submissions with their results, skipping lines stored by an
    earlier import (same student and idempotency key); the number of submissions added."""
    bulk.stage(session, rows)
    params = {"course": course_id, "batch": batch_id, "now": now, "engine": ENGINE_VERSION}
    session.execute(INSERT_SUBMISSIONS, params)
    return session.execute(INSERT_RESULTS, params).rowcount
