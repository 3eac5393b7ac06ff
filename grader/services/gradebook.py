"""The gradebook: each student's best score on each exercise of a course, as CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grader.db import Course, Enrolment, Result, Submission, User
from grader.services.exercises import offered


def gradebook_csv(session: Session, course: Course) -> str:
    """One row per enrolled student, one column per offered exercise (best score, blank if none)."""
    exercises = [exercise for exercise, _ in offered(session, course)]
    students = session.scalars(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id, Enrolment.role == "student")
        .order_by(User.email)
    ).all()
    best = {
        (user_id, exercise_id): score
        for user_id, exercise_id, score in session.execute(
            select(Submission.user_id, Submission.exercise_id, func.max(Result.score))
            .join(Result, Result.submission_id == Submission.id)
            .where(Submission.course_id == course.id, Submission.status == "graded")
            .group_by(Submission.user_id, Submission.exercise_id)
        )
    }
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "name", *(exercise.slug for exercise in exercises), "total"])
    for student in students:
        scores = [best.get((student.id, exercise.id)) for exercise in exercises]
        total = sum(score for score in scores if score is not None)
        writer.writerow(
            [
                student.email,
                student.name,
                *("" if s is None else _number(s) for s in scores),
                _number(total),
            ]
        )
    return out.getvalue()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"
