"""Where a student stands on each exercise of a course: attempts used, best score (after the
attempt penalty, and before it), what the next attempt is worth, whether they may still submit,
and whether the expected values and the worked solution are theirs to see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grader.db import (
    Course,
    CourseExercise,
    Exercise,
    ExerciseVersion,
    Result,
    Submission,
    User,
    utcnow,
)
from grader.db.course import REVEAL_POLICIES
from grader.services import accounts, learning
from grader.services.exercises import offered
from grader.services.penalties import with_settings, worth, worth_sql

DEFAULT_REVEAL = REVEAL_POLICIES[0]
PENDING = ("queued", "grading")


def closed_reason(
    settings: CourseExercise | None, attempts_used: int, staff: bool, now: datetime
) -> str | None:
    """Why no attempt is taken now (``not_open``, ``deadline`` or ``attempts``), or None."""
    if settings is None or staff:
        return None
    if settings.opens_at is not None and now < settings.opens_at:
        return "not_open"
    if settings.due_at is not None and now > settings.due_at:
        return "deadline"
    if settings.max_attempts is not None and attempts_used >= settings.max_attempts:
        return "attempts"
    return None


def revealed(
    settings: CourseExercise | None, attempts_used: int, staff: bool, now: datetime
) -> bool:
    """Whether the expected values and the worked solution may be shown: the instructor's choice
    per exercise, after the deadline by default; always to the course's staff."""
    if staff:
        return True
    policy = settings.reveal if settings is not None else DEFAULT_REVEAL
    past_deadline = settings is not None and settings.due_at is not None and now > settings.due_at
    if policy == "after_deadline":
        return past_deadline
    if policy == "after_last_attempt":
        return past_deadline or closed_reason(settings, attempts_used, False, now) == "attempts"
    if policy == "after_each_attempt":
        return attempts_used > 0
    return False


@dataclass(frozen=True)
class Standing:
    """One student on one exercise of one course."""

    exercise: Exercise
    settings: CourseExercise | None
    max_score: float
    attempts_used: int
    pending: int
    best_score: float | None  # after the attempt penalty
    closed: str | None
    revealed: bool
    best_raw: float | None = None  # the best score before the attempt penalty

    @property
    def penalty(self) -> float:
        return self.settings.penalty if self.settings and self.settings.penalty else 0.0

    @property
    def next_worth(self) -> float:
        """The share of its points the student's next attempt is worth."""
        return worth(self.penalty, self.attempts_used + 1)

    @property
    def max_attempts(self) -> int | None:
        return self.settings.max_attempts if self.settings else None

    @property
    def due_at(self) -> datetime | None:
        return self.settings.due_at if self.settings else None

    @property
    def opens_at(self) -> datetime | None:
        return self.settings.opens_at if self.settings else None

    @property
    def reveal(self) -> str:
        return self.settings.reveal if self.settings else DEFAULT_REVEAL

    @property
    def attempts_left(self) -> int | None:
        limit = self.max_attempts
        return None if limit is None else max(0, limit - self.attempts_used)


def course_standings(
    session: Session, user: User, course: Course, now: datetime | None = None
) -> list[Standing]:
    """The student's standing on every exercise the course offers, in the course's order."""
    return standings(session, user, course, offered(session, course), now)


def exercise_standing(
    session: Session,
    user: User,
    course: Course,
    exercise: Exercise,
    settings: CourseExercise | None,
    now: datetime | None = None,
) -> Standing:
    """The student's standing on one exercise (as ``find_offered`` returned it)."""
    return standings(session, user, course, [(exercise, settings)], now)[0]


def standings(
    session: Session,
    user: User,
    course: Course,
    exercises: list[tuple[Exercise, CourseExercise | None]],
    now: datetime | None = None,
) -> list[Standing]:
    """The student's standing on each of ``exercises``: three grouped queries for them all."""
    now = now or utcnow()
    staff = accounts.teaches(session, user, course)
    ids = [exercise.id for exercise, _ in exercises]
    counts: dict[int, tuple[int, int]] = {
        exercise_id: (used, pending)
        for exercise_id, used, pending in session.execute(
            select(
                Submission.exercise_id,
                func.count(Submission.id),
                func.count(Submission.id).filter(Submission.status.in_(PENDING)),
            )
            .where(
                Submission.user_id == user.id,
                Submission.course_id == course.id,
                Submission.exercise_id.in_(ids),
            )
            .group_by(Submission.exercise_id)
        )
    }
    share = worth_sql(CourseExercise.penalty, Submission.attempt)
    best = {
        exercise_id: (penalised, raw)
        for exercise_id, penalised, raw in session.execute(
            with_settings(
                select(
                    Submission.exercise_id, func.max(Result.score * share), func.max(Result.score)
                ).join(Result, Result.submission_id == Submission.id)
            )
            .where(
                Submission.user_id == user.id,
                Submission.course_id == course.id,
                Submission.status == "graded",
                Submission.exercise_id.in_(ids),
            )
            .group_by(Submission.exercise_id)
        )
    }
    max_scores = dict(
        session.execute(
            select(Exercise.id, ExerciseVersion.max_score)
            .join(
                ExerciseVersion,
                (ExerciseVersion.exercise_id == Exercise.id)
                & (ExerciseVersion.content_hash == Exercise.current_hash),
            )
            .where(Exercise.id.in_(ids))
        ).all()
    )
    out = []
    for exercise, settings in exercises:
        used, pending = counts.get(exercise.id, (0, 0))
        out.append(
            Standing(
                exercise=exercise,
                settings=settings,
                max_score=max_scores.get(exercise.id, 0.0),
                attempts_used=used,
                pending=pending,
                best_score=best.get(exercise.id, (None, None))[0],
                best_raw=best.get(exercise.id, (None, None))[1],
                closed=closed_reason(settings, used, staff, now),
                revealed=revealed(settings, used, staff, now),
            )
        )
    return out


def disclosed(submission: dict, revealed: bool) -> dict:
    """A submission as ``submissions.as_json`` gives it, without the expected values unless they
    are revealed (the server never sends them before)."""
    if revealed or "blanks" not in submission:
        return submission
    blanks = {
        blank: {key: value for key, value in entry.items() if key != "expected"}
        for blank, entry in submission["blanks"].items()
    }
    return {**submission, "blanks": blanks}


def disclosed_to(session: Session, user: User, submission: dict, lang: str = "en") -> dict:
    """``disclosed`` for whoever reads it (the API): the course's staff see everything, the
    student sees the expected values once their standing reveals them; with what the attempt
    is worth and the hints its wrong blanks offer (in ``lang``)."""
    course = session.scalar(select(Course).filter_by(slug=submission["course"]))
    exercise = session.scalar(select(Exercise).filter_by(slug=submission["exercise"]))
    if course is None or exercise is None:
        return disclosed(submission, False)
    settings = session.scalar(
        select(CourseExercise).filter_by(course_id=course.id, exercise_id=exercise.id)
    )
    standing = exercise_standing(session, user, course, exercise, settings)
    shown = disclosed(submission, standing.revealed)
    return learning.read_by_student(session, shown, settings, lang)
