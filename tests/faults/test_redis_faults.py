"""Redis lost: flushed by a restart without persistence while submissions wait in the queue, and
down while students submit. Every submission is graded once."""

from __future__ import annotations

import time

import redis

from tests.faults.stack import assert_nothing_lost, wait_until

GRADED_TIMEOUT = 90.0


def test_redis_flushed_with_submissions_queued_all_graded_once_after_the_sweep(
    stack, redis_server, figures
):
    """The queue is lost with Redis's restart; the sweep publishes every queued submission
    again, and each is graded once."""
    web = stack.web()
    stack.wait_web(web)
    students = stack.students(8)
    keys = [(student, f"{student.email}-{n}") for student in students for n in range(2)]
    ids = [stack.submit(student, key).body["id"] for student, key in keys]
    queue = redis.Redis.from_url(redis_server.url)
    assert queue.llen(stack.queue) == len(ids)
    queue.close()

    redis_server.kill()
    restarted = time.monotonic()
    redis_server.start()
    queue = redis.Redis.from_url(redis_server.url)
    assert queue.llen(stack.queue) == 0
    queue.close()
    stack.wait_worker(stack.worker())
    later = [stack.submit(student, f"{student.email}-after") for student in students[:4]]
    assert {reply.status for reply in later} == {202}

    submitted = len(ids) + len(later)
    wait_until(
        lambda: stack.all_graded(students[0].course, submitted),
        GRADED_TIMEOUT,
        "every submission graded",
    )
    recovered = time.monotonic() - restarted
    again = stack.submit(*keys[0])
    assert again.status == 202 and again.body["id"] == ids[0]
    counts = assert_nothing_lost(stack, students[0].course, submitted)
    figures.update(
        fault="Redis flushed (restart without persistence) with submissions queued",
        submitted=submitted,
        affected=len(ids),
        graded=counts["statuses"]["graded"],
        results=counts["results"],
        lost=0,
        recover_seconds=round(recovered, 1),
    )


def test_redis_down_when_submitting_answers_queued_and_grades_after(stack, redis_server, figures):
    """With Redis stopped the API still commits and answers 202 queued; once Redis is back the
    worker reconnects, the sweep publishes them, and each is graded once."""
    stack.start()
    students = stack.students(6)
    redis_server.kill()
    latencies, ids = [], []
    for student in students:
        started = time.monotonic()
        reply = stack.submit(student, f"{student.email}-down")
        latencies.append(time.monotonic() - started)
        assert reply.status == 202, (reply.status, reply.body)
        assert reply.body["status"] == "queued"
        ids.append(reply.body["id"])
    course = students[0].course
    assert stack.counts(course)["statuses"] == {"queued": len(ids)}

    redis_server.start()
    back = time.monotonic()
    wait_until(
        lambda: stack.all_graded(course, len(ids)), GRADED_TIMEOUT, "every submission graded"
    )
    recovered = time.monotonic() - back
    counts = assert_nothing_lost(stack, course, len(ids))
    web_log = stack.services[0].output()
    assert "could not publish" in web_log
    assert "falling back to in-memory storage" in web_log
    figures.update(
        fault="Redis down while students submit",
        submitted=len(ids),
        affected=len(ids),
        graded=counts["statuses"]["graded"],
        results=counts["results"],
        lost=0,
        slowest_post_seconds=round(max(latencies), 2),
        recover_seconds=round(recovered, 1),
    )
