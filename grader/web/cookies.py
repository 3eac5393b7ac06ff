"""The session cookie: ``HttpOnly`` and ``SameSite=Lax`` (from the config), and ``Secure`` whenever
the request came over HTTPS, so one configuration serves both plain local runs and production;
a session an LTI launch started over HTTPS is ``SameSite=None`` (``grader.web.lti.frame``)."""

from __future__ import annotations

from flask import Flask, Request, Response, g, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked ``Secure`` on HTTPS requests. A request with no
    cookie at all (a script's, with a bearer token) gets its new empty session without the
    cookies parsed or the signing serializer made, and an empty session left empty is done
    with once its ``Vary: Cookie`` is set, as Flask would, without the cookie's settings read."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:
        if session or session.modified:
            super().save_session(app, session, response)
        elif session.accessed:
            response.vary.add("Cookie")

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure
        )

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """``None`` for a session an LTI launch started over HTTPS (the LMS frames its pages, a
        third-party context), else the configured policy."""
        if has_request_context() and request.is_secure and g.get("lti_session"):
            return "None"
        return super().get_cookie_samesite(app)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
