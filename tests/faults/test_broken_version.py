"""A stored exercise version that cannot be loaded, beside good submissions waiting in the same
queue: the workers claim them together, and each succeeds or fails on its own."""

from __future__ import annotations

import time

from tests.faults.stack import wait_until
from tests.service.factories import broken_version

STUDENTS = 8
PER_STUDENT = 3
TIMEOUT = 90.0


def test_a_broken_exercise_version_fails_only_its_own_submissions(stack, figures):
    """24 submissions wait with no worker running, every third one's version broken; a worker
    starts and claims them in runs of several: the good ones are graded, the broken ones fail
    with the reason, none is left ``grading``."""
    web = stack.web()
    stack.wait_web(web)
    students = stack.students(STUDENTS)
    course = students[0].course
    ids = [
        stack.submit(student, f"{student.email}-{n}").body["id"]
        for n in range(PER_STUDENT)
        for student in students
    ]
    broken = ids[1::3]
    broken_version(stack.app, broken)
    good = [i for i in ids if i not in broken]
    started = time.monotonic()
    stack.wait_worker(stack.worker(concurrency=2))
    wait_until(
        lambda: (
            not stack.sql(
                "SELECT 1 FROM submissions WHERE id = ANY(%s) AND status IN ('queued', 'grading')",
                ids,
            )
        ),
        TIMEOUT,
        "every submission graded or failed",
    )
    settled = time.monotonic() - started
    rows = stack.sql(
        "SELECT s.id, s.status, s.error, (SELECT count(*) FROM results r WHERE "
        "r.submission_id = s.id) FROM submissions s WHERE s.id = ANY(%s)",
        ids,
    )
    by_id = {row[0]: row[1:] for row in rows}
    assert all(by_id[i][0] == "failed" and "cannot be loaded" in by_id[i][1] for i in broken)
    assert all(by_id[i][2] == 0 for i in broken)
    lost = sum(by_id[i][0] != "graded" for i in good)
    duplicated = sum(count > 1 for _, _, count in by_id.values())
    hidden = stack.hidden(stack.instructor(course), good)
    assert (lost, duplicated, hidden) == (0, 0, 0), by_id
    runs = sum(s.output().count("succeeded in") for s in stack.services if s.name == "worker")
    figures.update(
        fault="A broken exercise version beside good submissions",
        submitted=len(ids),
        broken=len(broken),
        graded=len(good),
        failed=len(broken),
        task_runs=runs,
        lost=lost,
        duplicated=duplicated,
        hidden=hidden,
        settled_seconds=round(settled, 1),
    )
