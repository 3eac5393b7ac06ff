"""Batches (instructors): import a JSONL file, regrade an exercise; and the gradebook CSV."""

from __future__ import annotations

import csv
import io
import json
import time

from tests.service.factories import make_user

GOOD = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}


def wait_done(api, batch_id: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = api.get(f"/batches/{batch_id}").get_json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_import_grades_every_good_line_and_reports_bad_ones(student, instructor):
    """Runs on both stacks: JSONL in, graded submissions out, bad lines named by number."""
    lines = [
        {"student": "paper1@test.example", "exercise": "single-weight", "answers": GOOD},
        "not json",
        {
            "student": "paper2@test.example",
            "exercise": "single-weight",
            "answers": {"grad.e3": "-6"},
            "given": {"y": 3},
        },
        {"student": "paper3@test.example", "exercise": "nope", "answers": {}},
    ]
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    reply = instructor.post(
        f"/batches?course={instructor.course}", data=text, content_type="application/x-ndjson"
    )
    assert reply.status_code == 202, reply.get_json()
    queued = reply.get_json()
    assert queued["total"] == 2
    assert [error["line"] for error in queued["errors"]] == [2, 4]
    done = wait_done(instructor, queued["id"])
    assert done["status"] == "done" and done["counts"]["graded"] == 2 and done["progress"] == 1
    rows = list(
        csv.DictReader(
            io.StringIO(
                instructor.get(f"/courses/{instructor.course}/gradebook.csv").get_data(as_text=True)
            )
        )
    )
    scores = {row["student"]: row["single-weight"] for row in rows}
    assert scores["paper1@test.example"] == "5"
    assert scores["paper2@test.example"] == "1"


def test_regrade_grades_every_submission_again_once(student, instructor):
    first = student.submit("single-weight", GOOD).get_json()["id"]
    student.wait_graded(first)
    reply = instructor.post(
        "/batches", json={"course": instructor.course, "exercise": "single-weight", "regrade": True}
    )
    assert reply.status_code == 202 and reply.get_json()["total"] == 1
    assert wait_done(instructor, reply.get_json()["id"])["counts"]["graded"] == 1
    again = student.get(f"/submissions/{first}").get_json()
    assert again["status"] == "graded" and again["score"] == 5


def test_students_cannot_start_batches_or_read_the_gradebook(embedded_app):
    student = make_user(embedded_app)
    reply = student.post(
        "/batches", json={"course": student.course, "exercise": "x", "regrade": True}
    )
    assert reply.status_code == 403
    assert student.get(f"/courses/{student.course}/gradebook.csv").status_code in (403, 404)


def test_instructor_of_another_course_cannot_see_a_gradebook(embedded_app):
    student = make_user(embedded_app)
    outsider = make_user(embedded_app, "instructor")
    assert outsider.get(f"/courses/{student.course}/gradebook.csv").status_code == 404


def test_another_courses_batch_is_404_and_the_refusal_is_logged(embedded_app, caplog):
    """An instructor of one course asking for another course's batch, or starting one there,
    learns nothing (404 as for a batch that does not exist), and the log says who tried."""
    owner = make_user(embedded_app, "instructor")
    outsider = make_user(embedded_app, "instructor")
    reply = owner.post(
        f"/batches?course={owner.course}",
        data=json.dumps(
            {"student": "p@test.example", "exercise": "single-weight", "answers": GOOD}
        ),
        content_type="application/x-ndjson",
    )
    batch_id = reply.get_json()["id"]
    with caplog.at_level("WARNING"):
        theirs = outsider.get(f"/batches/{batch_id}")
        missing = outsider.get("/batches/987654321")
        export = outsider.get(f"/batches/{batch_id}/results")
        started = outsider.post(
            "/batches", json={"course": owner.course, "exercise": "single-weight", "regrade": True}
        )
    assert theirs.status_code == missing.status_code == export.status_code == 404
    assert started.status_code == 404
    assert theirs.get_json()["message"] == f"no batch {batch_id}"
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert refusals == [
        f"refused batch {batch_id} to {outsider.email}: not a course they teach",
        f"refused batch {batch_id} to {outsider.email}: not a course they teach",
        f"refused course '{owner.course}' to {outsider.email}: not one they teach",
    ]
