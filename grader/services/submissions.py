"""Submissions: commit as queued, read back (``lifecycle`` grades them and sweeps)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader.checking.answers import MAX_ANSWER_LENGTH
from grader.db import Course, Exercise, ExerciseVersion, Result, Submission, User, utcnow
from grader.db.submission import ATTEMPT_INDEX
from grader.services import accounts, bulk
from grader.services import submit_statements as statements
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound
from grader.services.exercises import not_offered
from grader.services.variants import variant_for

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 200
NUMBERING_TRIES = 50


def clean_answers(version_blanks: list[dict], answers: Any) -> dict[str, str]:
    """The answers as blank id -> text (``version_blanks``: an exercise version's blanks);
    numbers and lists are accepted and written as text."""
    if not isinstance(answers, dict):
        raise Invalid(
            '\'answers\' must be an object of blank id -> answer, like {"grad.e3": "-10"}'
        )
    blanks = [blank["id"] for blank in version_blanks]
    unknown = sorted(set(answers) - set(blanks))
    if unknown:
        raise Invalid(
            f"unknown blank {', '.join(map(repr, unknown))}: this exercise's blanks are "
            + ", ".join(blanks)
        )
    return answers_as_text(answers)


def answers_as_text(answers: dict) -> dict[str, str]:
    """The answers as ``clean_answers`` writes them, whatever their blanks."""
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


class Accepted(NamedTuple):
    """A submission taken: its id, its status, and whether it is new (only a new one needs
    publishing; a known idempotency key gives back the earlier one)."""

    id: int
    status: str
    new: bool


def submit(
    session: Session,
    user: User,
    exercise_slug: Any,
    answers: Any,
    course_slug: str | None = None,
    idempotency_key: str | None = None,
) -> Accepted:
    """Commit a new submission as ``queued``; with a known idempotency key, give that one.

    What the checks need (the course, the exercise offered there, the attempts made, the
    variant, an earlier submission with the same key) comes in one query, and the submission
    is written by one INSERT; on PostgreSQL both are one statement, whose submission is rolled
    back if the checks refuse it (``_insert_at_once``). It takes the next attempt number, which
    a unique index keeps to one submission (``uq_submissions_attempt``): when requests sent at
    once both take it, the one that commits second counts again, so an attempt limit holds
    however many race.
    """
    key = idempotency_key
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise Invalid(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
    for _ in range(NUMBERING_TRIES):
        try:
            taken = _insert_at_once(session, user, exercise_slug, course_slug, answers, key)
            if taken is not None:
                return taken
            found = _context(session, user, exercise_slug, course_slug, key)
            if isinstance(found, Accepted):
                return found
            return _insert(session, user, exercise_slug, answers, found, key)
        except IntegrityError as exc:
            session.rollback()
            existing = key and _by_key(session, user, key)
            if existing:
                return existing
            if not _attempt_taken(exc):
                raise
    raise Conflict(f"too many submissions to '{exercise_slug}' at once: try again")


def _context(
    session: Session, user: User, exercise_slug: Any, course_slug: Any, key: str | None
) -> Accepted | Any:
    """The row of ``statements.CONTEXT`` for this submission, or the earlier one with the same
    key."""
    if not isinstance(exercise_slug, str) or not isinstance(course_slug, str | None):
        if (earlier := key and _by_key(session, user, key)) is not None:
            return earlier
        if not isinstance(exercise_slug, str):
            raise Invalid("'exercise' must be an exercise id, like \"single-weight\"")
        raise Invalid("'course' must be a course slug")
    params = {"user_id": user.id, "exercise": exercise_slug, "key": key}
    rows = session.connection().execute(statements.CONTEXT, {**params, "course": course_slug}).all()
    if len(rows) != 1:
        if (earlier := key and _by_key(session, user, key)) is not None:
            return earlier
        # Not enrolled there, or in several courses: course_of says why (or finds an admin's).
        course = accounts.course_of(session, user, course_slug)
        rows = session.execute(
            statements.CONTEXT_ANY_COURSE, {**params, "course_id": course.id}
        ).all()
    row = rows[0]
    if row.earlier_id is not None:
        return _by_key(session, user, key)
    return row


def _insert_at_once(
    session: Session,
    user: User,
    exercise_slug: Any,
    course_slug: Any,
    answers: Any,
    key: str | None,
) -> Accepted | None:
    """On PostgreSQL, the submission written by the statement that reads its context
    (``statements.CONTEXT_INSERTING``) and committed once ``_checked`` passes it (rolled back
    if not); None, having written nothing, where that statement does not apply (another
    database, a request of the wrong shape) or inserted nothing (no single course, no variant
    yet, an earlier submission with the key): the two statements' way decides those."""
    if not (
        isinstance(exercise_slug, str)
        and isinstance(course_slug, str | None)
        and isinstance(answers, dict)
        and session.get_bind().dialect.name == "postgresql"
    ):
        return None
    try:
        text = answers_as_text(answers)
    except Invalid:
        return None
    params = {"user_id": user.id, "exercise": exercise_slug, "course": course_slug, "key": key}
    row = (
        session.connection()
        .execute(statements.CONTEXT_INSERTING, {**params, "answers": text})
        .first()
    )
    if row is None or row.submission_id is None:
        return None
    try:
        _checked(user, exercise_slug, answers, row)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return Accepted(row.submission_id, "queued", True)


def _insert(
    session: Session, user: User, exercise_slug: str, answers: Any, row: Any, key: str | None
) -> Accepted:
    """Check the submission against the exercise's settings there, then write and commit it."""
    cleaned = _checked(user, exercise_slug, answers, row)
    variant_id = row.variant_id
    if variant_id is None:
        course = session.get(Course, row.course_id)
        version = session.get(ExerciseVersion, row.version_id)
        variant_id = variant_for(session, course, user, version).id
    submission_id = (
        session.connection()
        .execute(
            statements.INSERT,
            {
                "user_id": user.id,
                "course_id": row.course_id,
                "exercise_id": row.exercise_id,
                "exercise_version_id": row.version_id,
                "variant_id": variant_id,
                "attempt": row.last_attempt + 1,
                "idempotency_key": key,
                "answers": cleaned,
            },
        )
        .scalar_one()
    )
    session.commit()
    return Accepted(submission_id, "queued", True)


def _checked(user: User, exercise_slug: str, answers: Any, row: Any) -> dict[str, str]:
    """The answers cleaned, once the submission passes the exercise's settings in the course
    of ``row`` (a row of ``statements.CONTEXT``)."""
    if row.version_id is None or (row.settings_id is None and row.chosen):
        raise not_offered(exercise_slug, row.course_slug)
    cleaned = clean_answers(row.blanks, answers)
    settings = row.settings_id is not None
    staff = settings and (user.role == "admin" or row.role == "instructor")
    now = utcnow()
    if settings and not staff:
        if row.opens_at is not None and now < row.opens_at:
            raise Forbidden(f"'{exercise_slug}' opens at {row.opens_at:%Y-%m-%d %H:%M} UTC")
        if row.due_at is not None and now > row.due_at:
            raise Forbidden(f"the deadline for '{exercise_slug}' has passed")
    if row.max_attempts is not None and not staff and row.attempts >= row.max_attempts:
        raise Conflict(f"no attempts left at '{exercise_slug}' ({row.max_attempts} allowed)")
    return cleaned


# Student by student through the students' index: the cost follows the students' own
# submissions, not the course's (counting from the course's index read every submission of the
# course for each chunk of an import). ``OFFSET 0`` keeps the lookup per student, and
# ``course_id + 0`` keeps the planner from intersecting it with the course's whole index.
ATTEMPT_COUNTS = text("""
SELECT u.user_id, s.exercise_id, count(*)
FROM unnest(CAST(:users AS integer[])) AS u(user_id) CROSS JOIN LATERAL (
    SELECT exercise_id FROM submissions
    WHERE user_id = u.user_id AND course_id + 0 = :course OFFSET 0
) AS s
GROUP BY u.user_id, s.exercise_id
""")


def attempt_counts(session: Session, course_id: int, user_ids) -> dict[tuple[int, int], int]:
    """How many submissions each of these students has made to each exercise in the course,
    by (user id, exercise id); pairs with none are left out."""
    users = sorted(user_ids)
    if bulk.postgres(session):
        rows = session.execute(ATTEMPT_COUNTS, {"users": users, "course": course_id})
    else:
        rows = session.execute(
            select(Submission.user_id, Submission.exercise_id, func.count(Submission.id))
            .where(Submission.course_id == course_id, Submission.user_id.in_(users))
            .group_by(Submission.user_id, Submission.exercise_id)
        )
    return {(user_id, exercise_id): count for user_id, exercise_id, count in rows}


def _attempt_taken(exc: IntegrityError) -> bool:
    """Whether the INSERT lost its attempt number to a submission committed meanwhile."""
    text = str(exc.orig)
    return ATTEMPT_INDEX in text or "submissions.attempt" in text


def _by_key(session: Session, user: User, key: str) -> Accepted | None:
    """The user's submission with this idempotency key, if any."""
    found = session.execute(
        select(Submission.id, Submission.status).where(
            Submission.user_id == user.id, Submission.idempotency_key == key
        )
    ).first()
    return None if found is None else Accepted(found.id, found.status, False)


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
