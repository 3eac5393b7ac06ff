"""Reading request bodies: a JSON object or a clear 400."""

from __future__ import annotations

from typing import Any

from flask import request

from grader.services.errors import ServiceError


class BadBody(ServiceError):
    status = 400
    code = "bad_request"


def parsed_json() -> Any:
    """The request's JSON body, or None when it is not JSON (too deeply nested included)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def json_object() -> dict[str, Any]:
    """The request's JSON object body."""
    body = parsed_json()
    if not isinstance(body, dict):
        raise BadBody("the body must be a JSON object (Content-Type: application/json)")
    return body
