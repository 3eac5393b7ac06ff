"""Nothing lost: a submission whose publish failed is committed, answered 202, and graded after
the sweep publishes it again; running a task twice writes one result."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from grader import tasks
from grader.db import Result, Submission, User, utcnow
from grader.extensions import db
from grader.services import grading, lifecycle, submissions
from grader.web import create_app
from tests.service import infra
from tests.service.factories import make_user

ANSWERS = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20"}


def test_submission_whose_publish_failed_is_graded_after_the_sweep_postgres(
    postgres_app, celery_worker, tmp_path, exercises_dir
):
    """The broker is unreachable from the web app: 202 queued at once, then the worker's
    periodic sweep publishes it and it is graded."""
    dead_broker = create_app(
        {
            "DATABASE_URL": postgres_app.config["DATABASE_URL"],
            "BROKER_URL": f"redis://127.0.0.1:{infra.free_port()}/0",
            "INSTANCE_DIR": str(tmp_path),
            "SECRET_KEY": "test-secret",
            "EXERCISES_DIR": str(exercises_dir),
        }
    )
    student = make_user(dead_broker)
    started = time.monotonic()
    reply = student.submit("single-weight", ANSWERS)
    assert reply.status_code == 202 and reply.get_json()["status"] == "queued"
    assert time.monotonic() - started < 5
    graded = student.wait_graded(reply.get_json()["id"])
    assert graded["status"] == "graded" and graded["score"] == 3
    dead_broker.extensions["grader.db"].engine.dispose()


def test_submission_whose_publish_failed_is_graded_after_the_sweep_embedded(
    embedded_app, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    task = embedded_app.extensions["celery"].tasks[tasks.GRADE]
    monkeypatch.setattr(task, "apply_async", broker_down)
    student = make_user(embedded_app)
    reply = student.submit("single-weight", ANSWERS)
    assert reply.status_code == 202
    time.sleep(0.3)
    assert student.get(f"/submissions/{reply.get_json()['id']}").get_json()["status"] == "queued"
    monkeypatch.undo()
    assert student.wait_graded(reply.get_json()["id"])["status"] == "graded"


def new_submission(app) -> int:
    student = make_user(app)
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email=student.email))
        submission = submissions.submit(db.session, user, "single-weight", ANSWERS)
        return submission.id


def results_of(app, submission_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Result.id)).filter_by(submission_id=submission_id)
        )


def test_task_run_twice_at_once_leaves_one_result(quiet_app):
    """Workers grading the same submission at the same moment write one result."""
    submission_id = new_submission(quiet_app)
    outcomes = []

    def run():
        with quiet_app.app_context():
            outcomes.append(lifecycle.grade_submission(db.session, submission_id))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("graded") == 1
    assert results_of(quiet_app, submission_id) == 1


def test_sweep_takes_only_stale_submissions_and_each_once(quiet_app):
    """Claiming stamps the rows: a second sweep right after finds nothing to publish."""
    new_submission(quiet_app)
    stale = new_submission(quiet_app)
    with quiet_app.app_context():
        db.session.execute(
            update(Submission)
            .where(Submission.id == stale)
            .values(status_changed_at=utcnow().replace(year=2000))
        )
        db.session.commit()
        first = lifecycle.claim_stale(db.session, 60)
        second = lifecycle.claim_stale(db.session, 60)
    assert first == [stale] and second == []


def test_failed_grading_is_recorded_not_retried(embedded_app, monkeypatch):
    """A bug in grading marks the submission failed with the reason."""

    def broken(*args, **kwargs):
        raise ValueError("engine exploded")

    monkeypatch.setattr(grading, "grade_many", broken)
    student = make_user(embedded_app)
    reply = student.submit("single-weight", ANSWERS)
    result = student.wait_graded(reply.get_json()["id"])
    assert result["status"] == "failed"
    assert "engine exploded" in result["error"]


def test_database_gone_for_a_moment_is_retried(quiet_app, monkeypatch):
    """An OperationalError retries the task (with backoff) instead of failing the submission."""
    submission_id = new_submission(quiet_app)
    real, calls = lifecycle.grade_submission, []

    def flaky(session, submission_id):
        calls.append(submission_id)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real(session, submission_id)

    monkeypatch.setattr(lifecycle, "grade_submission", flaky)
    task = quiet_app.extensions["celery"].tasks[tasks.GRADE]
    with quiet_app.app_context():
        task.apply(args=(submission_id,))
        status = db.session.get(Submission, submission_id).status
    assert len(calls) == 2
    assert status == "graded"
