"""Running a course: create it, choose its exercises and set each one's dates, attempt limit,
when expected values are shown, its hints and attempt penalty, and how it counts in the
gradebook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grader.db import (
    Course,
    CourseExercise,
    Enrolment,
    Exercise,
    Result,
    Submission,
    User,
)
from grader.db.course import REVEAL_POLICIES
from grader.services import accounts
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound
from grader.services.exercises import narrowed, visible_in
from grader.services.penalties import MAX_PENALTY

MAX_TITLE = 200


@dataclass(frozen=True)
class TaughtCourse:
    """A course an instructor teaches, with its head counts."""

    course: Course
    students: int
    instructors: int


@dataclass(frozen=True)
class CatalogueEntry:
    """An exercise as the course overview lists it."""

    exercise: Exercise
    settings: CourseExercise | None
    offered: bool
    submissions: int
    students: int
    outdated: int


def create_course(session: Session, user: User, slug: str, title: str) -> Course:
    """A new course taught by ``user`` (an instructor or admin by global role: teaching a course
    someone else created is not enough); a slug already taken is refused."""
    if user.role not in ("instructor", "admin"):
        raise Forbidden("only instructors may create courses: ask an admin")
    slug, title = slug.strip().lower(), title.strip()
    if len(title) > MAX_TITLE:
        raise Invalid(f"the title is longer than {MAX_TITLE} characters")
    if session.scalar(select(Course.id).filter_by(slug=slug)) is not None:
        raise Conflict(f"there is already a course '{slug}'")
    course = accounts.get_or_create_course(session, slug, title)
    accounts.enrol(session, user, course, "instructor")
    session.commit()
    return course


def taught(session: Session, user: User) -> list[TaughtCourse]:
    """The courses ``user`` teaches (every course for an admin), with head counts."""
    heads = (
        select(
            Enrolment.course_id,
            func.count().filter(Enrolment.role == "student").label("students"),
            func.count().filter(Enrolment.role == "instructor").label("instructors"),
        )
        .group_by(Enrolment.course_id)
        .subquery()
    )
    query = (
        select(Course, heads.c.students, heads.c.instructors)
        .outerjoin(heads, heads.c.course_id == Course.id)
        .order_by(Course.slug)
    )
    if user.role != "admin":
        mine = select(Enrolment.course_id).where(
            Enrolment.user_id == user.id, Enrolment.role == "instructor"
        )
        query = query.where(Course.id.in_(mine))
    return [TaughtCourse(course, s or 0, i or 0) for course, s, i in session.execute(query)]


def catalogue(session: Session, course: Course) -> list[CatalogueEntry]:
    """Every active exercise: offered or not, its settings, submissions so far, and how many of
    them were graded against an older version of its file (a regrade would update them: a
    result records the version it was graded against)."""
    chosen = narrowed(session, course)
    settings = {
        row.exercise_id: row
        for row in session.scalars(select(CourseExercise).filter_by(course_id=course.id))
    }
    counts = {
        exercise_id: (n, students, outdated)
        for exercise_id, n, students, outdated in session.execute(
            select(
                Submission.exercise_id,
                func.count(Submission.id),
                func.count(func.distinct(Submission.user_id)),
                func.count(Result.id).filter(Result.exercise_hash != Exercise.current_hash),
            )
            .outerjoin(Result, Result.submission_id == Submission.id)
            .join(Exercise, Exercise.id == Submission.exercise_id)
            .where(Submission.course_id == course.id)
            .group_by(Submission.exercise_id)
        )
    }
    exercises = session.scalars(
        select(Exercise).where(Exercise.active, visible_in(course.id))
    ).all()
    entries = [
        CatalogueEntry(
            exercise,
            settings.get(exercise.id),
            exercise.id in settings or not chosen,
            *counts.get(exercise.id, (0, 0, 0)),
        )
        for exercise in exercises
    ]
    far = len(exercises) + 1
    return sorted(
        entries,
        key=lambda e: (
            not e.offered,
            e.settings.position if e.settings else far,
            e.exercise.slug,
        ),
    )


def outdated(session: Session, course: Course, exercise: Exercise) -> int:
    """How many of the exercise's submissions in the course were graded against an older version."""
    return session.scalar(
        select(func.count(Result.id))
        .join(Submission, Submission.id == Result.submission_id)
        .where(
            Submission.course_id == course.id,
            Submission.exercise_id == exercise.id,
            Result.exercise_hash != exercise.current_hash,
        )
    )


def find_exercise(session: Session, slug: str, course: Course) -> Exercise:
    """An active exercise the course may see, by its id, or NotFound."""
    exercise = session.scalar(
        select(Exercise).filter_by(slug=slug, active=True).where(visible_in(course.id))
    )
    if exercise is None:
        raise NotFound(f"no exercise '{slug}'")
    return exercise


