"""Rate limits: failed logins per account and per address; submissions, previews and practices
made per student.

Only failed logins count, and a right password is let in however many wrong ones came before
it (a student locked out by a classmate's guesses, or a class behind one address locked out by
one of them, was the worse harm), unless the account or the address is under attack: past
``LOGIN_LOCKOUT`` (per account) or ``LOGIN_LOCKOUT_PER_ADDRESS`` failures every login there is
refused until the window passes, so passwords can be guessed no faster than that. Below the
lockout, failures past ``LOGIN_LIMIT`` (per account) or ``LOGIN_LIMIT_PER_ADDRESS`` are answered
429 instead of 401. Showing the login form is never limited.

The counters live in Redis (``GRADER_RATELIMIT_STORAGE_URL``, by default the broker), so every
gunicorn worker and every web machine shares them. When Redis does not answer, each process
counts in its own memory until Redis is back (Flask-Limiter logs a warning when it falls back
and when Redis recovers): the limits then hold per process, and no request fails because of
the limiter.

Views say which limits they are under with ``@marks.login_view``, ``@marks.submission_view``,
``@marks.preview_view`` (a preview spends no attempt, so its limit is more generous) and
``@marks.practice_view`` (making a practice draws numbers or a whole graph).
"""

from __future__ import annotations

import logging
import math
import time
from functools import wraps

from flask import Flask, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from flask_login import current_user
from limits import parse

from grader.logtext import quoted
from grader.web.api.body import parsed_json
from grader.web.errors import json_error

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 254
DEFAULT_WAIT = 60
TOO_MANY_LOGINS = "too many failed logins: wait a minute and try again"
SOFT_LOGIN_LIMITS = (
    ("LOGIN_LIMIT", "login-account"),
    ("LOGIN_LIMIT_PER_ADDRESS", "login-address"),
)


def client_address() -> str:
    """The client's address (through ``GRADER_TRUSTED_PROXIES`` proxies, see ``proxies``), as
    a rate-limit key: a forwarded header's text, quoted, so it cannot break a log line."""
    return quoted(request.remote_addr or "unknown", limit=MAX_KEY_LENGTH)


class ViewLimiter(Limiter):
    """Flask-Limiter, whose check before every request looks for application-wide and default
    limits. This app's limits are all its views' own, checked by their decorators, so that check
    is skipped while none is configured (it was a third of the limiter's work on a submission);
    a default or application limit set through the settings is still checked before every
    request."""

    def _check_request_limit(self, callable_name=None, in_middleware=True) -> None:
        manager = self.limit_manager
        if in_middleware and not (manager.application_limits or manager.default_limits):
            return
        super()._check_request_limit(callable_name, in_middleware)


def init_app(app: Flask) -> Limiter:
    """A limiter of this app's own (its storage is the app's), on the views marked as login
    or submission views; call after the blueprints are registered."""
    limiter = ViewLimiter(key_func=client_address, on_breach=breached)
    limiter.init_app(app)
    app.extensions["grader.limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, too_many)
    lockouts = [
        limiter.shared_limit(
            lambda: current_app.config["LOGIN_LOCKOUT"],
            scope="login-lockout-account",
            key_func=login_account,
            deduct_when=login_failed,
            methods=["POST"],
            error_message=TOO_MANY_LOGINS,
        ),
        limiter.shared_limit(
            lambda: current_app.config["LOGIN_LOCKOUT_PER_ADDRESS"],
            scope="login-lockout-address",
            key_func=client_address,
            deduct_when=login_failed,
            methods=["POST"],
            error_message=TOO_MANY_LOGINS,
        ),
    ]
    submission_limit = limiter.shared_limit(
        lambda: current_app.config["SUBMIT_LIMIT"],
        scope="submissions",
        key_func=student,
        error_message="too many submissions: wait a minute and try again",
    )
    preview_limit = limiter.shared_limit(
        lambda: current_app.config["PREVIEW_LIMIT"],
        scope="previews",
        key_func=student,
        error_message="too many previews: wait a minute and try again",
    )
    practice_limit = limiter.shared_limit(
        lambda: current_app.config["PRACTICE_LIMIT"],
        scope="practices",
        key_func=student,
        error_message="too many practices: wait a minute and try again",
    )
    for endpoint, view in list(app.view_functions.items()):
        kind = getattr(view, "grader_limits", None)
        if kind == "login":
            for lockout in lockouts:
                view = lockout(view)
        elif kind == "submission":
            view = after_login(view, submission_limit(view))
        elif kind == "preview":
            view = after_login(view, preview_limit(view))
        elif kind == "practice":
            view = after_login(view, practice_limit(view))
        app.view_functions[endpoint] = view
    return limiter


def after_login(view, limited):
    """``limited`` for a logged-in caller; others go to ``view``, which turns them away."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated:
            return limited(*args, **kwargs)
        return view(*args, **kwargs)

    return wrapped


def too_many(exc: RateLimitExceeded):
    """429 with the seconds until the limit reached has room again in ``Retry-After``."""
    response = json_error(429, "too_many_requests", exc.description)
    limit = current_app.extensions["grader.limiter"].current_limit
    wait = DEFAULT_WAIT
    if limit is not None:
        try:
            wait = max(1, int(limit.reset_at - time.time()))
        except Exception as error:  # the storage went away after this request's check
            log.warning("rate limit storage unreachable, Retry-After guessed: %s", error)
    response.headers["Retry-After"] = str(wait)
    return response


def breached(limit: RequestLimit) -> None:
    """Log a limit reached (its key is made of quoted parts: see the key functions)."""
    log.warning(
        "rate limit %s reached by %s at %s %s",
        limit.limit,
        limit.key,
        request.method,
        quoted(request.path),
    )


def login_email() -> str:
    """The email a login names (form or JSON), normalised as accounts are."""
    email = request.form.get("email")
    if email is None:
        body = parsed_json()
        email = body.get("email") if isinstance(body, dict) else None
    return email.strip().lower()[:MAX_KEY_LENGTH] if isinstance(email, str) else ""


def login_account() -> str:
    """The account a login names, as a rate-limit key (quoted: the limiter logs its keys)."""
    return f"account:{quoted(login_email(), limit=None)}"


def login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


def count_failed_login() -> int | None:
    """Log a failed login and count it (the lockouts count it once the answer is made); the
    seconds to wait when the account or the address is past its limit of failures, else None."""
    log.warning("failed login as %s from %s", quoted(login_email()), client_address())
    g.login_failed = True
    waits = [
        _hit(setting, scope, key)
        for (setting, scope), key in zip(
            SOFT_LOGIN_LIMITS, (login_account(), client_address()), strict=True
        )
    ]
    waits = [wait for wait in waits if wait is not None]
    return max(waits) if waits else None


def _hit(setting: str, scope: str, key: str) -> int | None:
    """Count one against the limit; the seconds until it has room again when it is spent."""
    limiter: Limiter = current_app.extensions["grader.limiter"]
    item = parse(current_app.config[setting])
    ids = (current_app.config["RATELIMIT_KEY_PREFIX"], key, scope)
    try:
        if limiter.limiter.hit(item, *ids):
            return None
        reset = limiter.limiter.get_window_stats(item, *ids).reset_time
    except Exception as exc:  # the storage went away after this request's first check
        log.warning("rate limit storage unreachable, failed login not counted: %s", exc)
        return None
    log.warning("rate limit %s reached by %s", item, key)
    return max(1, math.ceil(reset - time.time()))


def student() -> str:
    return f"user:{current_user.id}"
