"""Submissions: commit as queued, grade once, read back; the sweep finds the ones left behind."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, func, join, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from grader.checking.answers import MAX_ANSWER_LENGTH
from grader.db import (
    Course,
    CourseExercise,
    Enrolment,
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
from grader.services.exercises import chosen_in, require_offered, with_offered
from grader.services.grading import PENDING
from grader.services.variants import variant_for

log = logging.getLogger(__name__)

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

    Returns the submission and whether it is new (only a new one needs publishing). What the
    checks need (the course, the exercise offered there, the attempts made, the variant, an
    earlier submission with the same key) comes in one query.
    """
    key = idempotency_key
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise Invalid(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
    if not isinstance(exercise_slug, str) or not isinstance(course_slug, str | None):
        if (earlier := key and _by_key(session, user, key)) is not None:
            return earlier, False
        if not isinstance(exercise_slug, str):
            raise Invalid("'exercise' must be an exercise id, like \"single-weight\"")
        raise Invalid("'course' must be a course slug")
    rows = _context(session, user, exercise_slug, key, course_slug=course_slug)
    if len(rows) != 1:
        if (earlier := key and _by_key(session, user, key)) is not None:
            return earlier, False
        # Not enrolled there, or in several courses: course_of says why (or finds an admin's).
        course = accounts.course_of(session, user, course_slug)
        rows = _context(session, user, exercise_slug, key, course=course)
    course, role, exercise, settings, version, chosen, attempts, variant_id, earlier_id = rows[0]
    if earlier_id is not None:
        return session.get(Submission, earlier_id), False
    exercise, settings, version = require_offered(
        course, exercise_slug, exercise, settings, version, chosen
    )
    cleaned = clean_answers(version, answers)
    staff = settings is not None and (user.role == "admin" or role == "instructor")
    now = utcnow()
    if settings is not None and not staff:
        if settings.opens_at is not None and now < settings.opens_at:
            raise Forbidden(f"'{exercise.slug}' opens at {settings.opens_at:%Y-%m-%d %H:%M} UTC")
        if settings.due_at is not None and now > settings.due_at:
            raise Forbidden(f"the deadline for '{exercise.slug}' has passed")
    limit = settings.max_attempts if settings is not None else None
    if limit is not None and not staff and attempts >= limit:
        raise Conflict(f"no attempts left at '{exercise.slug}' ({settings.max_attempts} allowed)")
    if variant_id is None:
        variant_id = variant_for(session, course, user, version).id
    submission = Submission(
        user_id=user.id,
        course_id=course.id,
        exercise_id=exercise.id,
        exercise_version_id=version.id,
        variant_id=variant_id,
        attempt=attempts + 1,
        idempotency_key=key,
        answers=cleaned,
    )
    session.add(submission)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = key and _by_key(session, user, key)
        if not existing:
            raise
        return existing, False
    return submission, True


def _context(
    session: Session,
    user: User,
    exercise_slug: str,
    key: str | None,
    course_slug: str | None = None,
    course: Course | None = None,
) -> list[Row]:
    """Rows of (course, the user's role there, exercise, its settings, its current version,
    whether the course chose its exercises, the user's attempts so far, their variant id, the
    id of their submission with ``key``): one row per course of the user's named ``course_slug``
    (every course if None; at most two), or the one ``course`` given (an admin's, maybe without
    an enrolment)."""
    enrolment = and_(Enrolment.course_id == Course.id, Enrolment.user_id == user.id)
    attempts = (
        select(func.count(Submission.id))
        .where(
            Submission.user_id == user.id,
            Submission.course_id == Course.id,
            Submission.exercise_id == Exercise.id,
        )
        .correlate(Course, Exercise)
        .scalar_subquery()
    )
    variant = (
        select(StudentVariant.id)
        .where(
            StudentVariant.course_id == Course.id,
            StudentVariant.user_id == user.id,
            StudentVariant.exercise_version_id == ExerciseVersion.id,
        )
        .correlate(Course, ExerciseVersion)
        .scalar_subquery()
    )
    earlier = (
        select(Submission.id)
        .where(Submission.user_id == user.id, Submission.idempotency_key == key)
        .scalar_subquery()
        if key is not None
        else null()
    )
    query = select(
        Course,
        Enrolment.role,
        Exercise,
        CourseExercise,
        ExerciseVersion,
        chosen_in(Course.id),
        attempts,
        variant,
        earlier,
    ).options(defer(ExerciseVersion.source))
    if course is None:
        courses = join(Course, Enrolment, enrolment)
        if course_slug is not None:
            query = query.where(Course.slug == course_slug)
    else:
        courses = join(Course, Enrolment, enrolment, isouter=True)
        query = query.where(Course.id == course.id)
    return session.execute(
        query.select_from(with_offered(courses, exercise_slug)).limit(2)
    ).all()


def _by_key(session: Session, user: User, key: str) -> Submission | None:
    found = session.scalar(
        select(Submission.id).where(
            Submission.user_id == user.id, Submission.idempotency_key == key
        )
    )
    return None if found is None else session.get(Submission, found)


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
        log.warning("refused submission %s to %s: not theirs", submission_id, user.email)
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
