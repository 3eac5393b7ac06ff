"""An exercise that has not opened yet is refused to students by the API as by its page:
no text, graph, numbers or blanks before the opening date."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from grader.db import StudentVariant, utcnow
from grader.extensions import db
from tests.service.factories import make_user
from tests.web.conftest import log_in, new_student, offer


def variants_stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StudentVariant))


def test_api_refuses_an_exercise_before_it_opens_as_the_page_does(app):
    email, course = new_student(app)
    offer(app, course, "single-weight", opens_at=utcnow() + timedelta(days=2))
    api = make_user(app, course=course)
    page = log_in(app, email, course).get(f"/courses/{course}/exercises/single-weight")
    before = variants_stored(app)
    reply = api.get("/exercises/single-weight")
    assert page.status_code == 403
    assert reply.status_code == 403 and reply.get_json()["error"] == "forbidden"
    assert "opens at" in reply.get_json()["message"]
    text = reply.get_data(as_text=True)
    assert "e2 - y" not in text and "grad.e3" not in text and "squared error" not in text
    assert variants_stored(app) == before


def test_instructors_see_an_exercise_before_it_opens(app):
    _, course = new_student(app)
    offer(app, course, "single-weight", opens_at=utcnow() + timedelta(days=2))
    teacher = make_user(app, "instructor", course)
    reply = teacher.get(f"/exercises/single-weight?course={course}")
    assert reply.status_code == 200 and reply.get_json()["blanks"]


def test_students_see_it_once_it_has_opened(app):
    _, course = new_student(app)
    offer(app, course, "single-weight", opens_at=utcnow() - timedelta(minutes=1))
    reply = make_user(app, course=course).get("/exercises/single-weight")
    assert reply.status_code == 200 and reply.get_json()["blanks"]
