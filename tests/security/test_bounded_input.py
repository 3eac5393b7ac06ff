"""Request bodies, answers and exercise expressions are read with bounded size and time, never
with eval; what is too big or too deep is a 4xx, never a 500."""

from __future__ import annotations

import contextlib
import io
import time
import tracemalloc

import pytest

from grader.checking.answers import MAX_ANSWER_LENGTH, Unreadable, parse_answer
from grader.config import MAX_CONTENT_LENGTH
from grader.engine.expr import ExpressionError, compile_expression
from grader.services.batch_import import MAX_LINE_BYTES, csv_records, jsonl_records
from tests.service.factories import make_user
from tests.web.conftest import log_in, new_student

PARSE_SECONDS = 0.5


@pytest.fixture
def api(app):
    return make_user(app)


def test_json_nested_too_deep_is_400_not_500(api):
    reply = api.post("/submissions", data="[" * 100_000, content_type="application/json")
    assert reply.status_code == 400 and reply.get_json()["error"] == "bad_request"


def test_json_login_nested_too_deep_is_refused_not_500(app):
    client = app.test_client()
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    reply = client.post(
        "/api/v1/session",
        data='{"email": ' + "[" * 100_000,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert reply.status_code == 400 and reply.get_json()["error"] == "bad_request"


def test_body_over_max_content_length_is_413_json(app):
    """The app-wide bound (the submission and upload routes set their own)."""
    client = app.test_client()
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    reply = client.post(
        "/api/v1/session",
        data=b" " * (MAX_CONTENT_LENGTH + 1),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert reply.status_code == 413 and reply.get_json()["error"] == "request_entity_too_large"


@pytest.mark.parametrize(
    "text",
    [
        "[" * MAX_ANSWER_LENGTH,
        "[" * (MAX_ANSWER_LENGTH // 2) + "]" * (MAX_ANSWER_LENGTH // 2),
        "1 " * (MAX_ANSWER_LENGTH // 2),
        "1; " * (MAX_ANSWER_LENGTH // 3),
        "1/" * (MAX_ANSWER_LENGTH // 2) + "1",
        "9" * MAX_ANSWER_LENGTH,
        "1e999999999",
        "(" * 1000 + "1" + ")" * 999,
        "[" + ", ".join(["[1, 2]"] * 250) + "]",
    ],
)
def test_answers_are_read_in_bounded_time_without_eval(text):
    """The worst inputs the length limit allows: read or refused as unreadable, quickly."""
    started = time.monotonic()
    with contextlib.suppress(Unreadable):
        parse_answer(text)
    assert time.monotonic() - started < PARSE_SECONDS


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "eval('1')",
        "(lambda: 0)()",
        "x.__class__",
        "True",
        "[1, 2][0]",
    ],
)
def test_code_in_an_answer_is_unreadable_never_run(text):
    """An eval-based parser would read ``os.system('true')`` as 0: it must be unreadable."""
    with pytest.raises(Unreadable):
        parse_answer(text)


def test_answer_longer_than_the_limit_is_refused_at_submission(api):
    reply = api.submit("single-weight", {"grad.e3": "1" * (MAX_ANSWER_LENGTH + 1)})
    assert reply.status_code == 422


@pytest.mark.parametrize(
    "source",
    [
        "(" * 200 + "x" + ")" * 200,
        "x" + " + x" * 200,
        "x ** 99",
        "__import__('os')",
        "x.__class__",
        "[x for x in y]",
        "lambda: x",
    ],
)
def test_exercise_expressions_are_refused_quickly(source):
    """Expressions of exercise files: too long, too deep, huge exponents and anything outside
    the whitelist are refused, quickly."""
    started = time.monotonic()
    with pytest.raises(ExpressionError):
        compile_expression(source)
    assert time.monotonic() - started < PARSE_SECONDS


def test_the_form_attempt_route_refuses_a_body_over_its_limit_before_reading_it(app):
    """The CSRF check reads a form body before the view runs: it must do so under the
    submission's own limit (256 KB), not the app's (16 MB)."""
    email, course = new_student(app)
    student = log_in(app, email, course)
    page = f"/courses/{course}/exercises/single-weight"
    reply = student.client.post(
        f"{page}/attempts",
        data={"csrf_token": student.csrf(page), "grad.e3": "-10", "padding": "x" * 1_000_000},
        headers={"Accept": "application/json"},
    )
    assert reply.status_code == 413


class Endless(io.RawIOBase):
    """A byte stream of one line of ``size`` bytes, then ``tail``, made as it is read."""

    def __init__(self, size: int, tail: bytes):
        self.left, self.tail = size, tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left > 0:
            count = min(len(buffer), self.left)
            buffer[:count] = b"x" * count
            self.left -= count
            return count
        count = min(len(buffer), len(self.tail))
        buffer[:count], self.tail = self.tail[:count], self.tail[count:]
        return count


def test_an_import_refuses_a_huge_line_without_holding_it(app):
    """A 20 MB line is refused while memory holds about one line's bound (1 MB), and the lines
    after it are read."""
    good = b'{"student": "s@test.example", "exercise": "single-weight", "answers": {}}\n'
    stream = io.BufferedReader(Endless(20 * 1024 * 1024, b"\n" + good))
    tracemalloc.start()
    try:
        records = list(jsonl_records(stream))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [number for number, _ in records] == [1, 2]
    assert "longer than" in str(records[0][1]) and records[1][1]["student"] == "s@test.example"
    assert peak < 4 * MAX_LINE_BYTES, peak


def test_a_csv_import_refuses_a_huge_line_and_a_line_not_utf8_and_reads_on(app):
    head = b"student,exercise,grad.e3\n"
    rows = b"s@test.example,single-weight,-10\n"
    stream = io.BufferedReader(
        Endless(0, head + b"x" * (MAX_LINE_BYTES + 10) + b"\n" + b"\xff\xfe,a,b\n" + rows)
    )
    records = list(csv_records(stream))
    assert [number for number, _ in records] == [2, 3, 4]
    assert "longer than" in str(records[0][1]) and "UTF-8" in str(records[1][1])
    assert records[2][1]["student"] == "s@test.example"
