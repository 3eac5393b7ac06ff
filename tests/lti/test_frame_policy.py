"""Inside the LMS's iframe: a session an LTI launch started may be framed by the registered
platforms only, and over HTTPS its cookie is ``SameSite=None; Secure``; every other session
keeps the site's policy (no framing, ``SameSite=Lax``)."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from tests.lti.conftest import Browser, new_context, person
from tests.lti.platform import Message
from tests.web.conftest import PASSWORD, new_student

HTTPS = "https://grader.test"


def https_launch(app, platform, message: Message):
    """A launch whose tool side is served over HTTPS (the test client's base URL)."""
    client = app.test_client()
    url = urlsplit(platform.start_launch(message))
    login = client.get(f"{url.path}?{url.query}", base_url=HTTPS)
    assert login.status_code == 302, login.get_data(as_text=True)[:500]
    page = requests.get(login.headers["Location"], timeout=30).text
    _, fields = Browser.form(page)
    headers = {"Origin": "https://school.lms.example"}
    return client, client.post("/lti/launch", data=fields, base_url=HTTPS, headers=headers)


def session_cookie(reply) -> str:
    return next(v for v in reply.headers.getlist("Set-Cookie") if v.startswith("session="))


def test_an_lti_session_over_https_is_samesite_none_and_framed_by_the_platform_only(
    platform, postgres_app
):
    context = new_context()
    client, reply = https_launch(
        postgres_app,
        platform,
        Message(person("instructor"), context_id=context, custom={"exercise": "single-weight"}),
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)[:800]
    cookie = session_cookie(reply)
    assert "SameSite=None" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    page = client.get(reply.headers["Location"], base_url=HTTPS)
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {platform.url} https://school.lms.example;" in policy
    assert "X-Frame-Options" not in page.headers


def test_a_password_session_keeps_no_framing_and_samesite_lax(postgres_app, platform):
    email, _ = new_student(postgres_app)
    client = postgres_app.test_client()
    form = client.get("/login", base_url=HTTPS).get_data(as_text=True)
    token = Browser().csrf(form)
    reply = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, base_url=HTTPS
    )
    assert reply.status_code == 302
    assert "SameSite=Lax" in session_cookie(reply)
    page = client.get("/courses", base_url=HTTPS)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
