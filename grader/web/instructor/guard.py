"""Instructors only: every request is checked on the server; anyone else logged in gets 403 and
the attempt is logged. Pages answer with pages, the API with JSON."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from grader.db import Course
from grader.extensions import db
from grader.logtext import quoted
from grader.services import accounts
from grader.services.errors import Forbidden, ServiceError
from grader.web.auth import user
from grader.web.errors import json_error
from grader.web.i18n import N_

log = logging.getLogger(__name__)

LOGIN_ENDPOINT = "student.account.login"
# The service's own instructor endpoints, held to the same rule as this blueprint's.
INSTRUCTOR_API = frozenset(
    {"api.courses.gradebook_csv", "api.batches.create", "api.batches.show", "api.batches.results"}
)


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
            return json_error(401, "unauthorized", "log in or send 'Authorization: Bearer <token>'")
        return redirect(url_for(LOGIN_ENDPOINT, next=request.full_path.rstrip("?")))
    refuse_students()
    return None


def taught_course(slug: str) -> Course:
    """The course the URL names, if the caller teaches it (404 otherwise, logged)."""
    return accounts.course_taught(db.session, user(), slug)


def error_page(status: int, title: str, message: str):
    """The error as JSON for the API, else as a page in the reader's language (``title`` is
    one of the N_-marked titles)."""
    if for_api():
        return json_error(status, title.lower().replace(" ", "_"), message)
    return render_template("instructor/error.html", title=gettext(title), message=message), status


def register(bp: Blueprint) -> None:
    bp.before_request(require_instructor)

    @bp.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        titles = {403: N_("Instructors only"), 404: N_("Not found"), 409: N_("Not possible")}
        return error_page(exc.status, titles.get(exc.status, N_("Not possible")), exc.message)

    @bp.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_page(
            400, N_("The form has expired"), gettext("Reload the page and try again.")
        )

    @bp.record_once
    def guard_service_api(state) -> None:
        app: Flask = state.app

        @app.before_request
        def instructor_api_only():
            if request.endpoint in INSTRUCTOR_API:
                refuse_students()
