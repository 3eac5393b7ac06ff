"""Submissions: commit as queued, grade once, read back; the sweep finds the ones left behind."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.checking import ENGINE_VERSION, grade
from grader.checking.answers import MAX_ANSWER_LENGTH
from grader.db import (
    Course,
    Exercise,
    ExerciseVersion,
    Result,
    StudentVariant,
    Submission,
    User,
    utcnow,
)
from grader.services import accounts
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound
from grader.services.exercises import current_version, find_offered, load_version
from grader.services.variants import variant_for

PENDING = ("queued", "grading")
MAX_IDEMPOTENCY_KEY = 200


def clean_answers(version: ExerciseVersion, answers: Any) -> dict[str, str]:
    """The answers as blank id -> text; numbers and lists are accepted and written as text."""
    if not isinstance(answers, dict):
        raise Invalid(
            '\'answers\' must be an object of blank id -> answer, like {"grad.e3": "-10"}'
        )
    blanks = [blank["id"] for blank in version.blanks]
    unknown = sorted(set(answers) - set(blanks))
    if unknown:
        raise Invalid(
            f"unknown blank {', '.join(map(repr, unknown))}: this exercise's blanks are "
            + ", ".join(blanks)
        )
    cleaned = {}
    for blank, value in answers.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float | list):
            raise Invalid(f'the answer to {blank} must be text, like "-10" or "[1, 2]"')
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > MAX_ANSWER_LENGTH:
            raise Invalid(f"the answer to {blank} is longer than {MAX_ANSWER_LENGTH} characters")
        cleaned[blank] = text
    return cleaned


def submit(
    session: Session,
    user: User,
    exercise_slug: Any,
    answers: Any,
    course_slug: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Submission, bool]:
    """Commit a new submission as ``queued``; with a known idempotency key, return that one.

    Returns the submission and whether it is new (only a new one needs publishing).
    """
    if idempotency_key is not None:
        if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise Invalid(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        existing = _by_key(session, user, idempotency_key)
        if existing is not None:
            return existing, False
    if not isinstance(exercise_slug, str):
        raise Invalid("'exercise' must be an exercise id, like \"single-weight\"")
    if course_slug is not None and not isinstance(course_slug, str):
        raise Invalid("'course' must be a course slug")
    course = accounts.course_of(session, user, course_slug)
    exercise, settings = find_offered(session, course, exercise_slug)
    version = current_version(session, exercise)
    cleaned = clean_answers(version, answers)
    staff = settings is not None and accounts.teaches(session, user, course)
    if (
        settings is not None
        and settings.due_at is not None
        and not staff
        and utcnow() > settings.due_at
    ):
        raise Forbidden(f"the deadline for '{exercise.slug}' has passed")
    attempts = session.scalar(
        select(func.count(Submission.id)).filter_by(
            user_id=user.id, course_id=course.id, exercise_id=exercise.id
        )
    )
    limit = settings.max_attempts if settings is not None else None
    if limit is not None and not staff and attempts >= limit:
        raise Conflict(f"no attempts left at '{exercise.slug}' ({settings.max_attempts} allowed)")
    variant = variant_for(session, course, user, version)
    submission = Submission(
        user_id=user.id,
        course_id=course.id,
        exercise_id=exercise.id,
        exercise_version_id=version.id,
        variant_id=variant.id,
        attempt=attempts + 1,
        idempotency_key=idempotency_key,
        answers=cleaned,
    )
    session.add(submission)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = idempotency_key and _by_key(session, user, idempotency_key)
        if not existing:
            raise
        return existing, False
    return submission, True


def _by_key(session: Session, user: User, key: str) -> Submission | None:
    return session.scalar(select(Submission).filter_by(user_id=user.id, idempotency_key=key))


def grade_submission(session: Session, submission_id: int) -> str:
    """Grade one submission and write its result and ``graded`` in one transaction.

    Returns ``graded``, or ``skipped`` when it is not pending (already graded: running twice
    leaves one result), or ``duplicate`` when another run wrote the result meanwhile.
    """
    now = utcnow()
    claimed = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status.in_(PENDING))
        .values(status="grading", started_at=now, status_changed_at=now)
    ).rowcount
    session.commit()
    if not claimed:
        return "skipped"
    submission = session.get(Submission, submission_id)
    version = session.get(ExerciseVersion, submission.exercise_version_id)
    values = submission.explicit_values
    if values is None:
        values = session.get(StudentVariant, submission.variant_id).values
    exercise, answers, exercise_hash = (
        load_version(version),
        submission.answers,
        version.content_hash,
    )
    session.rollback()
    outcome = grade(exercise, core.Variant.from_dict(values), answers)
    return record_result(session, submission_id, outcome, exercise_hash)


def record_result(session: Session, submission_id: int, outcome: dict, exercise_hash: str) -> str:
    """Write a result and mark the submission graded, unless another run already did."""
    submission = session.scalars(
        select(Submission).where(Submission.id == submission_id).with_for_update()
    ).one()
    if submission.status not in PENDING:
        session.rollback()
        return "duplicate"
    result = session.scalar(select(Result).filter_by(submission_id=submission_id))
    if result is None:
        result = Result(submission_id=submission_id)
        session.add(result)
    result.score = outcome["score"]
    result.max_score = outcome["max_score"]
    result.variant = outcome["variant"]
    result.blanks = outcome["blanks"]
    result.engine_version = ENGINE_VERSION
    result.exercise_hash = exercise_hash
    result.created_at = now = utcnow()
    submission.status, submission.graded_at, submission.status_changed_at = "graded", now, now
    submission.error = None
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return "duplicate"
    return "graded"


def mark_failed(session: Session, submission_id: int, message: str) -> None:
    """Record that grading failed for a reason retrying will not fix."""
    now = utcnow()
    session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status.in_(PENDING))
        .values(status="failed", failed_at=now, status_changed_at=now, error=message[:2000])
    )
    session.commit()


def claim_stale(session: Session, older_than: float, limit: int = 1000) -> list[int]:
    """Ids of submissions pending longer than ``older_than`` seconds, stamped so the next sweep
    waits again; two sweeps running at once do not both take the same id."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than)
    ids = session.scalars(
        select(Submission.id)
        .where(Submission.status.in_(PENDING), Submission.status_changed_at <= cutoff)
        .order_by(Submission.status_changed_at)
        .limit(limit)
    ).all()
    if not ids:
        session.rollback()
        return []
    claimed = session.scalars(
        update(Submission)
        .where(
            Submission.id.in_(ids),
            Submission.status.in_(PENDING),
            Submission.status_changed_at <= cutoff,
        )
        .values(status_changed_at=now)
        .returning(Submission.id)
    ).all()
    session.commit()
    return sorted(claimed)


