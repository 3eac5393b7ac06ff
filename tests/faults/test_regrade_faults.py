"""Regrades on the real stack: chunks that fail mid-way leave every earlier result in place and
in sight, and two regrades of one exercise never overlap nor let the older replace the newer."""

from __future__ import annotations

import json
import time
import uuid

import psycopg
from sqlalchemy import select

from grader import tasks
from grader.db import Course
from grader.extensions import db
from grader.services import batches, regrade
from tests.faults.stack import ResultsLock, http, wait_until
from tests.service.batching import store_version

STUDENTS = 10
PER_STUDENT = 3
CHUNK = 10
TIMEOUT = 120.0
# A fault in the database while a chunk writes: any update of this submission's result fails.
REFUSE_RESULT = """
CREATE FUNCTION fault_refuse_result() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.submission_id = {submission} THEN
        RAISE EXCEPTION 'injected fault while writing results';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fault_refuse_result BEFORE UPDATE ON results
FOR EACH ROW EXECUTE FUNCTION fault_refuse_result();
"""


def graded_class(stack, slug: str):
    """Students who answered the test's own copy of single-weight, all graded: (students,
    teacher, submission ids in order)."""
    store_version(stack.app, slug, "0.01")
    students = stack.students(STUDENTS)
    teacher = stack.instructor(students[0].course)
    ids = []
    for student in students:
        for n in range(PER_STUDENT):
            ids.append(stack.submit(student, f"{student.email}-{n}", exercise=slug).body["id"])
    wait_until(lambda: stack.all_graded(teacher.course, len(ids)), TIMEOUT, "all graded")
    return students, teacher, sorted(ids)


def results(stack, ids: list[int]) -> dict[int, tuple]:
    rows = stack.sql(
        "SELECT s.id, s.status, r.score, r.exercise_hash, r.batch_id, "
        "(SELECT count(*) FROM results x WHERE x.submission_id = s.id) "
        "FROM submissions s LEFT JOIN results r ON r.submission_id = s.id WHERE s.id = ANY(%s)",
        ids,
    )
    return {row[0]: row[1:] for row in rows}


def lost_and_duplicated(stack, ids: list[int]) -> tuple[int, int]:
    rows = results(stack, ids).values()
    lost = sum(status != "graded" or score is None for status, score, *_ in rows)
    return lost + len(ids) - len(rows), sum(row[-1] > 1 for row in rows)


def batch(stack, teacher, batch_id: int) -> dict:
    return http("GET", f"{stack.base}/batches/{batch_id}", headers=teacher.headers).body


def test_regrade_chunks_failing_mid_way_leave_every_result_in_sight(stack, figures):
    """Three chunks: the second holds submissions whose numbers the new version cannot take
    (they fail one by one, mid-chunk), the third meets a fault in the database while writing
    (the whole chunk fails). Every submission keeps a result shown by the API; the batch names
    each one it could not regrade and why."""
    stack.start(workers=1, concurrency=2, queues="all")
    slug = f"faults-{uuid.uuid4().hex[:8]}"
    _, teacher, ids = graded_class(stack, slug)
    before = results(stack, ids)
    damaged = ids[CHUNK + 2 : CHUNK + 5]
    stack.sql(
        "UPDATE submissions SET explicit_values = %s WHERE id = ANY(%s) RETURNING id",
        json.dumps({"given": {"x": 2}, "params": {"v": 0}}),
        damaged,
    )
    with psycopg.connect(stack.database_url, autocommit=True) as connection:
        connection.execute(REFUSE_RESULT.format(submission=ids[2 * CHUNK + 4]).encode())
    new_hash = store_version(stack.app, slug, "0.1")
    with stack.app.app_context():
        course = db.session.scalar(select(Course).filter_by(slug=teacher.course))
        batch_id = regrade.start(db.session, None, course, slug, chunk_size=CHUNK).id
        tasks.publish_chunks(batches.pending_chunks(db.session, batch_id))
    started = time.monotonic()
    wait_until(
        lambda: batch(stack, teacher, batch_id)["status"] in ("done", "failed"),
        TIMEOUT,
        "the regrade over",
    )
    state = batch(stack, teacher, batch_id)
    after = results(stack, ids)
    kept = damaged + ids[2 * CHUNK :]
    assert state["status"] == "failed" and state["failed"] == len(kept), state
    assert all(after[i][:3] == before[i][:3] for i in kept)
    assert {after[i][2] for i in ids if i not in kept} == {new_hash}
    named = {e.get("submission") for e in state["errors"]}
    assert set(damaged) <= named
    assert any(
        f"submissions {ids[2 * CHUNK]} to {ids[-1]}" in e["message"] for e in state["errors"]
    )
    lost, duplicated = lost_and_duplicated(stack, ids)
    hidden = stack.hidden(teacher, ids)
    assert (lost, duplicated, hidden) == (0, 0, 0)
    figures.update(
        fault="Regrade chunks failing mid-way (lines it cannot grade; a chunk's write fails)",
        submitted=len(ids),
        regraded=len(ids) - len(kept),
        failed_lines=len(damaged),
        failed_chunk_lines=len(ids) - 2 * CHUNK,
        kept_results=len(kept),
        lost=lost,
        duplicated=duplicated,
        hidden=hidden,
        finished_seconds=round(time.monotonic() - started, 1),
    )


