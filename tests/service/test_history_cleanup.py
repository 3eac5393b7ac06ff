"""Archived results go with their submission: deleting a user (their submissions cascade)
deletes their archive too, on SQLite and PostgreSQL; other users' archives stay."""

from __future__ import annotations

from sqlalchemy import func, select, text

from grader.db import ResultHistory, User, utcnow
from grader.extensions import db
from grader.services import accounts, submissions

ANSWERS = {"grad.e3": "-10"}


def archived_for(email: str) -> int:
    user = accounts.add_user(db.session, email, "student", None, "algebra")
    db.session.commit()
    submission_id = submissions.submit(db.session, user, "single-weight", ANSWERS).id
    for _ in range(2):
        db.session.add(
            ResultHistory(
                submission_id=submission_id,
                batch_id=None,
                score=0.0,
                max_score=5.0,
                variant={},
                blanks={},
                engine_version="1",
                exercise_hash="h",
                graded_at=utcnow(),
            )
        )
    db.session.commit()
    return user.id


def test_deleting_a_user_deletes_the_archive_of_their_submissions(quiet_app):
    with quiet_app.app_context():
        gone = archived_for("gone@example.test")
        kept = archived_for("kept@example.test")
        count = select(func.count(ResultHistory.id))
        assert db.session.scalar(count) == 4
        db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": gone})
        db.session.commit()
        assert db.session.scalar(select(func.count(User.id)).where(User.id == gone)) == 0
        assert db.session.scalar(count) == 2
        kept_ids = db.session.scalars(
            text("SELECT id FROM submissions WHERE user_id = :u"), {"u": kept}
        ).all()
        assert set(db.session.scalars(select(ResultHistory.submission_id))) == set(kept_ids)
