"""Importing a roster from CSV: bad rows reported by their line, good rows kept; enrolling
instructors."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from grader.db import Course
from grader.extensions import db
from grader.services import accounts, roster
from tests.web.conftest import CSRF_FIELD, log_in, new_student


def form_login(app, email: str, password: str):
    """A client logged in with the login form, or None if the form refused the password."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    reply = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    return client if reply.status_code == 302 else None


def import_text(app, course_slug: str, text: str) -> roster.RosterReport:
    with app.app_context():
        course = accounts.get_or_create_course(db.session, course_slug)
        return roster.import_roster(db.session, course, text)


def test_bad_rows_are_reported_by_line_and_good_rows_are_kept(app):
    """Missing, malformed and repeated addresses and an over-long name are refused with their
    line; a quoted name spanning two lines still counts its lines; the rest are enrolled."""
    _, course = new_student(app)
    text = (
        "\ufeffEmail,Name\n"
        "ok1@roster.example,First Student\n"
        ",No Address\n"
        "not-an-address,Bad\n"
        "ok1@roster.example,Again\n"
        '"ok2@roster.example","Two\nLines"\n'
        f"ok3@roster.example,{'x' * 201}\n"
        "\n"
        "OK4@Roster.example\n"
    )
    report = import_text(app, course, text)
    assert report.errors == [
        (3, "no email address"),
        (4, "'not-an-address' is not an email address"),
        (5, "ok1@roster.example is already on line 2"),
        (8, "the name is longer than 200 characters"),
    ]
    assert [account.email for account in report.created] == [
        "ok1@roster.example",
        "ok2@roster.example",
        "ok4@roster.example",
    ]
    assert report.created[1].name == "Two\nLines"
    with app.app_context():
        course_row = db.session.scalar(select(Course).filter_by(slug=course))
        enrolled = {user.email for user, role in roster.members(db.session, course_row)}
    assert {"ok1@roster.example", "ok2@roster.example", "ok4@roster.example"} <= enrolled


def test_new_accounts_log_in_with_their_first_password(app):
    """The password shown once after the import is the account's password."""
    _, course = new_student(app)
    report = import_text(app, course, "fresh@roster.example,Fresh Student\n")
    (account,) = report.created
    client = form_login(app, account.email, account.password)
    assert client is not None
    assert client.get("/api/v1/session").get_json()["user"]["name"] == "Fresh Student"
    assert form_login(app, account.email, "not the password") is None


def test_existing_accounts_are_enrolled_and_instructors_are_not_turned_into_students(app):
    """A known student is enrolled (no new password); the course's instructor is refused."""
    known_email, _ = new_student(app)
    teacher_email, course = new_student(app, role="instructor")
    report = import_text(app, course, f"{known_email}\n{teacher_email}\n")
    assert report.created == []
    assert report.enrolled == [known_email]
    assert report.errors == [(2, f"{teacher_email} teaches this course")]
    again = import_text(app, course, f"{known_email}\n")
    assert again.unchanged == [known_email]


def test_the_roster_page_imports_an_uploaded_file_and_shows_the_report(app):
    """Upload a CSV file on the roster page: the report names the refused line, the new accounts
    and their passwords, and the roster lists them."""
    email, course = new_student(app, role="instructor")
    me = log_in(app, email, course)
    page = f"/instructor/courses/{course}/roster"
    data = {
        "csrf_token": me.csrf(page),
        "file": (io.BytesIO(b"email,name\nup1@roster.example,Up One\nbroken\n"), "class.csv"),
    }
    reply = me.client.post(page, data=data, content_type="multipart/form-data")
    text = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "1 row kept" in text and "1 row refused" in text
    assert "&#39;broken&#39; is not an email address" in text
    assert "up1@roster.example" in text and "Up One" in text


def test_an_instructor_enrols_another_instructor_who_then_sees_the_course(app):
    """A new address gets an instructor account with a first password and teaches the course."""
    email, course = new_student(app, role="instructor")
    me = log_in(app, email, course)
    page = f"/instructor/courses/{course}/roster"
    reply = me.client.post(
        f"/instructor/courses/{course}/instructors",
        data={"csrf_token": me.csrf(page), "email": "Colleague@Roster.example", "name": "Co"},
    )
    text = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "colleague@roster.example teaches this course now" in text
    password = re.search(r"shown only now\):\s*<code>([^<]+)</code>", text).group(1)
    colleague = form_login(app, "colleague@roster.example", password)
    assert colleague.get(f"/instructor/courses/{course}/gradebook").status_code == 200
