"""``/session``: log in and out with a cookie; the CSRF token for cookie-authenticated calls."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from grader.extensions import db
from grader.services import accounts
from grader.services.errors import ServiceError
from grader.web import auth, limits
from grader.web.api.body import json_object
from grader.web.errors import json_error
from grader.web.marks import login_view

bp = Blueprint("session", __name__)


class BadLogin(ServiceError):
    status = 401
    code = "unauthorized"


def describe() -> dict:
    user = current_user if current_user.is_authenticated else None
    return {
        "user": None
        if user is None
        else {"email": user.email, "name": user.name, "role": user.role},
        "csrf_token": generate_csrf(),
    }


@bp.get("/session")
def show():
    """Who is logged in, and the CSRF token to send as ``X-CSRFToken``."""
    return describe()


@bp.post("/session")
@login_view
def login():
    """Log in with ``{email, password}``: a new session cookie, and its new CSRF token."""
    body = json_object()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise BadLogin('send {"email": ..., "password": ...}')
    user = accounts.authenticate(db.session, email, password)
    if user is None:
        wait = limits.count_failed_login()
        if wait is not None:
            response = json_error(429, "too_many_requests", limits.TOO_MANY_LOGINS)
            response.headers["Retry-After"] = str(wait)
            return response
        raise BadLogin("wrong email or password")
    auth.start_session(user)
    return describe()


@bp.delete("/session")
def logout():
    """Log out: this session and every copy of its cookie stop working."""
    auth.end_session(current_user)
    return describe()