def pin_offered(session: Session, course: Course) -> None:
    """Turn "every active exercise" into an explicit list, so changing one keeps the others."""
    if narrowed(session, course):
        return
    for position, exercise in enumerate(
        session.scalars(
            select(Exercise).where(Exercise.active, visible_in(course.id)).order_by(Exercise.slug)
        )
    ):
        session.add(CourseExercise(course_id=course.id, exercise_id=exercise.id, position=position))
    session.flush()


def settings_of(session: Session, course: Course, exercise: Exercise) -> CourseExercise | None:
    """The exercise's settings row in the course, if it has one."""
    return session.scalar(
        select(CourseExercise).filter_by(course_id=course.id, exercise_id=exercise.id)
    )


def settings_for(session: Session, course: Course, exercise: Exercise) -> CourseExercise:
    """The exercise's settings row in the course, created (and so offered) if missing."""
    pin_offered(session, course)
    row = settings_of(session, course, exercise)
    if row is None:
        position = session.scalar(
            select(func.coalesce(func.max(CourseExercise.position), -1) + 1).filter_by(
                course_id=course.id
            )
        )
        row = CourseExercise(course_id=course.id, exercise_id=exercise.id, position=position)
        session.add(row)
        session.flush()
    return row


def set_offered(session: Session, course: Course, exercise: Exercise, offer: bool) -> None:
    """Offer the exercise to the course's students, or withdraw it (its submissions stay)."""
    row = settings_for(session, course, exercise)
    if not offer:
        remaining = session.scalar(
            select(func.count(CourseExercise.id)).filter_by(course_id=course.id)
        )
        if remaining <= 1:
            raise Invalid("a course offers at least one exercise")
        session.delete(row)
    session.commit()


@dataclass(frozen=True)
class SettingsForm:
    """The settings as typed into the form: text, checked or not."""

    opens_at: str = ""
    due_at: str = ""
    max_attempts: str = ""
    reveal: str = REVEAL_POLICIES[0]
    points: str = ""
    follow_through: bool = True
    hints: bool = True
    hint_from: str = "1"
    penalty: str = ""


def save_settings(
    session: Session, course: Course, exercise: Exercise, form: SettingsForm
) -> CourseExercise:
    """Check every field, then store them all, or raise Invalid naming each field's problem."""
    problems: dict[str, str] = {}
    opens_at = _moment(form.opens_at, "opens_at", problems)
    due_at = _moment(form.due_at, "due_at", problems)
    if opens_at and due_at and due_at <= opens_at:
        problems["due_at"] = "the exercise must close after it opens"
    max_attempts = _number(form.max_attempts, "max_attempts", problems, integer=True)
    points = _number(form.points, "points", problems)
    if form.reveal not in REVEAL_POLICIES:
        problems["reveal"] = "choose one of the listed policies"
    hint_from = form.hint_from.strip() or "1"
    if hint_from not in ("1", "2", "3"):
        problems["hint_from"] = "choose level 1, 2 or 3"
    penalty = _share(form.penalty, "penalty", problems)
    if problems:
        raise SettingsInvalid(problems)
    row = settings_for(session, course, exercise)
    row.opens_at, row.due_at, row.max_attempts = opens_at, due_at, max_attempts
    row.reveal, row.points, row.follow_through = form.reveal, points, form.follow_through
    row.hints, row.hint_from, row.penalty = form.hints, int(hint_from), penalty
    session.commit()
    return row


class SettingsInvalid(Invalid):
    """Settings refused; ``problems`` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{field}: {text}" for field, text in problems.items()))
        self.problems = problems


def _moment(text: str, field: str, problems: dict[str, str]) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        problems[field] = "write a date and time like 2026-12-01 18:00"
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _share(text: str, field: str, problems: dict[str, str]) -> float:
    """A share of the points from 0 to 1, typed as ``0.2``, ``0,2`` or ``20%`` (empty: 0)."""
    text = text.strip().replace(",", ".")
    percent = text.endswith("%")
    try:
        value = float(text.removesuffix("%").strip() or 0) / (100 if percent else 1)
    except ValueError:
        problems[field] = "write a share like 0.2 or 20%"
        return 0.0
    if not 0 <= value <= MAX_PENALTY:
        problems[field] = "must be from 0 to 1 (0% to 100%)"
        return 0.0
    return value


def _number(
    text: str, field: str, problems: dict[str, str], integer: bool = False
) -> float | int | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        problems[field] = "write a whole number" if integer else "write a number"
        return None
    if not value > 0 or value != value or value == float("inf"):
        problems[field] = "must be more than 0"
        return None
    return value
