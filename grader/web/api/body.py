"""Reading request bodies: a JSON object or a clear 400."""

from __future__ import annotations

from typing import Any

from flask import request

from grader.services.errors import ServiceError


class BadBody(ServiceError):
    status = 400
    code = "bad_request"


def json_object() -> dict[str, Any]:
    """The request's JSON object body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadBody("the body must be a JSON object (Content-Type: application/json)")
    return body
