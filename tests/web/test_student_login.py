"""Logging in and out with the form: CSRF, a new session, the cookie's flags, safe redirects."""

from __future__ import annotations

from tests.web.conftest import CSRF_FIELD, PASSWORD, new_student


def test_login_page_has_email_and_password_inputs(app):
    """The form has inputs named email and password, and a CSRF token."""
    html = app.test_client().get("/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert 'name="csrf_token"' in html
    assert 'autocomplete="current-password"' in html


def test_pages_send_a_visitor_to_the_login_page_and_back(app):
    """A page asked for before logging in redirects to /login, then back to that page."""
    email, course = new_student(app)
    client = app.test_client()
    reply = client.get(f"/courses/{course}")
    assert reply.status_code == 302
    assert reply.headers["Location"] == f"/login?next=/courses/{course}"
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    reply = client.post(
        f"/login?next=/courses/{course}",
        data={"email": email, "password": PASSWORD, "csrf_token": _token(page)},
    )
    assert reply.headers["Location"] == f"/courses/{course}"
    assert client.get(f"/courses/{course}").status_code == 200


def test_login_refuses_a_wrong_password_and_a_missing_csrf_token(app):
    """A wrong password says so; a post without the form's CSRF token logs nobody in."""
    email, course = new_student(app)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    reply = client.post(
        "/login", data={"email": email, "password": "wrong", "csrf_token": _token(page)}
    )
    assert reply.status_code == 200 and "Wrong email or password." in reply.get_data(as_text=True)
    reply = client.post("/login", data={"email": email, "password": PASSWORD})
    assert reply.status_code == 200
    assert client.get(f"/courses/{course}").status_code == 302


def test_login_redirects_only_within_the_site(app):
    """``next`` pointing at another host is ignored."""
    email, _ = new_student(app)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        reply = client.post(
            f"/login?next={target}",
            data={"email": email, "password": PASSWORD, "csrf_token": _token(page)},
        )
        assert reply.status_code == 302
        assert reply.headers["Location"] == "/courses", target


def test_login_starts_a_new_session_with_a_new_csrf_token(app):
    """What the session held before logging in (its CSRF token) does not survive the login."""
    email, course = new_student(app)
    client = app.test_client()
    before = _token(client.get("/login").get_data(as_text=True))
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": before})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session
    after = _token(client.get(f"/courses/{course}").get_data(as_text=True))
    assert after != before


def test_session_cookie_is_httponly_lax_and_secure_over_https(app):
    """The cookie is HttpOnly and SameSite=Lax always, and Secure when the request is HTTPS."""
    email, _ = new_student(app)
    for scheme, secure in (("http", False), ("https", True)):
        client = app.test_client()
        base = f"{scheme}://localhost"
        page = client.get(f"{base}/login").get_data(as_text=True)
        reply = client.post(
            f"{base}/login",
            data={"email": email, "password": PASSWORD, "csrf_token": _token(page)},
        )
        cookie = next(
            header
            for header in reply.headers.getlist("Set-Cookie")
            if header.startswith("session=")
        )
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure, cookie


def test_logout_needs_a_post_with_the_csrf_token(student):
    """Logging out is a POST with the token; a cross-site post without it changes nothing."""
    page = f"/courses/{student.course}"
    assert student.client.post("/logout").status_code == 400
    assert student.get(page).status_code == 200
    reply = student.client.post("/logout", data={"csrf_token": student.csrf(page)})
    assert reply.status_code == 302
    assert student.get(page).status_code == 302


def _token(html: str) -> str:
    return CSRF_FIELD.search(html).group(1)


def test_instructor_lands_on_the_teaching_dashboard(app):
    """Logging in without a destination takes staff to their dashboard, students to courses."""
    email, course = new_student(app, role="instructor")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    reply = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": _token(page)}
    )
    assert reply.headers["Location"] == "/instructor/"
    assert 'href="/instructor/"' in client.get(f"/courses/{course}").get_data(as_text=True)
