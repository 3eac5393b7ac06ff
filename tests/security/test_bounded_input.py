"""Request bodies, answers and exercise expressions are read with bounded size and time, never
with eval; what is too big or too deep is a 4xx, never a 500."""

from __future__ import annotations

import contextlib
import time

import pytest

from grader.checking.answers import MAX_ANSWER_LENGTH, Unreadable, parse_answer
from grader.config import MAX_CONTENT_LENGTH
from grader.engine.expr import ExpressionError, compile_expression
from tests.service.factories import make_user

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
        "__import__('os').system('true')",
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
