"""CSRF on every state-changing form and cookie-authenticated API call, and no state change on
GET: every route of the app is tried, so a new one is covered without editing this file."""

from __future__ import annotations

import logging

from tests.security.conftest import Side, cookie_csrf, snapshot

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# GET routes that also take POST: GET only shows the form (or, for LTI's OIDC login
# initiation, which platforms may send either way, answers the same).
FORMS = {
    "student.account.login",
    "instructor.courses.settings",
    "instructor.authoring.new",
    "instructor.authoring.edit",
    "lti.login",
}


def url_for_rule(rule, side: Side) -> str:
    values = {
        "slug": side.course,
        "exercise_slug": "single-weight",
        "submission_id": side.submission_id,
        "batch_id": side.batch_id,
        "user_id": side.student_id,
        "number": side.practice_number,
        "attempt_id": side.practice_attempt_id,
        "code": "ru",
        "filename": "css/site.css",
    }
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def test_every_state_changing_route_refuses_a_cookie_session_without_the_csrf_token(
    app, mine, caplog
):
    """As the course's instructor (allowed everywhere in it): 400, nothing changed, logged. An
    LTI message route, which a signed id_token authenticates instead, refuses the unsigned
    post (400 or 403) all the same."""
    rules = [r for r in app.url_map.iter_rules() if r.methods & UNSAFE]
    signed = {
        r.endpoint for r in rules if getattr(app.view_functions[r.endpoint], "signed_message", 0)
    }
    assert len(rules) >= 10
    before = snapshot(app)
    client = mine.instructor.client
    with caplog.at_level(logging.WARNING, logger="grader.web.auth"):
        for rule in rules:
            for method in sorted(rule.methods & UNSAFE):
                url = url_for_rule(rule, mine)
                for body in ({"data": {"email": "x@y.z"}}, {"json": {"regrade": True}}):
                    reply = client.open(url, method=method, **body)
                    refused = reply.status_code == 400 or (
                        rule.endpoint in signed and reply.status_code == 403
                    )
                    assert refused or rule.endpoint == "student.account.login", (method, url)
    assert snapshot(app) == before
    assert client.get("/api/v1/session").get_json()["user"]["email"] == mine.instructor.email
    refusals = [r for r in caplog.records if "CSRF" in r.getMessage()]
    assert len(refusals) >= len(rules) - len(signed)


def test_login_form_without_the_csrf_token_does_not_log_in(app, mine):
    client = app.test_client()
    reply = client.post(
        "/login", data={"email": mine.student.email, "password": "correct horse battery"}
    )
    assert reply.status_code == 200
    assert client.get("/api/v1/session").get_json()["user"] is None


def test_an_authorization_header_beside_the_cookie_does_not_excuse_the_token(app, mine):
    """Only a caller the bearer token itself authenticates goes without the CSRF token."""
    reply = mine.student.client.post(
        "/api/v1/submissions",
        json={"exercise": "single-weight", "answers": {"grad.e3": "-10"}},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert reply.status_code == 400 and reply.get_json()["error"] == "csrf"


def test_the_same_call_with_the_token_is_accepted(app, mine):
    """The refusals above are the CSRF check, not a broken request."""
    token = cookie_csrf(mine.student)
    reply = mine.student.client.post(
        "/api/v1/submissions",
        json={"exercise": "single-weight", "answers": {"grad.e3": "-10"}},
        headers={"X-CSRFToken": token},
    )
    assert reply.status_code == 202


def test_no_get_changes_anything(app, mine):
    """Every GET route, as the student and as the instructor, with their own objects: the
    database is as it was."""
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods]
    unsafe_gets = {r.endpoint for r in rules if r.methods & UNSAFE}
    assert unsafe_gets <= FORMS, unsafe_gets
    before = snapshot(app)
    for browser in (mine.student, mine.instructor):
        for rule in rules:
            reply = browser.client.get(url_for_rule(rule, mine))
            reply.get_data()
            reply.close()
            assert reply.status_code < 500, (rule.rule, reply.status_code)
    assert snapshot(app) == before
