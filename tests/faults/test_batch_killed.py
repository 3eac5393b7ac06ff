"""A worker SIGKILLed in the middle of grading a batch: the chunk it held is graded again by
another worker, and every line of the batch becomes one submission with one result."""

from __future__ import annotations

import json
import time

from tests.faults.stack import ANSWERS, ResultsLock, http, wait_until

LINES_PER_STUDENT = 20
GRADED_TIMEOUT = 120.0


def test_worker_killed_mid_batch_every_line_graded_once(stack, figures):
    stack.start(workers=1, concurrency=1, queues="all")
    worker = stack.services[-1]
    students = stack.students(15)
    course = students[0].course
    teacher = stack.instructor(course)
    lines = [
        {
            "id": f"{s.email}-{n}",
            "student": s.email,
            "exercise": "single-weight",
            "answers": ANSWERS,
        }
        for s in students
        for n in range(LINES_PER_STUDENT)
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    lock = ResultsLock(stack.database_url)
    try:
        reply = http(
            "POST",
            f"{stack.base}/batches?course={course}",
            headers={**teacher.headers, "Content-Type": "application/x-ndjson"},
            data=body,
        )
        assert reply.status == 202, reply
        batch_id = reply.body["id"]
        assert reply.body["total"] == len(lines) and reply.body["rejected"] == 0
        wait_until(lambda: lock.waiting() >= 1, 60, "the worker writing the chunk's results")
        worker.kill_group()
        killed = time.monotonic()
        (chunk_status,) = stack.sql("SELECT status FROM batch_chunks WHERE batch_id = %s", batch_id)
    finally:
        lock.release()
    assert chunk_status == ("grading",)
    stack.wait_worker(stack.worker(concurrency=1, queues="all"))
    wait_until(
        lambda: batch(stack, teacher, batch_id)["status"] == "done",
        GRADED_TIMEOUT,
        "the batch done",
    )
    recovered = time.monotonic() - killed
    state = batch(stack, teacher, batch_id)
    assert state["graded"] == len(lines) and state["failed"] == 0, state
    counts = stack.counts(course)
    assert counts["submissions"] == len(lines), counts
    assert counts["statuses"] == {"graded": len(lines)}, counts
    assert counts["results"] == len(lines) and counts["most_results_per_submission"] == 1, counts
    ((attempts,),) = stack.sql("SELECT attempts FROM batch_chunks WHERE batch_id = %s", batch_id)
    assert attempts >= 2
    figures.update(
        fault="SIGKILL of the worker mid-grading (a batch import)",
        submitted=len(lines),
        affected=len(lines),
        chunk_attempts=attempts,
        graded=counts["statuses"]["graded"],
        results=counts["results"],
        lost=0,
        recover_seconds=round(recovered, 1),
    )


def batch(stack, teacher, batch_id: int) -> dict:
    return http("GET", f"{stack.base}/batches/{batch_id}", headers=teacher.headers).body
