"""The per-blank table mirrors every result's blanks, however a result is updated (PostgreSQL's
trigger writes only the blanks that changed)."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from grader.db import User
from grader.extensions import db
from grader.services import submissions
from tests.service.factories import make_user

ANSWERS = {"grad.e3": "-10"}


def blank(verdict: str, got, points: float, diagnosis: str | None = None) -> dict:
    return {"verdict": verdict, "got": got, "points": points, "diagnosis": diagnosis}


def mirrored(session, result_id: int) -> dict:
    rows = session.execute(
        text(
            "SELECT blank, verdict, diagnosis, got, points, submission_id FROM result_blanks "
            "WHERE result_id = :id"
        ),
        {"id": result_id},
    ).all()
    return {row.blank: (row.verdict, row.diagnosis, row.got, row.points) for row in rows}


def expected(blanks: dict) -> dict:
    return {
        name: (
            entry["verdict"],
            entry["diagnosis"],
            None if entry["got"] is None else json.dumps(entry["got"]),
            entry["points"],
        )
        for name, entry in blanks.items()
    }


def test_result_blanks_follow_every_kind_of_update(postgres_app):
    """Changed, unchanged, added and removed blanks, and several results in one statement."""
    student = make_user(postgres_app)
    with postgres_app.app_context():
        session = db.session
        user = session.scalar(select(User).filter_by(email=student.email))
        ids = [
            submissions.submit(session, user, "single-weight", ANSWERS, student.course).id
            for _ in range(3)
        ]
        session.execute(
            text("UPDATE submissions SET status = 'graded' WHERE id = ANY(:ids)"), {"ids": ids}
        )
        first = {
            "grad.e3": blank("correct", -10, 1.0),
            "grad.e2": blank("incorrect", 10, 0.0, "sign_error"),
            "new.v": blank("missing", None, 0.0),
        }
        result_ids = [
            session.scalar(
                text(
                    "INSERT INTO results (submission_id, score, max_score, variant, blanks, "
                    "engine_version, exercise_hash, created_at) VALUES (:s, 1, 5, '{}', "
                    "CAST(:b AS jsonb), '1', 'h', now()) RETURNING id"
                ),
                {"s": submission_id, "b": json.dumps(first)},
            )
            for submission_id in ids
        ]
        session.commit()
        for result_id in result_ids:
            assert mirrored(session, result_id) == expected(first)

        second = {
            "grad.e3": blank("correct", -10, 1.0),
            "grad.e2": blank("correct", -10, 1.0),
            "update.v": blank("unreadable", "abc", 0.0),
        }
        session.execute(
            text("UPDATE results SET blanks = CAST(:b AS jsonb) WHERE id = ANY(:ids)"),
            {"b": json.dumps(second), "ids": result_ids[:2]},
        )
        session.execute(text("UPDATE results SET score = 2 WHERE id = :id"), {"id": result_ids[2]})
        session.commit()
        assert mirrored(session, result_ids[0]) == expected(second)
        assert mirrored(session, result_ids[1]) == expected(second)
        assert mirrored(session, result_ids[2]) == expected(first)
        # Updates archive nothing unless the transaction names the regrading batch.
        archived = text("SELECT count(*) FROM result_history WHERE submission_id = ANY(:ids)")
        assert session.scalar(archived, {"ids": ids}) == 0


def test_the_update_trigger_archives_replaced_results_for_the_batch_named(postgres_app):
    """With ``grader.archive_batch`` set (a regrade's upsert), each replaced result goes to
    result_history as it was, under that batch; with it cleared again, nothing more does."""
    student = make_user(postgres_app)
    with postgres_app.app_context():
        session = db.session
        user = session.scalar(select(User).filter_by(email=student.email))
        submission_id = submissions.submit(
            session, user, "single-weight", ANSWERS, student.course
        ).id
        old = {"grad.e3": blank("incorrect", 10, 0.0, "sign_error")}
        result_id = session.scalar(
            text(
                "INSERT INTO results (submission_id, score, max_score, variant, blanks, "
                "engine_version, exercise_hash, created_at) VALUES (:s, 0, 5, '{}', "
                "CAST(:b AS jsonb), '1', 'old-hash', now()) RETURNING id"
            ),
            {"s": submission_id, "b": json.dumps(old)},
        )
        batch_id = session.scalar(
            text(
                "INSERT INTO batches (course_id, kind, status, total, rejected, errors, "
                "created_at) SELECT course_id, 'regrade', 'running', 1, 0, '[]', now() "
                "FROM submissions WHERE id = :s RETURNING id"
            ),
            {"s": submission_id},
        )
        session.commit()
        session.execute(
            text("SELECT set_config('grader.archive_batch', :b, true)"), {"b": str(batch_id)}
        )
        session.execute(
            text("UPDATE results SET score = 1, exercise_hash = 'new-hash' WHERE id = :id"),
            {"id": result_id},
        )
        session.execute(text("SELECT set_config('grader.archive_batch', '', true)"))
        session.execute(text("UPDATE results SET score = 2 WHERE id = :id"), {"id": result_id})
        session.commit()
        rows = session.execute(
            text(
                "SELECT submission_id, batch_id, score, exercise_hash, blanks FROM result_history "
                "WHERE submission_id = :s"
            ),
            {"s": submission_id},
        ).all()
        assert [tuple(row) for row in rows] == [(submission_id, batch_id, 0.0, "old-hash", old)]
