"""``/session``: log in and out with a cookie; the CSRF token for cookie-authenticated calls."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from grader.extensions import db
from grader.services import accounts
from grader.services.errors import ServiceError
from grader.web import limits
from grader.web.api.body import json_object

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
def login():
    """Log in with ``{email, password}``; sets the session cookie."""
    body = json_object()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise BadLogin('send {"email": ..., "password": ...}')
    user = accounts.authenticate(db.session, email, password)
    if user is None:
        limits.count_failed_login()
        raise BadLogin("wrong email or password")
    login_user(user)
    return describe()


@bp.delete("/session")
def logout():
    """Log out."""
    logout_user()
    return describe()
