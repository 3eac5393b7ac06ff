"""Roles are per course: an instructor makes someone an instructor of their own course only,
never gives a global role; an import enrols the students it names, as students; creating
courses takes the global instructor role, which only an admin gives."""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import select

from grader.db import Course, Enrolment, User
from grader.extensions import db
from tests.service.factories import make_user
from tests.web.conftest import log_in, new_student

BATCH_TIMEOUT = 30.0


def roles(app, email: str) -> tuple[str, dict[str, str]]:
    """The user's global role and their role in each course."""
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email=email))
        courses = db.session.execute(
            select(Course.slug, Enrolment.role).join(Enrolment).where(Enrolment.user_id == user.id)
        ).all()
    return user.role, dict(courses)


def instructor_of_new_course(app):
    email, course = new_student(app, role="instructor")
    return log_in(app, email, course)


def enrol_instructor(instructor, email: str):
    page = f"/instructor/courses/{instructor.course}/roster"
    return instructor.client.post(
        f"/instructor/courses/{instructor.course}/instructors",
        data={"email": email, "name": "", "csrf_token": instructor.csrf(page)},
    )


def test_an_instructor_cannot_give_another_courses_student_a_global_role(app):
    mine = instructor_of_new_course(app)
    student_email, their_course = new_student(app)
    assert enrol_instructor(mine, student_email).status_code == 200
    assert roles(app, student_email) == (
        "student",
        {their_course: "student", mine.course: "instructor"},
    )
    promoted = log_in(app, student_email, their_course)
    assert promoted.get(f"/instructor/courses/{mine.course}/").status_code == 200
    assert promoted.get(f"/instructor/courses/{their_course}/").status_code == 404
    session = promoted.get("/api/v1/session").get_json()
    assert session["user"]["role"] == "student"


def test_teaching_a_course_does_not_let_one_create_courses(app):
    mine = instructor_of_new_course(app)
    student_email, their_course = new_student(app)
    enrol_instructor(mine, student_email)
    promoted = log_in(app, student_email, their_course)
    slug = f"made-{uuid.uuid4().hex[:8]}"
    promoted.client.post(
        "/instructor/courses",
        data={"slug": slug, "title": "", "csrf_token": promoted.csrf("/instructor/")},
    )
    with app.app_context():
        assert db.session.scalar(select(Course).filter_by(slug=slug)) is None
    assert "Create a course" not in promoted.get("/instructor/").get_data(as_text=True)
    assert "Create a course" in mine.get("/instructor/").get_data(as_text=True)


def test_a_new_account_made_an_instructor_of_a_course_has_no_global_role(app):
    mine = instructor_of_new_course(app)
    email = f"new-{uuid.uuid4().hex[:8]}@test.example"
    enrol_instructor(mine, email)
    assert roles(app, email) == ("student", {mine.course: "instructor"})


def test_an_import_enrols_the_people_it_names_as_students_only(app):
    teacher = make_user(app, "instructor")
    elsewhere = make_user(app, "instructor")
    admin = make_user(app, "admin")
    lines = "".join(
        json.dumps({"student": email, "exercise": "single-weight", "answers": {"grad.e3": "-10"}})
        + "\n"
        for email in (elsewhere.email, admin.email)
    )
    reply = teacher.post(
        f"/batches?course={teacher.course}", data=lines, content_type="application/x-ndjson"
    )
    assert reply.status_code == 202, reply.get_data(as_text=True)
    deadline = time.monotonic() + BATCH_TIMEOUT
    while teacher.get(f"/batches/{reply.get_json()['id']}").get_json()["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert roles(app, elsewhere.email) == (
        "instructor",
        {elsewhere.course: "instructor", teacher.course: "student"},
    )
    assert roles(app, admin.email) == (
        "admin",
        {admin.course: "instructor", teacher.course: "student"},
    )
