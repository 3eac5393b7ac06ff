"""A submission's course, exercise, version and batch are checked by triggers, not foreign keys
(migration 0018): on SQLite and PostgreSQL a submission naming a missing one is refused, deleting
a course, exercise or version deletes its submissions (and their results), deleting a batch
leaves its submissions without one, and none of their ids can change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from grader.db import Batch, Course, Exercise, Result, ResultBlank, Submission, User, utcnow
from grader.extensions import db
from grader.services import accounts, submissions

ANSWERS = {"grad.e3": "-10"}
COLUMNS = ("course_id", "exercise_id", "exercise_version_id", "batch_id")


def submitted(email: str, course: str, exercise: str = "single-weight", count: int = 1) -> list:
    """Ids of ``count`` new submissions of a student of ``course``, each with a result."""
    session = db.session
    user = session.scalar(select(User).filter_by(email=email))
    if user is None:
        user = accounts.add_user(session, email, "student", None, course)
        session.commit()
    ids = []
    for _ in range(count):
        submission = submissions.submit(session, user, exercise, ANSWERS, course_slug=course)
        session.add(
            Result(
                submission_id=submission.id,
                score=1.0,
                max_score=1.0,
                variant={},
                blanks={"grad.e3": {"verdict": "correct", "got": -10, "points": 1.0}},
                engine_version="1",
                exercise_hash="h",
                created_at=utcnow(),
            )
        )
        session.commit()
        ids.append(submission.id)
    return ids


def stored() -> set[int]:
    """The submissions there are; every result and blank row names one of them."""
    session = db.session
    ids = set(session.scalars(select(Submission.id)))
    assert set(session.scalars(select(Result.submission_id))) <= ids
    assert set(session.scalars(select(ResultBlank.submission_id))) <= ids
    return ids


def a_batch(course_slug: str) -> int:
    session = db.session
    course = session.scalar(select(Course).filter_by(slug=course_slug))
    batch = Batch(course_id=course.id, kind="import", status="done", errors=[])
    session.add(batch)
    session.commit()
    return batch.id


def copy_of(submission_id: int, **changes) -> None:
    """Insert a copy of a submission (a new key) with some of its parents' ids changed."""
    names = ", ".join(COLUMNS)
    values = ", ".join(f":{name}" if name in changes else name for name in COLUMNS)
    db.session.execute(
        text(
            f"INSERT INTO submissions (user_id, {names}, attempt, idempotency_key, answers, "
            "status, status_changed_at, queued_at) "
            f"SELECT user_id, {values}, attempt + 100, 'copy', answers, status, "
            "status_changed_at, queued_at FROM submissions WHERE id = :id"
        ),
        {"id": submission_id, **changes},
    )
    db.session.flush()


@pytest.mark.parametrize("column", COLUMNS)
def test_a_submission_naming_a_missing_parent_is_refused_on_insert_and_update(quiet_app, column):
    with quiet_app.app_context():
        session = db.session
        (first,) = submitted("parents@example.test", "algebra")
        batch = a_batch("algebra")
        copy_of(first, batch_id=batch)
        session.rollback()
        with pytest.raises(IntegrityError):
            copy_of(first, **{column: 999_999})
        session.rollback()
        with pytest.raises(IntegrityError):
            session.execute(
                text(f"UPDATE submissions SET {column} = 999999 WHERE id = :id"), {"id": first}
            )
            session.flush()
        session.rollback()
        session.execute(
            text("UPDATE submissions SET batch_id = :batch WHERE id = :id"),
            {"batch": batch, "id": first},
        )
        session.commit()
        assert session.get(Submission, first).batch_id == batch


def delete_row(session, table: str, row_id: int) -> None:
    """Delete one row by id, in SQL (as an operator would), and commit."""
    session.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row_id})
    session.commit()


def test_deleting_a_parent_deletes_its_submissions_or_leaves_them_without_a_batch(quiet_app):
    """A course is deleted with its batches: the submissions are deleted, not refused for
    naming a batch that went first."""
    with quiet_app.app_context():
        session = db.session
        kept = submitted("kept@example.test", "algebra", count=2)
        batched = submitted("batched@example.test", "algebra")
        versioned = submitted("versioned@example.test", "algebra", "fan-out")
        other = submitted("other@example.test", "algebra", "two-params")
        geometry = submitted("geometry@example.test", "geometry", count=2)
        batch, geometry_batch = a_batch("algebra"), a_batch("geometry")
        for batch_id, submission_id in ((batch, batched[0]), (geometry_batch, geometry[0])):
            session.execute(
                text("UPDATE submissions SET batch_id = :batch WHERE id = :id"),
                {"batch": batch_id, "id": submission_id},
            )
        session.commit()
        everyone = set(kept + batched + versioned + other + geometry)
        assert stored() == everyone

        delete_row(session, "batches", batch)
        assert stored() == everyone
        assert session.get(Submission, batched[0]).batch_id is None

        course = session.scalar(select(Course.id).filter_by(slug="geometry"))
        delete_row(session, "courses", course)
        assert stored() == everyone - set(geometry)

        version = session.get(Submission, versioned[0]).exercise_version_id
        delete_row(session, "exercise_versions", version)
        assert stored() == set(kept + batched + other)

        exercise = session.scalar(select(Exercise.id).filter_by(slug="two-params"))
        delete_row(session, "exercises", exercise)
        assert stored() == set(kept + batched)
        assert session.scalar(select(func.count()).select_from(Result)) == 3


@pytest.mark.parametrize("table", ["courses", "exercises", "exercise_versions", "batches"])
def test_the_id_of_a_submissions_parent_cannot_change(quiet_app, table):
    with quiet_app.app_context():
        session = db.session
        submitted("moved@example.test", "algebra")
        a_batch("algebra")
        with pytest.raises(IntegrityError, match="submissions name it"):
            session.execute(text(f"UPDATE {table} SET id = id + 1000"))
            session.flush()
        session.rollback()
