"""Who is calling: a bearer token (scripts) or a Flask-Login cookie session (browsers, with CSRF)."""

from __future__ import annotations

import logging

from flask import Flask, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from grader.db import User
from grader.extensions import csrf, db, login_manager
from grader.services import accounts
from grader.web.errors import json_error

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_ENDPOINT = "api.session.login"


def register(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_bearer_user)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(protect_cookie_requests)


def load_user(user_id: str) -> User | None:
    """The user of a cookie session."""
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def load_bearer_user(_request) -> User | None:
    """The user of an ``Authorization: Bearer`` token."""
    token = bearer_token()
    if token is None:
        return None
    user = accounts.user_for_token(db.session, token)
    g.bearer = user is not None
    if user is None:
        log.warning("refused %s %s: unknown or revoked bearer token", request.method, request.path)
    return user


def protect_cookie_requests() -> None:
    """Check the CSRF token on state-changing requests made with the session cookie (and on
    logging in); a caller authenticated by a bearer token needs none (browsers do not send one
    on their own), but any ``Authorization`` header beside a session cookie does not excuse it."""
    if request.method not in UNSAFE_METHODS:
        return
    if current_user.is_authenticated and g.get("bearer"):
        return
    if current_user.is_authenticated or request.endpoint == LOGIN_ENDPOINT:
        try:
            csrf.protect()
        except CSRFError as exc:
            log.warning("refused %s %s to %s: %s", request.method, request.path, who(), exc)
            raise


def who() -> str:
    """The caller, for the log: the user's email, else the client's address."""
    if current_user.is_authenticated:
        return current_user.email
    return f"anonymous {request.remote_addr}"


def unauthorized():
    return json_error(401, "unauthorized", "log in or send 'Authorization: Bearer <token>'")


def user() -> User:
    """The logged-in user (views are guarded by login_required)."""
    return current_user._get_current_object()
