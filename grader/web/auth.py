"""Who is calling: a bearer token (scripts) or a Flask-Login cookie session (browsers, with CSRF).

A session cookie names the user and the session version it was issued for, and the time of the
login: it stops working when the user logs out, changes password or is logged out everywhere
(each raises the version), and ``GRADER_SESSION_LIFETIME`` after the login at the latest.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from grader.db import User
from grader.extensions import csrf, db, login_manager
from grader.logtext import quoted
from grader.services.tokens import TokenState, bearer
from grader.web.errors import json_error

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_ENDPOINT = "api.session.login"
LOGIN_AT = "login_at"
TOKEN_MESSAGES = {
    TokenState.UNKNOWN: "unknown bearer token",
    TokenState.EXPIRED: "this bearer token has expired: ask for a new one",
    TokenState.REVOKED: "this bearer token has been revoked",
}


def register(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_bearer_user)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(protect_cookie_requests)


def load_user(session_id: str) -> User | None:
    """The user of a cookie session, if the session is still theirs: issued for their current
    session version, within the session lifetime."""
    user_id, _, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    login_at = session.get(LOGIN_AT)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if not isinstance(login_at, int | float) or time.time() - login_at > lifetime:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    g.signed_in = True
    return user


def start_session(user: User) -> None:
    """Log the user in on a new session: nothing of the one before is kept (its CSRF token
    included), and the login time is written for the lifetime check."""
    session.clear()
    login_user(user)
    session.permanent = True
    session[LOGIN_AT] = int(time.time())
    g.signed_in = True


def end_session(user: User | None) -> None:
    """Log out: every session cookie of the user stops working, this one and any copy."""
    if user is not None and user.is_authenticated:
        user.end_sessions()
        db.session.commit()
    logout_user()
    session.clear()


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def load_bearer_user(_request) -> User | None:
    """The user of an ``Authorization: Bearer`` token that is known, unexpired, not revoked."""
    token = bearer_token()
    if token is None:
        return None
    user, state = bearer(db.session, token)
    g.bearer = g.signed_in = user is not None
    if user is None:
        g.token_state = state
        log.warning(
            "refused %s %s: %s", request.method, quoted(request.path), TOKEN_MESSAGES[state]
        )
    return user


def protect_cookie_requests() -> None:
    """Check the CSRF token on state-changing requests made with the session cookie (and on
    logging in); a caller authenticated by a bearer token needs none (browsers do not send one
    on their own), but any ``Authorization`` header beside a session cookie does not excuse it."""
    req = request._get_current_object()
    if req.method not in UNSAFE_METHODS:
        return
    if getattr(current_app.view_functions.get(req.endpoint), "signed_message", False):
        return  # an LTI message: its signed id_token, nonce and state authenticate it
    authenticated = current_user.is_authenticated
    if authenticated and g.get("bearer"):
        return
    if authenticated or req.endpoint == LOGIN_ENDPOINT:
        try:
            csrf.protect()
        except CSRFError as exc:
            log.warning("refused %s %s to %s: %s", request.method, quoted(request.path), who(), exc)
            raise


def who() -> str:
    """The caller, for the log: the user's email, else the client's address."""
    if current_user.is_authenticated:
        return current_user.email
    return f"anonymous {quoted(request.remote_addr)}"


def unauthorized():
    state = g.get("token_state")
    if state in (TokenState.EXPIRED, TokenState.REVOKED):
        return json_error(401, state.value, TOKEN_MESSAGES[state])
    return json_error(401, "unauthorized", "log in or send 'Authorization: Bearer <token>'")


def user() -> User:
    """The logged-in user (views are guarded by login_required)."""
    return current_user._get_current_object()
