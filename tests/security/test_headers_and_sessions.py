"""Security headers on every kind of response (HSTS over HTTPS, no-store for logged-in users),
session cookie flags, hashed passwords, the SQLite file's mode, the HTML sanitizer."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import select

from grader.config import load_config
from grader.db import User, migrate
from grader.extensions import db
from grader.web import create_app
from grader.web.headers import CONTENT_SECURITY_POLICY
from grader.web.student import markdown
from tests.service.factories import make_user
from tests.web.conftest import PASSWORD, log_in, new_student

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


def test_https_responses_carry_hsts_and_plain_http_ones_do_not(app):
    client = app.test_client()
    secure = client.get("/login", base_url="https://localhost").headers
    assert secure["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_what_a_logged_in_user_is_shown_is_not_stored_by_caches(app):
    """Pages and API answers for a session or a token: no-store; static files stay cacheable."""
    email, course = new_student(app)
    browser = log_in(app, email, course)
    for path in ("/courses", f"/courses/{course}/exercises/single-weight", "/api/v1/exercises"):
        assert browser.get(path).headers.get("Cache-Control") == "no-store", path
    api = make_user(app)
    assert api.get("/exercises").headers.get("Cache-Control") == "no-store"
    assert "no-store" not in (
        browser.get("/static/css/site.css").headers.get("Cache-Control") or ""
    )


def test_a_bearer_token_request_gets_no_session_cookie_and_varies_on_cookies(app):
    """A script's request, with no cookie: answered without one, and marked as varying with
    the cookie its answer was read without; a logged-in session still gets its cookie back."""
    api = make_user(app)
    reply = api.submit("single-weight", {"grad.e3": "-10"})
    assert reply.status_code == 202
    assert "Set-Cookie" not in reply.headers
    assert "Cookie" in reply.headers["Vary"]
    email, course = new_student(app)
    browser = log_in(app, email, course)
    assert browser.get(f"/courses/{course}/exercises/single-weight").status_code == 200


def test_the_session_cookie_can_be_marked_secure_by_configuration(tmp_path, exercises_dir):
    """Behind a proxy that ends TLS without saying so, ``GRADER_SESSION_COOKIE_SECURE`` marks
    the cookie Secure on plain HTTP too."""
    config = load_config({"GRADER_SESSION_COOKIE_SECURE": "true", "GRADER_INSTANCE_DIR": "x"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert load_config({"GRADER_INSTANCE_DIR": "x"})["SESSION_COOKIE_SECURE"] is False
    database = f"sqlite:///{tmp_path}/grader.db"
    migrate.upgrade(database)
    secured = create_app(
        {
            "INSTANCE_DIR": str(tmp_path),
            "SECRET_KEY": "test-secret",
            "EXERCISES_DIR": str(exercises_dir),
            "DATABASE_URL": database,
            "SESSION_COOKIE_SECURE": True,
        }
    )
    assert "Secure" in login_cookie(secured, "http://localhost")
    secured.extensions["grader.db"].engine.dispose()


def test_the_sqlite_database_is_created_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "fresh" / "grader.db"
    path.parent.mkdir()
    migrate.upgrade(f"sqlite:///{path}")
    for file in [path, *path.parent.glob("grader.db-*")]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_exercise_html_is_cleaned_by_nh3_not_the_deprecated_bleach(repo_root):
    """The allow-list keeps the Markdown's own tags and drops everything else."""
    assert "bleach" not in (repo_root / "pyproject.toml").read_text()
    html = str(
        markdown.render(
            "**x** [a](javascript:alert(1)) [b](https://example.org) <script>alert(1)</script>"
        )
    )
    assert "<strong>x</strong>" in html and 'href="https://example.org"' in html
    assert 'href="javascript' not in html and "<script" not in html
