"""Fixtures for the security tests: two courses side by side, each with a student who has
submitted and an instructor, all logged in with cookie sessions (the embedded app)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from grader.background import start_embedded_worker
from grader.cli import main
from grader.db import (
    ApiToken,
    Batch,
    Course,
    CourseExercise,
    Enrolment,
    Practice,
    PracticeAttempt,
    Result,
    Submission,
    User,
    migrate,
)
from grader.extensions import db
from grader.services.exercises import sync_exercises
from grader.web import create_app
from tests.service.conftest import (  # noqa: F401  (both databases, and Redis)
    quiet_app,
    redis_url,
    servers,
    worker_id,
)
from tests.service.factories import make_user
from tests.web.conftest import Browser, log_in, new_student

BATCH_TIMEOUT = 30.0
ANSWERS = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20"}
# Rows a request may create or change; student_variants is left out: a variant is a pure
# function of (course secret, exercise, student), stored on first view as a cache.
TABLES = (
    ApiToken,
    Batch,
    Course,
    CourseExercise,
    Enrolment,
    Practice,
    PracticeAttempt,
    Result,
    Submission,
    User,
)


@dataclass
class Side:
    """One course: its student (who has one graded submission, and practices with an attempt
    at the last) and its instructor."""

    course: str
    student: Browser
    instructor: Browser
    student_id: int
    submission_id: int
    batch_id: int
    practice_number: int
    practice_attempt_id: int


def cookie_csrf(browser: Browser) -> str:
    return browser.client.get("/api/v1/session").get_json()["csrf_token"]


def practise(student: Browser, course: str, practices: int) -> tuple[int, int]:
    """The student's practices of single-weight, an attempt at the last: (its number, the
    attempt's id)."""
    api = "/api/v1/exercises/single-weight/practice"
    headers = {"X-CSRFToken": cookie_csrf(student)}
    for _ in range(practices):
        made = student.client.post(api, json={"course": course}, headers=headers)
        assert made.status_code == 201, made.get_data(as_text=True)
    number = made.get_json()["number"]
    reply = student.client.post(
        f"{api}/{number}/submissions", json={"course": course, "answers": ANSWERS}, headers=headers
    )
    assert reply.status_code == 201, reply.get_data(as_text=True)
    return number, reply.get_json()["id"]


def make_side(app, practices: int = 1) -> Side:
    email, course = new_student(app, role="instructor")
    student_email, _ = new_student(app, course)
    instructor, student = log_in(app, email, course), log_in(app, student_email, course)
    reply = student.client.post(
        "/api/v1/submissions",
        json={"exercise": "single-weight", "answers": ANSWERS},
        headers={"X-CSRFToken": cookie_csrf(student)},
    )
    assert reply.status_code == 202, reply.get_data(as_text=True)
    submission_id = reply.get_json()["id"]
    student.wait_graded(f"/courses/{course}/exercises/single-weight/attempts/{submission_id}")
    teacher = make_user(app, "instructor", course)
    batch = teacher.post(
        "/batches", json={"course": course, "exercise": "single-weight", "regrade": True}
    )
    assert batch.status_code == 202, batch.get_data(as_text=True)
    batch_id = batch.get_json()["id"]
    deadline = time.monotonic() + BATCH_TIMEOUT
    while teacher.get(f"/batches/{batch_id}").get_json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the regrade batch did not finish"
        time.sleep(0.05)
    with app.app_context():
        student_id = db.session.scalar(select(User.id).filter_by(email=student_email))
    number, attempt_id = practise(student, course, practices)
    return Side(
        course, student, instructor, student_id, submission_id, batch_id, number, attempt_id
    )


@pytest.fixture(scope="session")
def app(tmp_path_factory, exercises_dir):
    """The embedded default (SQLite, in-process worker) of these tests' own, so that what other
    tests do on the shared one neither changes the snapshots nor holds its write lock."""
    folder = tmp_path_factory.mktemp("security")
    database = f"sqlite:///{folder}/grader.db"
    migrate.upgrade(database)
    built = create_app(
        {
            "INSTANCE_DIR": str(folder),
            "SECRET_KEY": "test-secret",
            "EXERCISES_DIR": str(exercises_dir),
            "DATABASE_URL": database,
        }
    )
    with built.app_context():
        sync_exercises(db.session, built.config["EXERCISES_DIR"])
    worker = start_embedded_worker(built)
    yield built
    worker.stop()
    built.extensions["grader.db"].engine.dispose()


@pytest.fixture
def cli(app, monkeypatch):
    """``grader ...`` run on these tests' database: the output of a run that succeeded."""
    for name, value in (
        ("GRADER_DATABASE_URL", app.config["DATABASE_URL"]),
        ("GRADER_INSTANCE_DIR", app.config["INSTANCE_DIR"]),
        ("GRADER_SECRET_KEY", "test-secret"),
        ("GRADER_EXERCISES_DIR", app.config["EXERCISES_DIR"]),
    ):
        monkeypatch.setenv(name, value)

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    return run


@pytest.fixture
def mine(app) -> Side:
    return make_side(app)


@pytest.fixture
def theirs(app) -> Side:
    """The other course, whose student has made one more practice than ``mine``'s (so their
    practice's number is not one the caller has)."""
    return make_side(app, practices=2)


def snapshot(app) -> dict:
    """Row counts of every table a request could change, and every submission's status."""
    with app.app_context():
        session = db.session
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in TABLES
        }
        counts["statuses"] = dict(session.execute(select(Submission.id, Submission.status)).all())
        counts["settings"] = session.execute(
            select(
                CourseExercise.id,
                CourseExercise.max_attempts,
                CourseExercise.due_at,
                CourseExercise.opens_at,
                CourseExercise.points,
                CourseExercise.reveal,
            )
        ).all()
    return counts
