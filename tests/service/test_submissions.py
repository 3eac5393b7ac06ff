"""Submitting through the API: queued, then graded by a worker, as ``grader grade`` grades offline."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select

from grader import tasks
from grader.cli import main
from grader.db import Course, Result, User
from grader.extensions import db
from grader.services import lifecycle, submissions
from tests.service.factories import make_user

ANSWERS = {"grad.e3": "-10", "grad.e2": "10", "grad.e1": "-20", "update.v": "0,2", "new.v": "1/5"}


def grade_offline(tmp_path, exercises_dir, secret: str, line: dict) -> dict:
    """What ``grader grade`` says for the same submission, with the course's secret."""
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps(line) + "\n")
    result = CliRunner().invoke(
        main,
        [
            "grade",
            "--exercises",
            str(exercises_dir),
            "--input",
            str(source),
            "--output",
            str(target),
            "--secret",
            secret,
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(target.read_text().splitlines()[0])


def course_secret(app, slug: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Course.secret).filter_by(slug=slug))


def test_submission_is_queued_then_graded_as_offline(student, tmp_path, exercises_dir):
    """POST answers 202 queued; the worker grades them with the verdicts `grader grade` gives."""
    for exercise, answers in (
        ("single-weight", ANSWERS),
        ("two-params-random", {"grad.e5": "1", "grad.e4": "oops", "update.k": "[1, 2]"}),
    ):
        reply = student.submit(exercise, answers)
        assert reply.status_code == 202
        assert reply.get_json()["status"] == "queued"
        graded = student.wait_graded(reply.get_json()["id"])
        assert graded["status"] == "graded", graded
        offline = grade_offline(
            tmp_path,
            exercises_dir,
            course_secret(student.app, student.course),
            {"id": "1", "student": student.email, "exercise": exercise, "answers": answers},
        )
        for key in ("score", "max_score", "variant"):
            assert graded[key] == offline[key], key
        # The expected values are kept back until the course reveals them (after the deadline).
        kept_back = {
            blank: {field: value for field, value in entry.items() if field != "expected"}
            for blank, entry in offline["blanks"].items()
        }
        # Each graded blank also carries the hint it offers (a wrong one: see test_learning_api).
        assert all("hint" in entry for entry in graded["blanks"].values())
        shown = {
            blank: {field: value for field, value in entry.items() if field != "hint"}
            for blank, entry in graded["blanks"].items()
        }
        assert shown == kept_back
        assert graded["student"] == student.email and graded["exercise"] == exercise


def test_graded_submission_shows_verdicts_per_blank(student):
    """Each blank gets its verdict: a sign error is incorrect, the rest correct."""
    graded = student.wait_graded(student.submit("single-weight", ANSWERS).get_json()["id"])
    verdicts = {blank: entry["verdict"] for blank, entry in graded["blanks"].items()}
    assert verdicts["grad.e3"] == "correct"
    assert verdicts["grad.e2"] == "incorrect"
    assert verdicts["update.v"] == "correct" and verdicts["new.v"] == "correct"
    assert graded["max_score"] == 5 and graded["graded_at"] >= graded["queued_at"]


def test_idempotency_key_returns_the_same_submission(student):
    """A retried POST with the same Idempotency-Key creates nothing new."""
    headers = {"Idempotency-Key": "attempt-1"}
    first = student.submit("single-weight", ANSWERS, headers=headers).get_json()
    again = student.submit("single-weight", {"grad.e3": "1"}, headers=headers).get_json()
    assert again["id"] == first["id"]
    other = student.submit("single-weight", ANSWERS, headers={"Idempotency-Key": "attempt-2"})
    assert other.get_json()["id"] != first["id"]
    assert student.wait_graded(first["id"])["answers"] == ANSWERS


def test_student_cannot_read_another_students_submission(student):
    """Another student's submission is 404, as if it did not exist; the instructor may read it."""
    mine = student.submit("single-weight", ANSWERS).get_json()["id"]
    other = make_user(student.app, course=student.course)
    reply = other.get(f"/submissions/{mine}")
    assert reply.status_code == 404
    assert reply.get_json()["error"] == "not_found"
    teacher = make_user(student.app, "instructor", student.course)
    assert teacher.get(f"/submissions/{mine}").status_code == 200
    outsider = make_user(student.app, "instructor")
    assert outsider.get(f"/submissions/{mine}").status_code == 404


def test_task_run_twice_leaves_one_result(quiet_app):
    """Grading the same submission again writes nothing new: the database says it is graded
    (this process's memory of what it graded is wiped in between)."""
    student = make_user(quiet_app)
    with quiet_app.app_context():
        user = db.session.scalar(select(User).filter_by(email=student.email))
        submission = submissions.submit(db.session, user, "single-weight", ANSWERS)
        first = tasks.grade_submission.run(submission.id)
        lifecycle.recently_graded.forget()
        second = tasks.grade_submission.run(submission.id)
        count = db.session.scalar(
            select(func.count(Result.id)).filter_by(submission_id=submission.id)
        )
    assert (first, second) == ("graded", "skipped")
    assert count == 1
