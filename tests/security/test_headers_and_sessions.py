"""Security headers on every kind of response, session cookie flags, hashed passwords."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grader.db import User
from grader.extensions import db
from grader.web.headers import CONTENT_SECURITY_POLICY
from tests.web.conftest import PASSWORD, new_student

# The policy the browser tests hold every page to (tests/browser/conftest.py): the real header
# must say the same for these directives, so what the browser tests saw is what is served.
PAGES_POLICY = {
    "default-src": "'self'",
    "script-src": "'self' 'wasm-unsafe-eval'",
    "style-src": "'self'",
    "img-src": "'self' data:",
}


def directives(policy: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in policy.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def test_policy_is_the_one_the_browser_tests_hold_the_pages_to():
    policy = directives(CONTENT_SECURITY_POLICY)
    assert {name: policy[name] for name in PAGES_POLICY} == PAGES_POLICY
    assert policy["frame-ancestors"] == "'none'"


@pytest.mark.parametrize(
    "path",
    ["/", "/login", "/api/v1/health", "/api/v1/exercises", "/no-such-page", "/static/css/site.css"],
)
def test_every_response_carries_the_security_headers(app, path):
    """Pages, JSON, errors and static files alike."""
    headers = app.test_client().get(path).headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def login_cookie(app, base_url: str) -> str:
    email, _ = new_student(app)
    client = app.test_client()
    token = client.get("/api/v1/session", base_url=base_url).get_json()["csrf_token"]
    reply = client.post(
        "/api/v1/session",
        json={"email": email, "password": PASSWORD},
        headers={"X-CSRFToken": token, "Referer": f"{base_url}/login"},
        base_url=base_url,
    )
    assert reply.status_code == 200
    return next(v for v in reply.headers.getlist("Set-Cookie") if v.startswith("session="))


def test_session_cookie_is_httponly_and_samesite_lax(app):
    cookie = login_cookie(app, "http://localhost")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_over_https(app):
    assert "Secure" in login_cookie(app, "https://localhost")


def test_passwords_are_stored_as_scrypt_hashes(app):
    email, _ = new_student(app)
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).filter_by(email=email))
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_logging_in_with_the_form_starts_a_new_session(app):
    """The session from before the login is not kept (no session fixation)."""
    email, _ = new_student(app)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    before = client.get_cookie("session").value
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    reply = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert reply.status_code == 302
    assert client.get_cookie("session").value != before
