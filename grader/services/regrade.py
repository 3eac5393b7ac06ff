"""Regrading an exercise after its file changed: a batch grades every submission of the exercise
in a course again against its current version, a chunk at a time (``batch_grading``), and
archives for audit each result it replaces.

- Each submission is graded against the values it was answered with (the numbers on its
  student's screen). Only a *redraw*, which the caller must confirm, grades against values
  drawn anew from the current version.
- One regrade of an exercise in a course at a time: a second is refused until the first is
  over (a unique index on the unfinished ones), and a result is never replaced by an older
  batch's (``batch_writes``).
- A submission the regrade cannot grade keeps its status and its last result, and the batch
  lists it with the reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader.db import Batch, BatchChunk, Course, ResultHistory, User, utcnow
from grader.db.base import UTCDateTime
from grader.services import batches
from grader.services.errors import Conflict, Invalid
from grader.services.exercises import current_version, find_offered

REDRAW_UNCONFIRMED = (
    "a redraw grades every submission against numbers drawn anew, which its student never "
    "saw: confirm it to go ahead"
)


class RegradeRunning(Conflict):
    """A regrade of the exercise in the course is unfinished: ``batch_id``."""

    def __init__(self, message: str, batch_id: int):
        super().__init__(message)
        self.batch_id = batch_id


CHUNKS = text("""
INSERT INTO batch_chunks (batch_id, number, status, size, first_id, last_id, graded, unchanged,
                          failed, attempts, status_changed_at)
SELECT :batch, n, 'queued', COUNT(*), MIN(id), MAX(id), 0, 0, 0, 0, :now
FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / :size AS n
      FROM submissions WHERE course_id = :course AND exercise_id = :exercise) AS numbered
GROUP BY n
""").bindparams(bindparam("now", type_=UTCDateTime()))


def start(
    session: Session,
    user: User | None,
    course: Course,
    exercise_slug: Any,
    *,
    redraw: bool = False,
    confirmed: bool = False,
    chunk_size: int = batches.CHUNK,
) -> Batch:
    """Queue the regrade batch with its chunks (committed); the caller publishes them.

    Refused (Conflict, with the running batch's number) while another regrade of the exercise
    in the course is unfinished; a redraw needs ``confirmed``."""
    if not isinstance(exercise_slug, str):
        raise Invalid("'exercise' must be an exercise id")
    if redraw and not confirmed:
        raise Invalid(REDRAW_UNCONFIRMED)
    exercise, _ = find_offered(session, course, exercise_slug)
    _refuse_if_running(session, course, exercise.id, exercise_slug)
    batch = Batch(
        course_id=course.id,
        created_by_id=user.id if user else None,
        exercise_id=exercise.id,
        version_id=current_version(session, exercise).id,
        kind="regrade",
        redraw=redraw,
        errors=[],
    )
    try:
        session.add(batch)
        session.flush()
    except IntegrityError:  # another regrade was queued meanwhile: the unique index refused this
        session.rollback()
        _refuse_if_running(session, course, exercise.id, exercise_slug)
        raise
    params = {"batch": batch.id, "now": utcnow(), "size": chunk_size, "course": course.id}
    session.execute(CHUNKS, {**params, "exercise": exercise.id})
    batch.total = session.scalar(
        select(func.coalesce(func.sum(BatchChunk.size), 0)).where(BatchChunk.batch_id == batch.id)
    )
    session.commit()
    batches.finish(session, batch.id)
    return batch


def _refuse_if_running(session: Session, course: Course, exercise_id: int, slug: str) -> None:
    running = session.scalar(
        select(Batch.id).where(
            Batch.course_id == course.id,
            Batch.exercise_id == exercise_id,
            Batch.kind == "regrade",
            Batch.status.in_(("queued", "running")),
        )
    )
    if running is not None:
        raise RegradeRunning(
            f"a regrade of '{slug}' in '{course.slug}' is still running (batch {running}): "
            "start another when it is done",
            running,
        )


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
