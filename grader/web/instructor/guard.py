"""Instructors only: a blueprint guarded by :func:`instructors_only` checks every request to
every route it holds, those added later included (nothing to list or remember): a visitor is
asked to log in, anyone logged in who is not staff gets 403 and the attempt is logged. Pages
answer with pages, the API with JSON. The dashboard's blueprint and the API's ``/batches`` are
guarded so; the instructor's other API routes live in the dashboard's ``api`` module."""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from grader.db import Course
from grader.extensions import db
from grader.logtext import quoted
from grader.services import accounts
from grader.services.errors import Forbidden, ServiceError
from grader.web.auth import unauthorized, user
from grader.web.errors import json_error
from grader.web.i18n import N_

log = logging.getLogger(__name__)

LOGIN_ENDPOINT = "student.account.login"


def for_api() -> bool:
    return request.path.startswith("/api/")


def refuse_students() -> None:
    """403 (logged) for a logged-in user who is not staff."""
    if current_user.is_authenticated and not current_user.is_staff:
        log.warning(
            "refused instructor %s %s to %s (role %s)",
            request.method,
            quoted(request.path),
            current_user.email,
            current_user.role,
        )
        raise Forbidden("only the course's instructors may see this")


def require_instructor():
    """Log in first, then staff only."""
    if not current_user.is_authenticated:
        if for_api():
            return unauthorized()
        return redirect(url_for(LOGIN_ENDPOINT, next=request.full_path.rstrip("?")))
    refuse_students()
    return None


def instructors_only(bp: Blueprint) -> Blueprint:
    """Guard every route of ``bp`` and of the blueprints nested in it with
    :func:`require_instructor`, run before the view."""
    bp.before_request(require_instructor)
    return bp


def taught_course(slug: str) -> Course:
    """The course the URL names, if the caller teaches it (404 otherwise, logged)."""
    return accounts.course_taught(db.session, user(), slug)


def error_page(status: int, code: str, title: str, message: str):
    """The error as the API's JSON (``code``, as every API error has), else as a page in the
    reader's language (``title`` is one of the N_-marked titles)."""
    if for_api():
        return json_error(status, code, message)
    return render_template("instructor/error.html", title=gettext(title), message=message), status


def register(bp: Blueprint) -> None:
    """Guard the dashboard's blueprint and show its errors as pages (JSON under ``/api/``)."""
    instructors_only(bp)

    @bp.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        titles = {403: N_("Instructors only"), 404: N_("Not found"), 409: N_("Not possible")}
        title = titles.get(exc.status, N_("Not possible"))
        return error_page(exc.status, exc.code, title, exc.message)

    @bp.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = gettext("Reload the page and try again.")
        return error_page(400, "csrf", N_("The form has expired"), message)
