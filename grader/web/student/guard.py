"""Pages for people: log in first (a redirect, not a JSON 401), and errors shown as pages, or as
JSON to the page's own scripts."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from grader.services.errors import ServiceError

LOGIN_ENDPOINT = "student.account.login"


def login_page_required(view):
    """Send a visitor who is not logged in to the login page, and back here afterwards."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for(LOGIN_ENDPOINT, next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no other host, no scheme), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def wants_json() -> bool:
    """True for the page's scripts, which ask for JSON."""
    return request.accept_mimetypes.best == "application/json"


def error_page(status: int, title: str, message: str):
    if wants_json():
        response = jsonify({"error": title, "message": message})
        response.status_code = status
        return response
    return render_template("student/error.html", title=title, message=message), status


def register(bp: Blueprint) -> None:
    @bp.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if exc.status == 404:
            return error_page(
                404,
                gettext("Not found"),
                gettext("There is no such page among your courses."),
            )
        return error_page(exc.status, gettext("Not possible"), exc.message)

    @bp.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_page(
            400,
            gettext("The form has expired"),
            gettext("Reload the page and try again: your answers were not sent."),
        )
