"""How big a request body may be, per view, applied before anything reads the body.

The app-wide bound is ``MAX_CONTENT_LENGTH``; a view marked ``@marks.max_body(SETTING)`` takes the
config's ``SETTING`` instead (smaller for submissions, larger for batch uploads). The bound is
set in the app's first ``before_request`` hook: the CSRF check, which runs before the view,
parses a form body, and would otherwise parse it under the app-wide bound.
"""

from __future__ import annotations

from flask import Flask, current_app, request


def apply_max_body() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, "grader_max_body", None)
    if setting is not None:
        request.max_content_length = current_app.config[setting]


def init_app(app: Flask) -> None:
    """Register before every other ``before_request`` hook (call first)."""
    app.before_request(apply_max_body)
