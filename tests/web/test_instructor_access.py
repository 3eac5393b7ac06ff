"""Instructor pages and API calls: students get 403 (logged), visitors are sent to log in,
instructors of other courses see nothing of this one."""

from __future__ import annotations

import logging
import uuid

import pytest
from flask import Blueprint

from grader.web import create_app
from grader.web.instructor.guard import instructors_only
from tests.service.factories import make_user
from tests.web.conftest import log_in, new_student

PARAMS = {"exercise_slug": "single-weight", "user_id": 1, "batch_id": 1}
# Where the instructor's routes live: the dashboard, the batches API and a course's API.
INSTRUCTOR_PREFIXES = ("/instructor/", "/api/v1/batches", "/api/v1/courses/<slug>/")


def instructor_routes(app, course: str) -> list[tuple[str, str]]:
    """Every (method, URL) under the instructor's prefixes, whatever blueprint holds it, with
    this course filled in."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(INSTRUCTOR_PREFIXES):
            continue
        values = {name: PARAMS.get(name, course) for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return out


@pytest.fixture
def course_pair(app):
    """An instructor and a student of one fresh course, both logged in with the form."""
    email, course = new_student(app, role="instructor")
    student_email, _ = new_student(app, course)
    return log_in(app, email, course), log_in(app, student_email, course)


def test_every_instructor_route_refuses_a_student_with_403_and_logs_it(app, course_pair, caplog):
    """Pages, forms, the analytics, gradebook and batches API: 403 for a student, and a warning
    naming them."""
    _, student = course_pair
    token = student.csrf(f"/courses/{student.course}")
    routes = instructor_routes(app, student.course)
    assert len(routes) >= 17
    assert {path for _, path in routes} >= {"/api/v1/batches", "/api/v1/batches/1/results"}
    with caplog.at_level(logging.WARNING, logger="grader.web.instructor.guard"):
        for method, path in routes:
            if method == "GET":
                reply = student.client.get(path)
            else:
                reply = student.client.post(path, data={"csrf_token": token})
            assert reply.status_code == 403, (method, path, reply.status_code)
    refusals = [r.getMessage() for r in caplog.records if student.email in r.getMessage()]
    assert len(refusals) == len(routes)
    assert f"/instructor/courses/{student.course}/gradebook" in "\n".join(refusals)


def test_every_instructor_route_refuses_a_students_bearer_token(app):
    """The same with a script's bearer token: 403 JSON ``forbidden`` on every route."""
    student = make_user(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {student.token}"}
    for method, path in instructor_routes(app, student.course):
        reply = client.open(path, method=method, headers=headers)
        assert reply.status_code == 403, (method, path, reply.status_code)
        if path.startswith("/api/"):
            assert reply.get_json()["error"] == "forbidden", (method, path)


def test_a_route_added_to_a_guarded_blueprint_is_guarded_without_naming_it(embedded_app):
    """A new route needs no list to be protected: the blueprint's guard covers it."""
    app = create_app(
        {key: embedded_app.config[key] for key in ("DATABASE_URL", "INSTANCE_DIR", "SECRET_KEY")}
    )
    bp = instructors_only(Blueprint(f"new-{uuid.uuid4().hex[:6]}", __name__))
    bp.add_url_rule("/api/v1/courses/<slug>/new-report", "report", lambda slug: {"ok": slug})
    app.register_blueprint(bp)
    student, teacher = make_user(app), make_user(app, "instructor")
    path = f"/api/v1/courses/{teacher.course}/new-report"
    assert app.test_client().get(path).status_code == 401
    refused = app.test_client().get(path, headers={"Authorization": f"Bearer {student.token}"})
    assert refused.status_code == 403
    allowed = app.test_client().get(path, headers={"Authorization": f"Bearer {teacher.token}"})
    assert allowed.get_json() == {"ok": teacher.course}
    app.extensions["grader.db"].engine.dispose()


def test_students_get_403_from_the_services_instructor_endpoints(app, course_pair, caplog):
    """The gradebook CSV and the batch endpoints answer 403 to a student, logged like the pages."""
    _, student = course_pair
    with caplog.at_level(logging.WARNING, logger="grader.web.instructor.guard"):
        reply = student.get(f"/api/v1/courses/{student.course}/gradebook.csv")
        assert reply.status_code == 403
        assert reply.get_json()["error"] == "forbidden"
        assert student.get("/api/v1/batches/1").status_code == 403
    assert sum(student.email in r.getMessage() for r in caplog.records) == 2


def test_a_visitor_is_sent_to_log_in_and_the_api_answers_401(app):
    """No session: pages redirect to the login form (and back), the API says 401."""
    client = app.test_client()
    reply = client.get("/instructor/courses/demo/gradebook")
    assert reply.status_code == 302
    assert "/login?next=/instructor/courses/demo/gradebook" in reply.headers["Location"]
    reply = client.get("/api/v1/courses/demo/exercises/single-weight/analytics")
    assert reply.status_code == 401


def test_an_instructor_of_another_course_sees_nothing_of_this_one(app, course_pair):
    """404, not 403: the course is not revealed to instructors who do not teach it."""
    instructor, _ = course_pair
    other_email, other_course = new_student(app, role="instructor")
    other = log_in(app, other_email, other_course)
    for path in (
        f"/instructor/courses/{instructor.course}/",
        f"/instructor/courses/{instructor.course}/gradebook",
        f"/api/v1/courses/{instructor.course}/exercises/single-weight/analytics",
    ):
        assert other.get(path).status_code == 404, path
    assert other.get(f"/instructor/courses/{other_course}/").status_code == 200


def test_the_instructor_reaches_every_page_of_their_course(app, course_pair):
    """Each page of the dashboard renders for the course's instructor."""
    instructor, _ = course_pair
    for method, path in instructor_routes(app, instructor.course):
        if method != "GET" or "/students/" in path or "/batches/1" in path:
            continue
        if path.endswith(("/edit", "/history")):
            continue  # the editor is for the course's own exercises, not the exercise files
        reply = instructor.get(path)
        assert reply.status_code == 200, (path, reply.get_data(as_text=True)[:500])
