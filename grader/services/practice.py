"""Practice on demand: new numbers for an exercise (a practice variant) or a new graph like it (a
drill), as often as a student likes, never counted.

A practice is numbered per student, exercise and course (1, 2, ...); its numbers are a pure
function of (course secret, exercise, student, number) (:mod:`grader.exercises.practice`) and
are stored when it is made, with a drill's exercise file, so it is graded and regraded against
exactly what the student saw. Practice is offered wherever the exercise is offered and open
(after its deadline and past its attempt limit too): refused only before it opens. Its attempts
live in their own table (:mod:`grader.services.practice_attempts`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.db import Course, CourseExercise, Exercise, ExerciseVersion, Practice, User, utcnow
from grader.db.practice import PRACTICE_KINDS
from grader.exercises.practice import (
    PracticeError,
    drill_for,
    drill_seed,
    practice_variant,
)
from grader.services import accounts, exercises, variants
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound
from grader.services.standing import closed_reason

NUMBERING_TRIES = 20


@dataclass
class Opened:
    """A student's practice with what grading and showing it needs."""

    practice: Practice
    course: Course
    exercise: Exercise
    settings: CourseExercise | None
    spec: core.Exercise  # the exercise it is graded against (a drill's own)
    content_hash: str

    @property
    def variant(self) -> core.Variant:
        return core.Variant.from_dict(self.practice.values)


def offered(
    session: Session, user: User, exercise_slug: str, course_slug: str | None
) -> tuple[Course, Exercise, CourseExercise | None, ExerciseVersion]:
    """The course, the exercise it offers, its settings and current version; Forbidden to a
    student before the exercise opens."""
    if not isinstance(course_slug, str | None):
        raise Invalid("'course' must be a course slug")
    course = accounts.course_of(session, user, course_slug)
    exercise, settings, version = exercises.offered_version(session, course, exercise_slug)
    staff = accounts.teaches(session, user, course)
    if closed_reason(settings, 0, staff, utcnow()) == "not_open":
        raise Forbidden(f"'{exercise_slug}' opens at {settings.opens_at:%Y-%m-%d %H:%M} UTC")
    return course, exercise, settings, version


def start(
    session: Session,
    user: User,
    exercise_slug: str,
    course_slug: str | None = None,
    kind: str = "variant",
) -> Opened:
    """Make and commit the student's next practice of the exercise: new numbers
    (``variant``) or a new graph like it (``drill``)."""
    if kind not in PRACTICE_KINDS:
        raise Invalid(f"'kind' is one of {', '.join(PRACTICE_KINDS)}")
    course, exercise, settings, version = offered(session, user, exercise_slug, course_slug)
    own = variants.variant_for(session, course, user, version)
    spec = exercises.load_version(version)
    student = variants.student_key(user)
    for _ in range(NUMBERING_TRIES):
        number = 1 + session.scalar(
            select(func.coalesce(func.max(Practice.number), 0)).where(
                Practice.course_id == course.id,
                Practice.user_id == user.id,
                Practice.exercise_id == exercise.id,
            )
        )
        row = Practice(
            course_id=course.id,
            user_id=user.id,
            exercise_id=exercise.id,
            exercise_version_id=version.id,
            number=number,
            kind=kind,
            **_drawn(spec, kind, course.secret, student, number, own.values),
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue  # the number was taken by a practice made at the same moment
        session.commit()
        return opened(session, row, course, exercise, settings)
    raise Conflict(f"too many practices of '{exercise_slug}' at once: try again")


def _drawn(
    spec: core.Exercise, kind: str, secret: str, student: str, number: int, own: dict
) -> dict:
    """A practice's stored fields: its values, and a drill's options and exercise file."""
    try:
        if kind == "variant":
            drawn = practice_variant(spec, secret, student, number, core.Variant.from_dict(own))
            return {"values": drawn.to_dict(), "drill": None, "source": None}
        drill, text = drill_for(spec, drill_seed(secret, spec.id, student, number))
    except PracticeError as exc:
        raise Conflict(f"{exc}: try a new graph like it") from None
    values = drill_exercise(text).draw_variant("", "").to_dict()
    return {"values": values, "drill": dataclasses.asdict(drill), "source": text}


def find(
    session: Session, user: User, exercise_slug: str, number: int, course_slug: str | None = None
) -> Opened:
    """The student's own practice ``number`` of the exercise (NotFound otherwise)."""
    course, exercise, settings, _ = offered(session, user, exercise_slug, course_slug)
    row = session.scalar(
        select(Practice).filter_by(
            course_id=course.id, user_id=user.id, exercise_id=exercise.id, number=number
        )
    )
    if row is None:
        raise NotFound(f"no practice {number} of '{exercise_slug}' among yours")
    return opened(session, row, course, exercise, settings)


def listed(session: Session, user: User, course: Course, exercise: Exercise) -> list[Practice]:
    """The student's practices of the exercise, newest first."""
    return list(
        session.scalars(
            select(Practice)
            .filter_by(course_id=course.id, user_id=user.id, exercise_id=exercise.id)
            .order_by(Practice.number.desc())
        )
    )


def opened(
    session: Session,
    row: Practice,
    course: Course,
    exercise: Exercise,
    settings: CourseExercise | None,
) -> Opened:
    if row.source is not None:
        spec = drill_exercise(row.source)
        content_hash = spec.content_hash
    else:
        content_hash, spec = exercises.version_by_id(session, row.exercise_version_id)
    return Opened(row, course, exercise, settings, spec, content_hash)


@lru_cache(maxsize=256)
def drill_exercise(source: str) -> core.Exercise:
    """A drill's exercise from its stored file, parsed once per process."""
    return core.load_text(source.encode("utf-8"), "drill")
