"""Regrading an exercise after its file changed: the current results are archived for audit, then
a regrade batch replaces them (graded by the worker, progress from ``batches.progress``)."""

from __future__ import annotations

from sqlalchemy import insert, literal, select, update
from sqlalchemy.orm import Session

from grader.db import Batch, Course, Result, ResultHistory, Submission, User, utcnow
from grader.db.base import UTCDateTime
from grader.services import batches
from grader.services.exercises import find_offered


def start(session: Session, user: User, course: Course, exercise_slug: str) -> Batch:
    """Archive the exercise's current results in the course and queue the regrade batch, in one
    transaction; the caller publishes the batch."""
    exercise, _ = find_offered(session, course, exercise_slug)
    of_exercise = select(Submission.id).where(
        Submission.course_id == course.id, Submission.exercise_id == exercise.id
    )
    now = utcnow()
    session.execute(
        insert(ResultHistory).from_select(
            [
                "submission_id",
                "score",
                "max_score",
                "variant",
                "blanks",
                "engine_version",
                "exercise_hash",
                "graded_at",
                "archived_at",
            ],
            select(
                Result.submission_id,
                Result.score,
                Result.max_score,
                Result.variant,
                Result.blanks,
                Result.engine_version,
                Result.exercise_hash,
                Result.created_at,
                literal(now, UTCDateTime()),
            ).where(Result.submission_id.in_(of_exercise)),
        )
    )
    batch = batches.create_regrade(session, user, course, exercise_slug)
    session.execute(
        update(ResultHistory)
        .where(
            ResultHistory.batch_id.is_(None),
            ResultHistory.archived_at == now,
            ResultHistory.submission_id.in_(of_exercise),
        )
        .values(batch_id=batch.id)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return batch


def history(session: Session, submission_ids: list[int]) -> dict[int, list[ResultHistory]]:
    """Archived results of these submissions, oldest first."""
    out: dict[int, list[ResultHistory]] = {}
    for row in session.scalars(
        select(ResultHistory)
        .where(ResultHistory.submission_id.in_(submission_ids))
        .order_by(ResultHistory.id)
    ):
        out.setdefault(row.submission_id, []).append(row)
    return out
