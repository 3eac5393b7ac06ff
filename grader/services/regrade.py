"""Regrading an exercise after its file changed: a regrade batch grades every submission again
against the current version and archives, for audit, each result it replaces (graded by the
workers a chunk at a time, progress from ``batches.progress``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import Batch, Course, ResultHistory, User
from grader.services import batches


def start(session: Session, user: User, course: Course, exercise_slug: str) -> Batch:
    """Queue the regrade batch (committed); the caller publishes it."""
    return batches.create_regrade(session, user, course, exercise_slug)


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
