"""Each student's variant of an exercise version: drawn once, stored with its reference answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.checking import grade
from grader.db import Course, ExerciseVersion, StudentVariant, User
from grader.services.exercises import load_version


def student_key(user: User) -> str:
    """What a variant is drawn for: the student's email, as batch files name students."""
    return user.email


def reference_answers(exercise: core.Exercise, variant: core.Variant) -> dict:
    """The expected value of every blank for these values."""
    graded = grade(exercise, variant, {})
    return {blank: entry["expected"] for blank, entry in graded["blanks"].items()}


def variant_for(
    session: Session, course: Course, user: User, version: ExerciseVersion
) -> StudentVariant:
    """The student's variant of this version, drawn and stored on first use."""
    query = select(StudentVariant).filter_by(
        course_id=course.id, user_id=user.id, exercise_version_id=version.id
    )
    row = session.scalar(query)
    if row is not None:
        return row
    exercise = load_version(version)
    drawn = exercise.draw_variant(course.secret, student_key(user))
    row = StudentVariant(
        course_id=course.id,
        user_id=user.id,
        exercise_version_id=version.id,
        values=drawn.to_dict(),
        reference=reference_answers(exercise, drawn),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return session.scalars(query).one()
    return row
