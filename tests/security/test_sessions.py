"""A session ends when it should: a cookie copied before logging out, a new password or an
admin's "log out everywhere" stops working, and so does one older than the session lifetime;
logging in through the API starts a new session, as the form does."""

from __future__ import annotations

import time

import pytest

from grader.extensions import db
from grader.services import accounts
from tests.security.conftest import cookie_csrf
from tests.web.conftest import PASSWORD, log_in, new_student


def copied(app, browser):
    """A second browser holding a copy of ``browser``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", browser.client.get_cookie("session").value)
    return thief


def logged_in(client) -> bool:
    """Whether the client's cookie still names a user (the page redirects to login if not)."""
    reply = client.get("/api/v1/exercises")
    assert reply.status_code in (200, 401), reply.status_code
    return reply.status_code == 200


@pytest.fixture
def student(app):
    email, course = new_student(app)
    return log_in(app, email, course)


def test_a_cookie_copied_before_logout_does_not_work_after_it(app, student):
    thief = copied(app, student)
    assert logged_in(thief)
    reply = student.client.post("/logout", data={"csrf_token": student.csrf("/")})
    assert reply.status_code == 302
    assert not logged_in(thief)
    assert not logged_in(student.client)


def test_logging_out_through_the_api_ends_the_copies_too(app, student):
    thief = copied(app, student)
    token = cookie_csrf(student)
    assert (
        student.client.delete("/api/v1/session", headers={"X-CSRFToken": token}).status_code == 200
    )
    assert not logged_in(thief)


def test_a_new_password_ends_every_session(app, student):
    thief = copied(app, student)
    with app.app_context():
        accounts.add_user(db.session, student.email, password="a brand new password")
        db.session.commit()
    assert not logged_in(thief) and not logged_in(student.client)


def test_an_admin_logs_a_user_out_everywhere(app, student, cli):
    thief = copied(app, student)
    assert "logged out everywhere" in cli("user", "logout", student.email)
    assert not logged_in(thief) and not logged_in(student.client)


def test_a_session_older_than_its_lifetime_is_refused(app, student):
    assert logged_in(student.client)
    lifetime = app.config["SESSION_LIFETIME"].total_seconds()
    with student.client.session_transaction() as session:
        session["login_at"] = int(time.time() - lifetime - 60)
    assert not logged_in(student.client)


def test_the_session_cookie_expires_with_the_lifetime(app):
    email, _ = new_student(app)
    client = app.test_client()
    reply = client.post(
        "/api/v1/session",
        json={"email": email, "password": PASSWORD},
        headers={"X-CSRFToken": client.get("/api/v1/session").get_json()["csrf_token"]},
    )
    cookie = next(v for v in reply.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert "Expires=" in cookie
    assert app.config["SESSION_LIFETIME"].days == 14


def test_api_login_starts_a_new_session_with_a_new_csrf_token(app):
    """What the session held before logging in (a planted value, the CSRF token handed out
    then) is gone after it: the old token no longer passes."""
    email, _ = new_student(app)
    client = app.test_client()
    old_token = client.get("/api/v1/session").get_json()["csrf_token"]
    with client.session_transaction() as session:
        session["planted"] = "by whoever set this cookie"
    reply = client.post(
        "/api/v1/session",
        json={"email": email, "password": PASSWORD},
        headers={"X-CSRFToken": old_token},
    )
    assert reply.status_code == 200
    new_token = reply.get_json()["csrf_token"]
    assert new_token != old_token
    with client.session_transaction() as session:
        assert "planted" not in session
    body = {"exercise": "single-weight", "answers": {"grad.e3": "-10"}}
    refused = client.post("/api/v1/submissions", json=body, headers={"X-CSRFToken": old_token})
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    taken = client.post("/api/v1/submissions", json=body, headers={"X-CSRFToken": new_token})
    assert taken.status_code == 202
