"""Text a request sends reaches the log quoted: an email, a path or a forwarded address with a
newline in it cannot forge a log line of its own."""

from __future__ import annotations

import logging

from tests.security.test_rate_limits import limited_app
from tests.web.conftest import log_in, new_student

FORGED = "\nWARNING grader.web.auth: admin@demo.test logged in\r"


def assert_quoted(records) -> str:
    """Every record's message is one line; their text, joined."""
    messages = [record.getMessage() for record in records]
    for message in messages:
        assert "\n" not in message and "\r" not in message, message
    return "\n".join(messages)


def test_a_failed_login_logs_the_email_quoted(app, caplog):
    client = app.test_client()
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    with caplog.at_level(logging.INFO):
        reply = client.post(
            "/api/v1/session",
            json={"email": f"x@y{FORGED}", "password": "wrong"},
            headers={"X-CSRFToken": token},
        )
    assert reply.status_code == 401
    text = assert_quoted(caplog.records)
    assert "failed login as 'x@y\\nwarning grader.web.auth: admin@demo.test logged in" in text


def test_refused_requests_log_their_path_quoted(app, caplog):
    """An unknown bearer token, a student on an instructor's page, a POST without its CSRF
    token: each refusal names the path, quoted."""
    email, course = new_student(app)
    student = log_in(app, email, course)
    with caplog.at_level(logging.INFO):
        token = app.test_client().get(
            "/api/v1/exercises/x%0Aforged", headers={"Authorization": "Bearer gr_nope"}
        )
        staff_only = student.get("/instructor/courses/x%0D%0Aforged/")
        no_csrf = student.client.post("/api/v1/submissions%0Aforged", json={})
    assert (token.status_code, staff_only.status_code, no_csrf.status_code) == (401, 403, 400)
    text = assert_quoted(caplog.records)
    assert "refused GET '/api/v1/exercises/x\\nforged': unknown bearer token" in text
    assert "refused instructor GET '/instructor/courses/x\\r\\nforged/'" in text
    assert "refused POST '/api/v1/submissions\\nforged'" in text


def test_login_limits_log_their_keys_quoted(tmp_path, exercises_dir, caplog):
    app = limited_app(tmp_path, exercises_dir, TRUSTED_PROXIES=1)
    client = app.test_client()
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            token = client.get("/api/v1/session").get_json()["csrf_token"]
            client.post(
                "/api/v1/session",
                json={"email": f"victim@test.example{FORGED}", "password": "wrong"},
                headers={"X-CSRFToken": token, "X-Forwarded-For": "10.0.0.1\x1b[2J"},
            )
    text = assert_quoted(caplog.records)
    assert "rate limit" in text and "\x1b" not in text
    app.extensions["grader.db"].engine.dispose()
