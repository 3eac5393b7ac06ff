"""A result's per-blank rows go with it, however it is deleted (the result itself, its
submission, its student or its course), on SQLite and PostgreSQL; other results' rows stay, and
a result's id cannot change under its blanks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from grader.db import Course, Result, ResultBlank, User, utcnow
from grader.extensions import db
from grader.services import accounts, submissions

ANSWERS = {"grad.e3": "-10"}
BLANKS = {
    "grad.e3": {"verdict": "correct", "got": -10, "points": 1.0, "diagnosis": None},
    "grad.e2": {"verdict": "missing", "got": None, "points": 0.0, "diagnosis": None},
}


def graded(email: str, course: str, count: int = 2) -> list[int]:
    """``count`` submissions of a student of ``course``, each with a result of two blanks."""
    session = db.session
    user = accounts.add_user(session, email, "student", None, course)
    session.commit()
    ids = []
    for _ in range(count):
        submission = submissions.submit(session, user, "single-weight", ANSWERS)
        result = Result(
            submission_id=submission.id,
            score=1.0,
            max_score=2.0,
            variant={},
            blanks=BLANKS,
            engine_version="1",
            exercise_hash="h",
            created_at=utcnow(),
        )
        session.add(result)
        session.commit()
        ids.append(result.id)
    return ids


def blank_owners() -> set[int]:
    """The result ids the per-blank rows name; every one must be a result."""
    session = db.session
    owners = set(session.scalars(select(ResultBlank.result_id).distinct()))
    orphans = session.scalar(
        select(func.count()).where(ResultBlank.result_id.not_in(select(Result.id)))
    )
    assert orphans == 0
    return owners


def test_deleting_results_submissions_users_and_courses_leaves_no_orphan_blanks(quiet_app):
    with quiet_app.app_context():
        session = db.session
        kept = graded("kept@example.test", "algebra")
        result = graded("result@example.test", "algebra")
        submission = graded("submission@example.test", "algebra")
        user = graded("user@example.test", "algebra")
        course = graded("course@example.test", "geometry", count=3)
        assert session.scalar(select(func.count()).select_from(ResultBlank)) == 2 * 11
        assert blank_owners() == set(kept + result + submission + user + course)

        session.execute(
            text("DELETE FROM results WHERE id IN (:a, :b)"), {"a": result[0], "b": result[1]}
        )
        session.commit()
        assert blank_owners() == set(kept + submission + user + course)

        session.execute(
            text(
                "DELETE FROM submissions WHERE id IN (SELECT submission_id FROM results r "
                "WHERE r.id IN (:a, :b))"
            ),
            {"a": submission[0], "b": submission[1]},
        )
        session.commit()
        assert blank_owners() == set(kept + user + course)

        gone = session.scalar(select(User.id).filter_by(email="user@example.test"))
        session.execute(text("DELETE FROM users WHERE id = :id"), {"id": gone})
        session.commit()
        assert blank_owners() == set(kept + course)

        geometry = session.scalar(select(Course.id).filter_by(slug="geometry"))
        session.execute(text("DELETE FROM courses WHERE id = :id"), {"id": geometry})
        session.commit()
        assert blank_owners() == set(kept)
        assert session.scalar(select(func.count()).select_from(ResultBlank)) == 2 * len(kept)


def test_a_results_id_cannot_change_under_its_blanks(quiet_app):
    with quiet_app.app_context():
        session = db.session
        first, _ = graded("moved@example.test", "algebra")
        with pytest.raises(DatabaseError, match="its blanks name it"):
            session.execute(text("UPDATE results SET id = id + 1000 WHERE id = :id"), {"id": first})
            session.flush()
        session.rollback()
        session.execute(text("UPDATE results SET score = 2 WHERE id = :id"), {"id": first})
        session.commit()
        assert first in blank_owners()
