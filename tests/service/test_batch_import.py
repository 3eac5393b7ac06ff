"""Batch imports: thousands of lines streamed into chunks that the worker grades, bad lines
rejected with their number and reason, new students added to the course, results exported."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from grader.db import Course, User
from grader.extensions import db
from grader.services import batches
from tests.service.batching import GOOD, jsonl, lines, sql, wait_done
from tests.service.factories import make_user

BAD = {
    3: "not json",
    10: "[1, 2]",
    50: {"student": "p@paper.example", "exercise": "nope", "answers": {}},
    100: {"student": "p@paper.example", "exercise": "single-weight", "answers": {"grad.e9": "1"}},
    500: {"student": "not an address", "exercise": "single-weight", "answers": GOOD},
    1000: {
        "student": "p@paper.example",
        "exercise": "single-weight",
        "answers": GOOD,
        "given": {"z": 1},
    },
    2500: {"student": "p@paper.example", "exercise": "single-weight", "answers": "-10"},
}
REASONS = {
    3: "not valid JSON",
    10: "a line is an object",
    50: "no exercise 'nope'",
    100: "unknown blank 'grad.e9'",
    500: "is not an email address",
    1000: "'z' is not in the exercise's given",
    2500: "'answers' must be an object",
}


def with_bad_lines(good: list[dict]) -> list:
    """The good lines with the bad ones put at their line numbers."""
    rows: list = list(good)
    for number in sorted(BAD):
        rows.insert(number - 1, BAD[number])
    return rows


@pytest.fixture
def teacher(postgres_app, celery_worker):
    return make_user(postgres_app, "instructor")


def test_import_of_thousands_of_lines_grades_them_and_rejects_the_bad_ones(teacher):
    """3,000 lines by 500 students nobody has enrolled, 7 bad ones among them: the reply names
    each bad line and why; the worker grades every good one; the students join the course."""
    good = lines(3000, "single-weight", 500, "exam1")
    reply = teacher.post(
        f"/batches?course={teacher.course}",
        data=jsonl(with_bad_lines(good)),
        content_type="application/x-ndjson",
    )
    assert reply.status_code == 202, reply.get_json()
    queued = reply.get_json()
    assert queued["total"] == 3000 and queued["rejected"] == len(BAD)
    assert [error["line"] for error in queued["errors"]] == sorted(BAD)
    for error in queued["errors"]:
        assert REASONS[error["line"]] in error["message"], error
    done = wait_done(teacher, queued["id"])
    assert done["status"] == "done", done
    assert (done["graded"], done["failed"], done["rejected"]) == (3000, 0, len(BAD))
    assert done["counts"]["graded"] == 3000 and done["progress"] == 1

    ((enrolled,),) = sql(
        teacher.app,
        "SELECT count(*) FROM enrolments e JOIN courses c ON c.id = e.course_id "
        "WHERE c.slug = :c AND e.role = 'student'",
        c=teacher.course,
    )
    assert enrolled == 500
    exported = teacher.get(f"/batches/{queued['id']}/results")
    assert exported.status_code == 200 and exported.mimetype == "application/x-ndjson"
    results = [json.loads(line) for line in exported.get_data(as_text=True).splitlines()]
    assert [r["id"] for r in results] == [line["id"] for line in good]
    by_id = {r["id"]: r for r in results}
    assert by_id["exam1-0"]["score"] == 5 and by_id["exam1-0"]["status"] == "graded"
    assert by_id["exam1-1"]["blanks"]["grad.e3"]["diagnosis"] == "sign_error"
    assert by_id["exam1-2"]["blanks"]["new.v"]["verdict"] == "missing"
    assert by_id["exam1-3"]["blanks"]["new.v"]["verdict"] == "unreadable"


def test_the_same_file_imported_twice_adds_nothing(teacher):
    """Every line of the second import is known already (same student, same line): nothing new
    is stored, and the batch says so."""
    body = jsonl(lines(200, "single-weight", 40, "exam2"))
    first = teacher.post(
        f"/batches?course={teacher.course}", data=body, content_type="application/x-ndjson"
    )
    assert wait_done(teacher, first.get_json()["id"])["graded"] == 200
    count = "SELECT count(*) FROM submissions WHERE source_id LIKE 'exam2-%'"
    ((before,),) = sql(teacher.app, count)
    second = teacher.post(
        f"/batches?course={teacher.course}", data=body, content_type="application/x-ndjson"
    )
    done = wait_done(teacher, second.get_json()["id"])
    assert (done["graded"], done["unchanged"]) == (200, 200)
    assert sql(teacher.app, count) == [(before,)] and before == 200


def test_csv_upload_with_a_column_per_blank_and_a_paper_exams_own_numbers(stack):
    """Runs on both stacks: a CSV file, one column per blank, ``given.y`` for the exam's y."""
    teacher = make_user(stack, "instructor")
    text = (
        "id,student,exercise,grad.e3,grad.e2,grad.e1,update.v,new.v,given.y\n"
        'p1,paper1@csv.example,single-weight,-10,-10,-20,"0,2",0.2,\n'
        "p2,paper2@csv.example,single-weight,-6,,,,,3\n"
        "p3,paper3@csv.example,single-weight,-10\n"
    )
    reply = teacher.post(
        f"/batches?course={teacher.course}",
        data={"file": (io.BytesIO(text.encode()), "exam.csv")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 202, reply.get_json()
    body = reply.get_json()
    assert body["total"] == 2 and body["rejected"] == 1
    assert body["errors"][0]["line"] == 4 and "cells" in body["errors"][0]["message"]
    assert wait_done(teacher, body["id"])["graded"] == 2
    exported = teacher.get(f"/batches/{body['id']}/results?format=csv").get_data(as_text=True)
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert rows["p1"]["score"] == "5.0" or rows["p1"]["score"] == "5"
    assert rows["p2"]["grad.e3.verdict"] == "correct" and rows["p2"]["grad.e2.verdict"] == "missing"


def test_an_import_streams_a_chunk_at_a_time(embedded_app):
    """The file is read as the chunks are stored: no more than a chunk's lines are held."""
    teacher = make_user(embedded_app, "instructor")
    read = 0

    def source():
        nonlocal read
        for line in jsonl(lines(2600, "single-weight", 100, "stream")).splitlines(True):
            read += 1
            yield line

    published = []

    def publish(chunk_id: int) -> None:
        published.append(read)

    with embedded_app.app_context():
        session = db.session
        course = session.scalar(select(Course).filter_by(slug=teacher.course))
        user = session.scalar(select(User).filter_by(email=teacher.email))
        batch = batches.create_import(
            session, user, course, source(), publish=publish, chunk_size=500
        )
        assert batch.total == 2600
    assert published == [500, 1000, 1500, 2000, 2500, 2600]
