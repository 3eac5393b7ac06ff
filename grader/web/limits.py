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
from functools import lru_cache, wraps

from flask import Flask, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from flask_login import current_user
from limits import RateLimitItem, parse, parse_many

from grader.logtext import quoted
from grader.web.api.body import parsed_json
from grader.web.errors import json_error

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 254
DEFAULT_WAIT = 60
TOO_MANY_LOGINS = "too many failed logins: wait a minute and try again"
# Each kind of view under a student's own limit: its setting and the limit's scope.
PER_STUDENT = {
    "submission": ("SUBMIT_LIMIT", "submissions"),
    "preview": ("PREVIEW_LIMIT", "previews"),
    "practice": ("PRACTICE_LIMIT", "practices"),
}
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

    def spend(self, limit: str, key: str, scope: str) -> bool:
        """Count one request against ``limit`` (a setting's text) for ``key`` in ``scope``
        straight in the storage, as the limiter's own check of a view's shared limit would,
        without its search for the limits that apply (most of its work on a submission): True
        when the limit had room. False leaves the request to the limiter's own check, which
        counts it then: the limit is spent (the 429 and its log are the limiter's own), the
        storage is or was down (the limiter counts in memory meanwhile and watches for the
        storage to come back), the setting names several limits, or the limiter is off or has
        meta limits or request filters."""
        if not self.enabled or self._storage_dead or self._meta_limits or self._request_filters:
            return False
        items = parsed_limits(limit)
        if len(items) != 1:
            return False
        ids = (self._key_prefix, key, scope) if self._key_prefix else (key, scope)
        try:
            return self._limiter.hit(items[0], *ids)
        except Exception:
            return False


@lru_cache(maxsize=64)
def parsed_limits(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


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
    per_student = {
        kind: limiter.shared_limit(
            lambda setting=setting: current_app.config[setting],
            scope=scope,
            key_func=student,
            error_message=f"too many {scope}: wait a minute and try again",
        )
        for kind, (setting, scope) in PER_STUDENT.items()
    }
    for endpoint, view in list(app.view_functions.items()):
        kind = getattr(view, "grader_limits", None)
        if kind == "login":
            for lockout in lockouts:
                view = lockout(view)
        elif kind in per_student:
            view = after_login(limiter, *PER_STUDENT[kind], view, per_student[kind](view))
        app.view_functions[endpoint] = view
    return limiter


def after_login(limiter: ViewLimiter, setting: str, scope: str, view, limited):
    """``view`` under the student's limit ``setting`` in ``scope`` for a logged-in caller
    (spent by ``limiter.spend``, else by ``limited``, the limiter's own check); others go to
    ``view``, which turns them away."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        caller = current_user._get_current_object()
        if not caller.is_authenticated:
            return view(*args, **kwargs)
        if limiter.spend(current_app.config[setting], student_key(caller), scope):
            return view(*args, **kwargs)
        return limited(*args, **kwargs)

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
    return student_key(current_user)


def student_key(user) -> str:
    return f"user:{user.id}"