def test_two_regrades_of_one_exercise_never_overlap(stack, figures):
    """A second regrade while the first is writing is refused (409, naming the first); once the
    first is done the second runs against the newer version, and the first's chunks delivered
    again afterwards change nothing."""
    stack.start(workers=1, concurrency=2, queues="all")
    slug = f"faults-{uuid.uuid4().hex[:8]}"
    _, teacher, ids = graded_class(stack, slug)
    store_version(stack.app, slug, "0.1")
    body = {"course": teacher.course, "exercise": slug, "regrade": True}
    headers = teacher.headers
    lock = ResultsLock(stack.database_url)
    try:
        first = http("POST", f"{stack.base}/batches", body, headers)
        assert first.status == 202, first
        wait_until(lambda: lock.waiting() >= 1, 60, "the first regrade writing")
        newest = store_version(stack.app, slug, "0.5")
        refused = http("POST", f"{stack.base}/batches", body, headers)
    finally:
        lock.release()
    assert refused.status == 409 and f"batch {first.body['id']}" in refused.body["message"]
    wait_until(lambda: batch(stack, teacher, first.body["id"])["status"] == "done", TIMEOUT, "1st")
    second = http("POST", f"{stack.base}/batches", body, headers)
    assert second.status == 202, second
    wait_until(lambda: batch(stack, teacher, second.body["id"])["status"] == "done", TIMEOUT, "2nd")
    skipped = skipped_chunks(stack)
    with stack.app.app_context():
        chunks = stack.sql("SELECT id FROM batch_chunks WHERE batch_id = %s", first.body["id"])
        assert tasks.publish_chunks([chunk for (chunk,) in chunks]) == len(chunks)
    wait_until(lambda: skipped_chunks(stack) >= skipped + len(chunks), 60, "the late chunks run")
    after = results(stack, ids)
    assert {(row[2], row[3]) for row in after.values()} == {(newest, second.body["id"])}
    lost, duplicated = lost_and_duplicated(stack, ids)
    hidden = stack.hidden(teacher, ids)
    assert (lost, duplicated, hidden) == (0, 0, 0)
    figures.update(
        fault="Two regrades of one exercise at once, and the older one's chunks delivered late",
        submitted=len(ids),
        refused_with=refused.status,
        older_results_left=0,
        lost=lost,
        duplicated=duplicated,
        hidden=hidden,
    )


def skipped_chunks(stack) -> int:
    """Chunk runs the workers found done already, from their logs."""
    return sum(
        "grade_chunk[" in line and line.endswith("'skipped'")
        for service in stack.services
        if service.name == "worker"
        for line in service.output().splitlines()
    )
