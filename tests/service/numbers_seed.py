"""Graded results with chosen drawn values, written straight to the database (the triggers
fill the per-blank rows), for the per-number breakdown's tests."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from grader.db import Exercise, Result, Submission
from grader.extensions import db
from grader.services import accounts, exercises

EXERCISE = "two-params-random"

# 25 students with k = -1, all wrong at e5; 25 with k = 1, 3 of them wrong there.
CLASS = [(i, 1, {"x": 1, "k": -1, "b": 0.3}, {"grad.e5"}) for i in range(25)] + [
    (100 + i, 1, {"x": 2, "k": 1, "b": -0.3}, {"grad.e5"} if i < 3 else set()) for i in range(25)
]


def blanks(wrong: set[str]) -> dict:
    return {
        blank: {
            "verdict": "incorrect" if blank in wrong else "correct",
            "expected": 1,
            "got": 2 if blank in wrong else 1,
            "points": 0 if blank in wrong else 1,
            "diagnosis": None,
            "feedback": "",
        }
        for blank in ("grad.e5", "grad.e1")
    }


def seed(
    app,
    attempts: list[tuple[int, int, dict, set[str]]],
    slug: str | None = None,
    exercise_slug: str = EXERCISE,
) -> tuple[int, int, object]:
    """Course ``slug`` (a fresh one if None) whose student ``i`` made ``attempt`` with these
    values (x, k and b of two-params-random, or a whole variant) and wrong blanks; the course's
    and exercise's ids and the loaded exercise."""
    slug = slug or f"course-{uuid.uuid4().hex[:10]}"
    with app.app_context():
        session = db.session
        course = accounts.get_or_create_course(session, slug)
        exercise = session.scalar(select(Exercise).filter_by(slug=exercise_slug))
        version = exercises.current_version(session, exercise)
        users = {}
        for student, attempt, values, wrong in attempts:
            if student not in users:
                email = f"s{student}-{uuid.uuid4().hex[:8]}@test.example"
                users[student] = accounts.add_user(session, email, "student", None, slug).id
            submission = Submission(
                user_id=users[student],
                course_id=course.id,
                exercise_id=exercise.id,
                exercise_version_id=version.id,
                attempt=attempt,
                answers={},
                status="graded",
            )
            session.add(submission)
            session.flush()
            variant = (
                values
                if "given" in values
                else {
                    "given": {"x": values["x"], "y": 5},
                    "params": {"k": values["k"], "b": values["b"]},
                }
            )
            session.add(
                Result(
                    submission_id=submission.id,
                    score=2 - len(wrong),
                    max_score=9,
                    variant=variant,
                    blanks=blanks(wrong),
                    engine_version="test",
                    exercise_hash=version.content_hash,
                )
            )
        session.commit()
        return course.id, exercise.id, exercises.load_version(version)
