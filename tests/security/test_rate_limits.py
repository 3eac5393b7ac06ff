"""Rate limits: failed logins per account and per address, submissions per student; what
happens when the limits' Redis is down."""

from __future__ import annotations

import logging

import pytest

from grader.db import migrate
from grader.extensions import db
from grader.services.exercises import sync_exercises
from grader.web import create_app
from tests.service import infra
from tests.service.factories import make_user
from tests.web.conftest import PASSWORD, new_student

LIMITS = {
    "LOGIN_LIMIT": "3 per minute",
    "LOGIN_LIMIT_PER_ADDRESS": "5 per minute",
    "SUBMIT_LIMIT": "3 per minute",
}
ANSWERS = {"grad.e3": "-10"}


def limited_app(tmp_path, exercises_dir, **settings):
    database = f"sqlite:///{tmp_path}/grader.db"
    migrate.upgrade(database)
    app = create_app(
        {
            "INSTANCE_DIR": str(tmp_path),
            "SECRET_KEY": "test-secret",
            "EXERCISES_DIR": str(exercises_dir),
            "DATABASE_URL": database,
            **LIMITS,
            **settings,
        }
    )
    with app.app_context():
        sync_exercises(db.session, app.config["EXERCISES_DIR"])
    return app


@pytest.fixture
def app(tmp_path, exercises_dir):
    """An embedded app with small limits (no worker: submissions stay queued)."""
    built = limited_app(tmp_path, exercises_dir)
    yield built
    built.extensions["grader.db"].engine.dispose()


def log_in(client, email: str, password: str):
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    return client.post(
        "/api/v1/session",
        json={"email": email, "password": password},
        headers={"X-CSRFToken": token},
    )


def test_failed_logins_per_account_are_limited_even_with_the_right_password_after(app, caplog):
    email, _ = new_student(app)
    client = app.test_client()
    assert [log_in(client, email, "wrong").status_code for _ in range(3)] == [401] * 3
    with caplog.at_level(logging.WARNING):
        blocked = log_in(client, email, PASSWORD)
    assert blocked.status_code == 429
    assert blocked.get_json()["error"] == "too_many_requests"
    assert "failed logins" in blocked.get_json()["message"]
    assert "Retry-After" in blocked.headers
    assert any("rate limit" in r.getMessage() for r in caplog.records)


def test_successful_logins_are_not_counted(app):
    email, _ = new_student(app)
    for _ in range(6):
        assert log_in(app.test_client(), email, PASSWORD).status_code == 200


def test_failed_logins_per_address_are_limited_across_accounts(app):
    client = app.test_client()
    emails = [new_student(app)[0] for _ in range(6)]
    codes = [log_in(client, email, "wrong").status_code for email in emails]
    assert codes == [401] * 5 + [429]


def test_the_login_form_shares_the_account_limit(app):
    email, _ = new_student(app)
    for _ in range(3):
        assert log_in(app.test_client(), email, "wrong").status_code == 401
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    reply = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert reply.status_code == 429


def test_submissions_per_student_are_limited(app):
    student, other = make_user(app), make_user(app)
    codes = [student.submit("single-weight", ANSWERS).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    assert other.submit("single-weight", ANSWERS).status_code == 202


def test_limits_hold_in_memory_when_their_redis_is_down(tmp_path, exercises_dir, caplog):
    """Redis unreachable: requests are served (no 500), each process counts in memory, and
    the fall-back is logged."""
    dead = f"redis://127.0.0.1:{infra.free_port()}/0"
    app = limited_app(tmp_path, exercises_dir, RATELIMIT_STORAGE_URI=dead)
    student = make_user(app)
    with caplog.at_level(logging.WARNING):
        codes = [student.submit("single-weight", ANSWERS).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    assert any("falling back to in-memory" in r.getMessage() for r in caplog.records)
    app.extensions["grader.db"].engine.dispose()
