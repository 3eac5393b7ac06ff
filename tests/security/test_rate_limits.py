"""Rate limits: failed logins per account and per address (a right password still gets in,
unless the account or address is under attack), submissions per student; the client address
behind trusted proxies; what happens when the limits' Redis is down."""

from __future__ import annotations

import logging
import uuid

import pytest
from limits import parse
from sqlalchemy import select

from grader.db import User, migrate
from grader.extensions import db
from grader.services.exercises import sync_exercises
from grader.web import create_app
from tests.service import infra
from tests.service.factories import make_user
from tests.web.conftest import PASSWORD, new_student

LIMITS = {
    "LOGIN_LIMIT": "3 per minute",
    "LOGIN_LIMIT_PER_ADDRESS": "5 per minute",
    "LOGIN_LOCKOUT": "8 per hour",
    "LOGIN_LOCKOUT_PER_ADDRESS": "12 per hour",
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


def log_in(client, email: str, password: str, address: str = "127.0.0.1", **headers):
    environ = {"REMOTE_ADDR": address}
    token = client.get("/api/v1/session", environ_base=environ).get_json()["csrf_token"]
    return client.post(
        "/api/v1/session",
        json={"email": email, "password": password},
        headers={"X-CSRFToken": token, **headers},
        environ_base=environ,
    )


def form_log_in(client, email: str, password: str):
    page = client.get("/login")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    data = {"email": email, "password": password, "csrf_token": token.split('"')[0]}
    return client.post("/login", data=data)


def test_failed_logins_past_the_account_limit_are_429_and_logged(app, caplog):
    email, _ = new_student(app)
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        codes = [log_in(client, email, "wrong").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    blocked = log_in(client, email, "wrong")
    assert blocked.get_json()["error"] == "too_many_requests"
    assert "failed logins" in blocked.get_json()["message"]
    assert int(blocked.headers["Retry-After"]) > 0
    assert any("rate limit" in r.getMessage() for r in caplog.records)


def test_the_right_password_gets_in_past_the_account_limit(app):
    """A classmate's wrong guesses do not lock the student out."""
    email, _ = new_student(app)
    for _ in range(4):
        log_in(app.test_client(), email, "wrong")
    assert log_in(app.test_client(), email, PASSWORD).status_code == 200


def test_an_account_under_attack_refuses_even_the_right_password(app):
    """Past the lockout (8 failures an hour here), from any address, nothing gets in: passwords
    cannot be guessed faster than that."""
    email, _ = new_student(app)
    for number in range(8):
        log_in(app.test_client(), email, "wrong", address=f"10.0.0.{number}")
    reply = log_in(app.test_client(), email, PASSWORD, address="10.0.1.1")
    assert reply.status_code == 429 and "Retry-After" in reply.headers


def test_successful_logins_are_not_counted(app):
    email, _ = new_student(app)
    for _ in range(10):
        assert log_in(app.test_client(), email, PASSWORD).status_code == 200


def test_failed_logins_per_address_are_limited_across_accounts(app):
    client = app.test_client()
    emails = [new_student(app)[0] for _ in range(6)]
    codes = [log_in(client, email, "wrong").status_code for email in emails]
    assert codes == [401] * 5 + [429]


def test_one_address_past_its_limit_does_not_lock_out_the_others_behind_it(app):
    """A class behind one address: after one of them fails past the address's limit, the
    others still see the form and log in with their right passwords."""
    for email in [new_student(app)[0] for _ in range(6)]:
        log_in(app.test_client(), email, "wrong")
    classmate, _ = new_student(app)
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/api/v1/session").status_code == 200
    assert log_in(client, classmate, PASSWORD).status_code == 200
    assert form_log_in(app.test_client(), classmate, PASSWORD).status_code == 302


def test_an_address_under_attack_is_locked_out(app):
    """Past the address's lockout (12 failures an hour here) every login from it is refused,
    and the form is still shown."""
    for email in [new_student(app)[0] for _ in range(12)]:
        log_in(app.test_client(), email, "wrong")
    classmate, _ = new_student(app)
    assert log_in(app.test_client(), classmate, PASSWORD).status_code == 429
    assert app.test_client().get("/login").status_code == 200
    assert log_in(app.test_client(), classmate, PASSWORD, address="10.9.9.9").status_code == 200


def test_the_login_form_counts_against_the_same_limit(app):
    email, _ = new_student(app)
    for _ in range(3):
        assert log_in(app.test_client(), email, "wrong").status_code == 401
    reply = form_log_in(app.test_client(), email, "wrong")
    assert reply.status_code == 429 and "Retry-After" in reply.headers
    assert "Too many failed logins" in reply.get_data(as_text=True)
    assert form_log_in(app.test_client(), email, PASSWORD).status_code == 302


def test_forwarded_addresses_are_ignored_without_trusted_proxies(app):
    """Otherwise a client would pick a new address for each guess."""
    client = app.test_client()
    emails = [new_student(app)[0] for _ in range(6)]
    codes = [
        log_in(client, email, "wrong", **{"X-Forwarded-For": f"10.1.1.{n}"}).status_code
        for n, email in enumerate(emails)
    ]
    assert codes == [401] * 5 + [429]


def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(tmp_path, exercises_dir):
    app = limited_app(tmp_path, exercises_dir, TRUSTED_PROXIES=1)
    emails = [new_student(app)[0] for _ in range(6)]
    client = app.test_client()
    same = [log_in(client, e, "wrong", **{"X-Forwarded-For": "10.2.2.2"}) for e in emails]
    assert [r.status_code for r in same] == [401] * 5 + [429]
    other = log_in(client, emails[0], "wrong", **{"X-Forwarded-For": "10.3.3.3"})
    assert other.status_code == 401
    app.extensions["grader.db"].engine.dispose()


def test_submissions_per_student_are_limited(app):
    student, other = make_user(app), make_user(app)
    replies = [student.submit("single-weight", ANSWERS) for _ in range(4)]
    assert [reply.status_code for reply in replies] == [202, 202, 202, 429]
    assert 0 < int(replies[-1].headers["Retry-After"]) <= 60
    assert replies[-1].get_json()["error"] == "too_many_requests"
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


def test_a_default_limit_from_the_settings_holds_on_every_view(tmp_path, exercises_dir):
    """The views' own limits are checked by their decorators; a default limit set through
    Flask-Limiter's settings is still checked before every request."""
    app = limited_app(tmp_path, exercises_dir, RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()
    statuses = [client.get("/api/v1/session").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    app.extensions["grader.db"].engine.dispose()


def test_submissions_per_student_are_counted_in_redis_under_the_limiters_own_key(
    tmp_path, exercises_dir, redis_url
):
    """On Redis, as in production: every process counts a student's submissions in one
    window, the limiter's own, and past the limit the answer is 429 with Retry-After."""
    prefix = f"limits-test-{uuid.uuid4().hex[:8]}"
    app = limited_app(
        tmp_path, exercises_dir, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix
    )
    student, other = make_user(app), make_user(app)
    replies = [student.submit("single-weight", ANSWERS) for _ in range(4)]
    assert [reply.status_code for reply in replies] == [202, 202, 202, 429]
    assert 0 < int(replies[-1].headers["Retry-After"]) <= 60
    assert "too many submissions" in replies[-1].get_json()["message"]
    assert other.submit("single-weight", ANSWERS).status_code == 202
    with app.app_context():
        user_id = db.session.scalar(select(User.id).filter_by(email=student.email))
    limiter = app.extensions["grader.limiter"]
    window = limiter.limiter.get_window_stats(
        parse(LIMITS["SUBMIT_LIMIT"]), prefix, f"user:{user_id}", "submissions"
    )
    assert window.remaining == 0
    app.extensions["grader.db"].engine.dispose()


def test_a_setting_of_several_limits_holds_each(tmp_path, exercises_dir):
    app = limited_app(tmp_path, exercises_dir, SUBMIT_LIMIT="5 per minute;2 per hour")
    student = make_user(app)
    codes = [student.submit("single-weight", ANSWERS).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    app.extensions["grader.db"].engine.dispose()
