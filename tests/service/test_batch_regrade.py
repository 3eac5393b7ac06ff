"""``grader batch``: import and regrade from the command line on PostgreSQL, Redis and the worker;
a regrade after an exercise changes replaces each result once, and a second run changes
nothing."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.service.batching import (
    grader_command,
    jsonl,
    lines,
    retire,
    sql,
    store_version,
    wait_done,
)
from tests.service.factories import make_user

COUNT = 1200
SUMMARY = {"id", "status", "total", "graded", "failed", "rejected"}


@pytest.fixture
def slug(postgres_app):
    """A copy of single-weight of the test's own, retired afterwards."""
    name = f"batch-{uuid.uuid4().hex[:8]}"
    store_version(postgres_app, name, "0.01")
    yield name
    retire(postgres_app, name)


def written(app, course: str) -> dict:
    """Each of the course's results and submissions by id, with the transaction that last wrote
    it (PostgreSQL's xmin): equal before and after means nothing was written."""
    rows = sql(
        app,
        "SELECT s.id, s.xmin::text, r.xmin::text, r.exercise_hash FROM submissions s "
        "JOIN courses c ON c.id = s.course_id JOIN results r ON r.submission_id = s.id "
        "WHERE c.slug = :c",
        c=course,
    )
    return {row[0]: row[1:] for row in rows}


def test_regrade_after_the_exercise_changes_then_again_and_the_import_again(
    postgres_app, celery_worker, slug, tmp_path, monkeypatch
):
    teacher = make_user(postgres_app, "instructor")
    course = teacher.course
    path = tmp_path / "exam.jsonl"
    path.write_bytes(jsonl(lines(COUNT, slug, 300, "cli")))

    def batch(*args: str):
        return grader_command(postgres_app, monkeypatch, "batch", *args)

    imported = batch("import", str(path), "--course", course, "--wait", "--json")
    assert imported.exit_code == 0, imported.output
    state = json.loads(imported.stdout)
    assert set(state) == SUMMARY
    assert (state["status"], state["total"], state["graded"]) == ("done", COUNT, COUNT)
    assert f"{COUNT:,} of {COUNT:,} graded" in imported.stderr

    new_hash = store_version(postgres_app, slug, "0.1")
    regraded = batch("regrade", "--course", course, "--exercise", slug, "--wait", "--json")
    assert regraded.exit_code == 0, regraded.output
    state = json.loads(regraded.stdout)
    assert (state["status"], state["graded"], state["failed"]) == ("done", COUNT, 0)
    after = written(postgres_app, course)
    assert len(after) == COUNT and {row[2] for row in after.values()} == {new_hash}
    history = sql(
        postgres_app,
        "SELECT h.submission_id, h.batch_id FROM result_history h "
        "JOIN submissions s ON s.id = h.submission_id JOIN courses c ON c.id = s.course_id "
        "WHERE c.slug = :c",
        c=course,
    )
    assert sorted(h[0] for h in history) == sorted(after)
    assert {h[1] for h in history} == {state["id"]}
    answered = sql(
        postgres_app,
        "SELECT DISTINCT v.content_hash FROM submissions s JOIN courses c ON c.id = s.course_id "
        "JOIN exercise_versions v ON v.id = s.exercise_version_id WHERE c.slug = :c",
        c=course,
    )
    assert len(answered) == 1 and answered != [(new_hash,)]  # the version they were answered in
    ((passed,),) = sql(
        postgres_app,
        "SELECT count(*) FROM results r JOIN submissions s ON s.id = r.submission_id "
        "JOIN courses c ON c.id = s.course_id WHERE c.slug = :c AND "
        "r.blanks -> 'update.v' ->> 'verdict' = 'correct'",
        c=course,
    )
    assert passed == 0  # 0.2 was right for a learning rate of 0.01, not of 0.1

    again = batch("regrade", "--course", course, "--exercise", slug, "--json")
    assert again.exit_code == 0, again.output
    second = wait_done(teacher, json.loads(again.stdout)["id"])
    assert (second["graded"], second["unchanged"]) == (COUNT, COUNT)
    assert written(postgres_app, course) == after
    assert (
        len(sql(postgres_app, "SELECT id FROM result_history WHERE batch_id = :b", b=second["id"]))
        == 0
    )

    reimported = batch("import", str(path), "--course", course, "--wait", "--json")
    assert json.loads(reimported.stdout)["graded"] == COUNT
    assert written(postgres_app, course) == after


def test_export_from_the_command_line(postgres_app, celery_worker, tmp_path, monkeypatch):
    teacher = make_user(postgres_app, "instructor")
    reply = teacher.post(
        f"/batches?course={teacher.course}",
        data=jsonl(lines(30, "single-weight", 5, "export")),
        content_type="application/x-ndjson",
    )
    batch_id = wait_done(teacher, reply.get_json()["id"])["id"]
    out = tmp_path / "results.jsonl"
    done = grader_command(
        postgres_app, monkeypatch, "batch", "export", str(batch_id), "--output", str(out)
    )
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in rows] == [f"export-{i}" for i in range(30)]
    assert {"student", "exercise", "variant", "score", "max_score", "blanks"} <= set(rows[0])
    as_csv = grader_command(
        postgres_app, monkeypatch, "batch", "export", str(batch_id), "--format", "csv"
    )
    header = as_csv.stdout.splitlines()[0].split(",")
    assert header[:3] == ["id", "submission", "student"] and "grad.e3.verdict" in header
