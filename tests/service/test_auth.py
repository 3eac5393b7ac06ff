"""Bearer tokens for scripts; cookie sessions with CSRF for browsers."""

from __future__ import annotations

import pytest

from tests.service.factories import make_user

PASSWORD = "correct horse"


@pytest.fixture
def browser(embedded_app):
    """A logged-out browser and a student account with a password."""
    account = make_user(embedded_app, password=PASSWORD)
    return embedded_app.test_client(), account


def csrf_token(client) -> str:
    return client.get("/api/v1/session").get_json()["csrf_token"]


def test_request_without_credentials_is_401(embedded_app):
    client = embedded_app.test_client()
    for reply in (
        client.get("/api/v1/exercises"),
        client.post("/api/v1/submissions", json={"exercise": "single-weight", "answers": {}}),
    ):
        assert reply.status_code == 401
        assert reply.get_json()["error"] == "unauthorized"


def test_unknown_bearer_token_is_401(embedded_app):
    reply = embedded_app.test_client().get(
        "/api/v1/exercises", headers={"Authorization": "Bearer gr_not-a-token"}
    )
    assert reply.status_code == 401


def test_bearer_token_needs_no_csrf(embedded_app):
    api = make_user(embedded_app)
    assert api.submit("single-weight", {"grad.e3": "-10"}).status_code == 202


def test_cookie_login_needs_csrf(browser):
    client, account = browser
    reply = client.post("/api/v1/session", json={"email": account.email, "password": PASSWORD})
    assert reply.status_code == 400 and reply.get_json()["error"] == "csrf"


def test_wrong_password_is_401(browser):
    client, account = browser
    reply = client.post(
        "/api/v1/session",
        json={"email": account.email, "password": "wrong"},
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert reply.status_code == 401


def test_cookie_session_submits_with_csrf_token_only(browser):
    """Logged in by cookie: a POST without the CSRF token is refused, with it accepted."""
    client, account = browser
    reply = client.post(
        "/api/v1/session",
        json={"email": account.email.upper(), "password": PASSWORD},
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert reply.status_code == 200 and reply.get_json()["user"]["email"] == account.email
    token = reply.get_json()["csrf_token"]
    body = {"exercise": "single-weight", "answers": {"grad.e3": "-10"}}
    refused = client.post("/api/v1/submissions", json=body)
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    accepted = client.post("/api/v1/submissions", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 202
    assert client.get(f"/api/v1/submissions/{accepted.get_json()['id']}").status_code == 200
    client.delete("/api/v1/session", headers={"X-CSRFToken": token})
    assert client.get("/api/v1/exercises").status_code == 401