def readable(session: Session, user: User, submission_id: int) -> dict:
    """A submission as JSON, if the user may see it (their own, or one of a course they teach)."""
    row = session.execute(
        select(Submission, Result, User.email, Exercise.slug, Course)
        .outerjoin(Result, Result.submission_id == Submission.id)
        .join(User, User.id == Submission.user_id)
        .join(Exercise, Exercise.id == Submission.exercise_id)
        .join(Course, Course.id == Submission.course_id)
        .where(Submission.id == submission_id)
    ).first()
    if row is None:
        raise NotFound(f"no submission {submission_id}")
    submission, result, email, slug, course = row
    if submission.user_id != user.id and not (
        user.is_staff and accounts.teaches(session, user, course)
    ):
        raise NotFound(f"no submission {submission_id}")
    return as_json(submission, result, email, slug, course.slug)


def as_json(
    submission: Submission, result: Result | None, student: str, exercise: str, course: str
) -> dict:
    """The API's form of a submission: its status and, once graded, a ``grader grade`` line."""
    out: dict[str, Any] = {
        "id": submission.id,
        "status": submission.status,
        "student": student,
        "exercise": exercise,
        "course": course,
        "attempt": submission.attempt,
        "answers": submission.answers,
        "queued_at": _time(submission.queued_at),
        "started_at": _time(submission.started_at),
        "graded_at": _time(submission.graded_at),
    }
    if submission.status == "failed":
        out["failed_at"] = _time(submission.failed_at)
        out["error"] = submission.error
    if submission.status == "graded" and result is not None:
        out.update(result.to_dict())
        out["engine_version"] = result.engine_version
    return out


def attempts(session: Session, user: User, course: Course, exercise: Exercise) -> list[dict]:
    """The user's past attempts at an exercise, newest first."""
    rows = session.execute(
        select(Submission, Result)
        .outerjoin(Result, Result.submission_id == Submission.id)
        .where(
            Submission.user_id == user.id,
            Submission.course_id == course.id,
            Submission.exercise_id == exercise.id,
        )
        .order_by(Submission.id.desc())
    ).all()
    return [as_json(s, r, user.email, exercise.slug, course.slug) for s, r in rows]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
