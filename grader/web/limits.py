"""Rate limits: failed logins per account and per address, submissions per student.

The counters live in Redis (``GRADER_RATELIMIT_STORAGE_URL``, by default the broker), so every
gunicorn worker and every web machine shares them. When Redis does not answer, each process
counts in its own memory until Redis is back (Flask-Limiter logs a warning when it falls back
and when Redis recovers): the limits then hold per process, and no request fails because of
the limiter.
"""

from __future__ import annotations

import logging
from functools import wraps

from flask import Flask, current_app, g, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user

from grader.web.api.body import parsed_json

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 254
LOGIN_VIEWS = ("api.session.login", "student.account.login")
SUBMISSION_VIEWS = ("api.submissions.create", "student.attempts.create")


def init_app(app: Flask) -> Limiter:
    """A limiter of this app's own (its storage is the app's), on the login and submission
    views; call after the blueprints are registered."""
    limiter = Limiter(key_func=get_remote_address, on_breach=breached)
    limiter.init_app(app)
    app.extensions["grader.limiter"] = limiter
    login_limits = [
        limiter.shared_limit(
            lambda: current_app.config["LOGIN_LIMIT"],
            scope="login-account",
            key_func=login_account,
            deduct_when=login_failed,
            error_message="too many failed logins: wait a minute and try again",
        ),
        limiter.shared_limit(
            lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
            scope="login-address",
            key_func=get_remote_address,
            deduct_when=login_failed,
            error_message="too many failed logins: wait a minute and try again",
        ),
    ]
    submission_limit = limiter.shared_limit(
        lambda: current_app.config["SUBMIT_LIMIT"],
        scope="submissions",
        key_func=student,
        error_message="too many submissions: wait a minute and try again",
    )
    for endpoint in LOGIN_VIEWS:
        view = app.view_functions[endpoint]
        for limit in login_limits:
            view = limit(view)
        app.view_functions[endpoint] = view
    for endpoint in SUBMISSION_VIEWS:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = after_login(view, submission_limit(view))
    return limiter


def after_login(view, limited):
    """``limited`` for a logged-in caller; others go to ``view``, which turns them away."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated:
            return limited(*args, **kwargs)
        return view(*args, **kwargs)

    return wrapped


def breached(limit: RequestLimit) -> None:
    log.warning(
        "rate limit %s reached by %s at %s %s", limit.limit, limit.key, request.method, request.path
    )


def login_account() -> str:
    """The account a login names (form or JSON), normalised as accounts are."""
    email = request.form.get("email")
    if email is None:
        body = parsed_json()
        email = body.get("email") if isinstance(body, dict) else None
    email = email.strip().lower()[:MAX_KEY_LENGTH] if isinstance(email, str) else ""
    return f"account:{email}"


def login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


def count_failed_login() -> None:
    """Log a failed login and count it against the login limits (only failures count)."""
    log.warning("failed login as %s from %s", login_account()[8:], request.remote_addr)
    g.login_failed = True


def student() -> str:
    return f"user:{current_user.id}"
