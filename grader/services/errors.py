"""Errors a service raises for its caller to show: each carries an HTTP status and a code."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be done as asked; ``message`` says why."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Invalid(ServiceError):
    status = 422
    code = "invalid"
