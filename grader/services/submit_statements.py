"""The statements a submission is checked and written by (``submissions.submit``): what its
checks need in one row per course, the INSERT, and on PostgreSQL both in one statement. Each is
built once with bind parameters, so each request only binds values."""

from __future__ import annotations

from sqlalchemy import Integer, Select, String, and_, bindparam, func, insert, join, or_, select

from grader.db import (
    Course,
    CourseExercise,
    Enrolment,
    Exercise,
    ExerciseVersion,
    StudentVariant,
    Submission,
)
from grader.services.exercises import chosen_in, with_offered


def context_query(any_course: bool) -> Select:
    """What a submission's checks need, in one row per course: the course, the user's role
    there, the exercise offered there (null if none), its settings there and current version,
    whether the course chose its exercises, the user's attempts so far (how many, and the last
    one's number) and variant, and their submission with the same idempotency key.

    Built once with bind parameters (``user_id``, ``exercise``, ``course`` (a slug, or None
    for every course of the user's), ``key``) so each request only binds values. With
    ``any_course`` the row is the course of id ``course_id`` enrolled or not (an admin's)."""
    user_id = bindparam("user_id", type_=Integer)
    enrolment = and_(Enrolment.course_id == Course.id, Enrolment.user_id == user_id)

    def of_attempts(column):
        """``column`` over the user's submissions of the exercise in the course."""
        return (
            select(column)
            .where(
                Submission.user_id == user_id,
                Submission.course_id == Course.id,
                Submission.exercise_id == Exercise.id,
            )
            .correlate(Course, Exercise)
            .scalar_subquery()
        )

    attempts = of_attempts(func.count(Submission.id))
    last_attempt = of_attempts(func.coalesce(func.max(Submission.attempt), 0))
    variant = (
        select(StudentVariant.id)
        .where(
            StudentVariant.course_id == Course.id,
            StudentVariant.user_id == user_id,
            StudentVariant.exercise_version_id == ExerciseVersion.id,
        )
        .correlate(Course, ExerciseVersion)
        .scalar_subquery()
    )
    earlier = (
        select(Submission.id)
        .where(
            Submission.user_id == user_id,
            Submission.idempotency_key == bindparam("key", type_=String),
        )
        .scalar_subquery()
    )
    query = select(
        Course.id.label("course_id"),
        Course.slug.label("course_slug"),
        Enrolment.role,
        Exercise.id.label("exercise_id"),
        CourseExercise.id.label("settings_id"),
        CourseExercise.opens_at,
        CourseExercise.due_at,
        CourseExercise.max_attempts,
        ExerciseVersion.id.label("version_id"),
        ExerciseVersion.blanks,
        chosen_in(Course.id).label("chosen"),
        attempts.label("attempts"),
        last_attempt.label("last_attempt"),
        variant.label("variant_id"),
        earlier.label("earlier_id"),
    )
    if any_course:
        courses = join(Course, Enrolment, enrolment, isouter=True)
        query = query.where(Course.id == bindparam("course_id", type_=Integer))
    else:
        courses = join(Course, Enrolment, enrolment)
        course = bindparam("course", type_=String)
        query = query.where(or_(course.is_(None), Course.slug == course))
    exercise = bindparam("exercise", type_=String)
    return query.select_from(with_offered(courses, exercise)).limit(2)


def inserting_query() -> Select:
    """PostgreSQL's one statement for a submission: the rows of ``context_query`` (``context``)
    each with ``submission_id``, the id of the submission inserted from them when they are one
    row with the exercise's version, the student's variant and no earlier submission with the
    key (else null). Binds what the context query binds and ``answers``; the checks are the
    caller's, made on the rows before it commits."""
    context = context_query(any_course=False).cte("context")
    table = Submission.__table__
    values = select(
        bindparam("user_id", type_=Integer),
        context.c.course_id,
        context.c.exercise_id,
        context.c.version_id,
        context.c.variant_id,
        context.c.last_attempt + 1,
        bindparam("key", type_=String),
        bindparam("answers", type_=table.c.answers.type),
    ).where(
        select(func.count()).select_from(context).scalar_subquery() == 1,
        context.c.version_id.is_not(None),
        context.c.variant_id.is_not(None),
        context.c.earlier_id.is_(None),
    )
    columns = [
        "user_id",
        "course_id",
        "exercise_id",
        "exercise_version_id",
        "variant_id",
        "attempt",
        "idempotency_key",
        "answers",
    ]
    inserted = insert(table).from_select(columns, values).returning(table.c.id).cte("inserted")
    return select(context, select(inserted.c.id).scalar_subquery().label("submission_id"))


CONTEXT = context_query(any_course=False)
CONTEXT_ANY_COURSE = context_query(any_course=True)
CONTEXT_INSERTING = inserting_query()
INSERT = insert(Submission.__table__).returning(Submission.__table__.c.id)
