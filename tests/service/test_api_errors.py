"""Bad requests get a JSON ``{error, message}`` with the right 4xx, never a stack trace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from grader.db import Course, CourseExercise, Exercise, utcnow
from grader.extensions import db
from tests.service.factories import make_user


@pytest.fixture
def api(embedded_app):
    return make_user(embedded_app)


def error_of(reply, status: int) -> str:
    assert reply.status_code == status, reply.get_data(as_text=True)
    body = reply.get_json()
    assert set(body) == {"error", "message"} and body["message"]
    return body["error"]


def test_body_that_is_not_json_is_400(api):
    """Text where JSON is expected."""
    reply = api.post("/submissions", data="grad.e3=-10", content_type="text/plain")
    assert error_of(reply, 400) == "bad_request"


def test_body_that_is_a_json_list_is_400(api):
    assert error_of(api.post("/submissions", json=["single-weight"]), 400) == "bad_request"


@pytest.mark.parametrize(
    "body",
    [
        {"answers": {"grad.e3": "-10"}},
        {"exercise": 7, "answers": {}},
        {"exercise": "single-weight", "answers": "-10"},
        {"exercise": "single-weight", "answers": {"grad.e9": "-10"}},
        {"exercise": "single-weight", "answers": {"grad.e3": True}},
        {"exercise": "single-weight", "answers": {"grad.e3": {"value": 1}}},
        {"exercise": "single-weight", "answers": {"grad.e3": "1" * 5000}},
    ],
)
def test_invalid_submission_is_422(api, body):
    """Missing exercise, answers not an object, unknown blank, non-text answer, too long."""
    assert error_of(api.post("/submissions", json=body), 422) == "invalid"


def test_unknown_exercise_is_404(api):
    reply = api.submit("no-such-exercise", {})
    assert error_of(reply, 404) == "not_found"


def test_oversized_body_is_413(api):
    answers = {"grad.e3": "1" * 300_000}
    reply = api.submit("single-weight", answers)
    assert error_of(reply, 413) == "request_entity_too_large"


def test_too_long_idempotency_key_is_422(api):
    reply = api.submit("single-weight", {}, headers={"Idempotency-Key": "k" * 201})
    assert error_of(reply, 422) == "invalid"


def test_unknown_submission_and_route_are_404_and_wrong_method_405(api):
    assert error_of(api.get("/submissions/987654321"), 404) == "not_found"
    assert error_of(api.get("/nothing-here"), 404) == "not_found"
    assert error_of(api.get("/submissions"), 405) == "method_not_allowed"


def test_numbers_and_lists_are_accepted_as_answers(api):
    """A script may send numbers; they are stored as the text a student would type."""
    reply = api.submit("single-weight", {"grad.e3": -10, "grad.e2": [1, 2]})
    assert reply.status_code == 202
    graded = api.wait_graded(reply.get_json()["id"])
    assert graded["answers"] == {"grad.e3": "-10", "grad.e2": "[1, 2]"}
    assert graded["blanks"]["grad.e3"]["verdict"] == "correct"


def limit(app, course_slug: str, exercise: str, **settings) -> None:
    with app.app_context():
        course = db.session.scalar(select(Course).filter_by(slug=course_slug))
        exercise_id = db.session.scalar(select(Exercise.id).filter_by(slug=exercise))
        db.session.add(CourseExercise(course_id=course.id, exercise_id=exercise_id, **settings))
        db.session.commit()


def test_attempts_past_the_limit_are_409(embedded_app):
    """With max_attempts set, the extra attempt is refused; the instructor is not limited."""
    student = make_user(embedded_app)
    limit(embedded_app, student.course, "single-weight", max_attempts=2)
    for _ in range(2):
        assert student.submit("single-weight", {}).status_code == 202
    assert error_of(student.submit("single-weight", {}), 409) == "conflict"
    teacher = make_user(embedded_app, "instructor", student.course)
    assert teacher.submit("single-weight", {}).status_code == 202


def test_submission_after_the_deadline_is_403(embedded_app):
    student = make_user(embedded_app)
    limit(embedded_app, student.course, "single-weight", due_at=utcnow() - timedelta(minutes=1))
    assert error_of(student.submit("single-weight", {}), 403) == "forbidden"


def test_submission_before_the_exercise_opens_is_403(embedded_app):
    """The API refuses an attempt before the opening date, as the pages do."""
    student = make_user(embedded_app)
    limit(embedded_app, student.course, "single-weight", opens_at=utcnow() + timedelta(hours=1))
    response = student.submit("single-weight", {})
    assert error_of(response, 403) == "forbidden"
    assert "opens at" in response.get_json()["message"]


def test_exercise_outside_a_narrowed_course_is_404(embedded_app):
    """Once the instructor lists the course's exercises, the others are not offered."""
    student = make_user(embedded_app)
    limit(embedded_app, student.course, "single-weight")
    assert error_of(student.submit("two-params", {}), 404) == "not_found"
    listed = student.get("/exercises").get_json()["exercises"]
    assert [exercise["id"] for exercise in listed] == ["single-weight"]
