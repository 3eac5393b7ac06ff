"""Workers lost or doubled: a worker SIGKILLed in the middle of grading, and the same task
delivered twice at once. Every submission graded once."""

from __future__ import annotations

import threading
import time

from grader import tasks
from grader.extensions import db
from grader.services import accounts, lifecycle, submissions
from grader.services.exercises import sync_exercises
from grader.web import create_app
from tests.faults.stack import ANSWERS, ResultsLock, assert_nothing_lost, wait_until

GRADED_TIMEOUT = 90.0
BLOCKED_TIMEOUT = 60.0


def test_worker_killed_mid_grading_every_submission_graded_once(stack, figures):
    """The worker (main process and its pool) dies with submissions claimed and graded but their
    results not yet committed; a new worker and the sweep grade each of them once."""
    stack.start(workers=1, concurrency=2)
    worker = stack.services[-1]
    students = stack.students(6)
    lock = ResultsLock(stack.database_url)
    try:
        for student in students:
            for n in range(2):
                assert stack.submit(student, f"{student.email}-{n}").status == 202
        course = students[0].course
        wait_until(
            lambda: lock.waiting() >= 1 and stack.counts(course)["statuses"].get("grading", 0),
            BLOCKED_TIMEOUT,
            "the worker blocked writing results",
        )
        worker.kill_group()
        killed = time.monotonic()
        at_kill = stack.counts(course)["statuses"]
    finally:
        lock.release()
    assert at_kill.get("grading", 0) >= 1 and "graded" not in at_kill, at_kill
    stack.wait_worker(stack.worker())
    submitted = 2 * len(students)
    wait_until(lambda: stack.all_graded(course, submitted), GRADED_TIMEOUT, "all graded")
    recovered = time.monotonic() - killed
    counts = assert_nothing_lost(stack, course, submitted)
    figures.update(
        fault="SIGKILL of the worker mid-grading (live submissions)",
        submitted=submitted,
        affected=at_kill.get("grading", 0) + at_kill.get("queued", 0),
        grading_at_kill=at_kill.get("grading", 0),
        graded=counts["statuses"]["graded"],
        results=counts["results"],
        lost=0,
        recover_seconds=round(recovered, 1),
    )


def test_same_task_delivered_twice_at_once_writes_one_result(stack, figures):
    """Every submission's task is published a second time while two workers grade, with runs
    held mid-transaction writing results (two runs in the database at once): each submission
    gets one result."""
    stack.start(workers=2, concurrency=1)
    students = stack.students(6)
    lock = ResultsLock(stack.database_url)
    try:
        ids = [stack.submit(student, f"{student.email}-once").body["id"] for student in students]
        with stack.app.app_context():
            for submission_id in ids:
                assert tasks.publish_grading(submission_id)
        wait_until(
            lambda: lock.waiting() >= 2, BLOCKED_TIMEOUT, "both deliveries in the database at once"
        )
        concurrent = lock.waiting()
    finally:
        lock.release()
    course = students[0].course
    released = time.monotonic()
    wait_until(lambda: stack.all_graded(course, len(ids)), GRADED_TIMEOUT, "all graded")
    wait_until(lambda: task_runs(stack) >= 2 * len(ids), GRADED_TIMEOUT, "every delivery run")
    counts = assert_nothing_lost(stack, course, len(ids))
    figures.update(
        fault="The same task delivered twice, concurrently",
        submitted=len(ids),
        deliveries=2 * len(ids),
        blocked_at_once=concurrent,
        graded=counts["statuses"]["graded"],
        results=counts["results"],
        lost=0,
        recover_seconds=round(time.monotonic() - released, 1),
        task_runs=task_runs(stack),
    )


def task_runs(stack) -> int:
    """Grading tasks the workers have finished, from their logs."""
    return sum(
        service.output().count("succeeded in")
        for service in stack.services
        if service.name == "worker"
    )


def test_concurrent_grading_runs_claiming_overlapping_submissions_never_deadlock(
    database_url, tmp_path, exercises_dir
):
    """Twelve runs at once, each claiming its own submission and others waiting: none fails
    with a deadlock (the deploy test once met one: a run's own submission was locked after
    others that another run held)."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "BROKER_URL": "redis://127.0.0.1:1/0",
            "INSTANCE_DIR": str(tmp_path),
            "SECRET_KEY": "test-secret",
            "EXERCISES_DIR": str(exercises_dir),
        }
    )
    with app.app_context():
        sync_exercises(db.session, app.config["EXERCISES_DIR"])
        ids = []
        for n in range(60):
            user = accounts.add_user(db.session, f"s{n}@claims.example", course_slug="claims")
            db.session.commit()
            ids.append(submissions.submit(db.session, user, "single-weight", ANSWERS).id)
    errors: list[str] = []
    start = threading.Barrier(12)

    def run(submission_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                lifecycle.grade_submission(db.session, submission_id, limit=10)
            except Exception as exc:
                errors.append(repr(exc)[:300])

    newest_first = ids[::-1]
    for round_start in range(0, 60, 12):
        threads = [
            threading.Thread(target=run, args=(newest_first[round_start + k],)) for k in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    app.extensions["grader.db"].engine.dispose()
    assert not errors, errors
