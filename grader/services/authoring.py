"""Exercises a course writes in its editor: each save a new version, checked first, by whom and
when; their history and the differences between two versions.

A course's own exercise belongs to it: only that course (and those an admin shares it with, see
``sharing``) sees or offers it. A new one starts withdrawn from the students (the course's list
of offered exercises is pinned first), to be offered from the course page once it is ready. The
exercise files synced from disk are shared by every course and read-only here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.db import Course, Exercise, ExerciseVersion, Submission, User
from grader.services import courses
from grader.services.errors import Invalid, NotFound
from grader.services.exercises import titles_of, version_row


class NotValid(Invalid):
    """Source that does not check; ``problems`` says what, line by line."""

    def __init__(self, problems: list[core.Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Saved:
    """A save: the version now current, its number, whether it is new (not an earlier text
    made current again, nor the current one) and how many of the course's submissions were
    graded against another version (a regrade would update them)."""

    version: ExerciseVersion
    number: int
    new: bool
    outdated: int


@dataclass(frozen=True)
class VersionEntry:
    """A version as the history lists it (numbered from 1, the first saved)."""

    number: int
    version: ExerciseVersion
    author: str | None
    current: bool

    @property
    def created_at(self) -> datetime:
        return self.version.created_at


def checked(source: str) -> core.Checked:
    """The one check of an exercise (``grader exercises check``'s) on the editor's text."""
    return core.check_text(source.encode("utf-8"), "<editor>")


def owned(session: Session, course: Course) -> list[Exercise]:
    """The course's own exercises, by id."""
    return list(
        session.scalars(
            select(Exercise).filter_by(owner_course_id=course.id).order_by(Exercise.slug)
        )
    )


def owned_exercise(session: Session, course: Course, slug: str) -> Exercise:
    """One of the course's own exercises (a shared exercise file cannot be edited), or NotFound."""
    exercise = session.scalar(select(Exercise).filter_by(slug=slug, owner_course_id=course.id))
    if exercise is None:
        raise NotFound(f"no exercise '{slug}' of course '{course.slug}' to edit")
    return exercise


def current_source(session: Session, row: Exercise) -> str:
    """The text of the exercise's current version."""
    return session.scalar(
        select(ExerciseVersion.source).filter_by(exercise_id=row.id, content_hash=row.current_hash)
    )


def create(session: Session, course: Course, author: User | None, source: str) -> Saved:
    """A new exercise of the course from the editor's text (withdrawn until offered)."""
    exercise = _valid(source)
    if session.scalar(select(Exercise.id).filter_by(slug=exercise.id)) is not None:
        raise _taken(exercise)
    courses.pin_offered(session, course)
    row = Exercise(
        slug=exercise.id,
        title=exercise.spec.title,
        titles=titles_of(exercise),
        current_hash=exercise.content_hash,
        owner_course_id=course.id,
    )
    session.add(row)
    version = version_row(row, exercise, source)
    version.author_id = author.id if author else None
    session.add(version)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise _taken(exercise) from None
    return Saved(version, 1, True, 0)


def save(
    session: Session, course: Course, author: User | None, row: Exercise, source: str
) -> Saved:
    """A new version of one of the course's exercises; the text of an earlier version made
    current again; nothing new for the current text."""
    exercise = _valid(source)
    if exercise.id != row.slug:
        line = exercise.lines.get(("id",), 1)
        raise NotValid(
            [core.Problem(line, f"the id must stay '{row.slug}': make a new exercise instead")]
        )
    version = session.scalar(
        select(ExerciseVersion).filter_by(exercise_id=row.id, content_hash=exercise.content_hash)
    )
    new = version is None
    if new:
        version = version_row(row, exercise, source)
        version.author_id = author.id if author else None
        session.add(version)
    row.title, row.current_hash, row.active = exercise.spec.title, exercise.content_hash, True
    row.titles = titles_of(exercise)
    session.commit()
    number = next(e.number for e in history(session, row) if e.version.id == version.id)
    return Saved(version, number, new, courses.outdated(session, course, row))


def history(session: Session, row: Exercise) -> list[VersionEntry]:
    """The exercise's versions, newest first, with who saved each."""
    rows = session.execute(
        select(ExerciseVersion, User.email)
        .outerjoin(User, User.id == ExerciseVersion.author_id)
        .where(ExerciseVersion.exercise_id == row.id)
        .order_by(ExerciseVersion.id)
    ).all()
    entries = [
        VersionEntry(number, version, email, version.content_hash == row.current_hash)
        for number, (version, email) in enumerate(rows, start=1)
    ]
    return entries[::-1]


def version_number(session: Session, row: Exercise, number: int) -> ExerciseVersion:
    """The exercise's version ``number`` (1: the first saved), or NotFound."""
    version = session.scalar(
        select(ExerciseVersion)
        .filter_by(exercise_id=row.id)
        .order_by(ExerciseVersion.id)
        .offset(max(number - 1, 0))
        .limit(1)
    )
    if number < 1 or version is None:
        raise NotFound(f"no version {number} of exercise '{row.slug}'")
    return version


def diff(session: Session, row: Exercise, old: int, new: int) -> list[str]:
    """The lines that differ between two versions, as a unified diff."""
    before, after = version_number(session, row, old), version_number(session, row, new)
    return list(
        difflib.unified_diff(
            before.source.splitlines(),
            after.source.splitlines(),
            f"version {old}",
            f"version {new}",
            lineterm="",
        )
    )


def submissions_of(session: Session, course: Course, row: Exercise) -> int:
    """How many submissions of the exercise the course has (graded or not)."""
    return session.scalar(
        select(func.count(Submission.id)).where(
            Submission.course_id == course.id, Submission.exercise_id == row.id
        )
    )


def _taken(exercise: core.Exercise) -> NotValid:
    line = exercise.lines.get(("id",), 1)
    return NotValid(
        [core.Problem(line, f"the id '{exercise.id}' is already taken: choose another")]
    )


def _valid(source: str) -> core.Exercise:
    """The loaded exercise, or NotValid with every problem."""
    result = checked(source)
    if not result.ok:
        raise NotValid(result.problems)
    return result.exercise
