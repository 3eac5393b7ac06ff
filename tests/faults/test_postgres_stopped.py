"""PostgreSQL stopped for about ten seconds while a worker grades and students submit: the web
answers 503 with JSON, the worker retries, nothing is lost, and nothing needs a restart."""

from __future__ import annotations

import threading
import time

from grader.db import migrate
from tests.faults.stack import ResultsLock, Stack, assert_nothing_lost, http, wait_until
from tests.service import infra

OUTAGE_SECONDS = 10.0
GRADED_TIMEOUT = 120.0


def test_postgres_stopped_for_ten_seconds_nothing_lost(
    postgres_server, redis_server, tmp_path, figures
):
    """Stopped with results being written and while students submit; started again."""
    url, _ = infra.create_database(postgres_server.url)
    migrate.upgrade(url)
    stack = Stack(url, redis_server.url, tmp_path)
    try:
        run(stack, postgres_server, figures)
    finally:
        stack.stop()


def run(stack: Stack, postgres_server, figures) -> None:
    stack.start(workers=1, concurrency=2)
    pids = [service.process.pid for service in stack.services]
    grading, submitting = stack.students(4), stack.students(8)
    lock = ResultsLock(stack.database_url)
    for student in grading:
        assert stack.submit(student, f"{student.email}-before").status == 202
    wait_until(lambda: lock.waiting() >= 1, 60, "the worker writing results")

    accepted: list[dict] = []

    def submit_through_the_outage(student, delay):
        time.sleep(delay)
        accepted.append(stack.submit_until_accepted(student, f"{student.email}-during", 120))

    clients = [
        threading.Thread(target=submit_through_the_outage, args=(student, 0.5 * n))
        for n, student in enumerate(submitting)
    ]
    postgres_server.stop()
    stopped = time.monotonic()
    lock.release()
    for client in clients:
        client.start()
    health = http("GET", f"{stack.base}/health")
    assert health.status == 503 and health.body["database"] == "unreachable", health
    read = http("GET", f"{stack.base}/submissions/1", headers=grading[0].headers)
    assert read.status == 503 and read.body["error"] == "unavailable", read
    assert read.headers.get("Retry-After")
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
    postgres_server.start()
    back = time.monotonic()
    for client in clients:
        client.join(120)
    course_grading, course_submitting = grading[0].course, submitting[0].course
    wait_until(
        lambda: (
            stack.all_graded(course_grading, len(grading))
            and stack.all_graded(course_submitting, len(submitting))
        ),
        GRADED_TIMEOUT,
        "every submission graded after PostgreSQL is back",
    )
    recovered = time.monotonic() - back
    assert [service.process.pid for service in stack.services] == pids
    assert all(service.alive() for service in stack.services)
    assert len(accepted) == len(submitting)
    refused = sum(reply["refusals"].count(503) for reply in accepted)
    assert refused >= 1
    assert_nothing_lost(stack, course_grading, len(grading))
    assert_nothing_lost(stack, course_submitting, len(submitting))
    figures.update(
        fault="PostgreSQL stopped ~10 s during grading and submitting",
        outage_seconds=round(back - stopped, 1),
        submitted=len(grading) + len(submitting),
        affected=len(grading) + len(submitting),
        answered_503=refused,
        graded=len(grading) + len(submitting),
        results=len(grading) + len(submitting),
        lost=0,
        recover_seconds=round(recovered, 1),
    )
