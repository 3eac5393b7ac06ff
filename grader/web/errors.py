"""Every error as JSON ``{error, message}`` with the right status."""

from __future__ import annotations

from flask import Flask, jsonify
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from grader.services.errors import ServiceError


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

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return json_error(500, "internal_error", "something went wrong on the server")
