"""An admin shares a course's own exercise with other courses, or stops sharing it.

A shared exercise is seen and may be offered there as an exercise file is; it stays its own
course's to edit. Stopping a share leaves the other course's submissions in place.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import Course, CourseExercise, Exercise, ExerciseShare, User
from grader.services.errors import Forbidden, Invalid, NotFound


def shared_with(session: Session, row: Exercise) -> list[Course]:
    """The other courses the exercise is shared with, by slug."""
    return list(
        session.scalars(
            select(Course)
            .join(ExerciseShare, ExerciseShare.course_id == Course.id)
            .where(ExerciseShare.exercise_id == row.id)
            .order_by(Course.slug)
        )
    )


def share(session: Session, admin: User, row: Exercise, course_slug: str) -> Course:
    """Share the exercise with the course ``course_slug`` (admins only)."""
    course = _other_course(session, admin, row, course_slug)
    known = session.scalar(select(ExerciseShare).filter_by(exercise_id=row.id, course_id=course.id))
    if known is None:
        session.add(ExerciseShare(exercise_id=row.id, course_id=course.id))
    session.commit()
    return course


def unshare(session: Session, admin: User, row: Exercise, course_slug: str) -> Course:
    """Stop sharing the exercise with ``course_slug``; it is no longer offered there."""
    course = _other_course(session, admin, row, course_slug)
    for share_row in session.scalars(
        select(ExerciseShare).filter_by(exercise_id=row.id, course_id=course.id)
    ):
        session.delete(share_row)
    for offered in session.scalars(
        select(CourseExercise).filter_by(exercise_id=row.id, course_id=course.id)
    ):
        session.delete(offered)
    session.commit()
    return course


def _other_course(session: Session, admin: User, row: Exercise, course_slug: str) -> Course:
    if not admin.is_admin:
        raise Forbidden("only an admin may share a course's exercise with other courses")
    course = session.scalar(select(Course).filter_by(slug=course_slug.strip().lower()))
    if course is None:
        raise NotFound(f"no course '{course_slug}'")
    if row.owner_course_id is None:
        raise Invalid(f"'{row.slug}' is an exercise file, already seen by every course")
    if course.id == row.owner_course_id:
        raise Invalid(f"'{row.slug}' already belongs to course '{course.slug}'")
    return course
