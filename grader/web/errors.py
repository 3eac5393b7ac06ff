"""Every error as JSON ``{error, message}`` with the right status."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException

from grader.db.errors import unavailable
from grader.services.errors import ServiceError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def json_error(status: int, code: str, message: str):
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    return response


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        return json_error(exc.status, exc.code, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return json_error(
            400, "csrf", f"{exc.description} (send X-CSRFToken from GET /api/v1/session)"
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return json_error(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if isinstance(exc, DataError):
            log.warning("refused a value the database cannot store: %s", exc.orig or exc)
            return json_error(
                400,
                "bad_request",
                "the request holds a value that cannot be stored "
                "(a NUL character, or a number out of range)",
            )
        if not unavailable(exc):
            return unexpected(exc)
        log.warning("the database is not answering: %s", exc.orig or exc)
        response = json_error(
            503, "unavailable", "the database is not answering; try again in a few seconds"
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return json_error(500, "internal_error", "something went wrong on the server")
